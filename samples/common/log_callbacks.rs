// SPDX-License-Identifier: GPL-2.0

//! The callbacks of the C demo modules: log every call (with
//! `callback_info()`), and let `pre_patch` return a chosen result. Include
//! `callback_info.rs` too.

use crate::callback_info::callback_info;
use kernel::prelude::*;
use livepatch::Context;

/// What the pre-patch callback of [`LogCallbacks`] returns.
pub(crate) trait PrePatch {
    /// The result `pre_patch` returns after logging.
    fn result() -> Result;
}

/// A pre-patch callback that always succeeds.
pub(crate) struct Succeed;

impl PrePatch for Succeed {
    fn result() -> Result {
        Ok(())
    }
}

/// The result of a `pre_patch_ret` parameter, as the C demos return it: 0
/// succeeds, anything else is that errno.
#[allow(dead_code)] // Not every including crate has a `pre_patch_ret`.
pub(crate) fn errno_result(ret: i32) -> Result {
    match ret {
        0 => Ok(()),
        errno => Err(Error::from_errno(errno)),
    }
}

/// Callbacks that log every call, as the C demo modules' do; `pre_patch`
/// then returns `P::result()`.
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
