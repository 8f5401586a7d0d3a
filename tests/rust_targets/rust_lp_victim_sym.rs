// SPDX-License-Identifier: GPL-2.0

//! Fixes `rust_victim_double()` of the Rust module `rust_victim` by its
//! symbol name (a `#[no_mangle] extern "C"` function): no metadata of the
//! target's crate needed, the signature is this patch's promise. `sympos =
//! 1`: the first (and only) symbol of that name in the module.

#[livepatch::patch(
    description = "rust-livepatch test: fixes an extern \"C\" Rust function by its symbol",
    license = "GPL"
)]
mod fix {
    // SAFETY: `rust_victim_double` is `pub extern "C" fn(u32) -> u32` in
    // tests/rust_targets/rust_victim.rs. The kernel's BTF has no Rust
    // function: `klp` cannot check it (`unchecked_signature`).
    #[unsafe(livepatch(
        target = "rust_victim_double",
        object = "rust_victim",
        sympos = 1,
        unchecked_signature
    ))]
    unsafe extern "C" fn double_by_symbol(x: u32) -> u32 {
        2 * x
    }
}
