// SPDX-License-Identifier: GPL-2.0

//! Negative test: a klp symbol whose name vmlinux has more than once
//! (`c_start`, a static seq_file function of several files), with `sympos`
//! 0, which claims it is unique. The kernel refuses the module while it
//! resolves its klp relocations, before any init: `livepatch: unresolvable
//! ambiguity for symbol 'c_start' in object '(null)'` (sic: the kernel's
//! wording for vmlinux in this message).

include!("common/cmdline.rs");

cmdline_patch! {
    description = "rust-livepatch test: an ambiguous klp symbol, sympos 0",
    symbols {
        /// `static void *c_start(struct seq_file *, loff_t *)`, of which?
        fn c_start(m: *mut c_void, pos: *mut i64) -> *mut c_void;
    }
    /// Never installed: the module does not load.
    fn cmdline_proc_show(_m) {
        // SAFETY: never runs: the kernel refuses the module, the symbol
        // being ambiguous.
        unsafe { c_start(core::ptr::null_mut(), core::ptr::null_mut()) };
        0
    }
}
