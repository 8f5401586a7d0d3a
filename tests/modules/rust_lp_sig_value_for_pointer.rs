// SPDX-License-Identifier: GPL-2.0

//! Wrong on purpose: a `u64` where `cmdline_proc_show()` takes a `void *` (same size, another class).
//! `klp build` refuses it (scripts/check-signatures.sh) and `klp load`
//! refuses it before the kernel sees it (scripts/guest/tests.d/67-signatures.sh),
//! each with the message below: the tests never load it.
//
// EXPECT: cmdline_proc_show: parameter 2 `v`: the replacement has `u64` (8 bytes, unsigned integer), the kernel has `void *` (pointer)

#[livepatch::patch(
    description = "rust-livepatch test: wrong signature, an integer for a pointer",
    license = "GPL"
)]
mod fix {
    use kernel::{bindings, ffi::c_int};

    // SAFETY: wrong: the second parameter is a pointer.
    #[unsafe(livepatch)]
    unsafe extern "C" fn cmdline_proc_show(_m: *mut bindings::seq_file, _v: u64) -> c_int {
        0
    }
}
