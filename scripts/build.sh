#!/usr/bin/env bash
# Build the proc-macro crate (with the kernel's own rustc) and every Rust
# livepatch module of this checkout against the selected kernel
# (scripts/lib/kernel.sh: KERNEL=test|debug, or KDIR=/path/to/build).
#
#   scripts/build.sh [make args...]
#
# The test kernel is built first if it is not. A KDIR of your own must be a
# configured and built tree with CONFIG_RUST=y and CONFIG_LIVEPATCH=y.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
top=$(dirname "$here")

kernel_select build

# A proc macro only loads into the rustc that compiled it (KRUSTC: the
# kernel's, found by kernel_select).
[ -x "$KCARGO" ] || die "no cargo at $KCARGO (set CARGO_FOR_KERNEL)"
macros_target=$top/target/kernel-rustc
RUSTC=$KRUSTC CARGO_TARGET_DIR=$macros_target \
	"${KRUN[@]}" "$KCARGO" build --quiet --release --locked -p livepatch-macros \
	--manifest-path "$top/Cargo.toml"
macros=$macros_target/release/liblivepatch_macros.so
[ -f "$macros" ] || die "cargo did not produce $macros"

kmake M="$top" RUST_LIVEPATCH="$top" LIVEPATCH_MACROS="$macros" -j"$(nproc)" "$@"
