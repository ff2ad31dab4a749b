#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest half of tools/bench: one LIO rd_nullio LUN seen four ways in one boot, through tcm_loop (the
# ceiling: LIO with no network protocol), through open-iscsi (Debian's iscsiadm/iscsid + iscsi_tcp),
# through this project's initiator with one connection, and with two (MC/S: the same LUN exported by
# a second target whose TPG allows MaxConnections=2), measured with fio runs interleaved; then login
# times for 1 and 64 targets and the daemons' RSS. Every figure is printed as one line "BENCH {json}"
# for the host.
# usage: bench.sh BUILD_DIR RUNTIME_SECONDS REPEAT
set -euo pipefail
build=$1 runtime=$2 repeat=$3
top=$(cd "$(dirname "$0")/../../.." && pwd)
guest=$top/tools/vm/guest
say() { echo "# $*" >&2; }
emit() { echo "BENCH $1"; }
# Seconds since $start; bc writes ".73" for less than one, which is not JSON.
elapsed() { echo "$(date +%s.%N) - $start" | bc | sed 's/^\./0./'; }
iqn_base=iqn.2003-01.org.linux-iscsi.vm

# The LUN under test: 1 GiB of rd_nullio (reads return zeroes, writes are dropped: the target costs
# as little as it can, so the initiators are what is measured).
backstore=$("$guest/lio-target" --iqn "$iqn_base:bench" --nullio --size-mib 1024)
# The same LUN behind a TPG that takes 2 connections per session (LIO's default is 1).
"$guest/lio-target" --iqn "$iqn_base:bench-mcs" --backstore "$backstore" --max-connections 2 >/dev/null
ceiling=$("$guest/tcm-loop" "$backstore")
say "tcm_loop ceiling: $ceiling"

# open-iscsi, as Debian ships it.
mkdir -p /etc/iscsi /run/lock/iscsi
echo "InitiatorName=iqn.1993-08.org.debian:01:bench" >/etc/iscsi/initiatorname.iscsi
modprobe iscsi_tcp
iscsid
iscsiadm -m discovery -t st -p 127.0.0.1 >/dev/null
iscsiadm -m node -T "$iqn_base:bench" -p 127.0.0.1 --login >/dev/null
open_iscsi_disk() {
	local s
	local deadline=$((SECONDS + 300)) # a loaded host slows the guest a lot
	while ((SECONDS < deadline)); do
		s=$(iscsiadm -m session -P 3 2>/dev/null | awk '/Attached scsi disk/ {print $4}' | head -n 1)
		[[ -n $s && -b /dev/$s ]] && { echo "/dev/$s"; return 0; }
		sleep 0.2
	done
	# say why, on the console
	iscsiadm -m session -P 3 >&2 || true
	dmesg | tail -n 30 >&2
	return 1
}
open_iscsi=$(open_iscsi_disk)
say "open-iscsi: $open_iscsi"

# This project's initiator: module, daemon, and iscsictl login of the same target.
modprobe libcrc32c
insmod "$build/kmod/iscsi_ini.ko"
export ISCSICTL_STORE=/tmp/bench-targets.ini ISCSICTL_INITIATORNAME=/tmp/bench-initiatorname
ctl() { "$build/iscsictl/iscsictl" "$@"; }
"$build/iscsid/iscsid" --foreground 2>/tmp/iscsid.log &
daemon=$!
for _ in $(seq 50); do [[ -S /run/iscsid/iscsid.sock ]] && break; sleep 0.1; done
ctl add target "$iqn_base:bench" 127.0.0.1 >/dev/null
ctl modify target "$iqn_base:bench" max-connections=1 >/dev/null
ctl add target "$iqn_base:bench-mcs" 127.0.0.1 >/dev/null
ctl modify target "$iqn_base:bench-mcs" max-connections=2 >/dev/null
our_disk() { # IQN
	local d="" deadline=$((SECONDS + 300))
	while ((SECONDS < deadline)); do # the LUN scan runs after the login returns
		d=$(ctl --json list luns | python3 -c '
import json, sys
l = [x for x in json.load(sys.stdin) if x["target"] == sys.argv[1]]
print(l[0]["device"] if l else "")' "$1")
		[[ -n $d && -b $d ]] && break
		sleep 0.2
	done
	[[ -b $d ]] || { echo "bench: no disk from iscsi-ini for $1" >&2; return 1; }
	echo "$d"
}
ctl login "$iqn_base:bench" >/dev/null
ours=$(our_disk "$iqn_base:bench")
say "iscsi-ini: $ours"
ctl login "$iqn_base:bench-mcs" >/dev/null
ours_mcs=$(our_disk "$iqn_base:bench-mcs")
conns=$(ctl --json show session "$iqn_base:bench-mcs" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["connections"]))')
say "iscsi-ini with MC/S: $ours_mcs, $conns connections"
emit "{\"kind\":\"note\",\"text\":\"iscsi-ini-mcs: $conns connections in one session\"}"

