// SPDX-License-Identifier: GPL-2.0

//! Rust port of tools/testing/selftests/livepatch/test_modules/test_klp_callbacks_demo2.c:
//! callbacks on vmlinux only; `replace=1` makes it an atomic-replace patch.

#[path = "common/callback_info.rs"]
mod callback_info;

#[livepatch::patch(
    name = "test_klp_callbacks_demo2",
    authors = ["Joe Lawrence <joe.lawrence@redhat.com>"],
    description = "Livepatch test: livepatch demo2",
    license = "GPL",
    replace = replace,
)]
mod fix {
    use crate::callback_info::callback_info;
    use kernel::prelude::*;
    use livepatch::{Callbacks, Context};

    #[param(perm = 0o644, description = "replace (default=0)")]
    static replace: livepatch::IntParam = livepatch::IntParam::new(0);

    /// Logs every callback.
    #[callbacks("vmlinux")]
    struct Demo2;

    impl Callbacks for Demo2 {
        fn pre_patch(cx: &Context<'_>) -> Result {
            callback_info("pre_patch_callback", cx);
            Ok(())
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
}
