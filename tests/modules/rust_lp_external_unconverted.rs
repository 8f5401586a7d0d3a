// SPDX-License-Identifier: GPL-2.0

//! The same patch as `rust_lp_external`, left unconverted: scripts/build.sh
//! runs `klp post-link` on every module it builds except the
//! `*_unconverted` test modules, which stand for a module whose post-link
//! step was forgotten. Its init must refuse to enable the patch (the
//! external symbols would be address 0), and `klp load` must refuse it.

use kernel::prelude::*;

#[path = "common/external.rs"]
mod external;
#[path = "common/klp_converted.rs"]
mod klp_converted;

module! {
    type: RustLpExternalUnconverted,
    name: "rust_lp_external_unconverted",
    authors: ["rust-livepatch developers"],
    description: "rust-livepatch test: a module klp post-link did not convert",
    license: "GPL",
}

struct RustLpExternalUnconverted;

impl kernel::Module for RustLpExternalUnconverted {
    fn init(module: &'static ThisModule) -> Result<Self> {
        external::enable(module)?;
        Ok(RustLpExternalUnconverted)
    }
}
