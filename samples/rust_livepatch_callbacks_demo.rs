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

#[livepatch::patch(
    name = "rust_livepatch_callbacks_demo",
    description = "Live patching demo for (un)patching callbacks, in Rust",
    license = "GPL",
)]
mod fix {
    use crate::callback_info::callback_info;
    use kernel::{bindings, prelude::*};
    use livepatch::{Callbacks, Context};

    #[param(perm = 0o644, description = "pre_patch_ret (default=0)")]
    static pre_patch_ret: livepatch::IntParam = livepatch::IntParam::new(0);

    /// The same four callbacks on every object; `pre_patch` returns
    /// `pre_patch_ret`.
    #[callbacks("vmlinux", "livepatch_callbacks_mod", "livepatch_callbacks_busymod")]
    struct Demo;

    impl Callbacks for Demo {
        /// Executed on object patching (ie, patch enablement).
        fn pre_patch(cx: &Context<'_>) -> Result {
            callback_info("pre_patch_callback", cx);
            match pre_patch_ret.get() {
                0 => Ok(()),
                errno => Err(Error::from_errno(errno)),
            }
        }
        fn post_patch(cx: &Context<'_>) {
            callback_info("post_patch_callback", cx);
        }
        /// Executed on object unpatching (ie, patch disablement).
        fn pre_unpatch(cx: &Context<'_>) {
            callback_info("pre_unpatch_callback", cx);
        }
        fn post_unpatch(cx: &Context<'_>) {
            callback_info("post_unpatch_callback", cx);
        }
    }

    /// The new work function of livepatch-callbacks-busymod.
    #[livepatch(object = "livepatch_callbacks_busymod", target = "busymod_work_func")]
    unsafe extern "C" fn patched_work_func(_work: *mut bindings::work_struct) {
        pr_info!("patched_work_func\n");
    }
}
