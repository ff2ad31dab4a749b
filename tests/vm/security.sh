#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest script (tools/vm/run --tap): who may change sessions, and where secrets may go.
#   - netlink: every mutating operation refused to root without CAP_NET_ADMIN, to root of a user
#     namespace, and on a socket opened by root but used after dropping to nobody (datapath.sh
#     covers a plain unprivileged user); every operation fed malformed attributes is refused with an
#     error (tests/vm/netlink-malformed) and the module survives;
#   - control socket: a non-root peer is refused every mutating method (iscsictl exits 8), the
#     daemon logs the refusal, read-only methods stay open;
#   - CHAP secrets appear nowhere but in root-only files: not in any process's command line or
#     environment during a login, not in list/show output, not in the daemon's or the kernel's log,
#     not in any file another user can read under /run, /tmp and the store;
#   - mutual CHAP: a target that answers with the wrong secret is refused (exit 5);
#   - redirects: a login the target redirects says where it went, a redirect to an unreachable
#     address and a redirect loop fail with the address in the daemon's log.
# usage: security.sh BUILD_DIR
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$1
. "$top/tests/lib/tap.sh"
. "$top/tools/vm/guest/iscsictl.sh"
guest=$top/tools/vm/guest
nlc=$top/tests/vm/nlclient.py
base=iqn.2003-01.org.linux-iscsi.vm
tmutual=$base:sec-mutual tliar=$base:sec-liar tplain=$base:sec-plain
taway=$base:sec-away tloop=$base:sec-loop
umask 077
mkdir -p /tmp/sec
export ISCSICTL_STORE=/tmp/sec/targets.ini ISCSICTL_INITIATORNAME=/tmp/sec/initiatorname.iscsi
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# root, but without CAP_NET_ADMIN in any set, so exec cannot give it back
no_net_admin() { setpriv --inh-caps=-net_admin --bounding-set=-net_admin "$@"; }
# has_secret [FILE...]: grep for any secret, with the patterns in a file (never on a command line)
has_secret() { grep -qEf /tmp/sec/patterns "$@"; }
# refused PATTERN COMMAND...: the command fails and says PATTERN
refused() {
	local pattern=$1 out
	shift
	! out=$("$@" 2>&1) && grep -qE -- "$pattern" <<<"$out" || { echo "$out"; return 1; }
}

# The secrets; every one is looked for everywhere it must not be.
chap=sec-chap-Xq71Lw9e
mutual=sec-mutual-Zp30Kd4s
liar=sec-liar-Vb82Hn5t
printf '%s\n' "$chap" "$mutual" "$liar" >/tmp/sec/patterns
printf %s "$chap" >/tmp/sec/chap.secret
printf %s "$mutual" >/tmp/sec/mutual.secret
printf %s "$liar" >/tmp/sec/liar.secret

ip link set lo up
modprobe -a sd_mod libcrc32c
"$guest/lio-target" --iqn "$tmutual" --size-mib 8 --chap-user host1 --chap-secret-file /tmp/sec/chap.secret \
	--mutual-user "$tmutual" --mutual-secret-file /tmp/sec/mutual.secret >/dev/null
# A target whose mutual secret is not the one the store holds for it.
"$guest/lio-target" --iqn "$tliar" --size-mib 8 --chap-user host1 --chap-secret-file /tmp/sec/chap.secret \
	--mutual-user "$tliar" --mutual-secret-file /tmp/sec/liar.secret >/dev/null
"$guest/lio-target" --iqn "$tplain" --size-mib 8 --portal 127.0.0.2:3260 >/dev/null
check "insmod iscsi_ini.ko" insmod "$build/kmod/iscsi_ini.ko"

# --- netlink: capabilities ---
for op in session-new conn-bind session-logout session-del session-set session-rescan; do
	check "$op refused to root without CAP_NET_ADMIN (EPERM)" refused EPERM \
		no_net_admin /usr/bin/python3 "$nlc" do "$op" session-id=1
done
check "session-get is open to root without CAP_NET_ADMIN" no_net_admin /usr/bin/python3 "$nlc" dump session-get
check "session-new refused to root of a user namespace (EPERM)" refused EPERM \
	as_nobody unshare --user --map-root-user /usr/bin/python3 "$nlc" do session-new target-name=x \
	initiator-name=y isid=800000000001 tsih=1
# A socket root opened keeps no privilege for a process that has dropped it.
check "a root-opened netlink socket used after dropping to nobody is refused (EPERM)" refused EPERM \
	/usr/bin/python3 -c '
import os, sys
sys.path.insert(0, sys.argv[1])
import nlclient
fam = nlclient.Family()
os.setgroups([]); os.setresgid(65534, 65534, 65534); os.setresuid(65534, 65534, 65534)
try:
    fam.do("session-new", {"target-name": "x", "initiator-name": "y", "isid": "800000000002", "tsih": 1})
except nlclient.NetlinkError as e:
    sys.exit(str(e))
print("accepted")' "$top/tests/vm"

