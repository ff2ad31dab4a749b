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
. "$top/tools/vm/guest/tap.sh"
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
for mode in abort lunreset hostreset; do
	drv eh "$mode" --results "/tmp/eh-$mode.results" --log "$logdir/hostile-target.log" >"/tmp/eh-$mode.out" 2>&1
	while read -r step ok detail; do
		case $step in
		rebinds) tap_diag "$mode: $step $ok $detail" ;;
		*) tap_point "$([ "$ok" = 1 ] && echo 0 || echo 1)" "EH $mode: $step $detail" \
			"$(cat "/tmp/eh-$mode.out")" ;;
		esac
	done <"/tmp/eh-$mode.results"
done

check_output "no session left" '^$' sh -c "/usr/bin/python3 $top/tests/vm/nlclient.py dump session-get | grep session-id; true"
check "rmmod iscsi_ini (no reference leaked)" rmmod iscsi_ini
tap_end
