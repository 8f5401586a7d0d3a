// SPDX-License-Identifier: GPL-2.0

//! Rust port of tools/testing/selftests/livepatch/test_modules/test_klp_atomic_replace.c:
//! `/proc/meminfo` reads "test_klp_atomic_replace: this has been live
//! patched"; `replace=1` makes it an atomic-replace patch.

#[path = "common/seq_patched.rs"]
mod seq_patched;

#[livepatch::patch(
    name = "test_klp_atomic_replace",
    authors = ["Joe Lawrence <joe.lawrence@redhat.com>"],
    description = "Livepatch test: atomic replace",
    license = "GPL",
    replace = replace,
)]
mod fix {
    use kernel::{
        bindings,
        ffi::{c_int, c_void},
    };

    #[param(perm = 0o644, description = "replace (default=0)")]
    static replace: livepatch::IntParam = livepatch::IntParam::new(0);

    /// The new `meminfo_proc_show()`.
    // SAFETY: same signature as `meminfo_proc_show()` in fs/proc/meminfo.c:
    // `int (struct seq_file *, void *)`.
    #[unsafe(livepatch)]
    unsafe extern "C" fn meminfo_proc_show(m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
        // SAFETY: called as the original, with the `seq_file` of a read.
        unsafe { crate::seq_patched::show(m, c"test_klp_atomic_replace") }
    }
}
