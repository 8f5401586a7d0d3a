# KERNEL=rust-fentry (scripts/lib/kernel.sh): the test kernel's config built
# by rustc >= 1.98 with KRUSTFLAGS=-Zinstrument-mcount=fentry, where Rust
# functions are ftrace sites and so livepatch targets. Every toolchain command
# (make, rustc, cargo) runs in its sid root (scripts/lib/rust-fentry.sh):
# needs root. Source it; do not run it.
# shellcheck shell=bash

# shellcheck source=debian.sh
. "$RL_TOP/scripts/lib/debian.sh"
# shellcheck source=rust-fentry.sh
. "$RL_TOP/scripts/lib/rust-fentry.sh"

# kernel_select_rust-fentry MODE: the contract of scripts/lib/kernel.sh.
kernel_select_rust-fentry() {
	local mode=$1
	if [ "$mode" = build ]; then
		KDIR=$("$RL_TOP/scripts/kernel.sh" build-test-kernel rust-fentry)
	else
		KDIR=$(test_kernel_dir rust-fentry)
	fi
	[ "$mode" != name ] || return 0
	[ -f "$KDIR/.rust-livepatch-built" ] ||
		die "the rust-fentry kernel is not built yet ($KDIR): run scripts/rust-fentry.sh kernel"
	rust_fentry_toolchain_select
}
