// SPDX-License-Identifier: GPL-2.0

//! The functions patched in vmlinux or in one module: `struct klp_object`.

use crate::{bindings, Funcs, ObjectCallbacks};
use core::ffi::CStr;
use kernel::types::Opaque;

/// A patched object: a `struct klp_object`.
///
/// Built by [`macro@crate::patch`], one per distinct `object = "..."`.
///
/// # Invariants
///
/// Either the value is all zeroes (the table terminator, private to
/// [`Objects`]), or `name` is null (vmlinux) or a NUL-terminated `'static`
/// module name, and `funcs` points to a terminated [`Funcs`] table that no
/// other object refers to. Once its patch is enabled, only the livepatch core
/// reads or writes it.
#[repr(transparent)]
pub struct Object(Opaque<bindings::klp_object>);

// SAFETY: Rust code writes an `Object` only while constructing it (by value);
// afterwards only the livepatch core accesses it, serialised by `klp_mutex`.
unsafe impl Sync for Object {}

impl Object {
    /// Describes the functions `funcs` patched in module `name` (`None`:
    /// vmlinux), and the callbacks run when it is patched and unpatched.
    ///
    /// # Safety
    ///
    /// No other `Object` may refer to `funcs`: the core links each of its
    /// entries into this object's list of functions.
    #[inline]
    pub const unsafe fn new<const N: usize>(
        name: Option<&'static CStr>,
        funcs: &'static Funcs<N>,
        callbacks: ObjectCallbacks,
    ) -> Self {
        let name = match name {
            Some(n) => n.as_ptr().cast(),
            None => core::ptr::null(),
        };
        // INVARIANT: `name` is null or `'static`; `funcs` is terminated by
        // construction and exclusive to this object by the safety requirement.
        // SAFETY: all-zero is the state the core expects of the internal
        // fields of a static `klp_object` (empty lists, no module).
        let mut obj: bindings::klp_object = unsafe { core::mem::zeroed() };
        obj.name = name;
        obj.funcs = funcs.as_ptr();
        obj.callbacks = callbacks.into_raw();
        Self(Opaque::new(obj))
    }

    /// The all-zero entry that ends a table.
    #[inline]
    const fn terminator() -> Self {
        // INVARIANT: all zeroes.
        Self(Opaque::zeroed())
    }
}

/// The object table of a patch: `N` objects and the all-zero terminator, laid
/// out as the C array `klp_object[N + 1]`.
#[repr(C)]
pub struct Objects<const N: usize> {
    objs: [Object; N],
    end: Object,
}

impl<const N: usize> Objects<N> {
    /// Builds the table; the terminator is added here, so it cannot be missing.
    #[inline]
    pub const fn new(objs: [Object; N]) -> Self {
        Self {
            objs,
            end: Object::terminator(),
        }
    }

    /// The C array, for `klp_patch.objs`.
    #[inline]
    pub(crate) const fn as_ptr(&self) -> *mut bindings::klp_object {
        // `Object` is a transparent `klp_object`, and `Self` is `repr(C)` with
        // members of the same type: no padding, so this is `klp_object[N + 1]`.
        core::ptr::from_ref(self).cast_mut().cast()
    }
}
