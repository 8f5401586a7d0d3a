// SPDX-License-Identifier: GPL-2.0

//! Rust port of tools/testing/selftests/livepatch/test_modules/test_klp_state3.c:
//! an atomic-replace patch that raises console_loglevel and records the old
//! value as system state `CONSOLE_LOGLEVEL_STATE`, version 2, which takes the state over from an earlier patch and hands it back.

#[path = "../common/callback_info.rs"]
mod callback_info;
#[path = "common/loglevel_state.rs"]
mod loglevel_state;

loglevel_state::loglevel_patch!("test_klp_state3", 2, true);
