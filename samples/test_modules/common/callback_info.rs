// SPDX-License-Identifier: GPL-2.0

//! `callback_info()` of the C callback test modules: one log line per call.

use kernel::prelude::*;
use livepatch::{Context, ModuleState};

fn state_name(state: ModuleState) -> &'static str {
    match state {
        ModuleState::Live => "[MODULE_STATE_LIVE] Normal state",
        ModuleState::Coming => "[MODULE_STATE_COMING] Full formed, running module_init",
        ModuleState::Going => "[MODULE_STATE_GOING] Going away",
        ModuleState::Unformed => "[MODULE_STATE_UNFORMED] Still setting it up",
    }
}

/// Logs `callback` for the object of `cx`, as the C tests do.
pub(crate) fn callback_info(callback: &str, cx: &Context<'_>) {
    match cx.module() {
        Some(m) => pr_info!(
            "{}: {} -> {}\n",
            callback,
            m.name().to_str().unwrap_or("?"),
            state_name(m.state())
        ),
        None => pr_info!("{}: vmlinux\n", callback),
    }
}

/// What the pre-patch callback of [`LogCallbacks`] returns.
pub(crate) trait PrePatch {
    /// The result `pre_patch` returns after logging.
    fn result() -> Result;
}

/// A pre-patch callback that always succeeds.
#[allow(dead_code)] // Not every crate including this file uses it.
pub(crate) struct Succeed;

impl PrePatch for Succeed {
    fn result() -> Result {
        Ok(())
    }
}

/// Callbacks that log every call, as the C demo modules' do; `pre_patch`
/// then returns `P::result()`.
#[allow(dead_code)] // Not every crate including this file uses it.
pub(crate) struct LogCallbacks<P: PrePatch = Succeed>(core::marker::PhantomData<P>);

impl<P: PrePatch> livepatch::Callbacks for LogCallbacks<P> {
    fn pre_patch(cx: &Context<'_>) -> Result {
        callback_info("pre_patch_callback", cx);
        P::result()
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
