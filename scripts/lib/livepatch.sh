# What every Rust livepatch module needs, built once per kernel tree rather
# than per module. Source it after common.sh, call kernel_select first.
# shellcheck shell=bash

# livepatch_prepare [MAKE ARGS]: build, if anything changed,
#   - the proc-macro crate, with the kernel's own rustc (KCARGO/KRUSTC: a
#     proc macro only loads into the rustc that built it), in
#     target/kernel-rustc/<rustc version>/;
#   - the `livepatch` crate for $KDIR (rust/livepatch/Kbuild.crate: bindings,
#     layout checks, liblivepatch.rmeta), in target/livepatch/<tree>/;
# and set LP_ARGS, the make arguments a patch directory's Kbuild needs
# (RUST_LIVEPATCH, LIVEPATCH_MACROS, LIVEPATCH_RMETA).
livepatch_prepare() {
	local want have key macros_target macros crate_dir
	# The cargo must be the rustc's version (cargo runs that rustc).
	want=$("${KRUN[@]}" "$KRUSTC" --version | awk '{print $2}')
	have=$("${KRUN[@]}" "$KCARGO" --version 2>/dev/null | awk '{print $2}' || true)
	[ "$want" = "$have" ] ||
		die "cargo $KCARGO is '${have:-missing}', the kernel's rustc $KRUSTC is $want: set CARGO_FOR_KERNEL to a cargo $want"
	key=$("${KRUN[@]}" "$KRUSTC" -vV | sha256sum | cut -c1-12)
	macros_target=$RL_TOP/target/kernel-rustc/$key
	RUSTC=$KRUSTC CARGO_TARGET_DIR=$macros_target \
		"${KRUN[@]}" "$KCARGO" build --quiet --release --locked -p livepatch-macros \
		--manifest-path "$RL_TOP/Cargo.toml"
	macros=$macros_target/release/liblivepatch_macros.so
	[ -f "$macros" ] || die "cargo did not produce $macros"

	# One directory per kernel tree: Kbuild tracks the crate's sources, the
	# tree's headers and rmeta, and the command lines within it.
	key=$(realpath "$KDIR" | sha256sum | cut -c1-12)
	crate_dir=$RL_TOP/target/livepatch/$(basename "$KDIR")-$key
	mkdir -p "$crate_dir"
	echo 'include $(RUST_LIVEPATCH)/rust/livepatch/Kbuild.crate' >"$crate_dir/Kbuild"
	kmake M="$crate_dir" RUST_LIVEPATCH="$RL_TOP" LIVEPATCH_MACROS="$macros" \
		-j"$(nproc)" "$@" modules >&2
	LP_ARGS=(RUST_LIVEPATCH="$RL_TOP" LIVEPATCH_MACROS="$macros"
		LIVEPATCH_RMETA="$crate_dir/liblivepatch.rmeta")
}
