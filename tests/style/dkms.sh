#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# DKMS builds the module from what `meson install` ships: the dkms-tagged files are installed into a
# temporary DESTDIR, and dkms adds and builds them against the kernel headers of the build, with
# every dkms tree in a temporary directory. dkms signs what it builds and creates a signing key in
# /var/lib/dkms when there is none; a private mount namespace with a tmpfs there keeps that key out
# of the system (needs root, as the whole suite does).
# usage: dkms.sh BUILD_ROOT KERNEL_DIR VERSION
set -euo pipefail
build=$1 kdir=$2 version=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The release the headers were made for, as the module's vermagic will say it (Debian's
# include/config/kernel.release holds the upstream version instead).
release=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$kdir/include/generated/utsrelease.h")
[[ -n $release ]] || { echo "no UTS_RELEASE in $kdir"; exit 1; }
meson install -C "$build" --no-rebuild --quiet --tags dkms --destdir "$tmp/dest" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; exit 1; }
src=$tmp/dest/usr/src/iscsi-ini-$version
[[ -f $src/dkms.conf ]] || { echo "meson install put no dkms.conf into $src"; exit 1; }
grep -q "^PACKAGE_VERSION=\"$version\"\$" "$src/dkms.conf" || { echo "dkms.conf: wrong version"; exit 1; }
opts=(--dkmstree "$tmp/dkms" --sourcetree "$tmp/dest/usr/src" --installtree "$tmp/install"
	-k "$release" --kernelsourcedir "$kdir")
mkdir -p "$tmp/dkms" "$tmp/install"
start=$(date +%s)
if ! unshare --mount --propagation private sh -euc 'mkdir -p /var/lib/dkms
	mount -t tmpfs -o mode=0755 dkms-keys /var/lib/dkms
	dkms add -m iscsi-ini "$@" && dkms build -m iscsi-ini "$@"' sh -v "$version" "${opts[@]}" \
	>"$tmp/dkms.log" 2>&1; then
	cat "$tmp/dkms.log"
	cat "$tmp/dkms/iscsi-ini/$version/build/make.log" 2>/dev/null || true
	exit 1
fi
ko=$(find "$tmp/dkms/iscsi-ini/$version/$release" -name 'iscsi_ini.ko*' | head -n 1)
[[ -n $ko ]] || { echo "dkms build left no iscsi_ini.ko"; cat "$tmp/dkms.log"; exit 1; }
modinfo -F vermagic "$ko" | grep -q "^$release " || { echo "$ko is not built for $release"; exit 1; }
echo "dkms build of iscsi-ini $version for $release: $((($(date +%s) - start))) s"