# --- netlink: malformed attributes (one test point per case) ---
malformed_rc=0
while IFS= read -r line; do
	case $line in
	"ok - "*) tap_point 0 "netlink: ${line#ok - }" ;;
	"not ok - "*) tap_point 1 "netlink: ${line#not ok - }" ;;
	"#"*) echo "$line" ;;
	*) echo "# $line" ;;
	esac
done < <(/usr/bin/python3 "$top/tests/vm/netlink-malformed" 2>&1 || echo "not ok - netlink-malformed exited $?")
check "the module is still loaded" grep -q '^iscsi_ini ' /proc/modules
check "no session left in the kernel" test -z "$(/usr/bin/python3 "$nlc" dump session-get)"

# --- the daemon and the control socket ---
"$build/iscsid/iscsid" --foreground >/tmp/sec/iscsid.log 2>&1 &
daemon=$!
for _ in $(seq 100); do [ -S /run/iscsid/iscsid.sock ] && break; sleep 0.1; done
check "iscsid listens" test -S /run/iscsid/iscsid.sock

check "add the mutual-CHAP target" ctl add target "$tmutual" 127.0.0.1 auth=mutual-chap chap-name=host1 \
	mutual-chap-name="$tmutual"
check "its CHAP secret from standard input" set_secret "$tmutual" chap-secret /tmp/sec/chap.secret
check "its mutual secret from standard input" set_secret "$tmutual" mutual-chap-secret /tmp/sec/mutual.secret
check "add the target with the lying mutual secret" ctl add target "$tliar" 127.0.0.1 auth=mutual-chap \
	chap-name=host1 mutual-chap-name="$tliar"
set_secret "$tliar" chap-secret /tmp/sec/chap.secret >/dev/null
set_secret "$tliar" mutual-chap-secret /tmp/sec/mutual.secret >/dev/null
check_output "the store with secrets is mode 0600" '^600 0 0$' stat -c '%a %u %g' "$ISCSICTL_STORE"

