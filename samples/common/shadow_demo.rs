// SPDX-License-Identifier: GPL-2.0-or-later

//! What the ports of `samples/livepatch/livepatch-shadow-fix1.c` and
//! `livepatch-shadow-fix2.c` share: the victim's `struct dummy`, the shadow
//! variable of the leaked pointer, its timing constants, and the log lines.
//!
//! # Why the log lines go through `_printk` with a C format
//!
//! The C samples print pointers with `%p`, which the kernel hashes (a stable
//! per-boot id, not the address). `pr_info!` formats with Rust's `{:p}`,
//! which would print the raw address: a kernel address leak, and not what
//! the C prints. So these lines are printed by `_printk` itself, with the C
//! samples' own format strings and the same `KERN_*` level and
//! `KBUILD_MODNAME ": "` prefix as their `pr_info()`/`pr_err()` (the prefix
//! is this module's name, `__LOG_PREFIX`, which `module!` defines).

// Each port uses a part of it (fix2 allocates no dummy, fix1 has no counter).
#![allow(dead_code)]

use core::ffi::{c_void, CStr};
use kernel::{
    bindings,
    ffi::{c_char, c_int, c_ulong},
    prelude::*,
    types::Opaque,
};
use livepatch::shadow::Shadow;

/// Dummies expire after a few cleanup instances: `EXPIRE_PERIOD`, in
/// seconds, of livepatch-shadow-mod.c (`4 * CLEANUP_PERIOD`, where
/// `CLEANUP_PERIOD` is `3 * ALLOC_PERIOD` and `ALLOC_PERIOD` is 1).
pub(crate) const EXPIRE_PERIOD: c_ulong = 4 * 3;

/// `struct dummy`, as defined in the kernel's
/// `samples/livepatch/livepatch-shadow-mod.c` (and copied into
/// `livepatch-shadow-fix1.c` and `-fix2.c`):
///
/// ```c
/// struct dummy {
///     struct list_head list;
///     unsigned long jiffies_expire;
/// };
/// ```
///
/// The victim links `list` into its `dummy_list` under its own mutex, so it
/// is opaque to Rust.
#[repr(C)]
pub(crate) struct Dummy {
    list: Opaque<bindings::list_head>,
    pub(crate) jiffies_expire: c_ulong,
}

impl Dummy {
    /// A dummy that is on no list yet (`kzalloc()` in C: `list` zeroed; the
    /// victim's `alloc_work_func()` links it).
    pub(crate) fn new(jiffies_expire: c_ulong) -> Self {
        Self { list: Opaque::zeroed(), jiffies_expire }
    }
}

/// The `SV_LEAK` shadow variable: the `int *` that the victim's
/// `dummy_alloc()` forgets. A `KBox<c_int>` is a non-null `int *` to a
/// `kmalloc()`ed `int` (the layout of the C samples' shadow data), so the
/// C and Rust ports of fix1 and fix2 can free each other's shadow data.
/// Dropping it `kfree()`s the `int`.
pub(crate) type Leak = KBox<c_int>;

/// `#define SV_LEAK 1` of both C samples.
pub(crate) static SV_LEAK: Shadow<Leak> = Shadow::new(1);

/// The kernel's `jiffies` now.
pub(crate) fn jiffies() -> c_ulong {
    // SAFETY: `jiffies` is a kernel global that the timer code updates; a
    // volatile read is how C reads this `volatile` variable.
    unsafe { core::ptr::read_volatile(&raw const bindings::jiffies) }
}

/// `secs_to_jiffies()`: `secs * HZ`. (`bindings::HZ` is the uapi `USER_HZ`,
/// not the kernel's tick rate: use `CONFIG_HZ`.)
pub(crate) const fn secs_to_jiffies(secs: c_ulong) -> c_ulong {
    secs * bindings::CONFIG_HZ as c_ulong
}

/// `time_after(a, b)` of `<linux/jiffies.h>`: `a` is later than `b`, with
/// wrap-around.
pub(crate) fn time_after(a: c_ulong, b: c_ulong) -> bool {
    (b.wrapping_sub(a) as core::ffi::c_long) < 0
}

/// The `%p` argument for `r`: its address, which `_printk` only hashes.
fn p<T: ?Sized>(r: &T) -> *const c_void {
    core::ptr::from_ref(r).cast()
}

fn prefix() -> *const c_char {
    crate::__LOG_PREFIX.as_ptr().cast()
}

/// `pr_info("%s: dummy @ %p, expires @ %lx\n", func, d, d->jiffies_expire)`.
pub(crate) fn log_alloc(func: &CStr, d: &Dummy) {
    // SAFETY: the format is a C string whose conversions match the
    // arguments: `%s` the NUL-terminated prefix and `func`, `%p` a pointer
    // (hashed, never dereferenced), `%lx` an `unsigned long`.
    unsafe {
        bindings::_printk(
            c"\x016%s: %s: dummy @ %p, expires @ %lx\n".as_ptr().cast(),
            prefix(),
            func.as_ptr(),
            p(d),
            d.jiffies_expire,
        )
    };
}

/// `pr_err("%s: failed to allocate shadow variable for the leaking pointer:
/// dummy @ %p, leak @ %p\n", func, d, leak)`; `leak` is only hashed.
pub(crate) fn log_alloc_failed(func: &CStr, d: &Dummy, leak: *const c_int) {
    // SAFETY: as in `log_alloc`: `%s` C strings, `%p` pointers.
    unsafe {
        bindings::_printk(
            c"\x013%s: %s: failed to allocate shadow variable for the leaking pointer: dummy @ %p, leak @ %p\n"
                .as_ptr()
                .cast(),
            prefix(),
            func.as_ptr(),
            p(d),
            leak,
        )
    };
}

/// `pr_info("%s: dummy @ %p, prevented leak @ %p\n", func, d, *shadow_leak)`.
pub(crate) fn log_prevented_leak(func: &CStr, d: *mut c_void, leak: &Leak) {
    // SAFETY: as in `log_alloc`: `%s` C strings, `%p` pointers.
    unsafe {
        bindings::_printk(
            c"\x016%s: %s: dummy @ %p, prevented leak @ %p\n".as_ptr().cast(),
            prefix(),
            func.as_ptr(),
            d,
            p::<c_int>(leak),
        )
    };
}

/// `pr_info("%s: dummy @ %p leaked!\n", func, d)`.
pub(crate) fn log_leaked(func: &CStr, d: &Dummy) {
    // SAFETY: as in `log_alloc`: `%s` C strings, `%p` a pointer.
    unsafe { bindings::_printk(c"\x016%s: %s: dummy @ %p leaked!\n".as_ptr().cast(), prefix(), func.as_ptr(), p(d)) };
}

/// `pr_info("%s: dummy @ %p, check counter = %d\n", func, d, *shadow_count)`.
pub(crate) fn log_check_counter(func: &CStr, d: &Dummy, count: c_int) {
    // SAFETY: as in `log_alloc`: `%s` C strings, `%p` a pointer, `%d` an
    // `int`.
    unsafe {
        bindings::_printk(
            c"\x016%s: %s: dummy @ %p, check counter = %d\n".as_ptr().cast(),
            prefix(),
            func.as_ptr(),
            p(d),
            count,
        )
    };
}
