// SPDX-License-Identifier: GPL-2.0

//! Rust port of tools/testing/selftests/livepatch/test_modules/test_klp_livepatch.c:
//! `/proc/cmdline` reads "test_klp_livepatch: this has been live patched".

#[path = "common/seq_patched.rs"]
mod seq_patched;

#[livepatch::patch(
    name = "test_klp_livepatch",
    authors = ["Seth Jennings <sjenning@redhat.com>"],
    description = "Livepatch test: livepatch module",
    license = "GPL",
)]
mod fix {
    use kernel::{
        bindings,
        ffi::{c_int, c_void},
    };

    /// The new `cmdline_proc_show()`.
    // SAFETY: same signature as `cmdline_proc_show()` in fs/proc/cmdline.c:
    // `int (struct seq_file *, void *)`.
    #[unsafe(livepatch)]
    unsafe extern "C" fn cmdline_proc_show(m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
        // SAFETY: called as the original, with the `seq_file` of a read.
        unsafe { crate::seq_patched::show(m, c"test_klp_livepatch") }
    }
}
