#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest script (tools/vm/run --tap): the kernel module against a hostile target
# (tools/hostile-target). HOSTILE_CASES generated cases (default 200) from HOSTILE_SEED (default 1):
# each must end in the connection error its kind calls for (or, for legal behaviour, in none),
# with no hang, no wrong byte read, no kernel warning; then SCSI error handling for a command
# the target never answers (abort, LUN reset, host reset), and the module unloads.
# One TAP point per case kind, with its counts.
# usage: hostile.sh BUILD_DIR
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$1
. "$top/tests/lib/tap.sh"
cases=${HOSTILE_CASES:-200}
seed=${HOSTILE_SEED:-1}
drv() { /usr/bin/python3 "$top/tests/vm/hostile.py" "$@"; }
logdir=${HOSTILE_LOGDIR:-/tmp}

ip link set lo up
modprobe -a sd_mod libcrc32c crc32c_generic af_alg algif_hash 2>/dev/null
check "insmod iscsi_ini.ko" insmod "$build/kmod/iscsi_ini.ko"

tap_diag "hostile cases: $cases, seed $seed"
drv cases --count "$cases" --seed "$seed" --results /tmp/hostile.results --log "$logdir/hostile-target.log" >/tmp/hostile.out 2>&1
rc=$?
[ -s /tmp/hostile.out ] && sed 's/^/# /' /tmp/hostile.out | tail -n 40
tap_point "$rc" "the case driver ran to the end" "$(tail -n 5 /tmp/hostile.out)"
while read -r kind outcome passed total why; do
	case $kind in
	summary) tap_diag "$outcome $passed $total $why" ;;
	io)
		words="$outcome $passed $total $why"
		tap_point "$([[ $words == *recovered=1*flowing=1*finished=1* ]] && echo 0 || echo 1)" \
			"I/O goes on after the cases and every request ends ($words)"
		tap_point "$([[ $words == *mismatches=0* ]] && echo 0 || echo 1)" "no wrong byte read ($words)"
		;;
	*)
		tap_point "$([ "$total" -gt 0 ] && [ "$passed" = "$total" ] && echo 0 || echo 1)" \
			"$kind: $passed/$total cases end as $outcome" "$why"
		;;
	esac
done </tmp/hostile.results

# SCSI error handling: a READ the target never answers
for mode in ${HOSTILE_EH-abort lunreset hostreset}; do
	drv eh "$mode" --results "/tmp/eh-$mode.results" --log "$logdir/hostile-target.log" >"/tmp/eh-$mode.out" 2>&1
	while read -r step ok detail; do
		case $step in
		rebinds) tap_diag "$mode: $step $ok $detail" ;;
		*) tap_point "$([ "$ok" = 1 ] && echo 0 || echo 1)" "EH $mode: $step $detail" \
			"$(cat "/tmp/eh-$mode.out")" ;;
		esac
	done <"/tmp/eh-$mode.results"
done

# Faults a target may legally cause, each on a session of its own under verified I/O: its request
# to log out (AsyncEvent 1), its dropping the connection or all of them (AsyncEvent 2, 3), and its
# no longer reading the socket (silent, or still sending pings)
for kind in ${HOSTILE_FAULTS-logout-request drop-connection drop-all-connections stop-reading stop-reading-pings}; do
	drv fault "$kind" --results "/tmp/fault-$kind.results" --log "$logdir/hostile-target.log" \
		>"/tmp/fault-$kind.out" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] || [ ! -s "/tmp/fault-$kind.results" ]; then
		tap_point 1 "$kind: the driver ran" "$(tail -n 20 "/tmp/fault-$kind.out")"
		: >>"/tmp/fault-$kind.results"
	fi
	while read -r what ok detail; do
		case $what in
		figure) tap_diag "figure: $kind $ok $detail s" ;;
		*) tap_point "$([ "$ok" = 1 ] && echo 0 || echo 1)" "$kind: ${what//_/ } $detail" \
			"$(grep -E 'iscsi_ini|hostile' "/tmp/fault-$kind.out" | tail -n 20)" ;;
		esac
	done <"/tmp/fault-$kind.results"
done

# Login garbage: iscsictl through iscsid gets one clean line and a non-zero status; the daemon lives on
"$top/tools/hostile-target/hostile-target" --port 3260 >"$logdir/hostile-target-login.log" 2>&1 &
target=$!
for _ in $(seq 100); do grep -q '^listening' "$logdir/hostile-target-login.log" && break; sleep 0.1; done
# A login cut short between SESSION_NEW and CONN_BIND (a daemon killed in between) leaves a kernel
# session that never had a connection: the next daemon deletes it when it starts
nl() { /usr/bin/python3 "$top/tests/vm/nlclient.py" "$@"; }
check "a session without a connection, as a killed daemon's unfinished login leaves it" \
	nl do session-new target-name=iqn.2026-11.org.example:hostile.unfinished \
	initiator-name=iqn.2026-11.org.example:hostile-driver isid=80000000aa01 tsih=1
"$build/iscsid/iscsid" --foreground >/tmp/iscsid.log 2>&1 &
daemon=$!
for _ in $(seq 100); do grep -q "left without a connection" /tmp/iscsid.log && break; sleep 0.1; done
check_output "the starting daemon deletes it, and says so" "deleted session [0-9]+ \\(iqn.2026-11.org.example:hostile.unfinished\\)" \
	cat /tmp/iscsid.log
