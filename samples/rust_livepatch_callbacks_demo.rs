// SPDX-License-Identifier: GPL-2.0-or-later

//! Rust port of the kernel's `samples/livepatch/livepatch-callbacks-demo.c`:
//! (un)patching callbacks on vmlinux and on the two demo modules
//! `livepatch-callbacks-mod.ko` and `livepatch-callbacks-busymod.ko`, and a
//! replacement of the latter's `busymod_work_func()`.
//!
//! `pre_patch_ret` sets the pre-patch callback's return status: after
//! `echo -19 > /sys/module/rust_livepatch_callbacks_demo/parameters/pre_patch_ret`
//! the module loader refuses to load a target module ("No such device").
//! See the "Usage" of the C file (with `rust_livepatch_callbacks_demo` for
//! `livepatch_callbacks_demo`).

#[path = "common/callback_info.rs"]
mod callback_info;
#[path = "common/log_callbacks.rs"]
mod log_callbacks;

use kernel::prelude::*;

/// The pre-patch callbacks return `pre_patch_ret`.
struct PrePatchRet;

impl log_callbacks::PrePatch for PrePatchRet {
    fn result() -> Result {
        log_callbacks::errno_result(fix::pre_patch_ret.get())
    }
}

#[livepatch::patch(
    name = "rust_livepatch_callbacks_demo",
    description = "Live patching demo for (un)patching callbacks, in Rust",
    license = "GPL"
)]
mod fix {
    use kernel::{bindings, prelude::*};

    #[param(perm = 0o644, description = "pre_patch_ret (default=0)")]
    pub(super) static pre_patch_ret: livepatch::IntParam = livepatch::IntParam::new(0);

    /// The same four callbacks on every object, logged; `pre_patch`
    /// returns `pre_patch_ret`.
    #[callbacks("vmlinux", "livepatch_callbacks_mod", "livepatch_callbacks_busymod")]
    type Demo = crate::log_callbacks::LogCallbacks<crate::PrePatchRet>;

    /// The new work function of livepatch-callbacks-busymod.
    // SAFETY: same signature as `busymod_work_func()` in
    // samples/livepatch/livepatch-callbacks-busymod.c:
    // `void (struct work_struct *)`.
    #[unsafe(livepatch(object = "livepatch_callbacks_busymod", target = "busymod_work_func"))]
    unsafe extern "C" fn patched_work_func(_work: *mut bindings::work_struct) {
        pr_info!("patched_work_func\n");
    }
}