# Watch every process's command line and environment while a CHAP login runs.
watch_procs() {
	local p
	while [ ! -e /tmp/sec/login.done ]; do
		for p in /proc/[0-9]*; do
			# a process may be gone by the time it is read
			if { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | has_secret; then
				echo "cmdline of ${p#/proc/}: $({ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null)"
			fi
			if { tr '\0' '\n' <"$p/environ"; } 2>/dev/null | has_secret; then
				echo "environment of ${p#/proc/} ($({ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null))"
			fi
		done
		ps -eo pid,args | grep -Ef /tmp/sec/patterns
	done >/tmp/sec/procs.hits
}
rm -f /tmp/sec/login.done
watch_procs &
watcher=$!
check "mutual CHAP login" ctl login "$tmutual"
touch /tmp/sec/login.done
wait "$watcher"
check_fails "no secret in any command line, environment or ps during the login" \
	sh -c "test -s /tmp/sec/procs.hits && cat /tmp/sec/procs.hits"

# Read-only requests are open to everyone; mutating ones are root's. nobody has a store and an
# initiator name of its own, so what refuses it is the daemon.
as_nobody sh -c "umask 022; mkdir -p /tmp/nobody &&
	echo InitiatorName=iqn.2026-11.org.example:nobody >/tmp/nobody/initiatorname.iscsi &&
	ISCSICTL_INITIATORNAME=/tmp/nobody/initiatorname.iscsi \"$build/iscsictl/iscsictl\" \
		--store /tmp/nobody/targets.ini add target '$tplain' 127.0.0.2" >/dev/null 2>&1
nobody_ctl() {
	as_nobody env ISCSICTL_INITIATORNAME=/tmp/nobody/initiatorname.iscsi ISCSICTL_STORE=/tmp/nobody/targets.ini \
		"$build/iscsictl/iscsictl" "$@"
}
check "list sessions works for nobody" nobody_ctl list sessions
check_output "iscsictl login as nobody is refused by the daemon (exit 8)" 'status 8' status_of nobody_ctl login "$tplain"
check_output "the daemon logs the refusal with the peer's uid" 'refused login to uid 65534' cat /tmp/sec/iscsid.log
for verb in "logout $tmutual" "logout --all" "rescan"; do
	# shellcheck disable=SC2086 # the verb's words
	check_output "iscsictl $verb as nobody is refused (exit 8)" 'status 8' status_of nobody_ctl $verb
done
# The same on the raw socket, for every mutating method, with parameters that would otherwise work.
raw_py='
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(10)
s.connect("/run/iscsid/iscsid.sock")
bad = []
for i, (method, params) in enumerate([
        ("login", {"target": {"name": sys.argv[1], "portals": ["127.0.0.2"], "initiator-name": "iqn.2026-11.x:y"}}),
        ("logout", {"target": sys.argv[2]}), ("logout", {"session": 1}),
        ("modify", {"target": sys.argv[2], "settings": {"noop-interval": 0}}),
        ("rescan", {}), ("discover", {"portal": "127.0.0.1", "initiator-name": "iqn.2026-11.x:y"})]):
    s.send(json.dumps({"version": 1, "id": i + 1, "method": method, "params": params}).encode())
    r = json.loads(s.recv(1 << 20))
    if r.get("ok") or r.get("error", {}).get("code") != "permission_denied":
        bad.append(f"{method}: {r}")
s.send(json.dumps({"version": 1, "id": 99, "method": "sessions"}).encode())
r = json.loads(s.recv(1 << 20))
if not r.get("ok"):
    bad.append(f"sessions: {r}")
print("\n".join(bad))
sys.exit(1 if bad else 0)'
check "every mutating method on the raw socket is permission_denied for nobody" \
	as_nobody /usr/bin/python3 -c "$raw_py" "$tplain" "$tmutual"
check_output "the session nobody tried to end is still logged in" "$tmutual .*logged-in" ctl list sessions

# Output and files: no secret anywhere a user can see it.
for cmd in "list targets" "list sessions" "list luns" "show target $tmutual" "show session $tmutual" \
	"show initiator" "--json list targets" "--json list sessions" "--json show target $tmutual" \
	"--json show session $tmutual"; do
	# shellcheck disable=SC2086
	ctl $cmd >/tmp/sec/out 2>&1
	check_fails "no secret in 'iscsictl $cmd'" has_secret /tmp/sec/out
done
# Files holding a secret: only root-only ones, none that another user could read. Every file written
# since the test began where the daemon, iscsictl or a helper could have put one: /run (the daemon's
# state), /etc/iscsi (the default store), the test's stores and the top of the temporary directories
# (the guest's /tmp is the host's over 9p, too big to search whole).
leaky_files() {
	local f
	{
		find /run /dev/shm /etc/iscsi /tmp/sec /tmp/nobody -xdev -type f 2>/dev/null
		find /tmp /var/tmp /root -maxdepth 1 -type f -newer /tmp/sec/patterns 2>/dev/null
	} | while read -r f; do
		has_secret "$f" 2>/dev/null || continue
		if as_nobody test -r "$f"; then echo "readable by nobody: $f ($(stat -c %a "$f"))"; fi
	done | grep .
}
check_output "the daemon keeps the session's target with its secrets root-only" '^600 0$' \
	sh -c 'stat -c "%a %u" /run/iscsid/sessions/*.json | sort -u'
check_output "its directory is root's alone" '^700$' stat -c %a /run/iscsid/sessions
check_fails "no file holding a secret under /run, /etc/iscsi, /dev/shm or the stores is readable by nobody" leaky_files
check "logout" ctl logout "$tmutual"

# Mutual CHAP: the target answers with a secret that is not the one we hold for it.
check_output "a target failing mutual CHAP is refused (exit 5)" 'status 5' status_of ctl login "$tliar"
check_output "and the user is told why" 'authentication|mutual' output_of ctl login "$tliar"

# Redirects: followed to a portal on loopback, to nowhere, and in a loop.
"$top/tests/vm/redirect-target" --listen 127.0.0.1:3261 --to 127.0.0.2:3260,1 >/dev/null 2>&1 &
r1=$!
"$top/tests/vm/redirect-target" --listen 127.0.0.1:3262 --to 192.0.2.1:3260 >/dev/null 2>&1 &
r2=$!
"$top/tests/vm/redirect-target" --listen 127.0.0.1:3263 --to 127.0.0.1:3263 --permanent >/dev/null 2>&1 &
r3=$!
# each prints "ready" once it listens (Python starts slowly under TCG)
for port in 3261 3262 3263; do
	for _ in $(seq 300); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
done
ctl add target "$tplain" 127.0.0.1:3261 >/dev/null
ctl add target "$taway" 127.0.0.1:3262 login-timeout=5 >/dev/null
ctl add target "$tloop" 127.0.0.1:3263 login-timeout=5 >/dev/null
check "a login redirected to another loopback portal succeeds" ctl login "$tplain"
check_output "the daemon logs the portal the redirect led to" "$tplain: logged in through 127.0.0.2:3260" \
	cat /tmp/sec/iscsid.log
check_output "list sessions shows the redirected portal" "$tplain .*127.0.0.2:3260" ctl list sessions
check "logout of the redirected session" ctl logout "$tplain"
check_fails "a redirect to an unreachable address fails" ctl login "$taway"
check_output "the daemon logs the address the target redirected to" "$taway: login through 127.0.0.1:3262 failed: .*192.0.2.1" \
	cat /tmp/sec/iscsid.log
check_fails "a redirect loop fails" ctl login "$tloop"
check_output "the daemon logs that it stopped following" "$tloop: .*not followed" cat /tmp/sec/iscsid.log
kill "$r1" "$r2" "$r3" 2>/dev/null

# Logs last, after every failure path above had its chance to leak.
check_fails "no secret in the daemon's log" has_secret /tmp/sec/iscsid.log
dmesg >/tmp/sec/dmesg
check_fails "no secret in the kernel's log" has_secret /tmp/sec/dmesg
check_output "no session left" '^0$' sh -c "\"$build/iscsictl/iscsictl\" --json list sessions | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'"
kill "$daemon"
wait "$daemon"
check "rmmod" rmmod iscsi_ini
tap_end
