# SPDX-License-Identifier: GPL-2.0-or-later
# TAP helpers for test scripts (sourced with ". tests/lib/tap.sh"): the VM guest scripts run by
# tools/vm/run --tap, whose runner adds its own points and the plan, and the target suite's scripts,
# which print their plan themselves ("1..$tap_count" after the last check). Each check prints one test
# point; on failure the command's output follows as "# " diagnostics. tap_end exits non-zero when any
# check failed.

tap_count=0
tap_failures=0

tap_point() { # STATUS(0=ok) DESCRIPTION [OUTPUT]
	tap_count=$((tap_count + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_count - $2"
	else
		tap_failures=$((tap_failures + 1))
		echo "not ok $tap_count - $2"
		[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/#   /'
	fi
}

# check DESCRIPTION COMMAND [ARGS...]: passes when the command exits 0.
check() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1) && rc=0 || rc=$?
	tap_point "$rc" "$desc" "$out"
	return "$rc"
}

# check_fails DESCRIPTION COMMAND [ARGS...]: passes when the command exits non-zero.
check_fails() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1) && rc=0 || rc=$?
	if [ "$rc" -ne 0 ]; then tap_point 0 "$desc"; else tap_point 1 "$desc" "unexpected success: $out"; fi
	[ "$rc" -ne 0 ]
}

# check_output DESCRIPTION PATTERN COMMAND [ARGS...]: passes when the command exits 0 and its output
# matches the extended regular expression PATTERN.
check_output() {
	local desc=$1 pattern=$2 out rc
	shift 2
	out=$("$@" 2>&1) && rc=0 || rc=$?
	if [ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -qE -- "$pattern"; then
		tap_point 0 "$desc"
	else
		tap_point 1 "$desc" "status $rc, expected /$pattern/ in: $out"
	fi
}

tap_diag() { echo "# $*"; }

tap_end() {
	[ "$tap_failures" -eq 0 ]
	exit $?
}

# Output of a command that is meant to fail, as a value for check_output.
output_of() {
	"$@" 2>&1
	true
}
# Exit status of a command, as a value for check_output.
status_of() {
	"$@" >/dev/null 2>&1
	echo "status $?"
}

# wait_until TIMEOUT COMMAND [ARGS...]: polls every 0.2 s until the command succeeds; fails when
# TIMEOUT seconds pass first. For waits on the system under test, not a check point.
wait_until() {
	local end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		(($(date +%s) >= end)) && return 1
		sleep 0.2
	done
}
