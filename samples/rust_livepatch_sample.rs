// SPDX-License-Identifier: GPL-2.0-or-later

//! Rust port of the kernel's `samples/livepatch/livepatch-sample.c`.
//!
//! Replaces `cmdline_proc_show()` (fs/proc/cmdline.c): once enabled,
//! `cat /proc/cmdline` prints "this has been live patched". Disable it with
//! `echo 0 > /sys/kernel/livepatch/rust_livepatch_sample/enabled`; then the
//! module can be removed.

#[livepatch::patch(
    name = "rust_livepatch_sample",
    authors = ["rust-livepatch developers"],
    description = "Kernel Live Patching Sample Module, in Rust",
    license = "GPL",
)]
mod fix {
    use kernel::{
        bindings,
        ffi::{c_int, c_void},
    };

    /// The new `/proc/cmdline` show function.
    // SAFETY: same signature as `cmdline_proc_show()` in fs/proc/cmdline.c:
    // `int (struct seq_file *, void *)`.
    #[unsafe(livepatch)]
    unsafe extern "C" fn cmdline_proc_show(m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
        // SAFETY: the kernel calls this, as the original, with the `seq_file`
        // of a `/proc/cmdline` read in progress; the format is a C string
        // whose one `%s` gets a C string.
        unsafe {
            bindings::seq_printf(
                m,
                c"%s\n".as_ptr().cast(),
                c"this has been live patched".as_ptr(),
            )
        };
        0
    }
}
