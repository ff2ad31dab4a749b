#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest script (tools/vm/run --tap): fault injection on the product path (iscsictl, iscsid,
# iscsi_ini.ko against LIO in the guest). Every fault happens under fio --verify or the
# acknowledged-write ledger (tests/vm/acked-writer.py), and each case says what happened to the data:
#   connection faults: the socket killed 20 times, the target unreachable (packets dropped) for 5 s,
#     30 s and longer than replacement-timeout, the target's iSCSI fabric restarted;
#   daemon faults: iscsid killed during I/O and replaced, iscsid absent during a connection failure;
#   logout and unload safety: rmmod refused while a session exists, logout with I/O in flight.
# Measured times are printed as "# figure:" lines (docs/reliability.md quotes them).
# usage: faults.sh BUILD_DIR
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$1
. "$top/tests/lib/tap.sh"
guest=$top/tools/vm/guest
ctl() { "$build/iscsictl/iscsictl" "$@"; }
writer() { python3 "$top/tests/vm/acked-writer.py" "$@"; }
t=iqn.2003-01.org.linux-iscsi.vm:faults
T=/sys/kernel/config/target
export ISCSICTL_STORE=/tmp/targets.ini ISCSICTL_INITIATORNAME=/tmp/initiatorname.iscsi
# replacement-timeout of the first session (above the 30 s outage) and of the second (below the long one)
long_rt=45 short_rt=10

figure() { tap_diag "figure: $*"; }
# Figures come from the kernel's timestamps: the module logs "connection 0 failed" and "bound, I/O
# resumes", the test marks its own steps in the same log.
mark() { echo "iscsi-faults: $*" >/dev/kmsg; }
# ktime PATTERN [AFTER]: timestamp of the first kernel log line matching PATTERN after the last one
# matching AFTER (the test's marks are "iscsi-faults: AFTER").
ktime() {
	dmesg | awk -v p="$1" -v a="${2:+iscsi-faults: $2}" '
		BEGIN { armed = (a == "") }
		a != "" && index($0, a) { armed = 1; found = ""; next }
		armed && found == "" && $0 ~ p { found = substr($0, 2, index($0, "]") - 2) + 0 }
		END { print found }'
}
delta() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print "?"; else printf "%.1f", b - a }'; }
# holds FROM [TO]: I/O hold times (connection failed to bound) between two marks, one per line.
holds() {
	dmesg | awk -v f="iscsi-faults: $1" -v t="${2:+iscsi-faults: $2}" '
		index($0, f) { on = 1; next }
		t != "" && index($0, t) { on = 0 }
		!on { next }
		{ ts = substr($0, 2, index($0, "]") - 2) + 0 }
		/connection 0 failed/ && failed == "" { failed = ts }
		/bound, I\/O resumes/ && failed != "" { printf "%.1f\n", ts - failed; failed = "" }'
}
ledger_has() { [ "$(wc -l </tmp/ledger 2>/dev/null || echo 0)" -ge "$1" ]; }
# What a process sees when replacement-timeout fails its I/O: the midlayer's DID_TRANSPORT_FAILFAST
# becomes BLK_STS_TRANSPORT, which the block layer hands up as ENOLINK; EIO is as good.
io_error='Link has been severed|Input/output error'

# The session's SCSI host in sysfs (the module's attributes), its state, id and disk.
host_dir() { grep -lx "$t" /sys/class/scsi_host/host*/target_name 2>/dev/null | head -n 1 | xargs -r dirname; }
state() { cat "$(host_dir)/session_state" 2>/dev/null; }
session_id() { cat "$(host_dir)/session_id" 2>/dev/null; }
is_state() { [ "$(state)" = "$1" ]; }
device() {
	ctl --json list luns | python3 -c '
import json, sys
for l in json.load(sys.stdin):
    if l["target"] == sys.argv[1] and l["lun"] == 0:
        print(l["device"])' "$t"
}
# Requests completed by the disk so far (reads + writes, /sys/block/X/stat).
completed() { awk '{ print $1 + $5 }' "/sys/block/$(basename "$dev")/stat"; }
io_moved_since() { [ "$(completed)" != "$1" ]; }

# "connection restored" lines in a daemon's log: one per recovery.
restored() { grep -c 'connection restored' "$1"; }
restored_at_least() { [ "$(restored "$1")" -ge "$2" ]; }

start_daemon() { # LOG
	"$build/iscsid/iscsid" --foreground >>"$1" 2>&1 &
	daemon=$!
	wait_until 20 ctl list sessions >/dev/null 2>&1
}

