// SPDX-License-Identifier: GPL-2.0-or-later

//! What the ports of `samples/livepatch/livepatch-shadow-fix1.c` and
//! `livepatch-shadow-fix2.c` share: the victim's `struct dummy`, the shadow
//! variable of the leaked pointer, its timing constants, and the log lines.
//!
//! The log lines are the C samples' own, through `pr_info!`/`pr_err!`
//! (same level, same `KBUILD_MODNAME ": "` prefix); pointers are printed
//! with [`HashedPtr`], as `%p` prints them (hashed, so that the C and Rust
//! transcripts compare and no kernel address leaks; Rust's `{:p}` would
//! print the raw address).

// Each port uses a part of it (fix2 allocates no dummy, fix1 has no counter).
#![allow(dead_code)]

use core::ffi::c_void;
use kernel::{
    bindings,
    ffi::{c_int, c_ulong},
    prelude::*,
    types::Opaque,
};
use livepatch::{shadow::Shadow, HashedPtr};

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
        Self {
            list: Opaque::zeroed(),
            jiffies_expire,
        }
    }
}

/// The `SV_LEAK` shadow variable: the `int *` that the victim's
/// `dummy_alloc()` forgets. A `KBox<c_int>` is a non-null `int *` to a
/// `kmalloc()`ed `int` (the layout of the C samples' shadow data), so the
/// C and Rust ports of fix1 and fix2 can free each other's shadow data.
/// Dropping it `kfree()`s the `int`.
pub(crate) type Leak = KBox<c_int>;

/// `#define SV_LEAK 1` of both C samples.
// SAFETY: id 1 is the C samples' `SV_LEAK`, whose values (`int *` from
// `kmalloc()`, freed with `kfree()`) are exactly a `KBox<c_int>`; the C and
// Rust fix1/fix2 samples are the only users of this id.
pub(crate) static SV_LEAK: Shadow<Leak> = unsafe { Shadow::new(1) };

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

/// `pr_info("%s: dummy @ %p, expires @ %lx\n", func, d, d->jiffies_expire)`.
pub(crate) fn log_alloc(func: &str, d: &Dummy) {
    pr_info!(
        "{func}: dummy @ {}, expires @ {:x}\n",
        HashedPtr::of(d),
        d.jiffies_expire
    );
}

/// `pr_err("%s: failed to allocate shadow variable for the leaking pointer:
/// dummy @ %p, leak @ %p\n", func, d, leak)`.
pub(crate) fn log_alloc_failed(func: &str, d: &Dummy, leak: &Leak) {
    pr_err!(
        "{func}: failed to allocate shadow variable for the leaking pointer: dummy @ {}, leak @ {}\n",
        HashedPtr::of(d),
        HashedPtr::of::<c_int>(leak)
    );
}

/// `pr_info("%s: dummy @ %p, prevented leak @ %p\n", func, d, *shadow_leak)`.
pub(crate) fn log_prevented_leak(func: &str, d: *mut c_void, leak: &Leak) {
    pr_info!(
        "{func}: dummy @ {}, prevented leak @ {}\n",
        HashedPtr::from_ptr(d),
        HashedPtr::of::<c_int>(leak)
    );
}

/// `pr_info("%s: dummy @ %p leaked!\n", func, d)`.
pub(crate) fn log_leaked(func: &str, d: &Dummy) {
    pr_info!("{func}: dummy @ {} leaked!\n", HashedPtr::of(d));
}

/// `pr_info("%s: dummy @ %p, check counter = %d\n", func, d, *shadow_count)`.
pub(crate) fn log_check_counter(func: &str, d: &Dummy, count: c_int) {
    pr_info!(
        "{func}: dummy @ {}, check counter = {count}\n",
        HashedPtr::of(d)
    );
}
