// SPDX-License-Identifier: GPL-2.0

//! A patch of a module that is never loaded: it enables, and its object stays
//! pending (`patched` 0) until such a module appears, which it never does.
//! Its `exit` function logs when the module is removed.

#[livepatch::patch(
    name = "rust_lp_absent_object",
    description = "rust-livepatch test: target module never loaded",
    license = "GPL",
    exit = goodbye,
)]
mod fix {
    use kernel::prelude::*;

    /// Module exit.
    fn goodbye() {
        pr_info!("module exit\n");
    }

    /// Would replace a function of a module no kernel has.
    // SAFETY: never called: the target module never loads.
    #[unsafe(livepatch(object = "rust_lp_never_loaded", target = "rust_lp_never_loaded_fn"))]
    unsafe extern "C" fn replacement() {}
}
