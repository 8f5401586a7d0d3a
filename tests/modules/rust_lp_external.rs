// SPDX-License-Identifier: GPL-2.0

//! A patch that reads a non-exported variable and calls a non-exported
//! function of vmlinux (klp relocations): see `common/external.rs`. Built
//! like any module, then converted by `klp post-link` (scripts/build.sh).

use kernel::prelude::*;

#[path = "common/external.rs"]
mod external;
#[path = "common/klp_converted.rs"]
mod klp_converted;

module! {
    type: RustLpExternal,
    name: "rust_lp_external",
    authors: ["rust-livepatch developers"],
    description: "rust-livepatch test: non-exported symbols through klp relocations",
    license: "GPL",
}

struct RustLpExternal;

impl kernel::Module for RustLpExternal {
    fn init(module: &'static ThisModule) -> Result<Self> {
        external::enable(module)?;
        Ok(RustLpExternal)
    }
}
