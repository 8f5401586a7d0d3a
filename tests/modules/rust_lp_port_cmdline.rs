// SPDX-License-Identifier: GPL-2.0

//! Rust port of kpatch's integration test `cmdline-string`
//! (test/integration/*/cmdline-string.patch in dynup/kpatch): the new
//! `cmdline_proc_show()` prints the command line, read through the
//! non-exported `saved_command_line`, with ` rust_lp_port_cmdline=1` appended
//! (kpatch's appends ` kpatch=1`).

include!("common/cmdline.rs");

cmdline_patch! {
    description = "Rust port of kpatch's cmdline-string test",
    symbols {
        /// `char *saved_command_line` (init/main.c), not exported.
        static saved_command_line: *const kernel::ffi::c_char;
    }
    /// fs/proc/cmdline.c's show function, with the marker before the
    /// newline.
    fn cmdline_proc_show(m) {
        // SAFETY: klp resolved the symbol when the module loaded (an
        // unconverted module refuses to enable the patch);
        // `saved_command_line` is set at boot and never changes after init
        // (`__ro_after_init`).
        let cmdline = unsafe { saved_command_line };
        // SAFETY: the kernel calls this, as the original, with the
        // `seq_file` of a `/proc/cmdline` read in progress; the format is a
        // C string whose one `%s` gets a C string.
        unsafe { bindings::seq_printf(m, c"%s rust_lp_port_cmdline=1\n".as_ptr().cast(), cmdline) };
        0
    }
}
