// SPDX-License-Identifier: GPL-2.0
//
// The patch of `rust_lp_external` and `rust_lp_external_unconverted`
// (included by both): replaces `cmdline_proc_show()` (fs/proc/cmdline.c)
// with a function that prints the real command line through vmlinux's
// non-exported `saved_command_line`, then the count of the non-exported
// `nr_processes()`. A module reaches neither by name: the macro declares them
// as klp symbols, `klp post-link` (run by the build after the module's link)
// turns their references into klp relocations, and the kernel resolves them
// when the patch loads.

include!("cmdline.rs");

cmdline_patch! {
    description = "rust-livepatch test: non-exported symbols through klp relocations",
    symbols {
        /// `char *saved_command_line` (init/main.c), not exported.
        static saved_command_line: *const kernel::ffi::c_char;
        /// `int nr_processes(void)` (kernel/fork.c), not exported.
        fn nr_processes() -> c_int;
    }
    /// The new `/proc/cmdline` show function: the command line as the
    /// original prints it, then a line that only the replacement prints.
    fn cmdline_proc_show(m) {
        // SAFETY: the patch is only enabled once klp resolved both symbols
        // (an unconverted module refuses to enable it): `saved_command_line`
        // is set at boot and never changes (`__ro_after_init`),
        // `nr_processes()` has no precondition.
        let (cmdline, processes) = unsafe { (saved_command_line, nr_processes()) };
        // SAFETY: the kernel calls this, as the original, with the
        // `seq_file` of a `/proc/cmdline` read in progress; the format is a
        // C string whose `%s` gets a C string and `%d` an int.
        unsafe {
            bindings::seq_printf(
                m,
                c"%s\nrust_lp_external: %d processes\n".as_ptr().cast(),
                cmdline,
                processes,
            )
        };
        0
    }
}
