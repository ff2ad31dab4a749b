#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest script (tools/vm/run --tap): the control plane as a system runs it, against LIO in the guest.
# udev gives our disks open-iscsi's /dev/disk/by-path names (systemd-udevd with our rules); the
# ExecStart line of the built iscsi-login.service logs in the startup = automatic targets and not the
# manual one, and waits (--retry-for) for a target whose portal comes up 5 s late; rescan returns a
# LUN added after the login, and the new size of one grown on the target; 64 targets log in
# at once with login --all (wall time printed) and out with logout --all; a live modify of
# replacement-timeout reaches the session without a relogin.
# usage: control.sh BUILD_DIR
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$1
. "$top/tests/lib/tap.sh"
. "$top/tools/vm/guest/iscsictl.sh"
guest=$top/tools/vm/guest
base=iqn.2003-01.org.linux-iscsi.vm
export ISCSICTL_STORE=/tmp/targets.ini ISCSICTL_INITIATORNAME=/tmp/initiatorname.iscsi

logged_in() { ctl --json list sessions | python3 -c '
import json, sys
sys.exit(0 if any(s["target"] == sys.argv[1] for s in json.load(sys.stdin)) else 1)' "$1"; }
# A field of `show session` as JSON: FIELD is a path like settings.replacement-timeout.
session_field() {
	ctl --json show session "$1" | python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k]
print(v)' "$2"
}
# by_path_of DEV: the /dev/disk/by-path links that resolve to DEV, one per line.
by_path_of() {
	local l
	for l in /dev/disk/by-path/*; do
		[ "$(readlink -f "$l")" = "$1" ] && echo "$l"
	done
	true
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
seconds_since() { # START_MS: seconds with milliseconds
	local ms=$(($(now_ms) - $1))
	printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}

modprobe -a sd_mod libcrc32c
check "insmod iscsi_ini.ko" insmod "$build/kmod/iscsi_ini.ko"
"$build/iscsid/iscsid" --foreground >/tmp/iscsid.log 2>&1 &
daemon=$!
for _ in $(seq 50); do [ -S /run/iscsid/iscsid.sock ] && break; sleep 0.1; done
check "iscsid is up" test -S /run/iscsid/iscsid.sock

# --- udev: /dev/disk/by-path names as open-iscsi users have them in fstab -----------------------
tu=$base:udev
"$guest/lio-target" --iqn "$tu" --luns 2 --size-mib 16 >/dev/null
cp "$top/iscsid/udev/60-iscsi-ini.rules" /etc/udev/rules.d/
cp "$top/iscsid/udev/iscsi-ini-path_id" /lib/udev/
mkdir -p /run/udev
/lib/systemd/systemd-udevd --daemon >/tmp/udevd.log 2>&1
check "systemd-udevd starts with our rules" udevadm control --ping
add_login() { ctl add target "$1" 127.0.0.1 && ctl login "$1"; }
check "add and log in to a target with two LUNs" add_login "$tu"
udevadm settle --timeout=60
d0=$(device_of "$tu" 0) d1=$(device_of "$tu" 1)
l0=/dev/disk/by-path/ip-127.0.0.1:3260-iscsi-$tu-lun-0
l1=/dev/disk/by-path/ip-127.0.0.1:3260-iscsi-$tu-lun-1
check_output "LUN 0 has open-iscsi's by-path name" "^$d0\$" readlink -f "$l0"
check_output "LUN 1 has open-iscsi's by-path name" "^$d1\$" readlink -f "$l1"
check_output "it is the disk's only by-path name (systemd's path_id adds none)" "^$l0\$" by_path_of "$d0"
check_output "udev records ID_PATH for the disk" "^ID_PATH=ip-127.0.0.1:3260-iscsi-$tu-lun-0\$" \
	sh -c "udevadm info --query=property --name=$d0 | grep ^ID_PATH="
# Rescan: a LUN added on the target after the login, then grown there. rescan answers once the scan
# it asked for has ended and each LUN has its disk, so a script can use the answer at once. The LUN is
# an iblock backstore on a loop device, whose size LIO reads live.
T=/sys/kernel/config/target
modprobe loop
truncate -s 8M /tmp/rescan.img
loopdev=$(losetup -f --show /tmp/rescan.img)
mkdir -p "$T/core/iblock_0/rescan" "$T/iscsi/$tu/tpgt_1/lun/lun_2"
echo "udev_path=$loopdev" >"$T/core/iblock_0/rescan/control"
echo 1 >"$T/core/iblock_0/rescan/enable"
ln -s "$T/core/iblock_0/rescan" "$T/iscsi/$tu/tpgt_1/lun/lun_2/backstore"
lun_after_rescan() { # TARGET LUN: "SIZE disk" when rescan's answer has the LUN with its block device
	ctl --json rescan "$1" | python3 -c '
import json, os, stat, sys
for l in json.load(sys.stdin):
    if l["lun"] == int(sys.argv[1]):
        ok = bool(l["device"]) and stat.S_ISBLK(os.stat(l["device"]).st_mode)
        print(l["size"], "disk" if ok else "no disk: " + json.dumps(l))' "$2"
}
check_output "rescan returns the LUN added on the target, with its disk" '^8388608 disk$' \
	lun_after_rescan "$tu" 2
truncate -s 16M /tmp/rescan.img
losetup -c "$loopdev"
check_output "rescan returns the new size of a LUN grown on the target" '^16777216 disk$' \
	lun_after_rescan "$tu" 2
check "a partition on LUN 0" sh -c "echo ',,L' | sfdisk -q $d0"
udevadm settle --timeout=60
check_output "the partition is named -part1" "^${d0}1\$" readlink -f "$l0-part1"
check "logout" ctl logout "$tu"
udevadm settle --timeout=60
check_fails "the names go with the disks" test -e "$l0"
udevadm control --exit
ctl remove target "$tu" >/dev/null

# --- boot-time login: exactly the ExecStart line of the built iscsi-login.service ----------------
unit=$build/iscsid/iscsi-login.service
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
check_output "the unit logs in the automatic targets with --retry-for" \
	'iscsictl login --automatic --retry-for [0-9]+$' echo "$exec_start"
# The unit names the installed iscsictl; this build's binary stands in for it.
read -r -a login_cmd <<<"$exec_start"
login_cmd[0]=$build/iscsictl/iscsictl
ta1=$base:auto1 ta2=$base:auto2 tman=$base:manual tlate=$base:late
for t in "$ta1" "$ta2" "$tman"; do
	"$guest/lio-target" --iqn "$t" --size-mib 8 >/dev/null
done
ctl add target "$ta1" 127.0.0.1 startup=automatic >/dev/null
ctl add target "$ta2" 127.0.0.1 startup=automatic >/dev/null
ctl add target "$tman" 127.0.0.1 startup=manual >/dev/null
# The late target's portal does not exist yet: its logins fail as unreachable until LIO listens.
ctl add target "$tlate" 127.0.0.1:3261 startup=automatic >/dev/null
start=$(now_ms)
"${login_cmd[@]}" >/tmp/boot-login.out 2>&1 &
login_pid=$!
sleep 5
"$guest/lio-target" --iqn "$tlate" --size-mib 8 --portal 127.0.0.1:3261 >/dev/null
wait "$login_pid"
tap_point $? "the boot-time login exits 0" "$(cat /tmp/boot-login.out)"
tap_diag "boot-time login with a target 5 s late: $(seconds_since "$start") s"
check "automatic target 1 is logged in" logged_in "$ta1"
check "automatic target 2 is logged in" logged_in "$ta2"
check "the late target is logged in (retried until its portal came up)" logged_in "$tlate"
check_fails "the manual target is not" logged_in "$tman"
check "the late target's disk is there" test -b "$(device_of "$tlate" 0)"
check_output "the daemon logged the retries" "$tlate: unreachable \\(attempt 2\\)" cat /tmp/iscsid.log

# --- live modify: replacement-timeout reaches the kernel session, no relogin --------------------
sid=$(session_field "$ta1" session)
dev=$(device_of "$ta1" 0)
check "modify target replacement-timeout=47 while logged in" ctl modify target "$ta1" replacement-timeout=47
check_output "show session reports the new replacement-timeout" '^47$' session_field "$ta1" settings.replacement-timeout
check_output "same session (no relogin)" "^$sid\$" session_field "$ta1" session
check_output "same disk" "^$dev\$" device_of "$ta1" 0
check_output "the store keeps it" 'replacement-timeout *= *47' cat "$ISCSICTL_STORE"
check "logout --all" ctl logout --all
check_output "no session left" '^0$' session_count

# --- 64 targets at once ---------------------------------------------------------------------------
export ISCSICTL_STORE=/tmp/many.ini
n=64
# Straight through configfs (what lio-target does, without its per-target set-up) and straight into the
# store: 64 runs of each would take minutes under TCG. Each target has one 1 MiB ramdisk LUN.
T=/sys/kernel/config/target
for ((i = 0; i < n; i++)); do
	dev=$T/core/rd_mcp_0/many$i tpg=$T/iscsi/$base:many$i/tpgt_1
	mkdir -p "$dev" "$tpg/lun/lun_0" "$tpg/np/127.0.0.1:3260"
	echo rd_pages=256 >"$dev/control"
	echo 1 >"$dev/enable"
	ln -s "$dev" "$tpg/lun/lun_0/backstore"
	echo 1 >"$tpg/attrib/generate_node_acls"
	echo 1 >"$tpg/attrib/cache_dynamic_acls"
	echo 0 >"$tpg/attrib/demo_mode_write_protect"
	echo 0 >"$tpg/attrib/authentication"
	echo 1 >"$tpg/enable"
	printf '[target "%s"]\nportal = 127.0.0.1:3260\n\n' "$base:many$i" >>"$ISCSICTL_STORE"
done
check_output "$n LIO targets in the store" "^$n\$" sh -c "\"$build/iscsictl/iscsictl\" --json list targets | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'"
start=$(now_ms)
ctl login --all >/tmp/many.out 2>&1
status=$?
elapsed=$(seconds_since "$start")
tap_point "$status" "login --all of $n targets exits 0" "$(tail -n 20 /tmp/many.out)"
tap_diag "$n targets: $elapsed s"
check_output "$n sessions" "^$n\$" session_count
check_output "$n disks" "^$n\$" lun_count
check_output "login --all prints a line per target" "^$n\$" sh -c "grep -c '$base:many' /tmp/many.out"
start=$(now_ms)
check "logout --all" ctl logout --all
tap_diag "$n logouts: $(seconds_since "$start") s"
check_output "no session left" '^0$' session_count

kill "$daemon"
wait "$daemon"
check "rmmod after every logout" rmmod iscsi_ini
tap_end
