// SPDX-License-Identifier: GPL-2.0

//! `callback_info()` of the kernel's livepatch-callbacks-demo.c and of the
//! callback test modules: one log line per callback call. Shared by the
//! sample and the selftest ports.

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
