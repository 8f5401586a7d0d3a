// SPDX-License-Identifier: GPL-2.0

//! Two states with one id, written as constants the macro cannot compare:
//! the crate refuses the table when the static is evaluated.
//
// EXPECT: two klp states with the same id

const LOGLEVEL: u64 = 7;
const ALSO_LOGLEVEL: u64 = 7;

#[livepatch::patch(license = "GPL", states = [(super::LOGLEVEL, 1), (super::ALSO_LOGLEVEL, 2)])]
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
