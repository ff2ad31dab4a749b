#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest script (tools/vm/run --tap): the kernel datapath end to end against LIO on 127.0.0.1,
# driven by tests/vm/nlclient.py (login in user space, socket handed over with session-new and
# conn-bind, as iscsid does). The disk appears with its size, holds an ext4 file system across a
# remount, passes fio --verify under a matrix of negotiated parameters, survives a killed
# connection, a silent target and a timed-out command on the same device, logs out; the module
# unloads; an unprivileged user is refused every mutating operation.
# usage: datapath.sh BUILD_DIR
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$1
. "$top/tests/lib/tap.sh"

iqn=iqn.2003-01.org.linux-iscsi.vm:datapath
tpg=/sys/kernel/config/target/iscsi/$iqn/tpgt_1
size_mib=64
nl() { /usr/bin/python3 "$top/tests/vm/nlclient.py" "$@"; }
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# refused PATTERN COMMAND...: the command fails and says PATTERN
refused() {
	local pattern=$1 out
	shift
	! out=$("$@" 2>&1) && grep -qE -- "$pattern" <<<"$out" || { echo "$out"; return 1; }
}

# login_session OUTPUT_VAR ARGS...: logs in with nlclient and waits for the disk
login() {
	nl login --target "$iqn" --wait-disk 1 "$@" >/tmp/login.out 2>&1
	local rc=$?
	cat /tmp/login.out
	return $rc
}
field() { sed -n "s/^$1=//p" /tmp/login.out | head -n 1; }

# fio write-then-verify at one block size and queue depth
fio_verify() { # DEV BS QD SIZE
	fio --name=verify --filename="$1" --direct=1 --ioengine=libaio --rw=randwrite --bs="$2" \
		--iodepth="$3" --size="$4" --verify=crc32c --do_verify=1 --verify_fatal=1 \
		--randrepeat=0 --output=/tmp/fio.out >/dev/null 2>&1 || { cat /tmp/fio.out; return 1; }
}

# lio_params KEY=VALUE...: the target side of the negotiation, for the next login
lio_params() {
	local kv
	for kv in "$@"; do
		echo "${kv#*=}" >"$tpg/param/${kv%%=*}" || return 1
	done
}

ip link set lo up
modprobe -a sd_mod libcrc32c
check "LIO target with one ${size_mib} MiB LUN" "$top/tools/vm/guest/lio-target" --iqn "$iqn" --size-mib "$size_mib"
check "insmod iscsi_ini.ko" insmod "$build/kmod/iscsi_ini.ko"

# Permissions and policies, before any session exists
for op in session-new conn-bind session-logout session-del session-set session-rescan; do
	check "unprivileged $op refused (EPERM)" refused EPERM as_nobody /usr/bin/python3 \
		"$top/tests/vm/nlclient.py" do "$op" session-id=1
done
check "session-get is open to every user" as_nobody /usr/bin/python3 "$top/tests/vm/nlclient.py" dump session-get
check "session-new without names refused with a message" refused 'EINVAL.*missing attribute (target|initiator)-name' \
	nl do session-new tsih=1
check "out-of-range attribute refused" refused ERANGE nl do session-new target-name=x initiator-name=y \
	isid=800000000009 tsih=1 max-recv-dlength=100
check "ERL 1 refused with a message" refused '(ENOTSUP|EOPNOTSUPP).*ErrorRecoveryLevel' nl do session-new \
	target-name=x initiator-name=y isid=800000000009 tsih=1 erl=1
check "conn-bind to no session refused" refused 'ENOENT.*no such session' nl do conn-bind session-id=99 \
	sock-fd=0 exp-stat-sn=0 cmd-sn=0 exp-cmd-sn=0 max-cmd-sn=0

# Login, disk, file system
check_output "login hands the socket over and the disk appears" '^disk=/dev/sd' login
sid=$(field session-id) host=$(field host-no) dev=$(field disk)
tap_diag "session $sid, host$host, $dev"
check_output "disk has the LUN's size" "^$((size_mib << 20))\$" blockdev --getsize64 "$dev"
check_output "sysfs target_name" "^$iqn\$" cat "/sys/class/scsi_host/host$host/target_name"
check_output "sysfs portal" '^127.0.0.1:3260$' cat "/sys/class/scsi_host/host$host/portal"
check_output "sysfs initiator_name" '^iqn.2026-11' cat "/sys/class/scsi_host/host$host/initiator_name"
check_output "sysfs session_state" '^logged-in$' cat "/sys/class/scsi_host/host$host/session_state"
check_output "sysfs session_id" "^$sid\$" cat "/sys/class/scsi_host/host$host/session_id"
check_output "session-get dump lists the session" "^state=logged-in" nl dump session-get
check "mkfs.ext4" mkfs.ext4 -q -F "$dev"
mkdir -p /mnt/t
check "mount" mount "$dev" /mnt/t
check "write 16 MiB of random data" sh -c "head -c 16M /dev/urandom >/mnt/t/data && sha256sum /mnt/t/data >/tmp/sum"
check "unmount" umount /mnt/t
check "mount again" mount "$dev" /mnt/t
check "checksum matches after the remount" sha256sum -c /tmp/sum
umount /mnt/t
# Several LUNs on a second target, two sessions at once
iqn2=iqn.2003-01.org.linux-iscsi.vm:three-luns
check "second LIO target with three LUNs" "$top/tools/vm/guest/lio-target" --iqn "$iqn2" --luns 3 --size-mib 8
check_output "second session: REPORT LUNS finds three disks" '^disk=/dev/sd[a-z]+ /dev/sd[a-z]+ /dev/sd[a-z]+$' \
	sh -c "$(printf '%q ' /usr/bin/python3 "$top/tests/vm/nlclient.py") login --target $iqn2 --isid 800000000002 \
		--wait-disk 3 | tee /tmp/login2.out"
