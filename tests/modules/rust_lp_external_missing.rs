// SPDX-License-Identifier: GPL-2.0

//! A patch declaring a non-exported symbol that vmlinux lacks: the kernel
//! refuses it when it resolves the klp relocations, before patching.

#[livepatch::patch(
    authors = ["rust-livepatch developers"],
    description = "rust-livepatch test: an external symbol the kernel lacks",
    license = "GPL"
)]
mod fix {
    use kernel::{
        bindings,
        ffi::{c_int, c_void},
    };

    #[symbols]
    extern "C" {
        fn rust_lp_no_such_function();
    }

    /// Would replace `/proc/cmdline`'s show function.
    // SAFETY: same signature as `cmdline_proc_show()` in fs/proc/cmdline.c:
    // `int (struct seq_file *, void *)`.
    #[unsafe(livepatch)]
    unsafe extern "C" fn cmdline_proc_show(_m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
        // SAFETY: never runs: the kernel refuses the module, the symbol
        // being unresolvable.
        unsafe { rust_lp_no_such_function() };
        0
    }
}
