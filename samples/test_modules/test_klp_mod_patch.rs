// SPDX-License-Identifier: GPL-2.0

//! Rust port of tools/testing/selftests/livepatch/test_modules/test_klp_mod_patch.c:
//! patches `test_klp_mod_target_show()` of the C module test_klp_mod_target.

#[path = "common/seq_patched.rs"]
mod seq_patched;

#[livepatch::patch(
    name = "test_klp_mod_patch",
    authors = ["Pablo Hugen <phugen@redhat.com>"],
    description = "Livepatch test: patch for module-provided function",
    license = "GPL",
)]
mod fix {
    use kernel::{
        bindings,
        ffi::{c_int, c_void},
    };

    /// The new `test_klp_mod_target_show()`.
    // SAFETY: same signature as `test_klp_mod_target_show()` in
    // tools/testing/selftests/livepatch/test_modules/test_klp_mod_target.c:
    // `int (struct seq_file *, void *)`.
    #[unsafe(livepatch(object = "test_klp_mod_target"))]
    unsafe extern "C" fn test_klp_mod_target_show(
        m: *mut bindings::seq_file,
        _v: *mut c_void,
    ) -> c_int {
        // SAFETY: called as the original, with the `seq_file` of a read.
        unsafe { crate::seq_patched::show(m, c"test_klp_mod_patch") }
    }
}
