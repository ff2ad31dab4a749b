#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# TAP: the udev helper iscsid/udev/iscsi-ini-path_id against a made-up sysfs: the by-path name is
# systemd path_id's iSCSI form (ip-ADDRESS:PORT-iscsi-TARGET-lun-N, LUNs from 256 on as
# lun-0xLLLLHHHH00000000, IPv6 without brackets, the portal group tag dropped), and hosts of other
# drivers or odd attribute values get no name. The VM test vm-control checks the rule with udevd.
# usage: udev-path-id.sh HELPER
set -u
helper=$1
sys=$(mktemp -d)
trap 'rm -rf "$sys"' EXIT
n=0 failures=0
host() { # N PROC_NAME TARGET PORTAL
	local d=$sys/class/scsi_host/host$1
	mkdir -p "$d"
	echo "$2" >"$d/proc_name"
	echo "$3" >"$d/target_name"
	echo "$4" >"$d/portal"
	echo 7 >"$d/session_id"
}
expect() { # DESCRIPTION DEVPATH EXPECTED_OUTPUT
	local out
	out=$(ISCSI_INI_SYSFS=$sys sh "$helper" "$2" 2>&1)
	n=$((n + 1))
	if [ "$out" = "$3" ]; then
		echo "ok $n - $1"
	else
		failures=$((failures + 1))
		echo "not ok $n - $1"
		{ echo "expected:"; printf '%s\n' "$3"; echo "got:"; printf '%s\n' "$out"; } | sed 's/^/#   /'
	fi
}
t=iqn.2003-01.org.example:disk1
host 3 iscsi_ini "$t" 192.0.2.10:3260
host 4 iscsi_ini "$t" 192.0.2.10:3260,5
host 5 iscsi_ini "$t" '[2001:db8::1]:3261,1'
host 6 ahci "$t" 192.0.2.10:3260
host 7 iscsi_ini 'iqn.2003-01.org.example:$(reboot)' 192.0.2.10:3260
dev=/devices/platform/host3/target3:0:0/3:0:0:0/block/sdb
expect "LUN 0 of an iscsi_ini disk" $dev "ISCSI_INI_PATH=ip-192.0.2.10:3260-iscsi-$t-lun-0
ISCSI_INI_PATH_TAG=ip-192_0_2_10_3260-iscsi-iqn_2003-01_org_example_disk1-lun-0
ISCSI_INI_TARGET=$t
ISCSI_INI_SESSION=7"
expect "a partition has the disk's name" $dev/sdb1 "ISCSI_INI_PATH=ip-192.0.2.10:3260-iscsi-$t-lun-0
ISCSI_INI_PATH_TAG=ip-192_0_2_10_3260-iscsi-iqn_2003-01_org_example_disk1-lun-0
ISCSI_INI_TARGET=$t
ISCSI_INI_SESSION=7"
expect "LUN 255 is still lun-255" /devices/platform/host3/target3:0:0/3:0:0:255/block/sdc \
	"$(printf '%s\n' "ISCSI_INI_PATH=ip-192.0.2.10:3260-iscsi-$t-lun-255" \
		"ISCSI_INI_PATH_TAG=ip-192_0_2_10_3260-iscsi-iqn_2003-01_org_example_disk1-lun-255" \
		"ISCSI_INI_TARGET=$t" "ISCSI_INI_SESSION=7")"
# 16640 = 0x4100: the kernel's LUN number of a flat-space LUN 256 (REPORT LUNS 0x4100...)
expect "LUN 16640 in path_id's long form" /devices/platform/host3/target3:0:0/3:0:0:16640/block/sdd \
	"$(printf '%s\n' "ISCSI_INI_PATH=ip-192.0.2.10:3260-iscsi-$t-lun-0x4100000000000000" \
		"ISCSI_INI_PATH_TAG=ip-192_0_2_10_3260-iscsi-iqn_2003-01_org_example_disk1-lun-0x4100000000000000" \
		"ISCSI_INI_TARGET=$t" "ISCSI_INI_SESSION=7")"
expect "the portal group tag is not part of the name" /devices/platform/host4/target4:0:0/4:0:0:1/block/sde \
	"$(printf '%s\n' "ISCSI_INI_PATH=ip-192.0.2.10:3260-iscsi-$t-lun-1" \
		"ISCSI_INI_PATH_TAG=ip-192_0_2_10_3260-iscsi-iqn_2003-01_org_example_disk1-lun-1" \
		"ISCSI_INI_TARGET=$t" "ISCSI_INI_SESSION=7")"
expect "IPv6 portal without brackets, as open-iscsi's persistent_address" \
	/devices/platform/host5/target5:0:0/5:0:0:0/block/sdf \
	"$(printf '%s\n' "ISCSI_INI_PATH=ip-2001:db8::1:3261-iscsi-$t-lun-0" \
		"ISCSI_INI_PATH_TAG=ip-2001_db8_1_3261-iscsi-iqn_2003-01_org_example_disk1-lun-0" \
		"ISCSI_INI_TARGET=$t" "ISCSI_INI_SESSION=7")"
expect "a disk of another driver gets nothing" /devices/pci0000:00/0000:00:1f.2/ata1/host6/target6:0:0/6:0:0:0/block/sda ""
expect "a target name that is no iSCSI name gets nothing" /devices/platform/host7/target7:0:0/7:0:0:0/block/sdg ""
expect "a host that is gone gets nothing" /devices/platform/host9/target9:0:0/9:0:0:0/block/sdh ""
expect "no device path gets nothing" "" ""
echo "1..$n"
[ "$failures" -eq 0 ]
