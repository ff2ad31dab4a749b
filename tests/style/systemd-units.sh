#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# systemd-analyze verify on the unit templates, pointed at the binaries of this build (iscsid and
# iscsictl, linked into one directory that stands for @SBINDIR@) and at the man pages of this source
# tree only (so a Documentation=man: line names a page we ship, not one another package installed).
# Any complaint fails the test, even those systemd only warns about.
# usage: systemd-units.sh BUILD_ROOT MAN_DIR UNIT.in...
set -euo pipefail
build=$1 man_dir=$(realpath "$2")
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/sbin"
ln -s "$build/iscsid/iscsid" "$build/iscsictl/iscsictl" "$tmp/sbin/"
for page in "$man_dir"/*.[1-9]; do
	section=${page##*.}
	mkdir -p "$tmp/man/man$section"
	ln -s "$page" "$tmp/man/man$section/"
done
export MANPATH=$tmp/man
units=()
for in in "$@"; do
	out=$tmp/$(basename "$in" .in)
	sed "s|@SBINDIR@|$tmp/sbin|g" "$in" >"$out"
	units+=("$out")
done
cd "$tmp"
if ! out=$(systemd-analyze verify "${units[@]}" 2>&1) || [[ -n $out ]]; then
	echo "$out"
	exit 1
fi
echo "systemd-analyze verify: ${#units[@]} units clean"
