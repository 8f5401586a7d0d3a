// SPDX-License-Identifier: GPL-2.0

//! Negative test: a klp symbol with a `sympos` past the last symbol of the
//! name (`saved_command_line` exists once in vmlinux; `sympos = 2` asks for
//! a second). The kernel refuses the module while it resolves its klp
//! relocations: `livepatch: symbol position 2 for symbol
//! 'saved_command_line' in object 'vmlinux' not found`.

#[livepatch::patch(
    authors = ["rust-livepatch developers"],
    description = "rust-livepatch test: a klp symbol's sympos past the last",
    license = "GPL"
)]
mod fix {
    use kernel::{
        bindings,
        ffi::{c_char, c_int, c_void},
    };

    #[symbols]
    extern "C" {
        /// `char *saved_command_line` (init/main.c): the only one.
        #[symbol(name = "saved_command_line", sympos = 2)]
        static second_command_line: *const c_char;
    }

    /// Never installed: the module does not load.
    // SAFETY: same signature as `cmdline_proc_show()` in fs/proc/cmdline.c:
    // `int (struct seq_file *, void *)`.
    #[unsafe(livepatch)]
    unsafe extern "C" fn cmdline_proc_show(m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
        // SAFETY: never runs: the kernel refuses the module, there being no
        // second `saved_command_line`.
        unsafe { bindings::seq_printf(m, c"%s\n".as_ptr().cast(), second_command_line) };
        0
    }
}
