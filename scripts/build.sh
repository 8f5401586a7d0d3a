#!/usr/bin/env bash
# Build every Rust livepatch module of this checkout (or of a patch directory)
# against the selected kernel (scripts/lib/kernel.sh: KERNEL=test|debug, or
# KDIR=/path/to/build): first what all of them share, once per kernel tree
# (the proc macro, the `livepatch` crate: scripts/lib/livepatch.sh), then the
# modules; then, after their final link, `klp post-link` turns their
# references to non-exported symbols into klp relocations; last, check that
# no module carries a function of the crate it does not call
# (scripts/ko_crate_check.py).
#
#   scripts/build.sh [--dir DIR] [make args...]   e.g. V=1
#   scripts/build.sh clean             remove what the build left in the checkout
#
# --dir DIR builds the modules of DIR (a Kbuild and its .rs files) instead
# of this checkout's. The test kernel is built first if it is not (about 8
# minutes). A KDIR of your own must be a configured and built tree with
# CONFIG_RUST=y, CONFIG_LIVEPATCH=y and CONFIG_MODULES=y.
#
# For `klp build` (tools/klp), which runs this script: KLP_BIN=/path/to/klp
# runs that klp for post-link instead of building it; KLP_BUILD_REPORT=FILE
# receives the kernel tree (kdir=PATH) and every module built (ko=PATH).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/livepatch.sh"
top=$(dirname "$here")

if [ "${1:-}" = clean ]; then
	# Only what a build left in the checkout: no kernel built for it.
	kernel_select name
	if [ -n "$KMO" ]; then
		rm -rf "$KMO"
		exit 0
	fi
	[ -f "$KDIR/Module.symvers" ] || exit 0
	kernel_select dir
	kmake M="$top" RUST_LIVEPATCH="$top" clean
	exit 0
fi
moddir=$top
if [ "${1:-}" = --dir ]; then
	moddir=$(cd "$2" && pwd)
	shift 2
fi
kernel_select build
livepatch_prepare
# Where the objects go: this checkout's modules where the selected kernel
# keeps them (kernel_modules_dir: next to the sources, or apart for a kernel
# whose modules must not mix with the test kernel's); a patch directory's in
# that directory.
objdir=$moddir
mo=()
if [ "$moddir" = "$top" ] && [ "$(kernel_modules_dir)" != "$top" ]; then
	objdir=$(kernel_modules_dir)
	mkdir -p "$objdir"
	mo=(MO="$objdir")
	# Kbuild refuses an MO= build while the source directory holds a
	# modules.order ("The external module source tree is not clean"): the
	# one an in-place build for another kernel (the test kernel's) left.
	# Set aside for this build, put back afterwards.
	if [ -f "$moddir/modules.order" ]; then
		mv "$moddir/modules.order" "$moddir/modules.order.in-place"
		trap 'mv "$moddir/modules.order.in-place" "$moddir/modules.order"' EXIT
	fi
fi
kmake M="$moddir" ${mo[@]+"${mo[@]}"} "${LP_ARGS[@]}" -j"$(nproc)" "$@"

# A replacement's body is named `$livepatch_<fn>`, which kallsyms takes for
# a mapping symbol and does not list, so that the entry stub's size (the
# distance to the next listed symbol) covers it: the livepatch core finds a
# task in the body inside the replacement (entry() in
# rust/livepatch-macros/src/expand.rs). A kernel with function padding
# (FUNCTION_PADDING_BYTES, Debian's: 16) makes objtool name each function's
# padding `__pfx_<name>`: `__pfx_$livepatch_<fn>`, between the stub and the
# body, would end the stub there and let a transition finish while a task
# still runs the body. Renamed `$__pfx_livepatch_<fn>` (unlisted) right after
# the link, before klp post-link.
mapfile -t kos < <(sed -n 's/\.o$/.ko/p' "$objdir/modules.order")
for ko in ${kos[@]+"${kos[@]}"}; do
	mapfile -t pfx < <(readelf -sW "$objdir/$ko" | awk '$8 ~ /^__pfx_\$/ { print $8 }')
	[ "${#pfx[@]}" != 0 ] || continue
	args=()
	for p in "${pfx[@]}"; do args+=(--redefine-sym "$p=\$__pfx_${p#__pfx_\$}"); done
	objcopy "${args[@]}" "$objdir/$ko"
	echo "$ko: ${#pfx[@]} padding symbols of replacement bodies renamed \$__pfx_* (not listed by kallsyms)"
done

# After the final link: the modules' references to non-exported symbols
# (.klp.sym.*) become klp relocations (tools/klp/README.md, post-link). Never
# a manual step: a module that skipped it refuses to enable. The
# *_unconverted test modules stand for one that skipped it.
klp=${KLP_BIN:-}
if [ -z "$klp" ]; then
	"${HOST_CARGO:-cargo}" build --quiet --release --locked -p klp --manifest-path "$top/Cargo.toml"
	klp=$top/target/release/klp
fi
mapfile -t kos < <(sed -n 's/\.o$/.ko/p' "$objdir/modules.order" | grep -v '_unconverted\.ko$')
[ "${#kos[@]}" = 0 ] || (cd "$objdir" && "$klp" post-link "${kos[@]}")
if [ -n "${KLP_BUILD_REPORT:-}" ]; then
	{
		echo "kdir=$KDIR"
		sed -n "s|\.o\$|.ko|; s|^|ko=$objdir/|p" "$objdir/modules.order"
	} >"$KLP_BUILD_REPORT"
fi

if [ "$moddir" = "$top" ]; then
	# Every module of the checkout.
	mapfile -t kos < <(cd "$objdir" && find samples tests bench -name '*.ko' | sort)
	[ "${#kos[@]}" = 0 ] || (cd "$objdir" && "$here/ko_crate_check.py" --crate livepatch "${kos[@]}")
fi
