// SPDX-License-Identifier: GPL-2.0

//! `Shadow::new` claims a type for an id shared by the whole kernel: only
//! `unsafe` code may make that claim.
//
// EXPECT: call to unsafe function `Shadow::<T>::new` is unsafe

use livepatch::Shadow;

static SV: Shadow<u64> = Shadow::new(0x5ad);

#[livepatch::patch(license = "GPL")]
mod fix {
    use kernel::{
        bindings,
        ffi::{c_int, c_void},
    };

    // SAFETY: same signature as `cmdline_proc_show()` in fs/proc/cmdline.c.
    #[unsafe(livepatch)]
    unsafe extern "C" fn cmdline_proc_show(_m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
        let _ = super::SV.id();
        0
    }
}
