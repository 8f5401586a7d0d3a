// SPDX-License-Identifier: GPL-2.0-or-later

//! Rust port of the kernel's `samples/livepatch/livepatch-shadow-fix2.c`:
//! adds functionality to `livepatch-shadow-mod.ko`'s in-flight data
//! structures through a shadow variable: the patched `dummy_check()`, which
//! the victim calls periodically on every dummy, increments a per-dummy
//! counter, creating it if needed; the patched `dummy_free()` logs it. It
//! also carries fix1's leak fix, and is meant to be loaded on top of fix1.
//!
//! Not standalone: see the "Usage" of `livepatch-shadow-mod.c` (with
//! `rust_livepatch_shadow_fix{1,2}` for `livepatch_shadow_fix{1,2}`).
//! Explicit mode (our own `module!`): the module exit frees the remaining
//! counters.

#[path = "common/shadow_demo.rs"]
mod shadow_demo;

use kernel::{prelude::*, sync::atomic::Atomic};
use livepatch::shadow::Shadow;
use shadow_demo::{log_prevented_leak, Leak};

livepatch::module! {
    type: RustLivepatchShadowFix2,
    name: "rust_livepatch_shadow_fix2",
    description: "Live patching demo for shadow variables, in Rust",
    license: "GPL",
}

/// The `SV_COUNTER` shadow variable (`#define SV_COUNTER 2`): an `int`
/// counter, atomic because shadow values are shared (`Shadow::get` gives a
/// `&T`). Same size and layout as the C `int`; no destructor, as in C.
// SAFETY: id 2 is the C fix2 sample's `SV_COUNTER`, an `int` (same size and
// layout as `Atomic<i32>`, nothing to drop); only fix2 (C or Rust) uses it.
static SV_COUNTER: Shadow<Atomic<i32>> = unsafe { Shadow::new(2) };

/// `livepatch_fix2_dummy_leak_dtor()`: logs and frees the saved leak (the
/// `KBox` is dropped after this: `kfree()`). Runs under the shadow core's
/// spinlock: it only prints.
struct LeakDtor;

impl livepatch::shadow::Destructor<Leak> for LeakDtor {
    fn destroy(obj: *mut core::ffi::c_void, data: &mut Leak) {
        log_prevented_leak("livepatch_fix2_dummy_leak_dtor", obj, data);
    }
}

#[livepatch::patch]
mod fix {
    use super::SV_COUNTER;
    use crate::shadow_demo::{log_check_counter, log_leaked, time_after, Dummy, SV_LEAK};
    use kernel::{
        ffi::c_ulong,
        prelude::*,
        sync::atomic::{Atomic, Relaxed},
    };
    use livepatch::shadow::Gfp;

    /// The new `dummy_check()`: handles in-flight dummies; if they do not
    /// have a `SV_COUNTER` shadow variable yet, attaches a new one.
    // SAFETY: same signature as `dummy_check()` in
    // samples/livepatch/livepatch-shadow-mod.c:
    // `bool (struct dummy *, unsigned long)`.
    #[unsafe(livepatch(object = "livepatch_shadow_mod", target = "dummy_check"))]
    unsafe extern "C" fn livepatch_fix2_dummy_check(d: *mut Dummy, jiffies: c_ulong) -> bool {
        // SAFETY: the victim calls this, as `dummy_check()`, with a dummy on
        // its list, holding the list's mutex: it stays allocated, and Rust
        // reads only `jiffies_expire`, which nothing writes any more.
        let d = unsafe { &*d };
        // GFP_NOWAIT, as in the C sample. The counter starts at 0 (the C
        // passes no constructor: the core zeroes the new data).
        if let Ok(count) = SV_COUNTER.get_or_alloc(d, Atomic::new(0), Gfp::NoWait) {
            count.fetch_add(1, Relaxed);
        }
        time_after(jiffies, d.jiffies_expire)
    }

    /// The new `dummy_free()`: fix1's leak fix, then logs and detaches the
    /// `SV_COUNTER` shadow variable.
    // SAFETY: same signature as `dummy_free()` in
    // samples/livepatch/livepatch-shadow-mod.c:
    // `void (struct dummy *)`.
    #[unsafe(livepatch(object = "livepatch_shadow_mod", target = "dummy_free"))]
    unsafe extern "C" fn livepatch_fix2_dummy_free(d: *mut Dummy) {
        const FUNC: &str = "livepatch_fix2_dummy_free";
        // SAFETY: the victim calls this, as `dummy_free()`, with a dummy that
        // `kzalloc()` (or a patched `dummy_alloc()`, with `kmalloc()`)
        // allocated and that it has taken off its list: freeing it is our
        // job now. `KBox` frees with `kfree()`.
        let d = unsafe { KBox::from_raw(d) };

        // Patch: copy the memory leak patch from the fix1 module.
        if SV_LEAK.get(&*d).is_some() {
            // SAFETY: the reference `get` returned is not used again.
            unsafe { SV_LEAK.free_with::<_, super::LeakDtor>(&*d) };
        } else {
            log_leaked(FUNC, &d);
        }

        // Patch: fetch the SV_COUNTER shadow variable and display the final
        // count. Detach the shadow variable.
        if let Some(count) = SV_COUNTER.get(&*d) {
            log_check_counter(FUNC, &d, count.load(Relaxed));
            // SAFETY: `count` is not used again.
            unsafe { SV_COUNTER.free(&*d) };
        }
    }
}

/// The module; its exit frees the `SV_COUNTER` shadow variables left.
struct RustLivepatchShadowFix2;

impl livepatch::PatchModule for RustLivepatchShadowFix2 {
    const PATCH: &'static livepatch::Patch = &fix::PATCH;

    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Self)
    }
}

impl Drop for RustLivepatchShadowFix2 {
    fn drop(&mut self) {
        // Cleanup any existing SV_COUNTER shadow variables.
        // SAFETY: module exit runs only once the patch is disabled and
        // released (the core holds a reference to this module until then),
        // so no replacement function runs or holds a reference to a counter.
        unsafe { SV_COUNTER.free_all() };
    }
}
