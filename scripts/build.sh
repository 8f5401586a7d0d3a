#!/usr/bin/env bash
# Build every Rust livepatch module of this checkout against the selected
# kernel (scripts/lib/kernel.sh: KERNEL=test|debug, or KDIR=/path/to/build):
# first what all of them share, once per kernel tree (the proc macro, the
# `livepatch` crate: scripts/lib/livepatch.sh), then the modules; then check
# that no module carries a function of the crate it does not call
# (scripts/ko_crate_check.py).
#
#   scripts/build.sh [make args...]    e.g. V=1
#   scripts/build.sh clean             remove what the build left in the checkout
#
# The test kernel is built first if it is not (about 8 minutes). A KDIR of
# your own must be a configured and built tree with CONFIG_RUST=y,
# CONFIG_LIVEPATCH=y and CONFIG_MODULES=y.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/livepatch.sh"
top=$(dirname "$here")

if [ "${1:-}" = clean ]; then
	# Only what a build left in the checkout: no kernel built for it.
	kernel_select name
	[ -f "$KDIR/Module.symvers" ] || exit 0
	kernel_select dir
	kmake M="$top" RUST_LIVEPATCH="$top" clean
	exit 0
fi
kernel_select build
livepatch_prepare
kmake M="$top" "${LP_ARGS[@]}" -j"$(nproc)" "$@"

# Every module of the checkout.
mapfile -t kos < <(cd "$top" && find samples tests bench -name '*.ko' | sort)
[ "${#kos[@]}" = 0 ] || (cd "$top" && "$here/ko_crate_check.py" --crate livepatch "${kos[@]}")
