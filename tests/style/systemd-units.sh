#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# systemd-analyze verify on the unit templates, pointed at the binaries of this build. Any complaint
# fails the test, even those systemd only warns about.
# usage: systemd-units.sh SBINDIR UNIT.in...
set -euo pipefail
sbindir=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
units=()
for in in "$@"; do
	out=$tmp/$(basename "$in" .in)
	sed "s|@SBINDIR@|$sbindir|g" "$in" >"$out"
	units+=("$out")
done
cd "$tmp"
if ! out=$(systemd-analyze verify "${units[@]}" 2>&1) || [[ -n $out ]]; then
	echo "$out"
	exit 1
fi
echo "systemd-analyze verify: ${#units[@]} units clean"
