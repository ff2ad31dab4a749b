#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo's guest half: narrates each step for a newcomer and stops at the first failure.
# usage: demo.sh BUILD_DIR
set -euo pipefail
build=$1
top=$(cd "$(dirname "$0")/../../.." && pwd)
step() { printf '\n==> %s\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "the guest runs Debian's kernel $(uname -r) with the host's files over 9p"
step "an LIO iSCSI target in the guest's kernel, listening on 127.0.0.1:3260"
show "$top/tools/vm/guest/lio-target" --iqn iqn.2003-01.org.linux-iscsi.vm:demo --luns 1 --size-mib 64
show ls /sys/kernel/config/target/iscsi/
step "load our kernel module"
show insmod "$build/kmod/iscsi_ini.ko"
show grep '^iscsi_ini ' /proc/modules
dmesg | grep 'iscsi_ini:' | tail -n 1
step "its generic netlink family is registered (iproute2's view)"
show genl ctrl get name iscsi_ini
step "and answers the daemon's version query"
show "$build/iscsid/iscsid" --check-kernel
step "unload it"
show rmmod iscsi_ini
dmesg | grep 'iscsi_ini:' | tail -n 1
step "not yet: iscsictl login and a real disk, which arrive with the end-to-end work"
