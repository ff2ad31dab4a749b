#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Target suite (TAP): `iscsictl import open-iscsi` reads a node database written by Debian's own
# iscsiadm (package open-iscsi): static node records in the directory layout and in the older flat
# file layout, settings changed with `iscsiadm -o update`, CHAP credentials and a SendTargets
# discovery record. iscsiadm writes under /etc/iscsi, so the whole test runs in a private mount
# namespace with a tmpfs over /etc/iscsi: the host's configuration is never touched. iscsiadm needs
# no iscsid for these operations (it only warns that none answers).
# usage: import-open-iscsi.sh BUILD_ROOT
set -u
build=$1
iscsictl=$build/iscsictl/iscsictl
if [ -z "${IMPORT_TEST_PRIVATE:-}" ]; then
	command -v iscsiadm >/dev/null || { echo "1..0 # SKIP iscsiadm (package open-iscsi) is not installed"; exit 0; }
	[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root for a private mount namespace"; exit 0; }
	env IMPORT_TEST_PRIVATE=1 unshare --mount --propagation private "$0" "$@"
	rc=$?
	# Checked from outside the namespace: iscsiadm's records never reached the host.
	if [ -e /etc/iscsi/nodes/iqn.2003-01.org.example:import1 ]; then
		echo "not ok 17 - the host's /etc/iscsi is untouched (private tmpfs)"
		exit 1
	fi
	echo "ok 17 - the host's /etc/iscsi is untouched (private tmpfs)"
	exit $rc
fi
. "$(dirname "$0")/../lib/tap.sh"
has_line() { # FILE LINE: the file holds exactly this line
	grep -qxF -- "$2" "$1"
}

tmp=$(mktemp -d /tmp/iscsi-import-test.XXXXXX)
conf=$tmp/iscsid.conf
[ -f /etc/iscsi/iscsid.conf ] && cp /etc/iscsi/iscsid.conf "$conf"
mount -t tmpfs -o mode=0755 iscsi-import-test /etc/iscsi || { echo "Bail out! cannot mount a tmpfs on /etc/iscsi"; exit 1; }
[ -f "$conf" ] && cp "$conf" /etc/iscsi/iscsid.conf
trap 'umount /etc/iscsi; rm -rf "$tmp"' EXIT

vol1=iqn.2003-01.org.example:import1
vol2=iqn.2003-01.org.example:import2
adm() { iscsiadm "$@" >/dev/null 2>"$tmp/adm.err" || { cat "$tmp/adm.err"; return 1; }; }
update() { # TARGET PORTAL KEY VALUE
	adm -m node -T "$1" -p "$2" -o update -n "$3" -v "$4"
}

echo "1..17"
check "iscsiadm writes a static node record (flat layout)" adm -m node -o new -T $vol1 -p 127.0.0.1:3260
check "iscsiadm writes a node record with a portal group (directory layout)" \
	adm -m node -o new -T $vol1 -p 127.0.0.2:3261,1
check "iscsiadm writes an IPv6 node record" adm -m node -o new -T $vol2 -p '[::1]:3260,1'
ok=0
for kv in node.startup=automatic node.session.auth.authmethod=CHAP node.session.auth.username=host1 \
	node.session.auth.password=import-secret-1 node.session.auth.username_in=tgt1 \
	node.session.auth.password_in=import-secret-2 node.conn[0].iscsi.HeaderDigest=CRC32C \
	node.conn[0].iscsi.DataDigest=CRC32C node.session.timeo.replacement_timeout=30 \
	node.conn[0].timeo.noop_out_interval=10 node.conn[0].timeo.noop_out_timeout=15 \
	node.session.queue_depth=64 node.session.iscsi.InitialR2T=Yes node.session.iscsi.ImmediateData=No \
	node.session.iscsi.FirstBurstLength=65536 node.session.iscsi.MaxBurstLength=1048576 \
	node.conn[0].iscsi.MaxRecvDataSegmentLength=131072; do
	for portal in 127.0.0.1:3260 127.0.0.2:3261,1; do
		update $vol1 $portal "${kv%%=*}" "${kv#*=}" || ok=1
	done
done
check "iscsiadm -o update sets startup, CHAP, digests, timeouts and lengths" test $ok -eq 0
check "iscsiadm writes a SendTargets discovery record" adm -m discoverydb -t st -p 127.0.0.1 -o new
check "iscsiadm sets discovery CHAP" sh -c "iscsiadm -m discoverydb -t st -p 127.0.0.1 -o update \
	-n discovery.sendtargets.auth.authmethod -v CHAP >/dev/null 2>&1 && iscsiadm -m discoverydb -t st \
	-p 127.0.0.1 -o update -n discovery.sendtargets.auth.username -v disc1 >/dev/null 2>&1 && iscsiadm \
	-m discoverydb -t st -p 127.0.0.1 -o update -n discovery.sendtargets.auth.password \
	-v import-secret-3 >/dev/null 2>&1"

store=$tmp/targets.ini
export ISCSICTL_STORE=$store ISCSICTL_INITIATORNAME=$tmp/initiatorname.iscsi ISCSICTL_SOCKET=$tmp/none.sock
check "import --dry-run writes nothing" sh -c "'$iscsictl' import open-iscsi --dry-run >$tmp/dry.out && test ! -e '$store'"
check "import open-iscsi (default /etc/iscsi) succeeds" sh -c "'$iscsictl' import open-iscsi >$tmp/import.out 2>$tmp/import.err"
section() { # TARGET: the lines of its section
	awk -v h="[target \"$1\"]" '$0 == h { on = 1; next } /^\[/ { on = 0 } on' "$store"
}
s1=$(section $vol1)
want="portal = 127.0.0.1:3260
portal = 127.0.0.2:3261,1
startup = automatic
auth = mutual-chap
chap-name = host1
chap-secret = import-secret-1
mutual-chap-name = tgt1
mutual-chap-secret = import-secret-2
header-digest = crc32c
data-digest = crc32c
replacement-timeout = 30
noop-interval = 10
queue-depth = 64
first-burst-length = 65536
max-burst-length = 1048576
max-recv-data-segment-length = 131072"
missing=""
while IFS= read -r line; do
	printf '%s\n' "$s1" | grep -qxF -- "$line" || missing="$missing$line; "
done <<<"$want"
check "both portals and every mapped key of $vol1 are in the store" test -z "$missing"
[ -n "$missing" ] && echo "#   missing: $missing" && echo "#   section: $s1" | head -30
check "noop timeout, InitialR2T and ImmediateData are imported" sh -c "printf '%s\n' '$s1' | grep -qx 'noop-timeout = 15' && printf '%s\n' '$s1' | grep -qx 'initial-r2t = yes' && printf '%s\n' '$s1' | grep -qx 'immediate-data = no'"
check "the IPv6 target keeps its portal group" sh -c "printf '%s\n' \"\$(awk -v h='[target \"$vol2\"]' '\$0 == h { on = 1; next } /^\\[/ { on = 0 } on' '$store')\" | grep -qxF 'portal = [::1]:3260,1'"
check "discovery portal with its CHAP credentials" sh -c "grep -A4 -xF '[discovery \"127.0.0.1:3260\"]' '$store' | grep -qx 'chap-secret = import-secret-3'"
check "the store holding secrets is mode 0600" test "$(stat -c %a "$store")" = 600
check "no secret in iscsictl's output" sh -c "! grep -q import-secret $tmp/import.out $tmp/import.err $tmp/dry.out"
check "the imported store is valid: list targets shows both" sh -c "'$iscsictl' list targets | grep -c '^iqn' | grep -qx 2"
before=$(sha256sum "$store")
check "a second import is refused (exit 4) and changes nothing" sh -c "'$iscsictl' import open-iscsi >/dev/null 2>&1; test \$? -eq 4 && test \"\$(sha256sum '$store')\" = '$before'"
tap_end
