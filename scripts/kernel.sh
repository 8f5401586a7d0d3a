#!/usr/bin/env bash
# The kernel tree in use (scripts/lib/kernel.sh: KERNEL=test|debug, or KDIR),
# and the builder of the test kernels: Debian's linux-source-$KVER,
# tinyconfig plus kernel/test-kernel.config (plus kernel/debug.config for
# KERNEL=debug), built out of tree into a cache directory keyed by source
# version, config fragments and toolchain, and reused while unchanged.
# KERNEL=rust-fentry is the test kernel's config built by rustc >= 1.98 with
# KRUSTFLAGS=-Zinstrument-mcount=fentry in a sid root, from a copy of the
# source whose Rust target spec allows it (scripts/lib/rust-fentry.sh).
#
#   kernel.sh build   build the selected test kernel if needed; print its tree
#   kernel.sh dir     print the selected tree (no build, no check)
#   kernel.sh env     print the selection: tree, toolchain, make arguments
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
top=$(dirname "$here")

# build_test_kernel FLAVOUR: build the test kernel FLAVOUR (test, debug or
# rust-fentry) if it is not built; print its build directory. The build's
# duration in seconds goes to .build-seconds in it.
build_test_kernel() {
	local flavour=$1 out src pkgver
	out=$(test_kernel_dir "$flavour")
	test_kernel_frags "$flavour"
	src=$CACHE/src/linux-source-$KVER
	pkgver=$(cat "$KSRC_VERSION_FILE")
	test_kernel_make_args
	KRUN=()
	if [ "$flavour" = rust-fentry ]; then
		# Its toolchain, in its root.
		mapfile -t KMAKE_ARGS < <(rust_fentry_kmake_args)
		KRUN=(rust_fentry_krun)
	fi
	KDIR=$src
	tmake() { kmake -s O="$out" "$@"; }

	if [ ! -f "$out/.rust-livepatch-built" ]; then
		# One kernel build at a time on the machine (2 cores): a second
		# caller waits, then finds the tree built.
		build_lock
	fi
	if [ ! -f "$out/.rust-livepatch-built" ]; then
		if [ ! -f "$src/.unpacked-$pkgver" ]; then
			log "unpacking linux-source-$KVER $pkgver"
			rm -rf "$src"
			mkdir -p "$CACHE/src/unpack.tmp"
			tar -xJf "$KSRC_TARBALL" -C "$CACHE/src/unpack.tmp"
			mv "$CACHE/src/unpack.tmp/linux-source-$KVER" "$src"
			rmdir "$CACHE/src/unpack.tmp"
			touch "$src/.unpacked-$pkgver"
		fi
		# The variant's source: a copy with the kernel-side change it needs.
		[ "$flavour" != rust-fentry ] || KDIR=$(rust_fentry_source "$src")
		mkdir -p "$out"
		log "building the $flavour kernel $pkgver in $out (5 to 15 minutes on 2 cores)"
		local t0=$SECONDS
		if [ ! -f "$out/.config" ]; then
			tmake tinyconfig >/dev/null
			"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${TEST_KERNEL_FRAGS[@]}" >/dev/null
			tmake olddefconfig >/dev/null
			# Kconfig silently drops options whose dependencies are unmet.
			local opt missing=0
			while IFS= read -r opt; do
				grep -qx -- "$opt" "$out/.config" || { log "config: $opt requested, not set"; missing=1; }
			done < <(cat "${TEST_KERNEL_FRAGS[@]}" | grep -E '^CONFIG_[A-Z0-9_]+=')
			[ "$missing" = 0 ] || die "the kernel configuration lacks options of ${TEST_KERNEL_FRAGS[*]} (see above)"
		fi
		tmake rustavailable >/dev/null || die "the kernel does not accept this Rust toolchain"
		tmake -j"$(nproc)" bzImage modules >&2
		log "$flavour kernel built in $((SECONDS - t0)) s"
		echo "$((SECONDS - t0))" >"$out/.build-seconds"
		touch "$out/.rust-livepatch-built"
	fi
	echo "$out"
}

case "${1:-}" in
build)
	kernel_select build
	echo "$KDIR"
	;;
dir)
	kernel_select name
	echo "$KDIR"
	;;
env)
	kernel_select dir
	printf 'KERNEL=%s\nKDIR=%s\nKRUSTC=%s\nKCARGO=%s\nKRUN=%s\nLIBCLANG_PATH=%s\nKMAKE_ARGS=%s\n' \
		"$KERNEL_NAME" "$KDIR" "$KRUSTC" "$KCARGO" "${KRUN[*]}" "$LIBCLANG_PATH" "${KMAKE_ARGS[*]}"
	;;
build-test-kernel) build_test_kernel "${2:-test}" ;;
*) die "usage: [KERNEL=test|debug|rust-fentry] [KDIR=/path] kernel.sh build|dir|env" ;;
esac
