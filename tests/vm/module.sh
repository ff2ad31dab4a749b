#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest script (tools/vm/run --tap): the module loads, registers its generic netlink family with the
# events group, answers iscsid's version query (also for an unprivileged user: the query is read-only),
# and unloads without a trace.
# usage: module.sh BUILD_DIR
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$1
. "$top/tests/lib/tap.sh"

# insmod resolves no dependencies: load what the module links against first
check "load the module's dependencies" modprobe -a libcrc32c scsi_mod
check "insmod iscsi_ini.ko" insmod "$build/kmod/iscsi_ini.ko"
check_output "module is live" '^iscsi_ini .* Live' cat /proc/modules
check_output "family iscsi_ini listed by genl ctrl" 'Name: iscsi_ini' genl ctrl list
check_output "family has the events multicast group" 'events' genl ctrl get name iscsi_ini
check_output "iscsid --check-kernel gets the interface version" 'netlink interface version 1 ' \
	"$build/iscsid/iscsid" --check-kernel
check_output "the version query works for an unprivileged user" 'netlink interface version 1 ' \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$build/iscsid/iscsid" --check-kernel
check_output "connection I/O runs on the receiving CPU by default (per-CPU workqueue)" '^1$' \
	cat /sys/devices/virtual/workqueue/iscsi_ini_io/per_cpu
check "rmmod iscsi_ini" rmmod iscsi_ini
check_fails "family gone after unload" genl ctrl get name iscsi_ini
check_output "iscsid names the missing module" 'not loaded' sh -c "'$build/iscsid/iscsid' --check-kernel 2>&1; true"
check "load and unload again" sh -c "insmod '$build/kmod/iscsi_ini.ko' && rmmod iscsi_ini"
check_output "io_unbound=1 makes the I/O workqueue unbound" '^0$' sh -c \
	"insmod '$build/kmod/iscsi_ini.ko' io_unbound=1 && cat /sys/devices/virtual/workqueue/iscsi_ini_io/per_cpu"
check "rmmod after io_unbound=1" rmmod iscsi_ini
tap_end