sid2=$(sed -n 's/^session-id=//p' /tmp/login2.out)
check_output "session-get dump shows both sessions" '^2$' sh -c \
	"$(printf '%q ' /usr/bin/python3 "$top/tests/vm/nlclient.py") dump session-get | grep -c '^session-id='"
check "I/O on both sessions at once" sh -c "dd if=$dev of=/dev/null bs=64k count=256 iflag=direct &
	dd if=\$(sed -n 's/^disk=\([^ ]*\).*/\1/p' /tmp/login2.out) of=/dev/null bs=64k count=128 iflag=direct && wait"
check "logout of the second session" nl do session-logout session-id="$sid2"
check_output "first session untouched" '^logged-in$' cat "/sys/class/scsi_host/host$host/session_state"

check_output "session-set changes timeouts" '^noop-interval=2$' sh -c \
	"$(printf '%q ' /usr/bin/python3 "$top/tests/vm/nlclient.py") do session-set session-id=$sid noop-interval=2 noop-timeout=3 replacement-timeout=60 &&
	 $(printf '%q ' /usr/bin/python3 "$top/tests/vm/nlclient.py") do session-get session-id=$sid"
nl listen --count 1 --timeout 60 >/tmp/scan-events 2>&1 &
listener=$!
wait_until 30 grep -q '^listening$' /tmp/scan-events
# the first bind asked for scan 1: this rescan is request 2, and the scan-done that ends it says so
check_output "session-rescan answers with the number of its scan request" '^scan-gen=2$' \
	nl do session-rescan session-id="$sid"
wait "$listener"
check_output "scan-done event when the rescan has ended" "^session-id=$sid\$" \
	sed -n '/^event=scan-done$/,/^$/p' /tmp/scan-events
check_output "the scan-done covers the rescan's request" '^scan-gen=2$' \
	sed -n '/^event=scan-done$/,/^$/p' /tmp/scan-events
check "fio verify 4k QD1" fio_verify "$dev" 4k 1 4M
check "fio verify 512 QD32" fio_verify "$dev" 512 32 2M

# Connection killed during fio: recovery on the same device
state_is() { # STATE: waits up to 10 s for the session state
	for _ in $(seq 100); do
		[[ $(cat "/sys/class/scsi_host/host$host/session_state") == "$1" ]] && return 0
		sleep 0.1
	done
	return 1
}
nl listen --count 3 --timeout 90 >/tmp/events 2>&1 &
listener=$!
wait_until 30 grep -q '^listening$' /tmp/events
fio --name=kill --filename="$dev" --direct=1 --ioengine=libaio --rw=randwrite --bs=64k --iodepth=16 \
	--size=64M --verify=crc32c --do_verify=1 --verify_fatal=1 --randrepeat=0 --output=/tmp/fio-kill.out &
fio_pid=$!
sleep 2
check "ss -K kills the connection during fio" ss -K dport = 3260
check "session enters recovering" state_is recovering
check_output "re-login binds a new connection to the same session" "^session-id=$sid\$" login --session "$sid"
wait "$fio_pid"
tap_point $? "fio across the killed connection finishes and verifies" "$(cat /tmp/fio-kill.out)"
check_output "same device after the recovery" "^disk=$dev\$" cat /tmp/login.out
wait "$listener"
check_output "conn-error event with the session and a reason" "^reason=" cat /tmp/events
check_output "session-state events: recovering, then logged-in" 'state=recovering.*state=logged-in' \
	sh -c "grep -o 'state=[a-z-]*' /tmp/events | tr '\n' ' '"
check_output "counters show the failure and the second bind" 'stats.binds=2' nl do session-get session-id="$sid"

# Past replacement_timeout I/O fails instead of hanging, and the session stays for a later bind
check "session-set replacement-timeout=1" nl do session-set session-id="$sid" replacement-timeout=1
check "ss -K kills the connection again" ss -K dport = 3260
check "session fails after replacement_timeout" state_is failed
check_output "I/O fails fast while the session has failed" 'error reading' \
	sh -c "! dd if=$dev of=/dev/null bs=4k count=1 iflag=direct 2>&1"
check_output "a new connection revives the failed session, same device" "^disk=$dev\$" login --session "$sid"
check "I/O works again" dd if="$dev" of=/dev/null bs=4k count=16 iflag=direct

