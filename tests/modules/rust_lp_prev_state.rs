// SPDX-License-Identifier: GPL-2.0

//! `Context::prev_state()` from the callbacks the core runs when a patched
//! module loads or goes away: there is no transition then, and the core's
//! `klp_get_prev_state()` would warn (a panic with `panic_on_warn`). The
//! patch has callbacks for `livepatch_callbacks_mod` (the kernel's sample
//! module, loaded after the patch) that ask for a previous state and log
//! the answer (scripts/guest/tests.d/70-api.sh).

#[livepatch::patch(
    description = "rust-livepatch test: prev_state from module load callbacks",
    license = "GPL",
    states = [(1, 1)]
)]
mod fix {
    use kernel::prelude::*;
    use livepatch::{Callbacks, Context};

    /// Logs what `prev_state` answers.
    #[callbacks("vmlinux", "livepatch_callbacks_mod")]
    struct AskPrevState;

    fn log(what: &str, cx: &Context<'_>) {
        let object = cx.object_name().to_str().unwrap_or("?");
        match cx.prev_state(1) {
            Some(s) => pr_info!("{what} {object}: prev_state version {}\n", s.version()),
            None => pr_info!("{what} {object}: prev_state none\n"),
        }
    }

    impl Callbacks for AskPrevState {
        fn pre_patch(cx: &Context<'_>) -> Result {
            log("pre_patch", cx);
            Ok(())
        }

        fn post_patch(cx: &Context<'_>) {
            log("post_patch", cx);
        }

        fn pre_unpatch(cx: &Context<'_>) {
            log("pre_unpatch", cx);
        }

        fn post_unpatch(cx: &Context<'_>) {
            log("post_unpatch", cx);
        }
    }
}
