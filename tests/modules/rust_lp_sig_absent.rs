// SPDX-License-Identifier: GPL-2.0

//! Wrong on purpose: `__x64_sys_getpid()`, which BTF does not describe, without `unchecked_signature`.
//! `klp build` refuses it (scripts/check-signatures.sh) and `klp load`
//! refuses it before the kernel sees it (scripts/guest/tests.d/67-signatures.sh),
//! each with the message below: the tests never load it.
//
// EXPECT: __x64_sys_getpid: not in
// EXPECT: : the compiler may have inlined it or changed its ABI (.isra, .constprop, dropped arguments), or pahole left it out; its signature cannot be checked; if you checked the signature by hand, mark the replacement `unchecked_signature`

#[livepatch::patch(
    description = "rust-livepatch test: wrong signature, a target BTF does not have",
    license = "GPL"
)]
mod fix {
    use kernel::{bindings, ffi::c_long};

    // SAFETY: the syscall wrapper's signature, but BTF cannot confirm it.
    #[unsafe(livepatch(target = "__x64_sys_getpid"))]
    unsafe extern "C" fn replacement(_regs: *const bindings::pt_regs) -> c_long {
        0
    }
}