# Packets to and from the portal dropped in the guest (nftables): the target is unreachable, the
# established connection stays open and only the keep-alive (NOP-Out) notices.
block() {
	nft -f - <<-'EOF'
		table inet faults {
			chain out {
				type filter hook output priority 0;
				tcp dport 3260 drop
				tcp sport 3260 drop
			}
		}
	EOF
}
unblock() { nft delete table inet faults; }

# fio on the first 32 MiB of the disk, verifying as it goes (verify_backlog) and once more at the end.
# Returns once the disk has completed requests since fio started, so the fault that follows happens
# under I/O (fio can take seconds to start in a loaded TCG guest).
start_fio() { # NAME RUNTIME
	local c
	c=$(completed)
	fio --name="$1" --filename="$dev" --allow_file_create=0 --size=32M --direct=1 --ioengine=libaio \
		--rw=randrw --bs=16k --iodepth=8 --time_based --runtime="$2" --verify=crc32c --do_verify=1 \
		--verify_fatal=1 --verify_backlog=64 --output="/tmp/fio-$1.out" >/dev/null 2>&1 &
	fio_pid=$!
	fio_name=$1
	wait_until 60 io_moved_since "$c"
}
# finish_fio WHAT: fio ends with status 0, no error and the same disk and session as before.
finish_fio() {
	local rc
	wait "$fio_pid"
	rc=$?
	tap_point "$rc" "$1: fio --verify finishes without an error" "$(tail -n 20 "/tmp/fio-$fio_name.out")"
	check_output "$1: fio reports err= 0" 'err= 0' cat "/tmp/fio-$fio_name.out"
	check_output "$1: the same disk" "^$dev\$" device
	check_output "$1: the same session" "^$sid\$" session_id
}
fio_running() { kill -0 "$fio_pid" 2>/dev/null; }
fio_ended() { ! fio_running; }

# LIO's iSCSI side restarted: the target's configuration removed, iscsi_target_mod unloaded and
# loaded again (when it is a module: the debug kernel builds it in, and removing the configuration
# already tears every session down), the target set up anew over the same ramdisk backstore (the
# data stays).
reload_lio_iscsi() {
	grep -q '^iscsi_target_mod ' /proc/modules || return 0
	rmmod iscsi_target_mod && modprobe iscsi_target_mod
}
restart_target() {
	local tpg=$T/iscsi/$t/tpgt_1
	echo 0 >"$tpg/enable" &&
		rm "$tpg/lun/lun_0/backstore" && rmdir "$tpg/lun/lun_0" "$tpg/np/127.0.0.1:3260" "$tpg" \
		"$T/iscsi/$t" "$T/iscsi" && reload_lio_iscsi &&
		mkdir -p "$tpg/lun/lun_0" "$tpg/np/127.0.0.1:3260" && ln -s "$backstore" "$tpg/lun/lun_0/backstore" &&
		echo 1 >"$tpg/attrib/generate_node_acls" && echo 1 >"$tpg/attrib/cache_dynamic_acls" &&
		echo 0 >"$tpg/attrib/demo_mode_write_protect" && echo 0 >"$tpg/attrib/authentication" &&
		echo 1 >"$tpg/enable"
}

backstore=$("$guest/lio-target" --iqn "$t" --size-mib 64)
modprobe -a sd_mod libcrc32c nf_tables
check "insmod iscsi_ini.ko" insmod "$build/kmod/iscsi_ini.ko"
start_daemon /tmp/iscsid-1.log
check "add the target" ctl add target "$t" 127.0.0.1
check "replacement-timeout $long_rt s" ctl modify target "$t" replacement-timeout=$long_rt
check "login" ctl login "$t"
dev=$(device)
sid=$(session_id)
check "the disk is a block device" test -b "$dev"
log=/tmp/iscsid-1.log

# 1. The connection killed 20 times under I/O: fio runs in 30 s windows until 20 kills are done, each
# kill after the previous recovery.
mark "kills begin"
kills=0 recovered=0 windows=0 bad=""
while ((kills < 20 && windows < 10)); do
	windows=$((windows + 1))
	start_fio "kills$windows" 30
	sleep 2
	while ((kills < 20)) && fio_running; do
		kills=$((kills + 1))
		ss -K dst 127.0.0.1 dport = 3260 >/dev/null
		wait_until 60 restored_at_least "$log" "$kills" && recovered=$((recovered + 1))
		sleep 0.5
	done
	if ! wait "$fio_pid" || ! grep -q 'err= 0' "/tmp/fio-kills$windows.out"; then
		bad="$bad $(tail -n 20 "/tmp/fio-kills$windows.out")"
	fi
