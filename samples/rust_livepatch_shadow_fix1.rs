// SPDX-License-Identifier: GPL-2.0-or-later

//! Rust port of the kernel's `samples/livepatch/livepatch-shadow-fix1.c`:
//! fixes the memory leak of `livepatch-shadow-mod.ko` with a shadow
//! variable, "extending" its short-lived `struct dummy` by patching their
//! allocation and release functions.
//!
//! Not standalone: see the "Usage" of `livepatch-shadow-mod.c` (with
//! `rust_livepatch_shadow_fix1` for `livepatch_shadow_fix1`). Explicit mode
//! (our own `module!`): the module exit frees the remaining shadow variables.

#[path = "common/shadow_demo.rs"]
mod shadow_demo;

use kernel::prelude::*;
use shadow_demo::{log_prevented_leak, Leak, SV_LEAK};

livepatch::module! {
    type: RustLivepatchShadowFix1,
    name: "rust_livepatch_shadow_fix1",
    description: "Live patching demo for shadow variables, in Rust",
    license: "GPL",
}

/// `livepatch_fix1_dummy_leak_dtor()`: logs and frees the saved leak (the
/// `KBox` is dropped after this, which `kfree()`s it). Runs under the
/// shadow core's spinlock: it only prints.
struct LeakDtor;

impl livepatch::shadow::Destructor<Leak> for LeakDtor {
    fn destroy(obj: *mut core::ffi::c_void, data: &mut Leak) {
        log_prevented_leak("livepatch_fix1_dummy_leak_dtor", obj, data);
    }
}

#[livepatch::patch]
mod fix {
    use crate::shadow_demo::{
        jiffies, log_alloc, log_alloc_failed, log_leaked, secs_to_jiffies, Dummy, EXPIRE_PERIOD,
        SV_LEAK,
    };
    use kernel::{ffi::c_int, prelude::*};
    use livepatch::shadow::Gfp;

    /// The new `dummy_alloc()`: saves the extra memory location into a
    /// `SV_LEAK` shadow variable, which the patched `dummy_free()` can later
    /// fetch to release it.
    ///
    /// The C sample copies the pointer in with a constructor "to show the
    /// more complicated use of the API"; the typed API moves the `KBox` in,
    /// which is what that constructor does.
    // SAFETY: same signature as `dummy_alloc()` in
    // samples/livepatch/livepatch-shadow-mod.c:
    // `struct dummy *(void)`.
    #[unsafe(livepatch(object = "livepatch_shadow_mod", target = "dummy_alloc"))]
    unsafe extern "C" fn livepatch_fix1_dummy_alloc() -> *mut Dummy {
        const FUNC: &str = "livepatch_fix1_dummy_alloc";
        let Ok(d) = KBox::new(
            Dummy::new(jiffies().wrapping_add(secs_to_jiffies(EXPIRE_PERIOD))),
            GFP_KERNEL,
        ) else {
            return core::ptr::null_mut();
        };
        // On error, `d` is dropped: `kfree(d)`.
        let Ok(leak) = KBox::new(0 as c_int, GFP_KERNEL) else {
            return core::ptr::null_mut();
        };
        // On error the shadow API gives `leak` back: it is logged, then
        // dropped with `d` (`kfree(leak); kfree(d)`).
        if let Err(e) = SV_LEAK.alloc(&*d, leak, Gfp::Kernel) {
            log_alloc_failed(FUNC, &d, &e.value);
            return core::ptr::null_mut();
        }
        log_alloc(FUNC, &d);
        // The victim owns it now and `kfree()`s it in `dummy_free()`.
        KBox::into_raw(d)
    }

    /// The new `dummy_free()`: detaches and frees the `SV_LEAK` shadow
    /// variable, if the dummy has one (not those allocated before this patch
    /// was loaded), then the dummy.
    // SAFETY: same signature as `dummy_free()` in
    // samples/livepatch/livepatch-shadow-mod.c:
    // `void (struct dummy *)`.
    #[unsafe(livepatch(object = "livepatch_shadow_mod", target = "dummy_free"))]
    unsafe extern "C" fn livepatch_fix1_dummy_free(d: *mut Dummy) {
        // SAFETY: the victim calls this, as `dummy_free()`, with a dummy that
        // `kzalloc()` (or `livepatch_fix1_dummy_alloc()`, with `kmalloc()`)
        // allocated and that it has taken off its list: freeing it is our
        // job now. `KBox` frees with `kfree()`.
        let d = unsafe { KBox::from_raw(d) };
        if SV_LEAK.get(&*d).is_some() {
            // SAFETY: the reference `get` returned is not used again.
            unsafe { SV_LEAK.free_with::<_, super::LeakDtor>(&*d) };
        } else {
            log_leaked("livepatch_fix1_dummy_free", &d);
        }
    }
}

/// The module; its exit frees the `SV_LEAK` shadow variables left.
struct RustLivepatchShadowFix1;

impl livepatch::PatchModule for RustLivepatchShadowFix1 {
    const PATCH: &'static livepatch::Patch = &fix::PATCH;

    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Self)
    }
}

impl Drop for RustLivepatchShadowFix1 {
    fn drop(&mut self) {
        // Cleanup any existing SV_LEAK shadow variables. (fix2's
        // `dummy_free()`, which may run meanwhile, only tests whether a value
        // exists, then frees it with the core looking it up again under its
        // lock, as the C does.)
        // SAFETY: module exit runs only once the patch is disabled and
        // released, so none of our replacement functions runs or holds a
        // reference to a shadow value.
        unsafe { SV_LEAK.free_all_with::<LeakDtor>() };
    }
}
