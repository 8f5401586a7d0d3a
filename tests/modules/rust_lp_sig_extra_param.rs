// SPDX-License-Identifier: GPL-2.0

//! Wrong on purpose: one parameter more than `cmdline_proc_show()` has.
//! `klp build` refuses it (scripts/check-signatures.sh) and `klp load`
//! refuses it before the kernel sees it (scripts/guest/tests.d/67-signatures.sh),
//! each with the message below: the tests never load it.
//
// EXPECT: cmdline_proc_show: parameter 3 `_extra`: the replacement has `c_int` (4 bytes, signed integer), the kernel's function has only 2 parameters

#[livepatch::patch(
    description = "rust-livepatch test: wrong signature, a parameter too many",
    license = "GPL"
)]
mod fix {
    use kernel::{
        bindings,
        ffi::{c_int, c_void},
    };

    // SAFETY: wrong: cmdline_proc_show() takes two parameters.
    #[unsafe(livepatch)]
    unsafe extern "C" fn cmdline_proc_show(
        _m: *mut bindings::seq_file,
        _v: *mut c_void,
        _extra: c_int,
    ) -> c_int {
        0
    }
}
