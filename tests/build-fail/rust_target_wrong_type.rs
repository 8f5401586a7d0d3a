// SPDX-License-Identifier: GPL-2.0

//! A Rust target named by path has its type checked by the compiler against
//! the kernel crate's metadata: `kernel::error::Error::name` returns
//! `Option<&'static CStr>`, and it has the Rust ABI. (The expected type is
//! matched from its `fn`: rustc 1.96 writes `unsafe for<'a> fn`, 1.97
//! `for<'a> unsafe fn`.)
//
// EXPECT: found fn item `for<'a> fn(&'a kernel::error::Error) -> Option<&'static CStr> {kernel::error::Error::name}`
// EXPECT: fn(&'a kernel::error::Error) -> Option<&'static [u8]>`
// EXPECT: expected "C" fn, found "Rust" fn

#[livepatch::patch(license = "GPL")]
mod fix {
    use kernel::error::Error;

    // SAFETY: wrong on purpose: the return type is not the target's.
    #[unsafe(livepatch(target = kernel::error::Error::name))]
    fn name(_e: &Error) -> Option<&'static [u8]> {
        None
    }

    // SAFETY: wrong on purpose: the target has the Rust ABI.
    #[unsafe(livepatch(target = kernel::error::Error::to_errno))]
    extern "C" fn to_errno(_e: Error) -> i32 {
        0
    }
}
