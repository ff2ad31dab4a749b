#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest half of tools/bench --profile: the bench LUN through open-iscsi and this initiator, short fio
# runs of chosen workloads side by side, then `perf record -a` of this initiator under each of them.
# With several modules (--ko NAME=PATH, repeatable) each is loaded in turn and measured against
# open-iscsi in the same boot: before/after ratios of a change. PATH may end in ,param=value,... for
# module parameters (the same module with different settings).
# usage: profile.sh [--ko NAME=PATH[,PARAM=VALUE...]]... BUILD_DIR RUNTIME_SECONDS WORKLOAD...
#        (WORKLOAD: name:rw:bs:qd)
set -euo pipefail
modules=()
while [[ $1 == --ko ]]; do modules+=("$2"); shift 2; done
build=$1 runtime=$2
shift 2
((${#modules[@]})) || modules=("iscsi-ini=$build/kmod/iscsi_ini.ko")
top=$(cd "$(dirname "$0")/../../.." && pwd)
guest=$top/tools/vm/guest
iqn_base=iqn.2003-01.org.linux-iscsi.vm
"$guest/lio-target" --iqn "$iqn_base:bench" --nullio --size-mib 1024 >/dev/null
mkdir -p /etc/iscsi /run/lock/iscsi
echo "InitiatorName=iqn.1993-08.org.debian:01:bench" >/etc/iscsi/initiatorname.iscsi
modprobe sd_mod # no udev in the guest: nothing else loads the disk driver
modprobe iscsi_tcp
iscsid
iscsiadm -m discovery -t st -p 127.0.0.1 >/dev/null
iscsiadm -m node -T "$iqn_base:bench" -p 127.0.0.1 --login >/dev/null
# A loaded host slows the guest a lot: wait for disks by the clock, up to 5 minutes.
open_iscsi=
deadline=$((SECONDS + 300))
while ((SECONDS < deadline)); do
	s=$(iscsiadm -m session -P 3 2>/dev/null | awk '/Attached scsi disk/ {print $4}' | head -n 1)
	[[ -n $s && -b /dev/$s ]] && { open_iscsi=/dev/$s; break; }
	sleep 0.5
done
echo "# open-iscsi: ${open_iscsi:-no disk after $SECONDS s}" >&2
# without it the modules are still compared with each other
[[ -n $open_iscsi ]] || { iscsiadm -m session -P 3 >&2 || true; dmesg | tail -n 30 >&2; }
modprobe libcrc32c
export ISCSICTL_STORE=/tmp/bench-targets.ini ISCSICTL_INITIATORNAME=/tmp/bench-initiatorname
ctl() { "$build/iscsictl/iscsictl" "$@"; }
# Each run also says what one I/O cost the whole guest (fio-summary: CPU time, context switches)
# and, with perf, how many work items ran per I/O: the hand-offs a command costs.
counters=()
if command -v perf >/dev/null && perf stat -a -e workqueue:workqueue_execute_start true 2>/dev/null; then
	counters=(perf stat -a -x, -o /tmp/fio.stat -e workqueue:workqueue_execute_start --)
fi
run_fio() { # DISK RW BS QD
	rm -f /tmp/fio.stat
	cp /proc/stat /tmp/stat.before
	"${counters[@]}" fio --name=p --filename="$1" --direct=1 --ioengine=libaio --rw="$2" --bs="$3" \
		--iodepth="$4" --runtime="$runtime" --time_based --output-format=json 2>/dev/null >/tmp/fio.json
	cp /proc/stat /tmp/stat.after
	"$guest/fio-summary" p p 0 /tmp/stat.before /tmp/stat.after </tmp/fio.json | python3 -c '
import json, sys
s = json.loads(sys.stdin.read()[len("BENCH "):])
line = "%.1f iops %.0f MiB/s %.1f lat %.0f us sys %.0f%% usr %.0f%% cpu/io %.0f us cs/io %.2f" % (
    s["iops"], s["iops"], s["mib_s"], s["lat_us"], s["cpu_sys"], s["cpu_usr"], s["cpu_us_per_io"], s["cs_per_io"])
try:
    work = [float(l.split(",")[0]) for l in open("/tmp/fio.stat") if "workqueue_execute_start" in l]
    line += " work/io %.2f" % (work[0] / s["ios"])
except (OSError, IndexError, ValueError):
    pass
print(line)'
}
ctl add target "$iqn_base:bench" 127.0.0.1 >/dev/null
for m in "${modules[@]}"; do
	name=${m%%=*}
	IFS=, read -r -a ko_and_params <<<"${m#*=}" # PATH, then its parameters
	insmod "${ko_and_params[@]}"
	"$build/iscsid/iscsid" --foreground 2>/tmp/iscsid.log &
	daemon=$!
	for _ in $(seq 50); do [[ -S /run/iscsid/iscsid.sock ]] && break; sleep 0.1; done
	ctl login "$iqn_base:bench" >/dev/null
	ours=
	deadline=$((SECONDS + 300))
	while ((SECONDS < deadline)); do
		ours=$(ctl --json list luns | python3 -c 'import json, sys; l = json.load(sys.stdin); print(l[0]["device"] if l else "")')
		[[ -n $ours && -b $ours ]] && break
		sleep 0.5
	done
	echo "# $name: ${ours:-no disk}" >&2
	[[ -b $ours ]] || { echo "profile: no disk from $name" >&2; exit 1; }
	for d in $open_iscsi $ours; do
		echo "# $name: $d scheduler $(cat /sys/block/${d#/dev/}/queue/scheduler)"
	done
	for w in "$@"; do
		IFS=: read -r wname rw bs qd <<<"$w"
		for rep in 1 2; do
			b=$(run_fio "$ours" "$rw" "$bs" "$qd")
			if [[ -n $open_iscsi ]]; then
				a=$(run_fio "$open_iscsi" "$rw" "$bs" "$qd")
				echo "# $wname rep $rep open-iscsi: ${a#* }"
				echo "# $wname rep $rep $name: ${b#* }  ratio $(echo "scale=2; ${b%% *} / ${a%% *}" | bc)"
			else
				echo "# $wname rep $rep $name: ${b#* }"
			fi
		done
	done
	# perf for the last module only (the one under study): it costs a run per workload
	if [[ $m == "${modules[-1]}" ]] && command -v perf >/dev/null; then
		for w in "$@"; do
			IFS=: read -r wname rw bs qd <<<"$w"
			perf record -a -g -o /tmp/perf.data -- fio --name=p --filename="$ours" --direct=1 \
				--ioengine=libaio --rw="$rw" --bs="$bs" --iodepth="$qd" --runtime="$runtime" \
				--time_based >/dev/null 2>/tmp/perf.err || { cat /tmp/perf.err; continue; }
			echo "# ===== perf $wname ($name), by symbol"
			perf report -i /tmp/perf.data --stdio --no-children --sort symbol -g none 2>/dev/null |
				grep -v '^#' | grep -v '^$' | head -40 || true # head closes the pipe early
			echo "# ===== perf $wname ($name), by command"
			perf report -i /tmp/perf.data --stdio --no-children --sort comm -g none 2>/dev/null |
				grep -v '^#' | grep -v '^$' | head -12 || true
			# perf files the module's samples under [kernel.kallsyms]: add up its symbols instead
			echo "# ===== perf $wname ($name), the module's own code (iscsi_ini_* symbols):" \
				"$(perf report -i /tmp/perf.data --stdio --no-children --sort symbol -g none 2>/dev/null |
					awk '/ iscsi_ini_/ {sum += $1} END {printf "%.2f%% of all samples", sum}')"
			echo "# ===== perf $wname ($name), fio's own samples by symbol"
			perf report -i /tmp/perf.data --stdio --no-children --comm fio --sort symbol -g none 2>/dev/null |
				grep -v '^#' | grep -v '^$' | head -25 || true
			# where the usual suspects come from: lock spinning, zeroing, copying
			for sym in native_queued_spin_lock_slowpath memset_erms clear_page_erms memcpy_erms; do
				echo "# ===== perf $wname ($name), callers of $sym"
				perf report -i /tmp/perf.data --stdio --no-children --symbols "$sym" \
					-g caller,0.5,callee --sort symbol 2>/dev/null | grep -v '^#' | grep -v '^$' | head -40 || true
			done
		done
	fi
	ctl logout "$iqn_base:bench" >/dev/null
	kill "$daemon"
	wait "$daemon" || true
	rmmod iscsi_ini
done
