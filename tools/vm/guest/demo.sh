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

step "tell iscsictl about the target (kept in $ISCSICTL_STORE) and log in"
show iscsictl add target "$target" 127.0.0.1
show iscsictl login "$target"
show iscsictl list sessions
show iscsictl list luns
dev=$(iscsictl --json list luns | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["device"])')

step "$dev is an ordinary disk: make a file system, write a file, read it back"
show mkfs.ext4 -q -F "$dev"
mkdir -p /mnt/demo
show mount "$dev" /mnt/demo
show dd if=/dev/urandom of=/mnt/demo/file bs=1M count=16 status=none
show sha256sum /mnt/demo/file
show umount /mnt/demo
show mount "$dev" /mnt/demo
show sha256sum /mnt/demo/file
show df -h /mnt/demo
show umount /mnt/demo

step "log out: the disk goes away"
show iscsictl logout "$target"
show iscsictl list sessions
kill "$daemon"
wait "$daemon" || true
show rmmod iscsi_ini

step "what the daemon logged"
cat /tmp/iscsid.log
