#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest script (tools/vm/run --tap): multiple connections per session (MC/S) on the product path
# (iscsictl, iscsid, iscsi_ini.ko) against LIO in the guest.
#   - a TPG with MaxConnections=2: the login gives a session of 2 connections, listed by
#     `iscsictl show session` and seen as 2 TCP sockets by ss;
#   - fio --verify at QD32 from both CPUs moves commands and data on both connections;
#   - one of the two connections killed (ss -K) under fio --verify: the session recovers with both
#     connections, the same disk, no I/O error, the data verified;
#   - logout leaves no socket, rmmod succeeds;
#   - a TPG left at MaxConnections=1 still gives one connection.
# usage: mcs.sh BUILD_DIR
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$1
. "$top/tests/lib/tap.sh"
. "$top/tools/vm/guest/iscsictl.sh"
guest=$top/tools/vm/guest
t2=iqn.2003-01.org.linux-iscsi.vm:mcs2
t1=iqn.2003-01.org.linux-iscsi.vm:mcs1
export ISCSICTL_STORE=/tmp/targets.ini ISCSICTL_INITIATORNAME=/tmp/initiatorname.iscsi
log=/tmp/iscsid.log

# session_field IQN PYTHON-EXPRESSION: evaluates the expression on `show session --json` (as s).
session_field() {
	ctl --json show session "$1" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(eval(sys.argv[1]))' "$2"
}
connections() { session_field "$1" 'len(s["connections"])'; }
# The initiator's side of the established connections to the portal, one local port per line.
sockets() { ss -tnH state established dst 127.0.0.1 dport = 3260 | awk '{ print $3 }' | sed 's/.*://'; }
socket_count() { sockets | wc -l; }
restored() { grep -c 'connection restored' "$log"; }
restored_at_least() { [ "$(restored)" -ge "$1" ]; }
both_connections() { [ "$(connections "$t2" 2>/dev/null)" = 2 ] && [ "$(socket_count)" = 2 ]; }
is_logged_in() { [ "$(session_field "$t2" 's["state"]' 2>/dev/null)" = logged-in ]; }

fio_verify() { # NAME EXTRA-ARGS...: two jobs, one per CPU, on separate halves of the disk
	local name=$1
	shift
	fio --name="$name" --filename="$dev" --allow_file_create=0 --direct=1 --ioengine=libaio \
		--bs=4k --iodepth=32 --numjobs=2 --cpus_allowed=0,1 --cpus_allowed_policy=split \
		--size=24M --offset_increment=28M --verify=crc32c --do_verify=1 --verify_fatal=1 \
		--randrepeat=0 --group_reporting "$@" --output="/tmp/fio-$name.out" >/dev/null 2>&1
}

modprobe -a sd_mod libcrc32c
check "LIO target with MaxConnections=2" "$guest/lio-target" --iqn "$t2" --size-mib 64 --max-connections 2
check "LIO target left at MaxConnections=1" "$guest/lio-target" --iqn "$t1" --size-mib 16
check_output "the TPG says MaxConnections=2" '^2$' \
	cat "/sys/kernel/config/target/iscsi/$t2/tpgt_1/param/MaxConnections"
check "insmod iscsi_ini.ko" insmod "$build/kmod/iscsi_ini.ko"
"$build/iscsid/iscsid" --foreground >>"$log" 2>&1 &
daemon=$!
check "iscsid answers" wait_until 20 ctl list sessions
check "add both targets" sh -c "$build/iscsictl/iscsictl add target $t2 127.0.0.1 &&
	$build/iscsictl/iscsictl add target $t1 127.0.0.1"
# The guest has 2 CPUs: the default (one connection per CPU) offers 2; say it anyway.
check "max-connections=4 on the target record (the target's 2 and the 2 CPUs bound it)" ctl modify target "$t2" max-connections=4

