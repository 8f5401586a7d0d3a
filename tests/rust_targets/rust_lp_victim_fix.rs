// SPDX-License-Identifier: GPL-2.0

//! Fixes both buggy functions of the Rust module `rust_victim`, naming them
//! by their Rust paths: the compiler reads their symbols and types from the
//! module crate's metadata (`--extern rust_victim=.../librust_victim.rmeta`,
//! see Kbuild), and checks the replacements' types against them.

#[livepatch::patch(
    description = "rust-livepatch test: fixes rust_victim's Rust functions, named by path",
    license = "GPL"
)]
mod fix {
    use core::ffi::CStr;
    use kernel::bindings;

    // SAFETY: the compiler checks that this has the type of
    // `rust_victim::rust_victim_double` (`extern "C" fn(u32) -> u32`) in the
    // rust_victim crate this patch is built against, which is the module
    // the tests load.
    #[unsafe(livepatch(target = rust_victim::rust_victim_double, object = "rust_victim"))]
    extern "C" fn double(x: u32) -> u32 {
        x + x
    }

    // SAFETY: as above, for `rust_victim::verdict`, a Rust-ABI function:
    // same compiler (the kernel's), same crate metadata, same types, so the
    // same calling convention.
    #[unsafe(livepatch(target = rust_victim::verdict, object = "rust_victim"))]
    fn verdict(score: Option<u32>, nap_ms: u32) -> &'static CStr {
        if nap_ms > 0 {
            // SAFETY: process context, as the original.
            unsafe { bindings::msleep(nap_ms) };
        }
        match score {
            Some(s) if s >= 50 => c"pass",
            Some(_) => c"fail",
            None => c"absent",
        }
    }
}
