// SPDX-License-Identifier: GPL-2.0

//! Negative test: `cmdline_proc_show` exists once in vmlinux, and
//! `sympos = 2` asks for a second. `insmod` must fail with `livepatch:
//! symbol position 2 for symbol 'cmdline_proc_show' in object 'vmlinux' not
//! found`. (A name that exists once stays past its last occurrence with any
//! configuration; `c_start` went from two to three when the test kernel got
//! CRYPTO's /proc/crypto.)

#[livepatch::patch(
    name = "rust_lp_bad_sympos",
    description = "rust-livepatch test: sympos past the last occurrence",
    license = "GPL"
)]
mod fix {
    /// Never installed: the lookup fails first.
    // SAFETY: never called: the core finds no second `cmdline_proc_show`.
    #[unsafe(livepatch(target = "cmdline_proc_show", sympos = 2))]
    unsafe extern "C" fn replacement() {}
}
