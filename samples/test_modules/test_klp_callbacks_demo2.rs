// SPDX-License-Identifier: GPL-2.0

//! Rust port of tools/testing/selftests/livepatch/test_modules/test_klp_callbacks_demo2.c:
//! callbacks on vmlinux only; `replace=1` makes it an atomic-replace patch.

#[path = "../common/callback_info.rs"]
mod callback_info;
#[path = "../common/log_callbacks.rs"]
mod log_callbacks;

#[livepatch::patch(
    name = "test_klp_callbacks_demo2",
    authors = ["Joe Lawrence <joe.lawrence@redhat.com>"],
    description = "Livepatch test: livepatch demo2",
    license = "GPL",
    replace = replace,
)]
mod fix {
    #[param(perm = 0o644, description = "replace (default=0)")]
    static replace: livepatch::IntParam = livepatch::IntParam::new(0);

    /// Logs every callback.
    #[callbacks("vmlinux")]
    type Demo2 = crate::log_callbacks::LogCallbacks;
}
