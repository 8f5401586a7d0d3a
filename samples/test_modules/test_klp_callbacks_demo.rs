// SPDX-License-Identifier: GPL-2.0

//! Rust port of tools/testing/selftests/livepatch/test_modules/test_klp_callbacks_demo.c:
//! callbacks on vmlinux and two test modules, and a replacement of
//! `busymod_work_func()`; `pre_patch_ret` makes the pre-patch callback fail.

#[path = "../common/callback_info.rs"]
mod callback_info;
#[path = "../common/log_callbacks.rs"]
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
    name = "test_klp_callbacks_demo",
    authors = ["Joe Lawrence <joe.lawrence@redhat.com>"],
    description = "Livepatch test: livepatch demo",
    license = "GPL",
)]
mod fix {
    use kernel::{bindings, prelude::*};

    #[param(perm = 0o644, description = "pre_patch_ret (default=0)")]
    pub(super) static pre_patch_ret: livepatch::IntParam = livepatch::IntParam::new(0);

    /// Logs every callback.
    #[callbacks("vmlinux", "test_klp_callbacks_mod", "test_klp_callbacks_busy")]
    type Demo = crate::log_callbacks::LogCallbacks<crate::PrePatchRet>;

    /// The new work function of test_klp_callbacks_busy.
    // SAFETY: same signature as `busymod_work_func()` in
    // tools/testing/selftests/livepatch/test_modules/test_klp_callbacks_busy.c:
    // `void (struct work_struct *)`.
    #[unsafe(livepatch(object = "test_klp_callbacks_busy", target = "busymod_work_func"))]
    unsafe extern "C" fn patched_work_func(_work: *mut bindings::work_struct) {
        pr_info!("patched_work_func\n");
    }
}
