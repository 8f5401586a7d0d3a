// SPDX-License-Identifier: GPL-2.0

//! Patches `rust_victim::triple`, which the compiler merged with
//! `rust_victim::thrice` (the same machine code: one body, two symbols, one
//! ftrace site). `klp info` reports the merge; once loaded, the patch
//! redirects both functions, which is what the check warns of.

#[livepatch::patch(
    description = "rust-livepatch test: patches a Rust function merged with another",
    license = "GPL"
)]
mod fix {
    // SAFETY: the compiler checks that this has the type of
    // `rust_victim::triple` (`fn(u32) -> u32`) in the rust_victim crate this
    // patch is built against, which is the module the tests load.
    #[unsafe(livepatch(target = rust_victim::triple, object = "rust_victim"))]
    fn triple(x: u32) -> u32 {
        x.wrapping_mul(3).wrapping_add(1000)
    }
}
