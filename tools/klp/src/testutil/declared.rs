//! Signature records (crate::declared) as the macro writes them, and the
//! livepatch `.ko` that carries them.

use super::{klp_module_with, vmlinux_fn, Layout, Modinfo};
use crate::declared::{self, Declared, RClass, RustType};

/// The name the macro records for the type written `path`: its last path
/// segment; none for a type that is not a path (`()`, `fn(..)`).
fn name(path: &str) -> String {
    if path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    {
        path.rsplit("::").next().unwrap().into()
    } else {
        String::new()
    }
}

/// The type written `spelling`, by value.
pub fn ty(class: RClass, signed: bool, size: u32, spelling: &str) -> RustType {
    RustType {
        class,
        signed,
        size,
        pointee_class: None,
        pointee_size: None,
        spelling: spelling.into(),
        name: name(spelling),
    }
}

/// The integer type written `spelling`.
pub fn int(spelling: &str, size: u32, signed: bool) -> RustType {
    ty(RClass::Int, signed, size, spelling)
}

pub fn c_int() -> RustType {
    int("c_int", 4, true)
}

pub fn unit() -> RustType {
    ty(RClass::Void, false, 0, "()")
}

/// The pointer written `spelling` (`*mut T` or `*const T`), T of `class`
/// and `size`.
pub fn ptr(spelling: &str, class: RClass, size: u32) -> RustType {
    let pointee = spelling
        .trim_start_matches("*mut ")
        .trim_start_matches("*const ");
    RustType {
        pointee_class: Some(class),
        pointee_size: Some(size),
        name: name(pointee),
        ..ty(RClass::Pointer, false, 8, spelling)
    }
}

pub fn void_ptr() -> RustType {
    ptr("*mut c_void", RClass::Void, 1)
}

/// `*mut bindings::seq_file`: 24 bytes, as in the BTF fixtures.
pub fn seq_file_ptr() -> RustType {
    ptr("*mut bindings::seq_file", RClass::Aggregate, 24)
}

/// The replacement of vmlinux's `target` (sympos 0), named after it.
pub fn vmlinux_decl(target: &str, ret: RustType, params: Vec<(&str, RustType)>) -> Declared {
    Declared {
        object: "vmlinux".into(),
        target: target.into(),
        sympos: 0,
        replacement: target.into(),
        unchecked: false,
        ret,
        params: params.into_iter().map(|(n, t)| (n.into(), t)).collect(),
    }
}

/// The livepatch `lp` of vmlinux's function `d.target` (a Rust build), with
/// `d` as its signature record.
pub fn patch_with_record(d: Declared) -> Vec<u8> {
    klp_module_with(
        &Modinfo::livepatch("lp"),
        &vmlinux_fn(&d.target),
        false,
        Layout::Rust,
        &[(declared::SECTION, &declared::write(&[d], false))],
    )
}
