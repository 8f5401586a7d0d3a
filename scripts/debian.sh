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
#   debian.sh kdir            build the KDIR for Debian's kernel (linux-source
#                             + Debian's .config, rust/ built in the chroot,
#                             Debian's Module.symvers); print its path
#   debian.sh build [ARGS]    make KERNEL=debian: the Rust livepatch modules
#                             of this checkout for it (in the chroot, with
#                             everything above); print the directory of the
#                             .ko files (out/debian/<release>)
#   debian.sh build-c [ARGS]  build the kernel's C livepatch samples and
#                             selftest modules against Debian's headers
#                             package; print their directory
#   debian.sh modules         the guests' copy of the kernel's own modules
#                             (with modules.dep); print the cpio's path
#   debian.sh check [KO...]   the KDIR's headers are Debian's, and (with
#                             check-symvers.sh) the modules (default: all
#                             built above) use only what Debian's kernel
#                             exports, Rust crates under its hashes
#   debian.sh qemu            boot Debian's vmlinuz in QEMU, load the Rust
#                             sample, show /proc/cmdline patched, disable
#                             and remove it (qemu-run.sh sample)
#   debian.sh all             every step above in order, with each one's time
#   debian.sh run CMD...      run CMD in the sid build root (as root; the
#                             checkout, the kernel source, $CACHE/debian and
#                             the directories of CMD's M= and MO= arguments
#                             are mounted at their own paths; RUSTC and
#                             CARGO_TARGET_DIR are passed): the toolchain
#                             prefix of KERNEL=debian (scripts/lib/kernel-debian.sh)
#
# DEBIAN_KERNEL=7.2.13+deb14 picks a kernel by ABI name (default: the one
# sid's linux-image-amd64 depends on); DEBIAN_FLAVOUR (amd64) and DEBIAN_SUITE
# (sid) the rest. Needs root (debootstrap, chroot, mount namespace).
# Functions for other scripts: scripts/lib/debian.sh (debian_kdir prints the
# KDIR, debian_chroot_run runs a command in the build root...); the kernel
# selector's flavour: scripts/lib/kernel-debian.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/debian.sh"
top=$(dirname "$here")
debian_resolve

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
chroot) debian_chroot ;;
fetch) debian_fetch ;;
kdir) debian_kdir ;;
build)
	KERNEL=debian "$here/build.sh" "$@" >&2
	(KERNEL=debian && kernel_select name && kernel_modules_dir)
	;;
build-c) debian_build_c "$@" ;;
modules) debian_guest_modules ;;
qemu) KERNEL=debian exec "$here/qemu-run.sh" sample ;;
all)
	times=()
	for step in chroot fetch kdir build-c modules build check qemu; do
		t0=$SECONDS
		"$0" "$step"
		times+=("$step $((SECONDS - t0)) s")
	done
	printf '%s\n' "${times[@]}"
	;;
check)
	debian_verify_kdir "$(debian_kdir)"
	if [ $# = 0 ]; then
		KERNEL=debian "$here/check-symvers.sh"
	else
		"$here/check-symvers.sh" "$(debian_headers)/Module.symvers" "$@"
	fi
	;;
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
	# A patch directory of the user's, or its output directory, may be
	# anywhere: mounted too.
	for a in "$@"; do
		case "$a" in
		M=/* | MO=/*)
			d=${a#*=}
			mkdir -p "$d"
			DEBIAN_EXTRA_BINDS="${DEBIAN_EXTRA_BINDS:-} $d"
			;;
		esac
	done
	DEBIAN_PASS_ENV="RUSTC CARGO_TARGET_DIR" debian_chroot_run "$@"
	;;
*) die "usage: debian.sh versions|chroot|fetch|kdir|build|build-c|modules|check|qemu|all|run CMD..." ;;
esac
