#!/usr/bin/env bash
# Debian's own Rust-enabled kernel (sid's linux-image-amd64): build the
# rust-livepatch modules for it and boot it in QEMU. See scripts/lib/debian.sh
# for the cache layout. Every command builds what it needs first, and prints
# paths on stdout (progress goes to stderr).
#
#   debian.sh versions        the kernel's release, package versions, the
#                             toolchain its .config records and the chroot's
#   debian.sh chroot          make the sid build root; print its path
#   debian.sh fetch           download and unpack the kernel's packages; print
#                             their directory (root/ holds the files)
#   debian.sh run CMD...      run CMD in the sid build root (as root; the
#                             checkout, the kernel source and $CACHE/debian
#                             are mounted at their own paths)
#
# DEBIAN_KERNEL=7.2.13+deb14 picks a kernel (default: sid's linux-image-amd64).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/debian.sh"
top=$(dirname "$here")

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
chroot) debian_chroot ;;
fetch) debian_fetch ;;
versions)
	echo "release $(debian_release)"
	echo "package-version $(debian_pkgver)"
	echo "source $(debian_source)"
	dir=$(debian_fetch)
	sed 's/^/package /' "$dir/versions"
	cfg=$(debian_headers)/.config
	for o in CC_VERSION_TEXT RUSTC_VERSION_TEXT BINDGEN_VERSION_TEXT PAHOLE_VERSION AS_VERSION; do
		echo "config $o=$(sed -n "s/^CONFIG_$o=//p" "$cfg")"
	done
	root=$(debian_chroot)
	sed 's/^/chroot /' "$(dirname "$root")/packages" | grep -E "^chroot ($(echo "${DEBIAN_TOOLCHAIN_PACKAGES[@]}" | tr ' ' '|')) "
	;;
run)
	[ $# -gt 0 ] || die "usage: debian.sh run CMD..."
	root=$(debian_chroot)
	mkdir -p "$DEBIAN_CACHE/kernel"
	DEBIAN_BINDS="$top $CACHE/src $DEBIAN_CACHE/kernel" debian_in_chroot "$root" "$@"
	;;
*) die "usage: debian.sh versions|chroot|fetch|run CMD..." ;;
esac
