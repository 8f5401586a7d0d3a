// SPDX-License-Identifier: GPL-2.0

//! The `seq_file` show function the test ports install: it prints
//! "<module>: this has been live patched", as the C test modules'
//! `seq_printf(m, "%s: %s\n", THIS_MODULE->name, "this has been live patched")`.

use kernel::{bindings, ffi::c_int};

/// Prints the patched line for module `name` into `m`.
///
/// # Safety
///
/// `m` must be the `seq_file` of a read in progress, as the show functions
/// these replace receive it.
pub(crate) unsafe fn show(m: *mut bindings::seq_file, name: &core::ffi::CStr) -> c_int {
    // SAFETY: `m` is valid (the caller's guarantee); the format is a C string
    // whose two `%s` get C strings.
    unsafe {
        bindings::seq_printf(
            m,
            c"%s: %s\n".as_ptr().cast(),
            name.as_ptr(),
            c"this has been live patched".as_ptr(),
        )
    };
    0
}
