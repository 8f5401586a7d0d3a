// SPDX-License-Identifier: GPL-2.0
//
// `cmdline_patch!`, for the test patches that replace `cmdline_proc_show()`
// (fs/proc/cmdline.c) with a function using klp symbols (included by each):
//
//     cmdline_patch! {
//         description = "...",
//         symbols { /* the `#[symbols] extern "C"` block's items */ }
//         /// What the replacement does.
//         fn cmdline_proc_show(m) { /* the body: returns a c_int */ }
//     }
//
// makes the `#[livepatch::patch] mod fix` with those symbols (of vmlinux) and
// that replacement, `m` naming its `*mut bindings::seq_file` parameter. The
// body and the symbols see `bindings`, `c_int` and `c_void`.

macro_rules! cmdline_patch {
    (
        description = $description:literal,
        symbols { $($symbols:tt)* }
        $(#[$($attr:tt)*])*
        fn cmdline_proc_show($m:ident) { $($body:tt)* }
    ) => {
        #[livepatch::patch(description = $description, license = "GPL")]
        mod fix {
            use kernel::{
                bindings,
                ffi::{c_int, c_void},
            };

            #[symbols]
            extern "C" {
                $($symbols)*
            }

            $(#[$($attr)*])*
            // SAFETY: same signature as `cmdline_proc_show()` in
            // fs/proc/cmdline.c: `int (struct seq_file *, void *)`.
            #[unsafe(livepatch)]
            unsafe extern "C" fn cmdline_proc_show($m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
                $($body)*
            }
        }
    };
}
