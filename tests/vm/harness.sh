#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Host-side test of the VM harness itself (TAP): tools/vm/run must return the guest's status and
# output, kill a VM that overruns its timeout, and fail a run whose kernel printed a WARNING or
# crashed, even when the guest script itself succeeded.
# usage: harness.sh WARN_MODULE_KO
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
warn_ko=$1
. "$top/tests/lib/tap.sh"
run=$top/tools/vm/run
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The runs below fail on purpose and the harness keeps failed runs' directories: keep them in ours.
export TMPDIR=$tmp

# Runs the VM with a one-line guest script; sets $out (stdout+stderr) and $rc.
vm() {
	local timeout=$1 body=$2
	printf '%s\n' "$body" >"$tmp/guest.sh"
	out=$("$run" --timeout "$timeout" "$tmp/guest.sh" 2>&1) && rc=0 || rc=$?
}

vm 120 'echo "guest says $(uname -r)"; exit 7'
tap_point "$((rc != 7))" "guest exit status 7 comes back as 7" "status $rc: $out"
grep -q "^guest says $(ls /lib/modules | sort -V | tail -n 1)" <<<"$out"
tap_point $? "guest output comes back on stdout" "$out"

vm 25 'echo sleeping; sleep 600'
tap_point "$((rc != 124))" "a VM that overruns --timeout is killed with status 124" "status $rc: $out"
grep -q 'timed out after 25s' <<<"$out"
tap_point $? "the timeout is reported" "$out"

vm 120 "insmod '$warn_ko'; echo script done; exit 0"
tap_point "$((rc != 126))" "a kernel WARNING fails a run whose script succeeded (status 126)" "status $rc: $out"
grep -q 'WARNING:.*iscsi_ini_test_warn' <<<"$out"
tap_point $? "the warning is quoted in the report" "$out"

vm 120 'echo c >/proc/sysrq-trigger; sleep 60'
tap_point "$((rc != 126))" "a kernel crash fails the run" "status $rc: $out"

vm 120 'true'
tap_point "$rc" "a clean run succeeds" "status $rc: $out"
echo "1..$tap_count"
tap_end
