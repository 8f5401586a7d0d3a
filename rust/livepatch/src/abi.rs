// SPDX-License-Identifier: GPL-2.0

//! How a replacement's parameters and return value are passed, as the patch
//! macro records it for `klp` to check against the kernel's BTF (the record
//! format is documented in tools/klp/src/declared.rs).
//!
//! The macro emits, per replacement, a record in the non-loaded section
//! `.note.rust_livepatch.signatures` with `global_asm!` whose `const` operands
//! are [`Probe::<T>::CLASS`](Probe) and friends: what each type is (integer,
//! pointer, ...), its size and signedness, computed by the compiler.

use core::marker::PhantomData;

/// The CLASS values of a record.
pub mod class {
    /// `()`, `c_void`.
    pub const VOID: u8 = 0;
    /// `bool`.
    pub const BOOL: u8 = 1;
    /// An integer.
    pub const INT: u8 = 2;
    /// A raw pointer.
    pub const POINTER: u8 = 3;
    /// An `extern "C"` function pointer, or an `Option` of one.
    pub const FN_POINTER: u8 = 4;
    /// A floating-point number.
    pub const FLOAT: u8 = 5;
    /// A struct or union passed by value: any type [`super::CAbi`] does
    /// not know.
    pub const AGGREGATE: u8 = 6;
}

/// How a C-ABI type is passed.
///
/// # Safety
///
/// `CLASS` and `SIGNED` describe `Self` truly: `klp` relies on them to check
/// a replacement's signature against the kernel's.
pub unsafe trait CAbi {
    /// One of [`class`].
    const CLASS: u8;
    /// Whether it is a signed integer (or a float).
    const SIGNED: bool = false;
}

macro_rules! abi {
    ($class:ident, $signed:expr, $($t:ty),*) => {
        $(
            // SAFETY: `$t` is of that class and signedness.
            unsafe impl CAbi for $t {
                const CLASS: u8 = class::$class;
                const SIGNED: bool = $signed;
            }
        )*
    };
}
abi!(INT, true, i8, i16, i32, i64, isize);
abi!(INT, false, u8, u16, u32, u64, usize);
abi!(BOOL, false, bool);
abi!(VOID, false, (), core::ffi::c_void);

// SAFETY: a raw pointer.
unsafe impl<T: ?Sized> CAbi for *mut T {
    const CLASS: u8 = class::POINTER;
}

// SAFETY: a raw pointer.
unsafe impl<T: ?Sized> CAbi for *const T {
    const CLASS: u8 = class::POINTER;
}

macro_rules! fn_ptr {
    ($($a:ident),*) => {
        // SAFETY: a function pointer.
        unsafe impl<R, $($a),*> CAbi for unsafe extern "C" fn($($a),*) -> R {
            const CLASS: u8 = class::FN_POINTER;
        }
        // SAFETY: a function pointer.
        unsafe impl<R, $($a),*> CAbi for extern "C" fn($($a),*) -> R {
            const CLASS: u8 = class::FN_POINTER;
        }
        // SAFETY: a nullable function pointer, passed as one.
        unsafe impl<R, $($a),*> CAbi for Option<unsafe extern "C" fn($($a),*) -> R> {
            const CLASS: u8 = class::FN_POINTER;
        }
        // SAFETY: a nullable function pointer, passed as one.
        unsafe impl<R, $($a),*> CAbi for Option<extern "C" fn($($a),*) -> R> {
            const CLASS: u8 = class::FN_POINTER;
        }
    };
}
fn_ptr!();
fn_ptr!(A);
fn_ptr!(A, B);
fn_ptr!(A, B, C);
fn_ptr!(A, B, C, D);
fn_ptr!(A, B, C, D, E);
fn_ptr!(A, B, C, D, E, F);
fn_ptr!(A, B, C, D, E, F, G);
fn_ptr!(A, B, C, D, E, F, G, H);

/// `Probe::<T>::CLASS`: `T`'s class if it implements [`CAbi`], otherwise
/// [`class::AGGREGATE`] (a struct or union by value). The inherent
/// constants, whose bound `T: CAbi` must hold, win over [`Fallback`]'s for
/// the concrete types the macro names.
pub struct Probe<T: ?Sized>(PhantomData<T>);

impl<T: CAbi + ?Sized> Probe<T> {
    /// `T`'s class.
    pub const CLASS: u8 = T::CLASS;
    /// 1 if `T` is signed.
    pub const SIGNED: u8 = T::SIGNED as u8;
}

/// The constants of [`Probe`] for a type that does not implement [`CAbi`].
pub trait Fallback {
    /// A struct or union by value.
    const CLASS: u8 = class::AGGREGATE;
    /// Not a signed integer.
    const SIGNED: u8 = 0;
}

impl<T: ?Sized> Fallback for Probe<T> {}
