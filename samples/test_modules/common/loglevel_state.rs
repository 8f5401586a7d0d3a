// SPDX-License-Identifier: GPL-2.0

//! The console_loglevel "system state" of the C tests test_klp_state.c
//! (version 1) and test_klp_state2.c / test_klp_state3.c (version 2, which
//! migrates the state from and back to an earlier patch), shared by the Rust
//! ports: each is one [`loglevel_patch!`] line.

use crate::callback_info::callback_info;
use kernel::{alloc::KBox, bindings, ffi::c_int, prelude::*};
use livepatch::{Callbacks, Context};

/// `CONSOLE_LOGLEVEL_STATE`.
pub(crate) const CONSOLE_LOGLEVEL_STATE: u64 = 1;

/// `console_loglevel` (`console_printk[0]`).
fn console_loglevel() -> *mut c_int {
    (&raw mut bindings::console_printk).cast()
}

/// The callbacks of version 1 (`MIGRATES == false`) or 2 of the state.
pub(crate) struct Loglevel<const MIGRATES: bool>;

impl<const MIGRATES: bool> Loglevel<MIGRATES> {
    /// An earlier patch's state to take over or hand back, for version 2.
    fn prev(cx: &Context<'_>) -> bool {
        MIGRATES && cx.prev_state(CONSOLE_LOGLEVEL_STATE).is_some()
    }

    fn allocate_loglevel_state(cx: &Context<'_>) -> Result {
        if Self::prev(cx) {
            pr_info!(
                "allocate_loglevel_state: space to store console_loglevel already allocated\n"
            );
            return Ok(());
        }
        let state = cx
            .state(&crate::fix::PATCH, CONSOLE_LOGLEVEL_STATE)
            .ok_or(EINVAL)?;
        let data = KBox::new(0 as c_int, GFP_KERNEL)?;
        state.set_data(KBox::into_raw(data).cast());
        pr_info!("allocate_loglevel_state: allocating space to store console_loglevel\n");
        Ok(())
    }

    fn fix_console_loglevel(cx: &Context<'_>) {
        let Some(state) = cx.state(&crate::fix::PATCH, CONSOLE_LOGLEVEL_STATE) else {
            return;
        };
        if let Some(prev) = cx.prev_state(CONSOLE_LOGLEVEL_STATE).filter(|_| MIGRATES) {
            pr_info!("fix_console_loglevel: taking over the console_loglevel change\n");
            state.set_data(prev.data());
            return;
        }
        pr_info!("fix_console_loglevel: fixing console_loglevel\n");
        // SAFETY: `data` is the `c_int` `allocate_loglevel_state` attached;
        // `console_loglevel` is a valid kernel global, read and written
        // without a lock in C too.
        unsafe {
            *state.data().cast::<c_int>() = *console_loglevel();
            *console_loglevel() = bindings::CONSOLE_LOGLEVEL_MOTORMOUTH as c_int;
        }
    }

    fn restore_console_loglevel(cx: &Context<'_>) {
        if Self::prev(cx) {
            pr_info!("restore_console_loglevel: passing the console_loglevel change back to the old livepatch\n");
            return;
        }
        let Some(state) = cx.state(&crate::fix::PATCH, CONSOLE_LOGLEVEL_STATE) else {
            return;
        };
        pr_info!("restore_console_loglevel: restoring console_loglevel\n");
        // SAFETY: as in `fix_console_loglevel`.
        unsafe { *console_loglevel() = *state.data().cast::<c_int>() };
    }

    fn free_loglevel_state(cx: &Context<'_>) {
        if Self::prev(cx) {
            pr_info!("free_loglevel_state: keeping space to store console_loglevel\n");
            return;
        }
        let Some(state) = cx.state(&crate::fix::PATCH, CONSOLE_LOGLEVEL_STATE) else {
            return;
        };
        pr_info!("free_loglevel_state: freeing space for the stored console_loglevel\n");
        // SAFETY: `data` is the `KBox<c_int>` allocated by
        // `allocate_loglevel_state` of this or a replaced patch (the state's
        // version guarantees the same layout), and nothing uses it after this.
        drop(unsafe { KBox::from_raw(state.data().cast::<c_int>()) });
    }
}

impl<const MIGRATES: bool> Callbacks for Loglevel<MIGRATES> {
    fn pre_patch(cx: &Context<'_>) -> Result {
        callback_info("pre_patch_callback", cx);
        Self::allocate_loglevel_state(cx)
    }
    fn post_patch(cx: &Context<'_>) {
        callback_info("post_patch_callback", cx);
        Self::fix_console_loglevel(cx);
    }
    fn pre_unpatch(cx: &Context<'_>) {
        callback_info("pre_unpatch_callback", cx);
        Self::restore_console_loglevel(cx);
    }
    fn post_unpatch(cx: &Context<'_>) {
        callback_info("post_unpatch_callback", cx);
        Self::free_loglevel_state(cx);
    }
}

/// The whole port: `loglevel_patch!("test_klp_state2", 2, true)` is the
/// patch module `fix` of test_klp_state2 (state version 2, migrating).
macro_rules! loglevel_patch {
    ($name:literal, $version:literal, $migrates:literal) => {
        #[livepatch::patch(
                            name = $name,
                            authors = ["Petr Mladek <pmladek@suse.com>"],
                            description = "Livepatch test: system state modification",
                            license = "GPL",
                            replace = true,
                            states = [(crate::loglevel_state::CONSOLE_LOGLEVEL_STATE, $version)],
                        )]
        mod fix {
            /// The console_loglevel state callbacks of this version.
            #[callbacks]
            type Loglevel = crate::loglevel_state::Loglevel<$migrates>;
        }
    };
}
pub(crate) use loglevel_patch;
