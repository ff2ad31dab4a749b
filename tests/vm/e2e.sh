#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest script (tools/vm/run --tap): the product path end to end against LIO in the guest's kernel.
# iscsictl keeps the targets in a store and asks iscsid, which logs in and hands the socket to
# iscsi_ini.ko: disks appear, hold a file system across logout/login, survive a killed connection
# under fio --verify, and CHAP and mutual CHAP work with every algorithm. The runner fails the test
# on any kernel warning.
# usage: e2e.sh BUILD_DIR
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$1
. "$top/tests/lib/tap.sh"
. "$top/tools/vm/guest/iscsictl.sh"
guest=$top/tools/vm/guest
base=iqn.2003-01.org.linux-iscsi.vm
t1=$base:e2e1 t2=$base:e2e2 tchap=$base:chap tmutual=$base:mutual
export ISCSICTL_STORE=/tmp/targets.ini ISCSICTL_INITIATORNAME=/tmp/initiatorname.iscsi

login_logout() { ctl login "$1" && ctl logout "$1"; }

# Targets: t1 with one 256 MiB LUN (file system), t2 with two small LUNs, and two CHAP targets.
echo -n "chap-secret-0123" >/tmp/chap.secret
echo -n "mutual-secret-987" >/tmp/mutual.secret
"$guest/lio-target" --iqn "$t1" --size-mib 256 >/dev/null
"$guest/lio-target" --iqn "$t2" --luns 2 --size-mib 32 >/dev/null
"$guest/lio-target" --iqn "$tchap" --size-mib 16 --chap-user host1 --chap-secret-file /tmp/chap.secret >/dev/null
"$guest/lio-target" --iqn "$tmutual" --size-mib 16 --chap-user host1 --chap-secret-file /tmp/chap.secret \
	--mutual-user "$tmutual" --mutual-secret-file /tmp/mutual.secret >/dev/null
modprobe -a sd_mod libcrc32c
check "insmod iscsi_ini.ko" insmod "$build/kmod/iscsi_ini.ko"
"$build/iscsid/iscsid" --foreground >/tmp/iscsid.log 2>&1 &
daemon=$!
for _ in $(seq 50); do [ -S /run/iscsid/iscsid.sock ] && break; sleep 0.1; done

for t in "$t1" "$t2" "$tchap" "$tmutual"; do
	check "add $t to the store" ctl add target "$t" 127.0.0.1
done
check "login exits 0 with the LUN present" ctl login "$t1"
dev=$(device_of "$t1" 0)
check "the disk is a block device" test -b "$dev"
check_output "the disk has the target's size" '^268435456$' blockdev --getsize64 "$dev"
check_output "list sessions shows the session logged in" "$t1 .*logged-in" ctl list sessions
check_output "a second login of the same target is refused (exit 4)" 'status 4' status_of ctl login "$t1"

# A file system survives logout and login.
mkdir -p /mnt/e2e
check "mkfs.ext4 on the iSCSI disk" mkfs.ext4 -q -F "$dev"
check "mount" mount "$dev" /mnt/e2e
check "write 100 MiB of random data" dd if=/dev/urandom of=/mnt/e2e/data bs=1M count=100 status=none
sum=$(sha256sum </mnt/e2e/data)
check "unmount" umount /mnt/e2e
check "logout exits 0" ctl logout "$t1"
check_fails "the disk is gone after logout" test -b "$dev"
check "login again" ctl login "$t1"
dev=$(device_of "$t1" 0)
check "mount again" mount "$dev" /mnt/e2e
check_output "the data reads back with the same checksum" "^$sum\$" sh -c "sha256sum </mnt/e2e/data"
check "unmount again" umount /mnt/e2e

# Several LUNs on one target, two targets at once.
check "login to a second target" ctl login "$t2"
check_output "list luns shows three disks of two targets" '^3$' lun_count
check "the second target's LUN 1 is a disk" test -b "$(device_of "$t2" 1)"

# A killed connection during fio --verify: no I/O error, data verifies, same device.
before=$(device_of "$t1" 0)
fio --name=verify --filename="$before" --direct=1 --ioengine=libaio --rw=randwrite --bs=16k --iodepth=16 \
	--size=64M --verify=crc32c --verify_fatal=1 --do_verify=1 --output=/tmp/fio.out >/dev/null 2>&1 &
fio_pid=$!
sleep 4
check "kill the iSCSI connection during fio (ss -K)" ss -K dport = 3260
wait "$fio_pid"
fio_status=$?
tap_point "$fio_status" "fio --verify finishes without an error across the reconnect" "$(tail -n 20 /tmp/fio.out)"
check_output "fio reports no errors" 'err= 0' cat /tmp/fio.out
check_output "same device after the reconnect" "^$before\$" device_of "$t1" 0
check_output "iscsid logged the recovery" 'connection restored' cat /tmp/iscsid.log
check "logout of the first target" ctl logout "$t1"
check "logout of the second target" ctl logout "$t2"

# CHAP with every algorithm LIO accepts, mutual CHAP, and the failures a user must be told about.
check "CHAP settings" ctl modify target "$tchap" auth=chap chap-name=host1
check "the CHAP secret from standard input" set_secret "$tchap" chap-secret /tmp/chap.secret
for alg in md5 sha-1 sha-256 sha3-256; do
	ctl modify target "$tchap" chap-algorithms=$alg >/dev/null
	check "CHAP login and logout with $alg" login_logout "$tchap"
done
check "mutual CHAP settings" ctl modify target "$tmutual" auth=mutual-chap chap-name=host1 \
	mutual-chap-name="$tmutual"
check "mutual CHAP: our secret" set_secret "$tmutual" chap-secret /tmp/chap.secret
check "mutual CHAP: the target's secret" set_secret "$tmutual" mutual-chap-secret /tmp/mutual.secret
check "mutual CHAP login and logout" login_logout "$tmutual"
echo -n "wrong-mutual-secret" >/tmp/wrong.secret
set_secret "$tmutual" mutual-chap-secret /tmp/wrong.secret >/dev/null
check_output "a target failing mutual CHAP is refused (exit 5)" 'status 5' status_of ctl login "$tmutual"
set_secret "$tchap" chap-secret /tmp/wrong.secret >/dev/null
check_output "a wrong CHAP secret is an authentication failure (exit 5)" 'status 5' status_of ctl login "$tchap"
check_output "the message says so" 'authentication failed' output_of ctl login "$tchap"
check "add a target LIO does not have" ctl add target "$base:nosuch" 127.0.0.1
# LIO answers an unknown name on its portal with "service unavailable" (status 0x0301), not "target
# not found" (tgtd does; the target suite checks that mapping): the user gets the target's word.
check_output "a target LIO does not know fails with the target's answer" "$base:nosuch: service unavailable" \
	output_of ctl login "$base:nosuch"
check_fails "no secret in the daemon's log" grep -qE 'chap-secret-0123|mutual-secret-987|wrong-mutual' /tmp/iscsid.log
check_output "no session left" '^0$' session_count

kill "$daemon"
wait "$daemon"
check "rmmod after every logout" rmmod iscsi_ini
tap_end
