// SPDX-License-Identifier: GPL-2.0

//! A patch of the module `klp_test_target` (tests/modules/klp_test_target.c)
//! that reads the module's static variable and calls its static helper
//! through klp relocations of the module object: klp writes them when the
//! module loads, before or after the patch, and clears them when it goes.
//! `/sys/kernel/klp_test_target/value` then reads
//! `patched: secret=<klp_test_target_secret> scaled=<klp_test_target_scale(secret)>`.

#[livepatch::patch(
    description = "rust-livepatch test: a module's static function and variable through klp relocations",
    license = "GPL"
)]
mod fix {
    use kernel::{
        bindings,
        ffi::{c_char, c_int},
        sync::atomic::{Atomic, Relaxed},
    };

    #[symbols(object = "klp_test_target")]
    extern "C" {
        /// `static int klp_test_target_secret`.
        static mut klp_test_target_secret: c_int;
        /// `static int klp_test_target_scale(int v)`.
        fn klp_test_target_scale(v: c_int) -> c_int;
    }

    /// The new `klp_test_target_show_value()`: the secret and its scaled
    /// value, computed by the module's own helper.
    // SAFETY: same signature as `klp_test_target_show_value()` in
    // tests/modules/klp_test_target.c: `ssize_t (char *)`.
    #[unsafe(livepatch(object = "klp_test_target"))]
    unsafe extern "C" fn klp_test_target_show_value(buf: *mut c_char) -> isize {
        // SAFETY: this replacement runs only while klp_test_target is
        // loaded and patched, so klp has written its relocations; the
        // module writes the variable with WRITE_ONCE() (its sysfs store)
        // and reads it with READ_ONCE(): every access is atomic.
        let secret = unsafe { Atomic::from_ptr(&raw mut klp_test_target_secret) }.load(Relaxed);
        // SAFETY: resolved as above; the helper has no precondition.
        let scaled = unsafe { klp_test_target_scale(secret) };
        // SAFETY: `buf` is the sysfs page the module's value_show() got;
        // the format is a C string whose two `%d` get ints.
        unsafe {
            bindings::sysfs_emit(
                buf,
                c"patched: secret=%d scaled=%d\n".as_ptr().cast(),
                secret,
                scaled,
            ) as isize
        }
    }
}
