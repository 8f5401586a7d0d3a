// SPDX-License-Identifier: GPL-2.0

//! Enabling the patch in the middle of a module's init, where a later error
//! would free the module under a live patch, needs `unsafe`: the safe way is
//! `livepatch::Enabled`, which enables it last.
//
// EXPECT: call to unsafe function `Patch::enable` is unsafe

use kernel::prelude::*;

module! {
    type: EarlyEnable,
    name: "enable_is_unsafe",
    license: "GPL",
}

struct EarlyEnable;

impl kernel::Module for EarlyEnable {
    fn init(module: &'static ThisModule) -> Result<Self> {
        fix::PATCH.enable(module)?;
        Err(EINVAL)
    }
}

#[livepatch::patch]
mod fix {
    use kernel::{
        bindings,
        ffi::{c_int, c_void},
    };

    // SAFETY: same signature as `cmdline_proc_show()` in fs/proc/cmdline.c.
    #[unsafe(livepatch)]
    unsafe extern "C" fn cmdline_proc_show(_m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
        0
    }
}
