# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by guest test scripts that drive iscsictl: short helpers over its JSON output.
# Needs $build (the build directory) set before sourcing.

ctl() { "$build/iscsictl/iscsictl" "$@"; }

# The device of LUN $2 of target $1, from iscsictl's JSON.
device_of() {
	ctl --json list luns | python3 -c '
import json, sys
for l in json.load(sys.stdin):
    if l["target"] == sys.argv[1] and l["lun"] == int(sys.argv[2]):
        print(l["device"])' "$1" "$2"
}
session_count() { ctl --json list sessions | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'; }
lun_count() { ctl --json list luns | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'; }
# set_secret IQN KEY FILE: a secret given on standard input, as a user should.
set_secret() { ctl modify target "$1" "$2=-" <"$3"; }