done
mark "kills end"
check_output "20 connections killed during fio" '^20$' echo "$kills"
check_output "20 recoveries" '^20$' echo "$recovered"
tap_point "$([ -z "$bad" ]; echo $?)" "fio --verify over the 20 kills ($windows runs): no error, data verified" "$bad"
check_output "20 killed connections: the same disk" "^$dev\$" device
check_output "20 killed connections: the same session" "^$sid\$" session_id
figure "socket killed: I/O held (kernel: connection failed to bound) $(holds "kills begin" "kills end" |
	sort -n | awk '{ a[NR] = $1 } END { printf "min %.1f s, median %.1f s, max %.1f s over %d kills", a[1], a[int((NR + 1) / 2)], a[NR], NR }')"

# 2. The target unreachable for 5 s and 30 s: below replacement-timeout, I/O waits and resumes.
for outage in 5 30; do
	start_fio "outage$outage" $((outage + 15))
	sleep 3
	before=$(restored "$log")
	block
	mark "blocked $outage"
	sleep "$outage"
	unblock
	mark "unblocked $outage"
	check "unreachable ${outage} s: fio was still running when the target came back" fio_running
	check "unreachable ${outage} s: logged in after the outage" wait_until 90 is_state logged-in
	finish_fio "unreachable ${outage} s"
	failed=$(ktime 'connection 0 failed' "blocked $outage") bound=$(ktime 'bound, I/O resumes' "blocked $outage")
	what="measured $(delta "$(ktime "blocked $outage")" "$(ktime "unblocked $outage")") s"
	if [ -z "$failed" ]; then
		figure "unreachable ${outage} s ($what): the connection survived (TCP retransmitted in time), no reconnection"
	else
		figure "unreachable ${outage} s ($what): $(($(restored "$log") - before)) reconnection(s); failure detected" \
			"$(delta "$(ktime "blocked $outage")" "$failed") s into the outage; I/O held $(delta "$failed" "$bound") s;" \
			"bound $(delta "$(ktime "unblocked $outage")" "$bound") s after the target came back"
	fi
done

# 3. The target restarted: its sessions are torn down, the daemon logs in again.
start_fio restart 30
sleep 3
before=$(restored "$log")
mark "restart"
check "restart LIO's iSCSI target (configuration removed, module reloaded if it is one, set up again)" restart_target
check "the daemon logs in to the restarted target" wait_until 60 restored_at_least "$log" $((before + 1))
failed=$(ktime 'connection 0 failed' restart)
figure "target restarted: connection lost $(delta "$(ktime restart)" "$failed") s after the restart began;" \
	"I/O held $(delta "$failed" "$(ktime 'bound, I/O resumes' restart)") s"
finish_fio "target restarted"

# 4. iscsid killed during I/O: I/O keeps flowing; a new daemon takes the session over and recovers it.
start_fio daemon-kill 40
sleep 3
kill -9 "$daemon"
wait "$daemon" 2>/dev/null
c=$(completed)
check "iscsid killed: I/O keeps flowing without a daemon" wait_until 10 io_moved_since "$c"
log=/tmp/iscsid-2.log
start_daemon "$log"
check_output "the new daemon lists the session logged in" "$t .*logged-in" ctl list sessions
check_output "the new daemon took the session over" "took over session $sid" cat "$log"
mark "kill under the new daemon"
ss -K dst 127.0.0.1 dport = 3260 >/dev/null
check "the new daemon recovers the next lost connection" wait_until 60 restored_at_least "$log" 1
figure "connection lost under a taken-over session: I/O held $(holds "kill under the new daemon") s"
finish_fio "iscsid killed and replaced"

# 5. iscsid absent during a connection failure: the session waits, the daemon recovers it on start.
start_fio daemon-absent 40
sleep 3
kill -9 "$daemon"
wait "$daemon" 2>/dev/null
mark "daemon absent"
ss -K dst 127.0.0.1 dport = 3260 >/dev/null
sleep 5
check_output "no daemon: the session waits in state recovering" '^recovering$' state
check "no daemon: fio is still running (I/O held, no error)" fio_running
log=/tmp/iscsid-3.log
mark "daemon starts"
start_daemon "$log"
mark "daemon ready"
check "the starting daemon recovers the waiting session" wait_until 60 is_state logged-in
figure "daemon absent during a connection failure: I/O held $(holds "daemon absent") s in all; bound" \
	"$(delta "$(ktime "daemon starts")" "$(ktime 'bound, I/O resumes' "daemon starts")") s after the daemon started," \
	"$(delta "$(ktime "daemon ready")" "$(ktime 'bound, I/O resumes' "daemon starts")") s after it answered its socket"
