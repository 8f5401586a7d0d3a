// SPDX-License-Identifier: GPL-2.0

//! Stand-in for what `#[livepatch::patch]` will emit in a patch that uses
//! external symbols: the marker byte `klp post-link` sets, and the check
//! the generated init makes before enabling the patch.

use kernel::{
    prelude::*,
    sync::atomic::{Atomic, Relaxed},
};

/// 0 as built, set to 1 in the file by `klp post-link`. Initialised data
/// (not `.bss`), so the file has the byte.
#[export_name = "__rust_livepatch_klp_converted"]
#[link_section = ".data.rust_livepatch_klp_converted"]
static KLP_CONVERTED: Atomic<i8> = Atomic::new(0);

/// Fails (and says why in the kernel log) unless the module was converted:
/// otherwise its external symbols were never resolved (the loader accepts
/// an unresolved WEAK symbol as address 0), and no code using them may run.
pub(crate) fn check() -> Result {
    if KLP_CONVERTED.load(Relaxed) == 1 {
        return Ok(());
    }
    pr_err!(
        "refusing to enable: external symbols unresolved, the module was not converted by 'klp post-link' after its link\n"
    );
    Err(EINVAL)
}
