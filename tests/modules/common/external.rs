// SPDX-License-Identifier: GPL-2.0

//! The patch of `rust_lp_external` and `rust_lp_external_unconverted`:
//! replaces `cmdline_proc_show()` (fs/proc/cmdline.c) with a function that
//! prints the real command line through vmlinux's non-exported
//! `saved_command_line`, then the count of the non-exported
//! `nr_processes()`. A module reaches neither by name: klp resolves them
//! through klp relocations when the patch loads.
//!
//! The external-symbol part (the `extern` block and the `.weak` directives
//! here, the marker and its check in `klp_converted.rs`) is written by hand,
//! as a stand-in for what the patch macro will emit for each external symbol
//! a patch declares. `klp post-link` (run by scripts/build.sh after the
//! module's link) turns it into klp relocations and sets the marker.

use kernel::{
    ffi::{c_char, c_int},
    prelude::*,
};

// Stand-in for the macro: one foreign item per external symbol, named
// `.klp.sym.<object>.<name>,<sympos>` (sympos 0: the name is unique in the
// object), and made WEAK below so that the module links and modpost does
// not look for it among the exports.
#[allow(non_upper_case_globals)]
extern "C" {
    /// `char *saved_command_line` (init/main.c), not exported.
    #[link_name = ".klp.sym.vmlinux.saved_command_line,0"]
    static saved_command_line: *const c_char;
    /// `int nr_processes(void)` (kernel/fork.c), not exported.
    #[link_name = ".klp.sym.vmlinux.nr_processes,0"]
    fn nr_processes() -> c_int;
}
core::arch::global_asm!(
    ".weak \".klp.sym.vmlinux.saved_command_line,0\"",
    ".weak \".klp.sym.vmlinux.nr_processes,0\"",
);

/// Enables the patch if the module was converted (see `klp_converted.rs`).
pub(crate) fn enable(module: &'static ThisModule) -> Result {
    crate::klp_converted::check()?;
    fix::PATCH.enable(module)
}

#[livepatch::patch]
pub(crate) mod fix {
    use super::{nr_processes, saved_command_line};
    use kernel::{
        bindings,
        ffi::{c_int, c_void},
    };

    /// The new `/proc/cmdline` show function: the command line as the
    /// original prints it, then a line that only the replacement prints.
    #[livepatch]
    unsafe extern "C" fn cmdline_proc_show(m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
        // SAFETY: the patch is only enabled once klp resolved both symbols
        // (`enable` checks the conversion): `saved_command_line` is set at
        // boot and never changes (`__ro_after_init`), `nr_processes()` has
        // no precondition.
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
