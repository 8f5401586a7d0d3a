#!/usr/bin/env bash
# Build the proc-macro crate (with the kernel's own rustc) and every Rust
# livepatch module of this checkout against KDIR.
#
#   KDIR=/path/to/kernel/build scripts/build.sh [--dir DIR] [make args...]
#
# --dir DIR builds the modules of DIR (a Kbuild and its .rs files) instead
# of this checkout's.
# KDIR defaults to the cached test kernel (built on first use). A KDIR of
# your own must be a configured and built tree with CONFIG_RUST=y and
# CONFIG_LIVEPATCH=y.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
top=$(dirname "$here")

moddir=$top
if [ "${1:-}" = --dir ]; then
	moddir=$(cd "$2" && pwd)
	shift 2
fi

RUSTC=${RUSTC:-/usr/bin/rustc}
CARGO_FOR_KERNEL=${CARGO_FOR_KERNEL:-/usr/bin/cargo}

if [ -z "${KDIR:-}" ]; then
	KDIR=$("$here/kernel.sh" build)
fi
check_kdir "$KDIR"

# A proc macro only loads into the rustc that compiled it.
want=$(sed -n 's/^CONFIG_RUSTC_VERSION_TEXT="\(.*\)"/\1/p' "$KDIR/.config")
have=$("$RUSTC" --version 2>/dev/null || true)
[ "$want" = "$have" ] ||
	die "$KDIR was built with '$want' but RUSTC=$RUSTC is '$have': set RUSTC to the kernel's rustc"
[ -x "$CARGO_FOR_KERNEL" ] || die "no cargo at $CARGO_FOR_KERNEL (set CARGO_FOR_KERNEL)"

macros_target=$top/target/kernel-rustc
RUSTC=$RUSTC CARGO_TARGET_DIR=$macros_target \
	"$CARGO_FOR_KERNEL" build --quiet --release --locked -p livepatch-macros \
	--manifest-path "$top/Cargo.toml"
macros=$macros_target/release/liblivepatch_macros.so
[ -f "$macros" ] || die "cargo did not produce $macros"

args=(RUSTC="$RUSTC" "BINDGEN=$BINDGEN")
if grep -qx 'CONFIG_CC_IS_CLANG=y' "$KDIR/.config"; then
	args+=("LLVM=${LLVM:--19}")
fi
make -C "$KDIR" M="$moddir" "${args[@]}" RUST_LIVEPATCH="$top" LIVEPATCH_MACROS="$macros" \
	-j"$(nproc)" "$@"

# After the final link: the modules' references to non-exported symbols
# (.klp.sym.*) become klp relocations (tools/klp/README.md, post-link). Never
# a manual step: a module that skipped it refuses to enable. The
# *_unconverted test modules stand for one that skipped it.
[ "${1:-}" = clean ] && exit 0
"${HOST_CARGO:-cargo}" build --quiet --release --locked -p klp --manifest-path "$top/Cargo.toml"
mapfile -t kos < <(sed -n 's/\.o$/.ko/p' "$moddir/modules.order" | grep -v '_unconverted\.ko$')
[ "${#kos[@]}" = 0 ] || (cd "$moddir" && "$top/target/release/klp" post-link "${kos[@]}")
