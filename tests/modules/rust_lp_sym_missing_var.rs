// SPDX-License-Identifier: GPL-2.0

//! Negative test: a klp symbol for a variable vmlinux lacks. The kernel
//! refuses the module while it resolves its klp relocations: `livepatch:
//! symbol 'rust_lp_no_such_variable' not found in symbol table`.

include!("common/cmdline.rs");

cmdline_patch! {
    description = "rust-livepatch test: a klp symbol for a missing variable",
    symbols {
        static rust_lp_no_such_variable: c_int;
    }
    /// Never installed: the module does not load.
    fn cmdline_proc_show(m) {
        // SAFETY: never runs: the kernel refuses the module, the variable
        // being unresolvable.
        unsafe { bindings::seq_printf(m, c"%d\n".as_ptr().cast(), rust_lp_no_such_variable) };
        0
    }
}
