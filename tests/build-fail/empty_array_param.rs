// SPDX-License-Identifier: GPL-2.0

//! An array parameter of zero values, with the size from a constant the
//! macro cannot read: the crate refuses it when the static is evaluated.
//
// EXPECT: an array parameter holds at least one value

const NONE: usize = 0;

#[livepatch::patch(license = "GPL")]
mod fix {
    use kernel::{
        bindings,
        ffi::{c_int, c_void},
    };

    #[param(perm = 0o644)]
    static pids: livepatch::IntArrayParam<{ super::NONE }> = livepatch::IntArrayParam::new();

    // SAFETY: same signature as `cmdline_proc_show()` in fs/proc/cmdline.c.
    #[unsafe(livepatch)]
    unsafe extern "C" fn cmdline_proc_show(_m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
        0
    }
}
