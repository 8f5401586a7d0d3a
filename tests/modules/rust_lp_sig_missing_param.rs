// SPDX-License-Identifier: GPL-2.0

//! Wrong on purpose: one parameter less than `cmdline_proc_show()` has.
//! `klp build` refuses it (scripts/check-signatures.sh) and `klp load`
//! refuses it before the kernel sees it (scripts/guest/tests.d/67-signatures.sh),
//! each with the message below: the tests never load it.
//
// EXPECT: cmdline_proc_show: parameter 2 `v`: missing from the replacement (the kernel has `void *` (pointer), 2 parameters in all)

#[livepatch::patch(
    description = "rust-livepatch test: wrong signature, a parameter too few",
    license = "GPL"
)]
mod fix {
    use kernel::{bindings, ffi::c_int};

    // SAFETY: wrong: cmdline_proc_show() takes two parameters.
    #[unsafe(livepatch)]
    unsafe extern "C" fn cmdline_proc_show(_m: *mut bindings::seq_file) -> c_int {
        0
    }
}
