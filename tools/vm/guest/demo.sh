#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo's guest half: what a user does with this initiator, step by step, narrated for a
# newcomer; it stops at the first failure.
# usage: demo.sh BUILD_DIR
set -euo pipefail
build=$1
top=$(cd "$(dirname "$0")/../../.." && pwd)
step() { printf '\n==> %s\n' "$*"; }
show() {
	printf '$ %s\n' "$*"
	"$@"
}
iscsictl() { "$build/iscsictl/iscsictl" "$@"; }
target=iqn.2003-01.org.linux-iscsi.vm:demo
export ISCSICTL_STORE=/etc/iscsi/targets.ini
mkdir -p /etc/iscsi

step "a throwaway VM: Debian's kernel $(uname -r), the host's files over 9p"
step "an iSCSI target in the guest's kernel (LIO), one 128 MiB disk, on 127.0.0.1:3260"
"$top/tools/vm/guest/lio-target" --iqn "$target" --size-mib 128 >/dev/null
echo "target $target ready"

step "load the initiator's kernel module and start its daemon"
modprobe -a sd_mod libcrc32c
show insmod "$build/kmod/iscsi_ini.ko"
"$build/iscsid/iscsid" --foreground 2>/tmp/iscsid.log &
daemon=$!
for _ in $(seq 50); do [ -S /run/iscsid/iscsid.sock ] && break; sleep 0.1; done
show "$build/iscsid/iscsid" --check-kernel

step "udev, with the initiator's rules: disks get open-iscsi's /dev/disk/by-path names"
cp "$top/iscsid/udev/60-iscsi-ini.rules" /etc/udev/rules.d/
cp "$top/iscsid/udev/iscsi-ini-path_id" /lib/udev/
mkdir -p /run/udev
/lib/systemd/systemd-udevd --daemon >/tmp/udevd.log 2>&1

step "a new user: find the target through its portal, log in, put a file system in fstab"
show iscsictl add discovery 127.0.0.1
show iscsictl discover
show iscsictl list targets
show iscsictl modify target "$target" startup=automatic
show iscsictl login --automatic
udevadm settle --timeout=60
link=/dev/disk/by-path/ip-127.0.0.1:3260-iscsi-$target-lun-0
show ls -l "$link"
show mkfs.ext4 -q -F "$link"
mkdir -p /mnt/data
show sh -c "echo '$link /mnt/data ext4 _netdev 0 2' >>/etc/fstab"
show mount /mnt/data
show dd if=/dev/urandom of=/mnt/data/file bs=1M count=16 status=none
show sha256sum /mnt/data/file
show df -h /mnt/data
show iscsictl list sessions
show iscsictl show session "$target"

step "unmount, log out and in again: the same file system, the same file"
show umount /mnt/data
show iscsictl logout --all
show iscsictl login "$target"
udevadm settle --timeout=60
show mount /mnt/data
show sha256sum /mnt/data/file
show umount /mnt/data

step "log out: the disk goes away"
show iscsictl logout "$target"
show iscsictl list sessions
udevadm control --exit
kill "$daemon"
wait "$daemon" || true
show rmmod iscsi_ini

step "what the daemon logged"
cat /tmp/iscsid.log
