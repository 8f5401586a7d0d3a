// SPDX-License-Identifier: GPL-2.0

//! Wrong on purpose: a `struct inode *` where `cmdline_proc_show()` takes a `struct seq_file *`.
//! `klp build` refuses it (scripts/check-signatures.sh) and `klp load`
//! refuses it before the kernel sees it (scripts/guest/tests.d/67-signatures.sh),
//! each with the message below: the tests never load it.
//
// EXPECT: cmdline_proc_show: parameter 1 `m`: the replacement has `*mut bindings::inode` (pointer), the kernel has `struct seq_file *` (pointer); the replacement points to `inode`, the kernel to `struct seq_file`

#[livepatch::patch(
    description = "rust-livepatch test: wrong signature, a pointer to the wrong struct",
    license = "GPL"
)]
mod fix {
    use kernel::{
        bindings,
        ffi::{c_int, c_void},
    };

    // SAFETY: wrong: the first parameter points to a seq_file.
    #[unsafe(livepatch)]
    unsafe extern "C" fn cmdline_proc_show(_m: *mut bindings::inode, _v: *mut c_void) -> c_int {
        0
    }
}
