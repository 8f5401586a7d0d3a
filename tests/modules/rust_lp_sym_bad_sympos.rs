// SPDX-License-Identifier: GPL-2.0

//! Negative test: a klp symbol with a `sympos` past the last symbol of the
//! name (`saved_command_line` exists once in vmlinux; `sympos = 2` asks for
//! a second). The kernel refuses the module while it resolves its klp
//! relocations: `livepatch: symbol position 2 for symbol
//! 'saved_command_line' in object 'vmlinux' not found`.

include!("common/cmdline.rs");

cmdline_patch! {
    description = "rust-livepatch test: a klp symbol's sympos past the last",
    symbols {
        /// `char *saved_command_line` (init/main.c): the only one.
        #[symbol(name = "saved_command_line", sympos = 2)]
        static second_command_line: *const kernel::ffi::c_char;
    }
    /// Never installed: the module does not load.
    fn cmdline_proc_show(m) {
        // SAFETY: never runs: the kernel refuses the module, there being no
        // second `saved_command_line`.
        unsafe { bindings::seq_printf(m, c"%s\n".as_ptr().cast(), second_command_line) };
        0
    }
}
