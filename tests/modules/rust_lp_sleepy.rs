// SPDX-License-Identifier: GPL-2.0

//! The Rust patch of the consistency tests
//! (scripts/guest/tests.d/60-consistency.sh), the counterpart of
//! klp_c_sleepy.c: replaces `version_proc_show()` with a version that first
//! sleeps `sleep_ms` milliseconds, so that a task can be made to sleep
//! *inside the new code* while the patch is disabled, replaced or unstacked.
//!
//! With `tail=1`, the replacement's last act is a call of a helper of this
//! module that sleeps: a call the compiler may turn into a jump, after which
//! no frame of the replacement itself would be on the sleeping task's stack.

#[livepatch::patch(
    description = "rust-livepatch test: a Rust patch that sleeps in its new function",
    license = "GPL"
)]
mod fix {
    use kernel::{
        bindings,
        ffi::{c_int, c_void},
    };

    #[param(
        perm = 0o644,
        description = "sleep this long in the new version_proc_show()"
    )]
    static sleep_ms: livepatch::IntParam = livepatch::IntParam::new(0);

    #[param(
        perm = 0o644,
        description = "1: sleep in a helper reached by the replacement's last call"
    )]
    static tail: livepatch::IntParam = livepatch::IntParam::new(0);

    /// Sleeps, then prints this module's name. Its result is opaque to the
    /// compiler (`black_box`), so that a call of it in tail position can be
    /// compiled to a jump.
    #[inline(never)]
    fn sleep_and_show(m: *mut bindings::seq_file) -> c_int {
        if let Ok(ms) = u32::try_from(sleep_ms.get()) {
            if ms > 0 {
                // SAFETY: process context (a read of /proc/version).
                unsafe { bindings::msleep(ms) };
            }
        }
        // SAFETY: `m` is the seq_file of the read in progress; the format
        // is a C string whose one `%s` gets a C string.
        unsafe { bindings::seq_printf(m, c"%s\n".as_ptr().cast(), c"rust_lp_sleepy".as_ptr()) };
        core::hint::black_box(0)
    }

    // SAFETY: same signature as `version_proc_show()` in fs/proc/version.c:
    // `int (struct seq_file *, void *)`.
    #[unsafe(livepatch)]
    unsafe extern "C" fn version_proc_show(m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
        if tail.get() != 0 {
            return sleep_and_show(m);
        }
        if let Ok(ms) = u32::try_from(sleep_ms.get()) {
            if ms > 0 {
                // SAFETY: process context (a read of /proc/version).
                unsafe { bindings::msleep(ms) };
            }
        }
        // SAFETY: as in `sleep_and_show()`.
        unsafe { bindings::seq_printf(m, c"%s\n".as_ptr().cast(), c"rust_lp_sleepy".as_ptr()) };
        0
    }
}
