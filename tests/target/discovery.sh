#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Target suite (TAP): iscsictl discover through iscsid against tgtd on 127.0.0.1, no kernel module
# needed. tgtd serves three targets; discovery adds them to the store with their portal groups and
# where they were found, a second discovery changes nothing, a target deleted in tgtd is reported as
# vanished and kept, and discovery CHAP works while a wrong discovery secret fails with exit 5 and
# leaves the store as it was. The test starts its own tgtd (on free ports) and iscsid (on a private
# socket) and stops both by PID; tgtd ignores SIGTERM while it has targets, so they are deleted first.
# usage: discovery.sh BUILD_ROOT
set -u
build=$1
tmp=$(mktemp -d /tmp/iscsi-discovery-test.XXXXXX)
. "$(dirname "$0")/../lib/tap.sh"
bail() {
	echo "Bail out! $*"
	cleanup
	exit 1
}

tgtd_pid="" iscsid_pid="" tids=()
tgtadm() { /usr/sbin/tgtadm -C "$control_port" --lld iscsi "$@"; }
cleanup() {
	local t i
	if [ -n "$tgtd_pid" ]; then
		for t in "${tids[@]}"; do tgtadm --op delete --mode target --tid "$t" --force >/dev/null 2>&1; done
		tgtadm --op delete --mode system >/dev/null 2>&1
		for i in $(seq 50); do kill -0 "$tgtd_pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$tgtd_pid" 2>/dev/null && kill -KILL "$tgtd_pid"
		wait "$tgtd_pid" 2>/dev/null
		rm -f "/var/run/tgtd/socket.$control_port" "/var/run/tgtd/socket.$control_port.lock"
	fi
	if [ -n "$iscsid_pid" ]; then
		kill "$iscsid_pid" 2>/dev/null
		wait "$iscsid_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
[ -x /usr/sbin/tgtd ] || bail "tgtd not installed (Debian package tgt)"
port=$(free_port)
control_port=$((20000 + $$ % 10000))
while [ -e "/var/run/tgtd/socket.$control_port" ]; do control_port=$((control_port + 1)); done
/usr/sbin/tgtd -f -C "$control_port" --iscsi "portal=127.0.0.1:$port" >"$tmp/tgtd.log" 2>&1 &
tgtd_pid=$!
for _ in $(seq 100); do tgtadm --op show --mode sys >/dev/null 2>&1 && break; sleep 0.1; done
tgtadm --op show --mode sys >/dev/null 2>&1 || bail "tgtd did not start: $(tail -n 5 "$tmp/tgtd.log")"

base=iqn.2003-01.org.example.discovery
names=("$base:t1" "$base:t2" "$base:t3")
for i in 1 2 3; do
	tgtadm --op new --mode target --tid "$i" -T "${names[i - 1]}" >/dev/null || bail "cannot create target $i"
	tids+=("$i")
	tgtadm --op new --mode logicalunit --tid "$i" --lun 1 --bstype null --backing-store /dev/null >/dev/null &&
		tgtadm --op bind --mode target --tid "$i" -I ALL >/dev/null || bail "cannot set up target $i"
done

# iscsid on a private socket; iscsictl with a private store and initiator name.
sock=$tmp/iscsid.sock
store=$tmp/targets.ini
export ISCSICTL_INITIATORNAME=$tmp/initiatorname.iscsi
echo "InitiatorName=iqn.2003-01.org.example:discovery-test" >"$ISCSICTL_INITIATORNAME"
"$build/iscsid/iscsid" --foreground --socket "$sock" --store "$store" --initiatorname "$tmp/initiatorname.iscsi" >"$tmp/iscsid.log" 2>&1 &
iscsid_pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || bail "iscsid did not start: $(tail -n 5 "$tmp/iscsid.log")"
ctl() { "$build/iscsictl/iscsictl" --socket "$sock" --store "$store" "$@"; }

# store_value SECTION KEY: every value of KEY in section SECTION (e.g. 'target "iqn..."'), one a line.
store_value() {
	python3 - "$store" "$1" "$2" <<'EOF'
import re, sys
path, want, key = sys.argv[1:]
section = None
for line in open(path):
    line = line.strip()
    m = re.fullmatch(r'\[(.*)\]', line)
    if m:
        section = m.group(1).strip()
        continue
    if section == want and '=' in line and not line.startswith(('#', ';')):
        k, v = line.split('=', 1)
        if k.strip() == key:
            print(v.strip().strip('"'))
EOF
}
# report_names STATUS: the targets the last --json discovery reported with STATUS (added, updated,
# unchanged, vanished), one a line.
report_names() {
	python3 -c '
import json, sys
for row in json.load(sys.stdin):
    if row.get("status") == sys.argv[1]:
        print(row["target"])' "$1" <"$tmp/report.json"
}
discover_json() { ctl --json discover "$@" >"$tmp/report.json" 2>"$tmp/report.err"; }
count_of() { report_names "$1" | grep -c "^$base:" || true; }

portal=127.0.0.1:$port
check "add discovery portal" ctl add discovery "$portal"
check "discover exits 0" discover_json
check_output "three targets added" '^3$' count_of added
for t in "${names[@]}"; do
	check_output "$t is in the store with its portal and group tag" "^127\.0\.0\.1:$port,1\$" \
		store_value "target \"$t\"" portal
	check_output "$t records the discovery portal" "^127\.0\.0\.1:$port\$" \
		store_value "target \"$t\"" discovered-from
done
cp "$store" "$tmp/after-first.ini"
check "discover again exits 0" discover_json
check_output "all three unchanged" '^3$' count_of unchanged
check_output "nothing added the second time" '^0$' count_of added
check "the store is byte-identical after a discovery that found nothing new" cmp "$store" "$tmp/after-first.ini"

tgtadm --op delete --mode target --tid 3 --force >/dev/null && tids=(1 2)
check "discover after a target was deleted in tgtd exits 0" discover_json
check_output "the deleted target is reported vanished" "^$base:t3\$" report_names vanished
check_output "the other two are unchanged" '^2$' count_of unchanged
check_output "the vanished target stays in the store" "^127\.0\.0\.1:$port,1\$" \
	store_value "target \"$base:t3\"" portal
check_output "the text output names the vanished target" "$base:t3" ctl discover

# Discovery CHAP: tgtd requires it for SendTargets once an account is bound without a target.
secret=discovery-secret-0123
tgtadm --op new --mode account --user disco --password "$secret" >/dev/null &&
	tgtadm --op bind --mode account --user disco >/dev/null || bail "cannot set up discovery CHAP in tgtd"
tgtadm --op new --mode target --tid 4 -T "$base:t4" >/dev/null && tids+=(4)
tgtadm --op new --mode logicalunit --tid 4 --lun 1 --bstype null --backing-store /dev/null >/dev/null
tgtadm --op bind --mode target --tid 4 -I ALL >/dev/null
cp "$store" "$tmp/before-chap.ini"
ctl discover >"$tmp/out" 2>&1
check_output "without credentials discovery fails with exit 5 (authentication)" '^5$' echo $?
check "a failed discovery writes nothing" cmp "$store" "$tmp/before-chap.ini"
# tgtd's chap.c takes CHAP_A=7 for SHA-1, so only MD5 is offered to it.
check "discovery CHAP settings" ctl modify discovery "$portal" auth=chap chap-name=disco chap-algorithms=md5
printf '%s' "wrong-secret-4567" | ctl modify discovery "$portal" chap-secret=- >/dev/null
cp "$store" "$tmp/before-wrong.ini"
ctl discover >"$tmp/out" 2>&1
check_output "a wrong discovery secret exits 5" '^5$' echo $?
check_output "and says authentication failed" 'authentication' cat "$tmp/out"
check "a wrong secret writes nothing" cmp "$store" "$tmp/before-wrong.ini"
printf '%s' "$secret" | ctl modify discovery "$portal" chap-secret=- >/dev/null
check "discovery with the right CHAP secret exits 0" discover_json
check_output "the new target is added" "^$base:t4\$" report_names added
check_output "it is in the store" "^127\.0\.0\.1:$port,1\$" store_value "target \"$base:t4\"" portal
# Mutual CHAP: tgtd proves itself with the account bound --outgoing for discovery.
mutual=discovery-mutual-987
tgtadm --op new --mode account --user tgtdisco --password "$mutual" >/dev/null &&
	tgtadm --op bind --mode account --user tgtdisco --outgoing >/dev/null || bail "cannot set up mutual CHAP in tgtd"
check "mutual discovery CHAP settings" ctl modify discovery "$portal" auth=mutual-chap mutual-chap-name=tgtdisco
printf '%s' "$mutual" | ctl modify discovery "$portal" mutual-chap-secret=- >/dev/null
check "discovery with mutual CHAP exits 0" discover_json
check_output "and finds the same targets" '^3$' count_of unchanged
printf '%s' "wrong-mutual-6543" | ctl modify discovery "$portal" mutual-chap-secret=- >/dev/null
cp "$store" "$tmp/before-mutual.ini"
ctl discover >"$tmp/out" 2>&1
check_output "a target failing mutual CHAP exits 5" '^5$' echo $?
check "and nothing is written" cmp "$store" "$tmp/before-mutual.ini"
if grep -qE "$secret|wrong-secret-4567|$mutual|wrong-mutual-6543" "$tmp/iscsid.log" "$tmp/report.json" "$tmp/report.err" "$tmp/out"; then
	tap_point 1 "no secret in the daemon's log or iscsictl's output"
else
	tap_point 0 "no secret in the daemon's log or iscsictl's output"
fi

echo "1..$tap_count"
tap_end