finish_fio "iscsid absent during a connection failure"

# 6. Unreachable for longer than replacement-timeout: I/O fails with an error, the acknowledged writes
# are on the disk, and the session comes back by itself with the target.
check "logout to change replacement-timeout" ctl logout "$t"
check "replacement-timeout $short_rt s" ctl modify target "$t" replacement-timeout=$short_rt
check "login again" ctl login "$t"
dev=$(device)
sid=$(session_id)
start_fio long 150
writer write "$dev" 40 16 /tmp/ledger >/tmp/writer.out 2>&1 &
writer_pid=$!
check "the ledger writer has acknowledged writes before the outage" wait_until 60 ledger_has 16
sleep 1
before=$(restored "$log")
block
mark "blocked long"
check "unreachable > replacement-timeout: fio ends while the target is still away" wait_until 120 fio_ended
mark "fio ended long"
figure "unreachable > replacement-timeout ($short_rt s): fio ended $(delta "$(ktime "blocked long")" \
	"$(ktime "fio ended long")") s into the outage"
wait "$fio_pid"
fio_rc=$?
check_output "fio exits non-zero" '^[1-9]' echo "$fio_rc"
check_output "fio names the error" "$io_error" cat /tmp/fio-long.out
check "the acknowledged-write ledger stops with an I/O error too" wait_until 30 sh -c "! kill -0 $writer_pid"
wait "$writer_pid"
check_output "the ledger writer names the error" "$io_error" cat /tmp/writer.out
tap_diag "$(cat /tmp/writer.out)"
check_output "the session waits for the target, marked failed" '^failed$' state
unblock
mark "unblocked long"
check "the session recovers by itself when the target returns" wait_until 90 restored_at_least "$log" $((before + 1))
failed=$(ktime 'connection 0 failed' "blocked long")
figure "unreachable > replacement-timeout: failure detected $(delta "$(ktime "blocked long")" "$failed") s into" \
	"the outage, I/O failed $(delta "$failed" "$(ktime 'no new connection within' "blocked long")") s later; bound" \
	"$(delta "$(ktime "unblocked long")" "$(ktime 'bound, I/O resumes' "unblocked long")") s after the target came back"
check_output "after the long outage: the same disk" "^$dev\$" device
check_output "after the long outage: the same session" "^$sid\$" session_id
check_output "every acknowledged write is on the disk" '[1-9][0-9]* blocks hold their last acknowledged write' \
	writer verify "$dev" 40 /tmp/ledger
tap_diag "$(writer verify "$dev" 40 /tmp/ledger 2>&1)"
start_fio after-long 10
finish_fio "I/O after the long outage"

# 7. Unload and logout safety.
check_fails "rmmod iscsi_ini is refused while a session exists" rmmod iscsi_ini
check_output "rmmod says the module is in use" 'in use' sh -c 'rmmod iscsi_ini 2>&1; true'
check_output "the session is still logged in" '^logged-in$' state
start_fio logout 60
tap_point $? "fio is doing I/O on the disk before the logout"
sleep 2
mark "logout"
check "logout with I/O in flight exits 0" ctl logout "$t"
check "every request ends: fio exits after the logout" wait_until 60 fio_ended
mark "fio ended after logout"
figure "logout with I/O in flight: fio ended $(delta "$(ktime logout)" "$(ktime "fio ended after logout")") s" \
	"after the logout began"
wait "$fio_pid"
tap_diag "fio after the logout: status $?, $(grep -m 1 -oE 'error=[^)]*' /tmp/fio-logout.out)"
check_fails "the disk is gone" test -b "$dev"
check_output "no process stuck in uninterruptible sleep" '^0$' sh -c "ps -eo stat= | awk '/^D/ { n++ } END { print n + 0 }'"
check_output "no session left" '^\[\]$' ctl --json list sessions
kill "$daemon"
wait "$daemon"
check "rmmod after the logout" rmmod iscsi_ini
cp /tmp/iscsid-*.log /tmp/fio-*.out /tmp/writer.out "${VM_RUN:-/tmp}/" 2>/dev/null
tap_end
