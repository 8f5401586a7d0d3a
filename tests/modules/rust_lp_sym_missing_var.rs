// SPDX-License-Identifier: GPL-2.0

//! Negative test: a klp symbol for a variable vmlinux lacks. The kernel
//! refuses the module while it resolves its klp relocations: `livepatch:
//! symbol 'rust_lp_no_such_variable' not found in symbol table`.

#[livepatch::patch(
    authors = ["rust-livepatch developers"],
    description = "rust-livepatch test: a klp symbol for a missing variable",
    license = "GPL"
)]
mod fix {
    use kernel::{
        bindings,
        ffi::{c_int, c_void},
    };

    #[symbols]
    extern "C" {
        static rust_lp_no_such_variable: c_int;
    }

    /// Never installed: the module does not load.
    // SAFETY: same signature as `cmdline_proc_show()` in fs/proc/cmdline.c:
    // `int (struct seq_file *, void *)`.
    #[unsafe(livepatch)]
    unsafe extern "C" fn cmdline_proc_show(m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
        // SAFETY: never runs: the kernel refuses the module, the variable
        // being unresolvable.
        unsafe { bindings::seq_printf(m, c"%d\n".as_ptr().cast(), rust_lp_no_such_variable) };
        0
    }
}
