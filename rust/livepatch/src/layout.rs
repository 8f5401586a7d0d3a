// SPDX-License-Identifier: GPL-2.0

//! Build-time check that bindgen's layout of the livepatch structs is the C
//! compiler's.
//!
//! `layout.c` is compiled with the module's own C flags and emits the size of
//! each struct and the offset of each field the crate writes; Kbuild turns
//! that into constants. Any difference fails the build: the descriptors are
//! handed to C code that would otherwise read the wrong bytes.

use crate::bindings;
use core::mem::{offset_of, size_of};

#[allow(non_upper_case_globals, dead_code)]
mod c {
    include!(concat!(env!("RUST_LIVEPATCH_GEN"), "/layout_generated.rs"));
}

macro_rules! same_layout {
    ($t:ident, $size:ident { $($field:ident => $off:ident),* $(,)? }) => {
        const _: () = assert!(
            size_of::<bindings::$t>() == c::$size,
            concat!("struct ", stringify!($t), ": bindgen and the C compiler disagree on its size"),
        );
        $(
            const _: () = assert!(
                offset_of!(bindings::$t, $field) == c::$off,
                concat!(
                    "struct ", stringify!($t), ": bindgen and the C compiler disagree on the offset of `",
                    stringify!($field), "`"
                ),
            );
        )*
    };
}

same_layout!(klp_func, SIZE_klp_func {
    old_name => OFFSET_klp_func_old_name,
    new_func => OFFSET_klp_func_new_func,
    old_sympos => OFFSET_klp_func_old_sympos,
});
same_layout!(klp_object, SIZE_klp_object {
    name => OFFSET_klp_object_name,
    funcs => OFFSET_klp_object_funcs,
    callbacks => OFFSET_klp_object_callbacks,
});
same_layout!(klp_patch, SIZE_klp_patch {
    mod_ => OFFSET_klp_patch_mod,
    objs => OFFSET_klp_patch_objs,
    states => OFFSET_klp_patch_states,
    replace => OFFSET_klp_patch_replace,
});
same_layout!(klp_callbacks, SIZE_klp_callbacks {});
same_layout!(klp_state, SIZE_klp_state {});
