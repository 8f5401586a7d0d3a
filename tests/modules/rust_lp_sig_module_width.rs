// SPDX-License-Identifier: GPL-2.0

//! Wrong on purpose: a `u32` where the module function `dummy_check()` (samples/livepatch/livepatch-shadow-mod.c) takes an `unsigned long`.
//! `klp build` refuses it (scripts/check-signatures.sh) and `klp load`
//! refuses it before the kernel sees it (scripts/guest/tests.d/67-signatures.sh),
//! each with the message below: the tests never load it.
//
// EXPECT: livepatch_shadow_mod:dummy_check: parameter 2 `jiffies`: the replacement has `u32` (4 bytes, unsigned integer), the kernel has `unsigned long` (8 bytes, unsigned integer)

#[livepatch::patch(
    description = "rust-livepatch test: wrong signature, a module function's parameter too narrow",
    license = "GPL"
)]
mod fix {
    use kernel::ffi::c_void;

    // SAFETY: wrong: dummy_check() takes an unsigned long.
    #[unsafe(livepatch(object = "livepatch_shadow_mod"))]
    unsafe extern "C" fn dummy_check(_d: *mut c_void, _jiffies: u32) -> bool {
        false
    }
}
