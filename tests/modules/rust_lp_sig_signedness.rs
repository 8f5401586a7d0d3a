// SPDX-License-Identifier: GPL-2.0

//! Wrong on purpose: a `u32` where `apply_mlockall_flags()` (mm/mlock.c) takes an `int`.
//! `klp build` refuses it (scripts/check-signatures.sh) and `klp load`
//! refuses it before the kernel sees it (scripts/guest/tests.d/67-signatures.sh),
//! each with the message below: the tests never load it.
//
// EXPECT: apply_mlockall_flags: parameter 1 `flags`: the replacement has `u32` (4 bytes, unsigned integer), the kernel has `int` (4 bytes, signed integer)

#[livepatch::patch(
    description = "rust-livepatch test: wrong signature, unsigned for signed",
    license = "GPL"
)]
mod fix {
    use kernel::ffi::c_int;

    // SAFETY: wrong: apply_mlockall_flags() takes a signed int.
    #[unsafe(livepatch)]
    unsafe extern "C" fn apply_mlockall_flags(_flags: u32) -> c_int {
        0
    }
}
