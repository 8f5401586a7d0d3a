// SPDX-License-Identifier: GPL-2.0

//! Negative test: `c_start` has a few occurrences in vmlinux (two to four,
//! depending on the configuration), and `sympos = 100` asks for the
//! hundredth. `insmod` must fail with `livepatch: symbol position 100 for
//! symbol 'c_start' in object 'vmlinux' not found`.

#[livepatch::patch(
    description = "rust-livepatch test: sympos past the last occurrence",
    license = "GPL"
)]
mod fix {
    use kernel::{bindings, ffi::c_void};

    /// Never installed: the lookup fails first.
    // SAFETY: never called: the core finds no hundredth `c_start`.
    // Its signature is c_start()'s (`void *(struct seq_file *, loff_t *)`), as `klp` checks.
    // `unchecked_signature`: the c_starts of several files share the name, and
    // pahole may leave such a name out of BTF (the rust-fentry kernel does).
    #[unsafe(livepatch(target = "c_start", sympos = 100, unchecked_signature))]
    unsafe extern "C" fn replacement(_m: *mut bindings::seq_file, _pos: *mut i64) -> *mut c_void {
        core::ptr::null_mut()
    }
}