# Keep-alive: a target that falls silent is caught by our pings
check "session-set: ping after 1 s of silence, 2 s to answer" nl do session-set session-id="$sid" \
	noop-interval=1 noop-timeout=2 replacement-timeout=60
check "the target falls silent (loopback drops everything)" tc qdisc add dev lo root netem loss 100%
check "the unanswered ping fails the connection" state_is recovering
tc qdisc del dev lo root
check_output "the ping timeout is counted" 'stats.nop-timeouts=1' nl do session-get session-id="$sid"
check_output "a new connection after the silence, same device" "^disk=$dev\$" login --session "$sid"
check "I/O works after the silence" dd if="$dev" of=/dev/null bs=4k count=16 iflag=direct

# SCSI error handling: a command that outlives its timeout is aborted (ABORT TASK) and retried
check "session-set: no pings while the network is slow" nl do session-set session-id="$sid" noop-interval=0
echo 2 >"/sys/block/${dev#/dev/}/device/timeout"
check "the network gets slow (2.5 s each way)" tc qdisc add dev lo root netem delay 2500ms
(sleep 6; tc qdisc del dev lo root) &
check "a read outlives its 2 s timeout, is aborted, and succeeds when retried" \
	dd if="$dev" of=/dev/null bs=4k count=1 skip=100 iflag=direct
wait $!
echo 30 >"/sys/block/${dev#/dev/}/device/timeout"
check_output "the abort is counted" 'stats.aborts=[1-9]' nl do session-get session-id="$sid"
check "LOGICAL UNIT RESET (sg_reset -d)" sg_reset -N -d "$dev"
# LIO's demo-mode ACLs refuse TARGET WARM RESET: the refusal must come back as a failed reset
check_fails "TARGET WARM RESET refused by LIO is a failed reset (sg_reset -t)" sg_reset -N -t "$dev"
check_output "both resets are counted" 'stats.resets=2' nl do session-get session-id="$sid"
sg_reset -N -H "$dev" >/tmp/host-reset.out 2>&1 &
reset_pid=$!
check "host reset drops the connection" state_is recovering
check_output "a new connection completes the host reset, same device" "^disk=$dev\$" login --session "$sid"
wait "$reset_pid"
tap_point $? "host reset succeeds once the session is back" "$(cat /tmp/host-reset.out)"

check "logout" nl do session-logout session-id="$sid"
check_fails "disk gone after logout" test -b "$dev"

# Parameter matrix: target side set through configfs, initiator side offered by nlclient
matrix() { # NAME LIO_PARAMS NLCLIENT_OPTIONS EXPECT
	local name=$1 lio=$2 opts=$3 expect=$4 isid
	isid=8000000000$(printf '%02x' $((++matrix_n + 16)))
	# shellcheck disable=SC2086
	if ! lio_params $lio || ! login $opts --isid "$isid" --show-keys >/dev/null; then
		tap_point 1 "$name: login" "$(cat /tmp/login.out)"
		return
	fi
	check_output "$name: negotiated $expect" "$expect" cat /tmp/login.out
	local d s
	d=$(field disk) s=$(field session-id)
	check "$name: fio verify 4k QD32" fio_verify "$d" 4k 32 2M
	check "$name: fio verify 256k QD8" fio_verify "$d" 256k 8 4M
	check "$name: fio verify 1M QD4" fio_verify "$d" 1M 4 8M
	check "$name: logout" nl do session-logout session-id="$s"
}
matrix_n=0
matrix "R2T+imm, small bursts, digests" \
	"InitialR2T=Yes ImmediateData=Yes MaxRecvDataSegmentLength=4096 FirstBurstLength=8192 MaxBurstLength=16384 MaxOutstandingR2T=1" \
	"--header-digest crc32c --data-digest crc32c --max-recv 4096 --first-burst 8192 --max-burst 16384" \
	'first-burst-length=8192'
matrix "unsolicited data, no immediate, 4 R2Ts" \
	"InitialR2T=No ImmediateData=No MaxRecvDataSegmentLength=65536 FirstBurstLength=65536 MaxBurstLength=262144 MaxOutstandingR2T=4" \
	"--initial-r2t no --immediate-data no --max-r2t 4" \
	'max-outstanding-r2t=4'
matrix "unsolicited + immediate, large bursts, data digest" \
	"InitialR2T=No ImmediateData=Yes MaxRecvDataSegmentLength=262144 FirstBurstLength=262144 MaxBurstLength=1048576 MaxOutstandingR2T=2" \
	"--initial-r2t no --data-digest crc32c --first-burst 262144 --max-burst 1048576 --max-r2t 2" \
	'initial-r2t=0'
matrix "R2T only, header digest" \
	"InitialR2T=Yes ImmediateData=No MaxRecvDataSegmentLength=8192 FirstBurstLength=65536 MaxBurstLength=65536 MaxOutstandingR2T=1" \
	"--immediate-data no --header-digest crc32c" \
	'immediate-data=0'

check_output "no session left" '^$' nl dump session-get
check "rmmod iscsi_ini" rmmod iscsi_ini
tap_end
