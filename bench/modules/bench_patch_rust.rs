// SPDX-License-Identifier: GPL-2.0

//! The Rust patch of `bench_target_fn()` (module bench_target): the same
//! patch as bench_patch_c.c, with the same body.

#[livepatch::patch(
    name = "bench_patch_rust",
    authors = ["rust-livepatch developers"],
    description = "rust-livepatch bench: Rust patch of bench_target_fn",
    license = "GPL",
)]
mod fix {
    use kernel::ffi::c_int;

    /// The new `bench_target_fn()`.
    // SAFETY: same signature as `bench_target_fn()` in bench/modules/bench_target.c: `int (int)`.
    #[unsafe(livepatch(object = "bench_target"))]
    unsafe extern "C" fn bench_target_fn(x: c_int) -> c_int {
        x ^ 2
    }
}
