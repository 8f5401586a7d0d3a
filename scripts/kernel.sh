#!/usr/bin/env bash
# The rust-livepatch test kernel: Debian's linux-source-$KVER, tinyconfig plus
# kernel/test-kernel.config, built out of tree into a cache directory keyed by
# source version, config fragments and toolchain, and reused while unchanged.
#
#   kernel.sh build   build if needed; print the build directory
#   kernel.sh dir     print the build directory (no build)
#
# KERNEL_FLAVOUR=debug adds kernel/debug.config (KASAN, lockdep, kmemleak...)
# and has its own cache directory. KERNEL_FLAVOUR=rust-fentry is the same
# config built by rustc >= 1.98 with KRUSTFLAGS=-Zinstrument-mcount=fentry in
# a sid root (scripts/lib/rust-fentry.sh), its Rust functions ftrace sites.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
top=$(dirname "$here")

cmd=${1:-build}
flavour=${KERNEL_FLAVOUR:-test-kernel}
frags=("$top/kernel/test-kernel.config")
case "$flavour" in
test-kernel) ;;
debug) frags+=("$top/kernel/debug.config") ;;
rust-fentry)
	. "$here/lib/debian.sh"
	. "$here/lib/rust-fentry.sh"
	;;
*) die "unknown KERNEL_FLAVOUR=$flavour (test-kernel, debug or rust-fentry)" ;;
esac
[ -s "$KSRC_VERSION_FILE" ] || die "kernel source not fetched: run scripts/setup.sh"

src=$CACHE/src/linux-source-$KVER
pkgver=$(cat "$KSRC_VERSION_FILE")

toolchain() {
	if [ "$flavour" = rust-fentry ]; then
		rust_fentry_toolchain
		return
	fi
	/usr/bin/rustc --version
	clang-19 --version | head -n1
	"$BINDGEN" --version
	pahole --version
}

key() {
	{
		echo "$pkgver"
		cat "${frags[@]}"
		toolchain
	} | sha256sum | cut -c1-12
}
out=$CACHE/kernel/$pkgver-$flavour-$(key)

unpack() {
	[ -f "$src/.unpacked-$pkgver" ] && return 0
	log "unpacking linux-source-$KVER $pkgver"
	rm -rf "$src"
	mkdir -p "$CACHE/src/unpack.tmp"
	tar -xJf "$KSRC_TARBALL" -C "$CACHE/src/unpack.tmp"
	mv "$CACHE/src/unpack.tmp/linux-source-$KVER" "$src"
	rmdir "$CACHE/src/unpack.tmp"
	touch "$src/.unpacked-$pkgver"
}

configure() {
	kmake tinyconfig >/dev/null
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${frags[@]}" >/dev/null
	kmake olddefconfig >/dev/null
	# Kconfig silently drops options whose dependencies are unmet.
	local opt missing=0
	while IFS= read -r opt; do
		grep -qx -- "$opt" "$out/.config" || { log "config: $opt requested, not set"; missing=1; }
	done < <(cat "${frags[@]}" | grep -E '^CONFIG_[A-Z0-9_]+=')
	[ "$missing" = 0 ] || die "the kernel configuration lacks options of ${frags[*]} (see above)"
}

kmake() {
	if [ "$flavour" = rust-fentry ]; then
		local args
		mapfile -t args < <(rust_fentry_kmake_args)
		rust_fentry_run make -s -C "$src" O="$out" "${args[@]}" "$@"
	else
		make -s -C "$src" O="$out" "${KMAKE_ARGS[@]}" "$@"
	fi
}

build() {
	[ -f "$out/.rust-livepatch-built" ] && return 0
	# One kernel build at a time on the machine (2 cores): a second caller
	# waits, then finds the tree built.
	build_lock
	[ -f "$out/.rust-livepatch-built" ] && return 0
	unpack
	# The variant's source: a copy with the kernel-side change it needs.
	[ "$flavour" = rust-fentry ] && src=$(rust_fentry_source "$src")
	mkdir -p "$out"
	log "building the $flavour kernel $pkgver in $out (5 to 15 minutes on 2 cores)"
	local t0=$SECONDS
	[ -f "$out/.config" ] || configure
	kmake rustavailable >/dev/null || die "the kernel does not accept this Rust toolchain"
	kmake -j"$(nproc)" bzImage modules
	log "$flavour kernel built in $((SECONDS - t0)) s"
	echo "$((SECONDS - t0))" >"$out/.build-seconds"
	touch "$out/.rust-livepatch-built"
}

case "$cmd" in
build) build; echo "$out" ;;
dir) echo "$out" ;;
*) die "usage: [KERNEL_FLAVOUR=debug|rust-fentry] kernel.sh build|dir" ;;
esac
