// SPDX-License-Identifier: GPL-2.0

//! Negative test: the pre-patch callback of vmlinux fails with `ENODEV`, so
//! enabling fails: `insmod` reports "No such device", and nothing is left in
//! /sys/kernel/livepatch.

#[livepatch::patch(
    name = "rust_lp_pre_patch_fails",
    description = "rust-livepatch test: failing pre-patch callback",
    license = "GPL"
)]
mod fix {
    use kernel::prelude::*;
    use livepatch::{Callbacks, Context};

    /// Refuses to patch.
    #[callbacks]
    struct Refuse;

    impl Callbacks for Refuse {
        fn pre_patch(cx: &Context<'_>) -> Result {
            pr_info!(
                "pre_patch_callback: {}: refusing\n",
                cx.object_name().to_str().unwrap_or("?")
            );
            Err(ENODEV)
        }
    }
}
