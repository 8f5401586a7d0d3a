// SPDX-License-Identifier: GPL-2.0

//! An `#[inline]` Rust function has no one symbol in the kernel: naming it
//! by path makes the compiler copy it into the patch, and `klp post-link`
//! (run by the build) refuses the module.
//
// EXPECT: is compiled into this patch module itself: it is an #[inline] or generic Rust function

#[livepatch::patch(license = "GPL")]
mod fix {
    use kernel::{alloc::AllocError, error::Error};

    // SAFETY: same type as the target (the compiler checks it); the target
    // is `#[inline]` (rust/kernel/error.rs).
    #[unsafe(livepatch(target = <kernel::error::Error as core::convert::From<kernel::alloc::AllocError>>::from))]
    fn from(_e: AllocError) -> Error {
        kernel::error::code::ENOMEM
    }
}
