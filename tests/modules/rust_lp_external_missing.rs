// SPDX-License-Identifier: GPL-2.0

//! A patch that calls a vmlinux function no kernel has, through a klp
//! relocation: `klp load` must refuse it (not in /proc/kallsyms), and the
//! kernel must refuse to load it ("symbol ... not found in symbol table")
//! without running any of it. The external symbol is declared by hand, as a
//! stand-in for the macro (see `common/external.rs`).

use kernel::prelude::*;

#[path = "common/klp_converted.rs"]
mod klp_converted;

extern "C" {
    #[link_name = ".klp.sym.vmlinux.rust_lp_no_such_function,0"]
    fn rust_lp_no_such_function();
}
core::arch::global_asm!(".weak \".klp.sym.vmlinux.rust_lp_no_such_function,0\"");

module! {
    type: RustLpExternalMissing,
    name: "rust_lp_external_missing",
    authors: ["rust-livepatch developers"],
    description: "rust-livepatch test: an external symbol the kernel lacks",
    license: "GPL",
}

#[livepatch::patch]
mod fix {
    use kernel::{
        bindings,
        ffi::{c_int, c_void},
    };

    /// Would replace `/proc/cmdline`'s show function.
    #[livepatch]
    unsafe extern "C" fn cmdline_proc_show(_m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
        // SAFETY: never runs: the kernel refuses the module, the symbol
        // being unresolvable.
        unsafe { super::rust_lp_no_such_function() };
        0
    }
}

struct RustLpExternalMissing;

impl kernel::Module for RustLpExternalMissing {
    fn init(module: &'static ThisModule) -> Result<Self> {
        klp_converted::check()?;
        fix::PATCH.enable(module)?;
        Ok(RustLpExternalMissing)
    }
}