# fio workloads: name, rw, block size, queue depth per job, jobs. With 2 jobs each runs on its own
# CPU (split), so the I/O comes from both CPUs: what spreads over MC/S's per-CPU connections.
workloads=(
	"randread-4k-qd1 randread 4k 1 1"
	"randread-4k-qd32 randread 4k 32 1"
	"randwrite-4k-qd32 randwrite 4k 32 1"
	"read-128k-qd8 read 128k 8 1"
	"write-128k-qd8 write 128k 8 1"
	"randread-4k-qd32-2cpu randread 4k 16 2"
	"read-128k-qd8-2cpu read 128k 4 2"
	"write-128k-qd8-2cpu write 128k 4 2"
)
declare -A disks=([tcm_loop]=$ceiling [open-iscsi]=$open_iscsi [iscsi-ini]=$ours [iscsi-ini-mcs]=$ours_mcs)

for ((rep = 1; rep <= repeat; rep++)); do
	for w in "${workloads[@]}"; do
		read -r name rw bs qd jobs <<<"$w"
		spread=()
		((jobs == 1)) || spread=(--cpus_allowed=0,1 --cpus_allowed_policy=split --group_reporting)
		for target in "${!disks[@]}"; do
			cp /proc/stat /tmp/stat.before
			fio --name="$name" --filename="${disks[$target]}" --direct=1 --ioengine=libaio \
				--rw="$rw" --bs="$bs" --iodepth="$qd" --runtime="$runtime" --time_based \
				--numjobs="$jobs" "${spread[@]}" --output-format=json 2>/dev/null >/tmp/fio.json
			cp /proc/stat /tmp/stat.after
			"$guest/fio-summary" "$name" "$target" "$rep" /tmp/stat.before /tmp/stat.after </tmp/fio.json
			say "rep $rep $name $target done"
		done
	done
done

# Login time, open-iscsi: one target, then 64 (iscsiadm -m node -L all), each until every disk exists.
iscsiadm -m node -u >/dev/null
iscsiadm -m node -o delete >/dev/null
for i in $(seq 1 64); do
	"$guest/lio-target" --iqn "$iqn_base:login$i" --nullio --size-mib 1 >/dev/null
done
iscsiadm -m discovery -t st -p 127.0.0.1 >/dev/null
iscsiadm -m node -T "$iqn_base:bench" -o delete >/dev/null
iscsiadm -m node -T "$iqn_base:bench-mcs" -o delete >/dev/null
count_disks() { iscsiadm -m session -P 3 2>/dev/null | grep -c 'Attached scsi disk' || true; }
wait_disks() { # N TIMEOUT_S
	local deadline=$((SECONDS + $2))
	while (($(count_disks) < $1)); do
		((SECONDS < deadline)) || return 1
		sleep 0.05
	done
}
start=$(date +%s.%N)
iscsiadm -m node -T "$iqn_base:login1" -p 127.0.0.1 --login >/dev/null
wait_disks 1 60
emit "{\"kind\":\"login\",\"target\":\"open-iscsi\",\"targets\":1,\"seconds\":$(elapsed)}"
iscsiadm -m node -u >/dev/null
start=$(date +%s.%N)
iscsiadm -m node -L all >/dev/null
wait_disks 64 1800
emit "{\"kind\":\"login\",\"target\":\"open-iscsi\",\"targets\":64,\"seconds\":$(elapsed)}"
# open-iscsi's iscsid (its two processes), not ours, which has the same name.
rss=$(awk '/VmRSS/ {s += $2} END {print s}' $(pgrep -x iscsid | grep -vx "$daemon" | sed 's|.*|/proc/&/status|'))
emit "{\"kind\":\"rss\",\"target\":\"open-iscsi\",\"kib\":$rss}"
iscsiadm -m node -u >/dev/null

# Login time, this initiator: the same targets, one, then 64 at once (iscsid logs in concurrently).
ctl logout "$iqn_base:bench" >/dev/null
ctl logout "$iqn_base:bench-mcs" >/dev/null
for i in $(seq 1 64); do ctl add target "$iqn_base:login$i" 127.0.0.1 >/dev/null; done
start=$(date +%s.%N)
ctl login "$iqn_base:login1" >/dev/null
emit "{\"kind\":\"login\",\"target\":\"iscsi-ini\",\"targets\":1,\"seconds\":$(elapsed)}"
ctl logout "$iqn_base:login1" >/dev/null
start=$(date +%s.%N)
logins=()
for i in $(seq 1 64); do
	ctl login "$iqn_base:login$i" >/dev/null &
	logins+=($!)
done
wait_ours() {
	local deadline=$((SECONDS + 1800))
	until (($(ctl --json list luns | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))') >= 64)); do
		((SECONDS < deadline)) || return 1
		sleep 0.05
	done
}
wait_ours
emit "{\"kind\":\"login\",\"target\":\"iscsi-ini\",\"targets\":64,\"seconds\":$(elapsed)}"
wait "${logins[@]}"
emit "{\"kind\":\"rss\",\"target\":\"iscsi-ini\",\"kib\":$(awk '/VmRSS/ {print $2}' /proc/$daemon/status)}"
for i in $(seq 1 64); do ctl logout "$iqn_base:login$i" >/dev/null; done
kill "$daemon"
