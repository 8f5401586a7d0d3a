// SPDX-License-Identifier: GPL-2.0

//! Negative test: `c_start` names several local functions in vmlinux
//! (fs/proc/cpuinfo.c and another seq_file), and `sympos` 0 claims the name is
//! unique. `insmod` must fail with `livepatch: unresolvable ambiguity for
//! symbol 'c_start' in object '(null)'` (sic: the kernel's wording for
//! vmlinux in this message).

#[livepatch::patch(
    name = "rust_lp_ambiguous",
    description = "rust-livepatch test: ambiguous target, sympos 0",
    license = "GPL"
)]
mod fix {
    use kernel::{bindings, ffi::c_void};

    /// Never installed: the lookup fails first.
    // SAFETY: never called: the core refuses the ambiguous name before patching.
    // Its signature is c_start()'s (`void *(struct seq_file *, loff_t *)`), as `klp` checks.
    // `unchecked_signature`: the c_starts of several files share the name, and
    // pahole may leave such a name out of BTF (the rust-fentry kernel does).
    #[unsafe(livepatch(target = "c_start", unchecked_signature))]
    unsafe extern "C" fn replacement(_m: *mut bindings::seq_file, _pos: *mut i64) -> *mut c_void {
        core::ptr::null_mut()
    }
}
