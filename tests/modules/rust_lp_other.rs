// SPDX-License-Identifier: GPL-2.0

//! The second Rust patch of the consistency tests, the counterpart of
//! klp_c_other.c: replaces `version_proc_show()` too, without sleeping;
//! `replace=1` makes it an atomic-replace patch.

#[livepatch::patch(
    description = "rust-livepatch test: a second Rust patch of version_proc_show",
    license = "GPL",
    replace = replace
)]
mod fix {
    use kernel::{
        bindings,
        ffi::{c_int, c_void},
    };

    #[param(perm = 0o644, description = "replace (default=0)")]
    static replace: livepatch::IntParam = livepatch::IntParam::new(0);

    // SAFETY: same signature as `version_proc_show()` in fs/proc/version.c:
    // `int (struct seq_file *, void *)`.
    #[unsafe(livepatch)]
    unsafe extern "C" fn version_proc_show(m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
        // SAFETY: `m` is the seq_file of the read in progress; the format
        // is a C string whose one `%s` gets a C string.
        unsafe { bindings::seq_printf(m, c"%s\n".as_ptr().cast(), c"rust_lp_other".as_ptr()) };
        0
    }
}
