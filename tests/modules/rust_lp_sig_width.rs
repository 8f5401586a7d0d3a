// SPDX-License-Identifier: GPL-2.0

//! Wrong on purpose: an `i64` where `apply_mlockall_flags()` (mm/mlock.c) takes an `int`.
//! `klp build` refuses it (scripts/check-signatures.sh) and `klp load`
//! refuses it before the kernel sees it (scripts/guest/tests.d/67-signatures.sh),
//! each with the message below: the tests never load it.
//
// EXPECT: apply_mlockall_flags: parameter 1 `flags`: the replacement has `i64` (8 bytes, signed integer), the kernel has `int` (4 bytes, signed integer)

#[livepatch::patch(
    description = "rust-livepatch test: wrong signature, a parameter too wide",
    license = "GPL"
)]
mod fix {
    use kernel::ffi::c_int;

    // SAFETY: wrong: apply_mlockall_flags() takes an int.
    #[unsafe(livepatch)]
    unsafe extern "C" fn apply_mlockall_flags(_flags: i64) -> c_int {
        0
    }
}
