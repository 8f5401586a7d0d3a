// SPDX-License-Identifier: GPL-2.0

//! Rust port of tools/testing/selftests/livepatch/test_modules/test_klp_state3.c:
//! an atomic-replace patch that raises console_loglevel and records the old
//! value as system state `CONSOLE_LOGLEVEL_STATE`, version 2.

#[path = "common/callback_info.rs"]
mod callback_info;
#[path = "common/loglevel_state.rs"]
mod loglevel_state;

#[livepatch::patch(
    name = "test_klp_state3",
    authors = ["Petr Mladek <pmladek@suse.com>"],
    description = "Livepatch test: system state modification",
    license = "GPL",
    replace = true,
    states = [(crate::loglevel_state::CONSOLE_LOGLEVEL_STATE, 2)],
)]
mod fix {
    /// Version 2 of the console_loglevel state.
    #[callbacks]
    type Loglevel = crate::loglevel_state::Loglevel<true>;
}
