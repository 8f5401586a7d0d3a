// SPDX-License-Identifier: GPL-2.0

//! Negative test: a patch whose target does not exist in vmlinux.
//!
//! `insmod` must fail cleanly (`klp_enable_patch()` returns `-EINVAL`), the
//! kernel log must say `symbol 'rust_livepatch_no_such_function' not found in
//! symbol table`, and nothing may be left in /sys/kernel/livepatch.

#[livepatch::patch(
    name = "rust_lp_missing_target",
    description = "rust-livepatch test: target symbol does not exist",
    license = "GPL"
)]
mod fix {
    /// Would replace a function no kernel has.
    // SAFETY: never called: the target does not exist, so the core refuses the patch.
    // (Nor is it in BTF: `unchecked_signature` lets `klp load` hand it to the kernel.)
    #[unsafe(livepatch(target = "rust_livepatch_no_such_function", unchecked_signature))]
    unsafe extern "C" fn replacement() {}
}
