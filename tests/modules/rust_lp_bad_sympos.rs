// SPDX-License-Identifier: GPL-2.0

//! Negative test: `c_start` has two occurrences in vmlinux, and `sympos = 3`
//! asks for a third. `insmod` must fail with `livepatch: symbol position 3
//! for symbol 'c_start' in object 'vmlinux' not found`.

#[livepatch::patch(
    name = "rust_lp_bad_sympos",
    description = "rust-livepatch test: sympos past the last occurrence",
    license = "GPL"
)]
mod fix {
    /// Never installed: the lookup fails first.
    // SAFETY: never called: the core finds no third `c_start`.
    #[unsafe(livepatch(target = "c_start", sympos = 3))]
    unsafe extern "C" fn replacement() {}
}
