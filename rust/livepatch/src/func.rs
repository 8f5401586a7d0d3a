// SPDX-License-Identifier: GPL-2.0

//! One replaced function: `struct klp_func`.

use crate::bindings;
use core::ffi::{c_void, CStr};
use kernel::types::Opaque;

/// A function replacement: a `struct klp_func`.
///
/// Built by [`macro@crate::patch`]; see [`Func::new`] to build one by hand.
///
/// # Invariants
///
/// Either the value is all zeroes (the table terminator, private to [`Funcs`]),
/// or `old_name` points to a NUL-terminated `'static` string and `new_func` to
/// a function with the ABI and signature of the function `old_name` names.
/// Once its patch is enabled, only the livepatch core reads or writes it.
#[repr(transparent)]
pub struct Func(Opaque<bindings::klp_func>);

// SAFETY: Rust code writes a `Func` only while constructing it (by value);
// afterwards only the livepatch core accesses it, serialised by `klp_mutex`.
unsafe impl Sync for Func {}

impl Func {
    /// Describes the replacement of the C function `old_name` by `new_func`.
    ///
    /// `old_sympos` picks among several local symbols of the same name (1 is
    /// the first in kallsyms order); 0 requires the name to be unique.
    ///
    /// # Safety
    ///
    /// `new_func` must be the address of a function that lives as long as the
    /// patch and has exactly the ABI and signature of the C function
    /// `old_name`: the kernel enters it in place of that function, with its
    /// arguments.
    #[inline]
    pub const unsafe fn new(
        old_name: &'static CStr,
        new_func: *const c_void,
        old_sympos: u64,
    ) -> Self {
        // INVARIANT: `old_name` is `'static` and NUL-terminated; the caller
        // vouches for `new_func`.
        // SAFETY: all-zero is the state the core expects of the internal
        // fields of a static `klp_func` (null pointers, false, empty lists).
        let mut func: bindings::klp_func = unsafe { core::mem::zeroed() };
        func.old_name = old_name.as_ptr().cast();
        func.new_func = new_func.cast_mut();
        // `unsigned long` is 64 bits wide on every architecture with livepatch.
        func.old_sympos = old_sympos as _;
        Self(Opaque::new(func))
    }

    /// Describes the replacement of the function whose symbol name is the
    /// NUL-terminated string at `old_name` by `new_func`: [`Func::new`] for a
    /// name only known to the assembler (a Rust target's mangled symbol,
    /// which the patch macro writes into `.rodata` with a `sym` operand).
    ///
    /// # Safety
    ///
    /// `old_name` must point to a NUL-terminated string that lives as long
    /// as the patch, and `new_func` must be as [`Func::new`] requires: it
    /// has exactly the ABI and signature of the function `old_name` names.
    #[inline]
    pub const unsafe fn with_symbol(
        old_name: *const u8,
        new_func: *const c_void,
        old_sympos: u64,
    ) -> Self {
        // INVARIANT: the caller vouches for `old_name` and `new_func`.
        // SAFETY: all-zero is the state the core expects of the internal
        // fields of a static `klp_func` (null pointers, false, empty lists).
        let mut func: bindings::klp_func = unsafe { core::mem::zeroed() };
        func.old_name = old_name.cast();
        func.new_func = new_func.cast_mut();
        func.old_sympos = old_sympos as _;
        Self(Opaque::new(func))
    }

    /// The all-zero entry that ends a table.
    #[inline]
    const fn terminator() -> Self {
        // INVARIANT: all zeroes.
        Self(Opaque::zeroed())
    }
}

/// The function table of one object: `N` replacements and the all-zero
/// terminator the core stops at, laid out as the C array `klp_func[N + 1]`.
#[repr(C)]
pub struct Funcs<const N: usize> {
    funcs: [Func; N],
    end: Func,
}

impl<const N: usize> Funcs<N> {
    /// Builds the table; the terminator is added here, so it cannot be missing.
    #[inline]
    pub const fn new(funcs: [Func; N]) -> Self {
        Self {
            funcs,
            end: Func::terminator(),
        }
    }

    /// The C array, for `klp_object.funcs`.
    #[inline]
    pub(crate) const fn as_ptr(&self) -> *mut bindings::klp_func {
        // `Func` is a transparent `klp_func`, and `Self` is `repr(C)` with
        // members of the same type: no padding, so this is `klp_func[N + 1]`.
        core::ptr::from_ref(self).cast_mut().cast()
    }
}
