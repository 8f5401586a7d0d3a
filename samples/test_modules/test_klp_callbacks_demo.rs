// SPDX-License-Identifier: GPL-2.0

//! Rust port of tools/testing/selftests/livepatch/test_modules/test_klp_callbacks_demo.c:
//! callbacks on vmlinux and two test modules, and a replacement of
//! `busymod_work_func()`; `pre_patch_ret` makes the pre-patch callback fail.

#[path = "common/callback_info.rs"]
mod callback_info;

#[livepatch::patch(
    name = "test_klp_callbacks_demo",
    authors = ["Joe Lawrence <joe.lawrence@redhat.com>"],
    description = "Livepatch test: livepatch demo",
    license = "GPL",
)]
mod fix {
    use crate::callback_info::callback_info;
    use kernel::{bindings, prelude::*};
    use livepatch::{Callbacks, Context};

    #[param(perm = 0o644, description = "pre_patch_ret (default=0)")]
    static pre_patch_ret: livepatch::IntParam = livepatch::IntParam::new(0);

    /// Logs every callback; `pre_patch` returns `pre_patch_ret`.
    #[callbacks("vmlinux", "test_klp_callbacks_mod", "test_klp_callbacks_busy")]
    struct Demo;

    impl Callbacks for Demo {
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
        fn pre_unpatch(cx: &Context<'_>) {
            callback_info("pre_unpatch_callback", cx);
        }
        fn post_unpatch(cx: &Context<'_>) {
            callback_info("post_unpatch_callback", cx);
        }
    }

    /// The new work function of test_klp_callbacks_busy.
    #[livepatch(object = "test_klp_callbacks_busy", target = "busymod_work_func")]
    unsafe extern "C" fn patched_work_func(_work: *mut bindings::work_struct) {
        pr_info!("patched_work_func\n");
    }
}
