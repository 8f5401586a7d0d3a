// SPDX-License-Identifier: GPL-2.0

//! Negative test: `c_start` names several local functions in vmlinux
//! (fs/proc/cpuinfo.c and another seq_file), and `sympos` 0 claims the name is
//! unique. `insmod` must fail with `livepatch: unresolvable ambiguity for
//! symbol 'c_start' in object '(null)'` (sic: the kernel's wording for
//! vmlinux in this message).

#[livepatch::patch(
    name = "rust_lp_ambiguous",
    description = "rust-livepatch test: ambiguous target, sympos 0",
    license = "GPL"
)]
mod fix {
    /// Never installed: the lookup fails first.
    // SAFETY: never called: the core refuses the ambiguous name before patching.
    #[unsafe(livepatch(target = "c_start"))]
    unsafe extern "C" fn replacement() {}
}
