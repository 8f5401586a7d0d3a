// SPDX-License-Identifier: GPL-2.0

//! A patch declaring a non-exported symbol that vmlinux lacks: the kernel
//! refuses it when it resolves the klp relocations, before patching.

include!("common/cmdline.rs");

cmdline_patch! {
    description = "rust-livepatch test: an external symbol the kernel lacks",
    symbols {
        fn rust_lp_no_such_function();
    }
    /// Would replace `/proc/cmdline`'s show function.
    fn cmdline_proc_show(_m) {
        // SAFETY: never runs: the kernel refuses the module, the symbol
        // being unresolvable.
        unsafe { rust_lp_no_such_function() };
        0
    }
}
