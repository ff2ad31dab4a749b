#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The bash completion of iscsictl (TAP): verbs, objects, keys asked of iscsictl itself, and target
# names and discovery portals read from the store given with --store.
# usage: iscsictl-completion.sh SOURCE_ROOT BUILD_ROOT
set -u
src=$1 build=$2
tmp=$(mktemp -d /tmp/iscsictl-completion.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
PATH=$build/iscsictl:$PATH
compopt() { :; } # only valid inside a real completion
# shellcheck source=/dev/null
. "$src/iscsictl/completion/iscsictl.bash"
printf '[target "iqn.2003-01.org.example:vol1"]\nportal = 127.0.0.1\n\n[discovery "127.0.0.1:3260"]\n' >"$tmp/t.ini"
n=0 failures=0
complete_line() { # WORDS...: the last word is the one being completed
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_iscsictl
	printf '%s\n' "${COMPREPLY[@]}"
}
expect() { # DESCRIPTION EXPECTED-WORD WORDS...
	local desc=$1 want=$2 got
	shift 2
	got=$(complete_line "$@")
	n=$((n + 1))
	if printf '%s\n' "$got" | grep -qxF -- "$want"; then
		echo "ok $n - $desc"
	else
		failures=$((failures + 1))
		echo "not ok $n - $desc"
		echo "#   expected '$want' among: $(echo $got)"
	fi
}
echo "1..10"
expect "verbs" discover iscsictl ""
expect "verbs by prefix" login iscsictl lo
expect "objects of modify" initiator iscsictl modify ""
expect "objects of list" sessions iscsictl list s
expect "target keys from the key table" replacement-timeout= iscsictl modify target iqn.x re
expect "discovery keys from the key table" interval= iscsictl modify discovery 127.0.0.1 ""
expect "target names from --store" iqn.2003-01.org.example:vol1 iscsictl --store "$tmp/t.ini" login ""
expect "target names after an option" iqn.2003-01.org.example:vol1 iscsictl --store "$tmp/t.ini" --json show target ""
expect "discovery portals from the store" 127.0.0.1:3260 iscsictl --store "$tmp/t.ini" discover ""
expect "login flags" --automatic iscsictl login --a
exit $((failures > 0))
