// SPDX-License-Identifier: GPL-2.0

//! Patches a Rust function of vmlinux: `kernel::error::Error::name()`
//! answers `None` for every error on a kernel without
//! CONFIG_SYMBOLIC_ERRNAME (the test kernel); this version names a few. The
//! path is resolved in the kernel tree's `kernel` crate metadata
//! (rust/libkernel.rmeta), which gives the mangled symbol and the type.

#[livepatch::patch(
    description = "rust-livepatch test: patches kernel::error::Error::name() of vmlinux",
    license = "GPL"
)]
mod fix {
    use core::ffi::CStr;
    use kernel::error::{code, Error};

    // SAFETY: the compiler checks that this has the type of
    // `kernel::error::Error::name` (`fn(&Error) -> Option<&'static CStr>`)
    // in the kernel tree this patch is built against.
    #[unsafe(livepatch(target = kernel::error::Error::name))]
    fn name(e: &Error) -> Option<&'static CStr> {
        let e = *e;
        if e == code::EINVAL {
            Some(c"EINVAL")
        } else if e == code::ENOMEM {
            Some(c"ENOMEM")
        } else if e == code::ENOENT {
            Some(c"ENOENT")
        } else {
            None
        }
    }
}
