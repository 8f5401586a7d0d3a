#!/usr/bin/env bash
# A Debian bookworm root for QEMU guests that need real userland tools (the
# kernel's livepatch selftests need bash, GNU coreutils, kmod's insmod and
# procps' sysctl: busybox does not do). Prints the path of the gzip newc cpio.
#
#   scripts/rootfs.sh          build it if needed, print its path
#
# debootstrap --variant=minbase plus ROOTFS_PACKAGES, from the Debian mirror
# configured in /etc/apt (common.sh's debian_mirror). Documentation, man
# pages, locales and apt's caches and lists are removed (so is the mirror
# line debootstrap writes). The archive is cached in $CACHE/rootfs/<hash>/,
# the hash covering the suite, the package list and this script: it is built
# once and reused until one of them changes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

SUITE=bookworm
ROOTFS_PACKAGES=kmod,procps

key=$( (echo "$SUITE $ROOTFS_PACKAGES" && cat "$0") | sha256sum | cut -c1-12)
dir=$CACHE/rootfs/$SUITE-$key
cpio=$dir/rootfs.cpio.gz
if [ -s "$cpio" ]; then
	echo "$cpio"
	exit 0
fi

[ "$(id -u)" = 0 ] || die "building the guest root filesystem needs root (debootstrap, device nodes)"
command -v debootstrap >/dev/null || die "debootstrap missing: run make setup"
mirror=$(debian_mirror)

mkdir -p "$CACHE/rootfs"
# One build at a time; a second caller waits, then finds the archive.
exec 9>"$CACHE/rootfs/.lock"
flock 9
if [ -s "$cpio" ]; then
	echo "$cpio"
	exit 0
fi

t0=$SECONDS
work=$(mktemp -d "$CACHE/rootfs/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
log "debootstrap $SUITE (minbase + $ROOTFS_PACKAGES) from the configured mirror"
debootstrap --variant=minbase --include="$ROOTFS_PACKAGES" "$SUITE" "$root" "$mirror" \
	>"$work/debootstrap.log" 2>&1 ||
	{ tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }

rm -rf "$root"/usr/share/{doc,man,info,locale,lintian,linda,bug,common-licenses} \
	"$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/var/cache/debconf/*-old \
	"$root"/var/log/* "$root"/etc/apt/sources.list "$root"/etc/apt/sources.list.d/*
mkdir -p "$root/usr/share/doc" "$root/usr/share/man"

mkdir -p "$dir"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -6) >"$cpio.tmp"
mv "$cpio.tmp" "$cpio"
log "guest root filesystem: $(du -sh "$root" | cut -f1) unpacked, $(du -h "$cpio" | cut -f1) as $cpio ($((SECONDS - t0)) s)"
echo "$cpio"