check_output "no such session in the kernel any more" '^$' \
	sh -c "/usr/bin/python3 $top/tests/vm/nlclient.py dump session-get | grep hostile.unfinished; true"
for _ in $(seq 50); do [ -S /run/iscsid/iscsid.sock ] && break; sleep 0.1; done
. "$top/tools/vm/guest/iscsictl.sh"
base=iqn.2026-11.org.example:hostile
garbage_login() { # SEED: fails with exactly one line of output, no crash, daemon alive
	local out rc
	ctl add target "$base.login-garbage.$1" 127.0.0.1 >/dev/null || return 1
	out=$(timeout 60 "$build/iscsictl/iscsictl" login "$base.login-garbage.$1" 2>&1) && rc=0 || rc=$?
	echo "status $rc: $out" | tee "/tmp/garbage.$1"
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && [ -n "$out" ] &&
		kill -0 "$daemon"
}
for s in 0 1 2 3 4 5 6; do
	check_output "login garbage variant $s: one-line error, non-zero status, daemon alive" '^status [1-9]' \
		garbage_login "$s"
	tap_diag "variant $s: $(cat "/tmp/garbage.$s")"
done
check "then a good login through the same daemon works" sh -c "'$build/iscsictl/iscsictl' add target $base 127.0.0.1 &&
	'$build/iscsictl/iscsictl' login $base"
check "and its logout" ctl logout "$base"

# A target's logout request through iscsid, as a user with the disk in fstab sees it: the kernel
# logs out, the daemon logs in again (session reinstatement), and the session, its disk name and
# the data written before carry on.
lr=$base.logout-request.7
session_of() { # TARGET: "ID STATE" of its session in iscsictl's listing
	ctl --json list sessions | python3 -c '
import json, sys
for s in json.load(sys.stdin):
    if s["target"] == sys.argv[1]:
        print(s["session"], s["state"])' "$1"
}
ctl add target "$lr" 127.0.0.1 >/dev/null
check "login to a target that will ask for a logout" ctl login "$lr"
lr_session=$(session_of "$lr")
lr_dev=$(device_of "$lr" 0)
head -c 1048576 /dev/urandom >/tmp/logout-request.data
check "a write to $lr_dev (then the target asks for a logout)" \
	dd if=/tmp/logout-request.data of="$lr_dev" bs=64k oflag=direct conv=fsync status=none
for _ in $(seq 300); do grep -q "$lr: connection restored" /tmp/iscsid.log && break; sleep 0.1; done
check "the daemon logged the target's request and the new connection" sh -c \
	"grep -q '$lr: the target asks for a logout' /tmp/iscsid.log && grep -q '$lr: connection restored' /tmp/iscsid.log"
check_output "the target got a Logout Request within Parameter3 (5 s)" "logout=[0-9.]+ logout_reason=0" \
	grep "^conn logout-request.7 injected=1" "$logdir/hostile-target-login.log"
check_output "the same session, logged-in again ($lr_session)" "^${lr_session% *} logged-in$" session_of "$lr"
check_output "the same disk ($lr_dev)" "^$lr_dev$" device_of "$lr" 0
check "the data written before the logout reads back" \
	sh -c "dd if='$lr_dev' bs=64k count=16 iflag=direct status=none | cmp - /tmp/logout-request.data"
check "and its logout" ctl logout "$lr"

# iscsid stopped (SIGTERM) while a login waits on a target that accepts and never answers: after a
# restart, no session of that target in the kernel or in the listing
slow=iqn.2026-11.org.example:silent
/usr/bin/python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 3261)); s.listen(4); print("listening", flush=True)
conns = [s.accept()[0] for _ in range(4)]
time.sleep(600)' >/tmp/silent.log 2>&1 &
silent=$!
for _ in $(seq 100); do grep -q listening /tmp/silent.log && break; sleep 0.1; done
ctl add target "$slow" 127.0.0.1:3261 >/dev/null
ctl login "$slow" >/tmp/slow-login.out 2>&1 &
slow_login=$!
sleep 2
check "iscsid stops on SIGTERM during that login" sh -c "kill -TERM $daemon && timeout 30 tail --pid=$daemon -f /dev/null"
wait "$slow_login" 2>/dev/null
"$build/iscsid/iscsid" --foreground >>/tmp/iscsid.log 2>&1 &
daemon=$!
for _ in $(seq 50); do ctl list sessions >/dev/null 2>&1 && break; sleep 0.1; done
check_output "after the restart, no session of the silent target in the listing" '^$' session_of "$slow"
check_output "nor in the kernel" '^$' \
	sh -c "/usr/bin/python3 $top/tests/vm/nlclient.py dump session-get | grep $slow; true"
kill "$silent"
kill "$daemon" "$target"
wait "$daemon" "$target" 2>/dev/null

check_output "no session left" '^$' sh -c "/usr/bin/python3 $top/tests/vm/nlclient.py dump session-get | grep session-id; true"
check "rmmod iscsi_ini (no reference leaked)" rmmod iscsi_ini
tap_end