# 1. Login: two connections
check "login to the MaxConnections=2 target" ctl login "$t2"
dev=$(device_of "$t2" 0)
sid=$(session_field "$t2" 's["session"]')
check "the disk is a block device" test -b "$dev"
check_output "show session lists 2 connections" '^2$' connections "$t2"
check_output "their CIDs are 0 and 1" '^\[0, 1\]$' session_field "$t2" 'sorted(c["cid"] for c in s["connections"])'
check_output "the kernel session takes 2 connections" '^2$' session_field "$t2" 's["max-connections"]'
check_output "ss sees 2 established sockets to the portal" '^2$' socket_count
check_output "the human-readable show session has a connections table" 'connections' ctl show session "$t2"
check_output "the daemon logged 2 connections" 'session [0-9]+, SCSI host [0-9]+, 2 connection' cat "$log"
check_output "the kernel has 2 hardware queues for the disk" '^2$' \
	sh -c "ls -d /sys/block/$(basename "$dev")/mq/* | wc -l"

# 2. fio --verify at QD32 from both CPUs: both connections carry commands and data
check "fio --verify, 4 KiB random write then verify, QD32, 2 jobs on 2 CPUs" fio_verify qd32 --rw=randwrite
check_output "fio reports err= 0" 'err= 0' cat /tmp/fio-qd32.out
check_output "connection 0 carried commands and data" '^True$' \
	session_field "$t2" '[c for c in s["connections"] if c["cid"] == 0][0]["cmds"] > 100 and [c for c in s["connections"] if c["cid"] == 0][0]["write-bytes"] > 0 and [c for c in s["connections"] if c["cid"] == 0][0]["read-bytes"] > 0'
check_output "connection 1 carried commands and data" '^True$' \
	session_field "$t2" '[c for c in s["connections"] if c["cid"] == 1][0]["cmds"] > 100 and [c for c in s["connections"] if c["cid"] == 1][0]["write-bytes"] > 0 and [c for c in s["connections"] if c["cid"] == 1][0]["read-bytes"] > 0'
tap_diag "per connection: $(session_field "$t2" 's["connections"]')"
check "ss: both sockets sent bytes" sh -c 'ss -tniH state established dst 127.0.0.1 dport = 3260 |
	grep -o "bytes_sent:[0-9]*" | awk -F: "\$2 > 1000000 { n++ } END { exit n != 2 }"'

# 3. One connection killed under fio --verify: the whole session recovers with both connections
fio_verify kill --rw=randrw --time_based --runtime=25 --verify_backlog=64 &
fio_pid=$!
sleep 6
victim=$(sockets | tail -n 1)
tap_diag "killing the connection from local port $victim"
check "ss -K kills one of the two connections" ss -K dst 127.0.0.1 dport = 3260 sport = ":$victim"
check "the daemon restores the session" wait_until 90 restored_at_least 1
check "the session is logged in again with 2 connections" wait_until 30 both_connections
wait "$fio_pid"
tap_point $? "fio --verify across the kill finishes without an error" "$(tail -n 20 /tmp/fio-kill.out)"
check_output "fio reports err= 0" 'err= 0' cat /tmp/fio-kill.out
check_output "the same session" "^$sid\$" session_field "$t2" 's["session"]'
check_output "the same disk" "^$dev\$" device_of "$t2" 0
check_output "the kernel reported which connection failed" 'connection [01] failed' dmesg
check_output "the restore logged 2 connections" 'connection restored .*2 connection' cat "$log"
check "the old victim socket is gone" sh -c "! ss -tnH state established sport = :$victim | grep -q ."
check "fio --verify after the recovery" fio_verify after --rw=randwrite --size=8M
check_output "fio reports err= 0" 'err= 0' cat /tmp/fio-after.out

# 4. A target that allows one connection gets one
check "login to the MaxConnections=1 target" ctl login "$t1"
check_output "show session lists 1 connection" '^1$' connections "$t1"
check_output "the kernel session takes 1 connection" '^1$' session_field "$t1" 's["max-connections"]'
check_output "3 sockets to the portal in all" '^3$' socket_count
check "logout of the MaxConnections=1 target" ctl logout "$t1"

# 5. Logout and unload
check "logout of the MaxConnections=2 target" ctl logout "$t2"
check_output "no socket left to the portal" '^0$' socket_count
check_output "no session left" '^0$' session_count
kill "$daemon"
wait "$daemon" 2>/dev/null
check "rmmod iscsi_ini" rmmod iscsi_ini
check_fails "no iSCSI connection error in the daemon's log but the one killed" \
	grep -E 'kernel refused|left out|not added' "$log"
tap_end
