// SPDX-License-Identifier: GPL-2.0

//! Shadow variables: data a livepatch attaches to existing kernel objects
//! (`klp_shadow_*`, kernel/livepatch/shadow.c), typically a field the fixed
//! code needs but the original struct lacks.
//!
//! A [`Shadow<T>`] is one kind of shadow data, identified by its `id`; each
//! object (any address, usually a struct the patch sees) has at most one
//! value of each kind. Values are allocated and freed by the core; this API
//! moves a Rust `T` in and drops it on free.
//!
//! # Locking rules
//!
//! The core constructs and destroys shadow data under its `klp_shadow_lock`
//! spinlock with interrupts disabled. So the constructor closure of
//! [`Shadow::alloc_with`] / [`Shadow::get_or_alloc_with`], the [`Destructor`]
//! of [`Shadow::free_with`], and `T`'s `Drop` must not sleep: no mutex, no
//! `GFP_KERNEL` allocation, no `msleep`, no calls back into `klp_shadow_*`.
//! Moving a value in (plain [`Shadow::alloc`]) is always fine.
//!
//! [`Shadow::alloc`] and [`Shadow::get_or_alloc`] move a value in; when they
//! fail, the [`AllocError`] gives it back (the C caller keeps its data too).
//!
//! [`Shadow::get`] gives a shared `&T`: shadow data that the patched code
//! updates (a counter, a flag) must be interior-mutable, e.g. an
//! `Atomic<i32>` (as in samples/rust_livepatch_shadow_fix2.rs) or a lock.

use crate::bindings;
use core::{
    cell::Cell,
    ffi::c_void,
    marker::PhantomData,
    mem::{align_of, needs_drop, size_of, ManuallyDrop},
    ptr,
};
use kernel::{
    error::{code::*, Error, Result},
    ffi::c_int,
};

/// Where shadow data is allocated from: the `gfp_t` of `klp_shadow_alloc()`.
/// (`kernel::alloc::Flags` has no public raw value.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gfp {
    /// `GFP_KERNEL`: may sleep; process context.
    Kernel,
    /// `GFP_ATOMIC`: does not sleep; may use emergency reserves.
    Atomic,
    /// `GFP_NOWAIT`: does not sleep.
    NoWait,
}

impl Gfp {
    #[inline]
    fn as_raw(self) -> kernel::bindings::gfp_t {
        match self {
            Gfp::Kernel => kernel::bindings::GFP_KERNEL,
            Gfp::Atomic => kernel::bindings::GFP_ATOMIC,
            Gfp::NoWait => kernel::bindings::GFP_NOWAIT,
        }
    }
}

/// The error of [`Shadow::alloc`] and [`Shadow::get_or_alloc`]: why, and
/// the value that was not attached (as `kernel::xarray::StoreError`).
pub struct AllocError<T> {
    /// `EEXIST` or `ENOMEM`.
    pub error: Error,
    /// The value given to the call, untouched.
    pub value: T,
}

impl<T> From<AllocError<T>> for Error {
    #[inline]
    fn from(e: AllocError<T>) -> Self {
        e.error
    }
}

impl<T> core::fmt::Debug for AllocError<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AllocError")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

/// One kind of shadow variable: values of type `T` under `id`.
pub struct Shadow<T> {
    id: u64,
    _t: PhantomData<fn(T) -> T>,
}

/// A destructor that sees the object and the value before it is dropped
/// (`klp_shadow_dtor_t`). Runs under the core's spinlock: see the
/// [module docs](self).
pub trait Destructor<T> {
    /// Called with the object's address and its shadow value.
    fn destroy(obj: *mut c_void, data: &mut T);
}

/// What the constructor trampoline gets as `ctor_data`.
struct Ctor<F> {
    init: Option<F>,
    error: Option<Error>,
}

/// Runs the Rust constructor in the core's `ctor` callback and moves the
/// value it returns into the new shadow data.
///
/// # Safety
///
/// `shadow_data` must be a fresh allocation of `size_of::<T>()` bytes,
/// aligned for `T`, and `ctor_data` a `*mut Ctor<F>` valid for the call.
#[inline]
unsafe extern "C" fn construct<T, F>(
    obj: *mut c_void,
    shadow_data: *mut c_void,
    ctor_data: *mut c_void,
) -> c_int
where
    F: FnOnce(*mut c_void, *const T) -> Result<T>,
{
    // SAFETY: `ctor_data` is the `Ctor<F>` `Shadow::alloc_raw` passed.
    let ctor = unsafe { &mut *ctor_data.cast::<Ctor<F>>() };
    let Some(init) = ctor.init.take() else {
        return EINVAL.to_errno();
    };
    match init(obj, shadow_data.cast::<T>()) {
        Ok(value) => {
            // SAFETY: `shadow_data` is fresh, sized and aligned for `T` (the
            // caller's guarantee): writing a whole `T` initialises it.
            unsafe { shadow_data.cast::<T>().write(value) };
            0
        }
        Err(e) => {
            ctor.error = Some(e);
            e.to_errno()
        }
    }
}

/// Drops the value in the core's `dtor` callback.
///
/// # Safety
///
/// `shadow_data` must hold an initialised `T` that nothing uses afterwards.
#[inline]
unsafe extern "C" fn destroy<T, D: Destructor<T>>(obj: *mut c_void, shadow_data: *mut c_void) {
    let data = shadow_data.cast::<T>();
    // SAFETY: `data` holds an initialised `T` (the caller's guarantee).
    D::destroy(obj, unsafe { &mut *data });
    // SAFETY: as above; it is not used again.
    unsafe { ptr::drop_in_place(data) };
}

/// The [`Destructor`] that only drops the value.
struct DropOnly;

impl<T> Destructor<T> for DropOnly {
    #[inline]
    fn destroy(_obj: *mut c_void, _data: &mut T) {}
}

/// The object key: its address.
#[inline]
fn key<O: ?Sized>(obj: &O) -> *mut c_void {
    ptr::from_ref(obj).cast::<c_void>().cast_mut()
}

impl<T: Send + Sync> Shadow<T> {
    /// Shadow values of type `T` under `id`.
    ///
    /// `T` must not need more alignment than a pointer: the core stores the
    /// data right after its pointer-aligned header.
    ///
    /// # Safety
    ///
    /// Shadow ids are one namespace for the whole kernel: every livepatch, C
    /// or Rust, stores and finds values under the same ids (the shadow fix
    /// samples rely on it to hand data over). So `id` must name values of
    /// type `T` kernel-wide: every value any code attaches under `id` while
    /// this `Shadow` may read or free values is a valid `T`, allocated with
    /// at least `size_of::<T>()` bytes, that may be dropped as a `T`. Choose
    /// an id no unrelated code uses, or agree on the type with the code that
    /// shares it.
    #[inline]
    pub const unsafe fn new(id: u64) -> Self {
        assert!(
            align_of::<T>() <= align_of::<usize>(),
            "shadow data is at most pointer-aligned"
        );
        Self {
            id,
            _t: PhantomData,
        }
    }

    /// The id.
    #[inline]
    pub const fn id(&self) -> u64 {
        self.id
    }

    /// The destructor that drops `T`: none if `T` needs no drop.
    #[inline]
    fn drop_dtor() -> bindings::klp_shadow_dtor_t {
        needs_drop::<T>().then_some(destroy::<T, DropOnly> as unsafe extern "C" fn(_, _))
    }

    /// The shadow value of `obj`, if it has one (`klp_shadow_get()`).
    #[inline]
    pub fn get<'a, O: ?Sized>(&self, obj: &'a O) -> Option<&'a T> {
        // SAFETY: `klp_shadow_get()` only looks the pair up under RCU.
        let data = unsafe { bindings::klp_shadow_get(key(obj), self.id as _) };
        // SAFETY: a value found under this kind's id is a `T` constructed by
        // this type (ids are per kind); it lives until freed, and freeing is
        // `unsafe` with the requirement that no reference is used after it.
        (!data.is_null()).then(|| unsafe { &*data.cast::<T>() })
    }

    /// Attaches `value` to `obj` (`klp_shadow_alloc()`). Fails with `EEXIST`
    /// if `obj` has a value of this kind already (the core also warns), or
    /// `ENOMEM`; the error gives `value` back.
    #[inline]
    pub fn alloc<'a, O: ?Sized>(
        &self,
        obj: &'a O,
        value: T,
        flags: Gfp,
    ) -> Result<&'a T, AllocError<T>> {
        self.move_in(obj, value, flags, false)
    }

    /// Like [`Shadow::alloc`], with the value made by `init`, which runs only
    /// if a value is attached and gets the object's address and the address
    /// the value will have (not initialised yet: only to be compared or
    /// printed). `init` runs
    /// under the core's spinlock (see the [module docs](self)); an error from
    /// it is returned.
    #[inline]
    pub fn alloc_with<'a, O: ?Sized, F>(&self, obj: &'a O, flags: Gfp, init: F) -> Result<&'a T>
    where
        F: FnOnce(*mut c_void, *const T) -> Result<T>,
    {
        self.alloc_raw(obj, flags, init, false)
    }

    /// The value of `obj`, or `value` attached to it first if it has none
    /// (`klp_shadow_get_or_alloc()`); `value` is dropped if unused. Fails
    /// with `ENOMEM`; the error gives `value` back.
    #[inline]
    pub fn get_or_alloc<'a, O: ?Sized>(
        &self,
        obj: &'a O,
        value: T,
        flags: Gfp,
    ) -> Result<&'a T, AllocError<T>> {
        self.move_in(obj, value, flags, true)
    }

    /// Like [`Shadow::get_or_alloc`], with a new value made by `init` (under
    /// the core's spinlock: see the [module docs](self)).
    #[inline]
    pub fn get_or_alloc_with<'a, O: ?Sized, F>(
        &self,
        obj: &'a O,
        flags: Gfp,
        init: F,
    ) -> Result<&'a T>
    where
        F: FnOnce(*mut c_void, *const T) -> Result<T>,
    {
        self.alloc_raw(obj, flags, init, true)
    }

    /// [`Shadow::alloc`] and [`Shadow::get_or_alloc`]: moves `value` in
    /// with a constructor, or gives it back.
    ///
    /// The constructor returns a bitwise copy of `value`; which of the two
    /// owns the value is settled once the core has answered. On success
    /// with a new value, the copy does (the core's data, dropped by
    /// [`Shadow::free`]): ours is forgotten. Otherwise the core has freed
    /// its allocation with `kfree()`, which drops nothing, so the copy (if
    /// the constructor ran) is gone and ours still owns the value.
    #[inline]
    fn move_in<'a, O: ?Sized>(
        &self,
        obj: &'a O,
        value: T,
        flags: Gfp,
        or_get: bool,
    ) -> Result<&'a T, AllocError<T>> {
        let value = ManuallyDrop::new(value);
        let copied = Cell::new(false);
        let res = self.alloc_raw(
            obj,
            flags,
            |_, _| {
                copied.set(true);
                // SAFETY: `value` is valid to read; the copy and `value` are
                // never both used or dropped (see above).
                Ok(unsafe { ptr::read(&*value) })
            },
            or_get,
        );
        match res {
            // The copy is the core's value now.
            Ok(v) if copied.get() => Ok(v),
            // An existing value was returned: ours is unused.
            Ok(v) => {
                drop(ManuallyDrop::into_inner(value));
                Ok(v)
            }
            Err(error) => Err(AllocError {
                error,
                value: ManuallyDrop::into_inner(value),
            }),
        }
    }

    #[inline]
    fn alloc_raw<'a, O: ?Sized, F>(
        &self,
        obj: &'a O,
        flags: Gfp,
        init: F,
        or_get: bool,
    ) -> Result<&'a T>
    where
        F: FnOnce(*mut c_void, *const T) -> Result<T>,
    {
        let mut ctor = Ctor {
            init: Some(init),
            error: None,
        };
        let args = (
            key(obj),
            self.id as _,
            size_of::<T>(),
            flags.as_raw(),
            Some(construct::<T, F> as unsafe extern "C" fn(_, _, _) -> _),
            ptr::from_mut(&mut ctor).cast::<c_void>(),
        );
        // SAFETY: `construct::<T, F>` gets a fresh `size_of::<T>()`-byte,
        // pointer-aligned allocation (`T`'s alignment is checked in `new`)
        // and `ctor_data` = `&mut ctor`, which outlives the call.
        let data = unsafe {
            if or_get {
                bindings::klp_shadow_get_or_alloc(args.0, args.1, args.2, args.3, args.4, args.5)
            } else {
                bindings::klp_shadow_alloc(args.0, args.1, args.2, args.3, args.4, args.5)
            }
        };
        if !data.is_null() {
            // SAFETY: as in `get`.
            return Ok(unsafe { &*data.cast::<T>() });
        }
        match ctor.error {
            Some(e) => Err(e),
            // The constructor did not run. `get_or_alloc` returns an
            // existing value, so only the allocation can have failed.
            None if or_get => Err(ENOMEM),
            // `alloc`: no memory, or a value exists.
            None if self.get(obj).is_some() => Err(EEXIST),
            None => Err(ENOMEM),
        }
    }

    /// Detaches `obj`'s value and drops it (`klp_shadow_free()`).
    ///
    /// # Safety
    ///
    /// No reference to that value (from [`Shadow::get`] or the allocation
    /// functions) may be used afterwards.
    #[inline]
    pub unsafe fn free<O: ?Sized>(&self, obj: &O) {
        // SAFETY: the value under this id is a `T`; nothing uses it after
        // this (the caller's guarantee), as `destroy` requires.
        unsafe { bindings::klp_shadow_free(key(obj), self.id as _, Self::drop_dtor()) };
    }

    /// Like [`Shadow::free`], running `D` on the value before dropping it.
    ///
    /// # Safety
    ///
    /// As for [`Shadow::free`].
    #[inline]
    pub unsafe fn free_with<O: ?Sized, D: Destructor<T>>(&self, obj: &O) {
        // SAFETY: the value under this id is a `T`; nothing uses it after
        // this (the caller's guarantee), as `destroy` requires.
        unsafe { bindings::klp_shadow_free(key(obj), self.id as _, Some(destroy::<T, D>)) };
    }

    /// Detaches and drops the values of this kind of every object
    /// (`klp_shadow_free_all()`).
    ///
    /// # Safety
    ///
    /// No reference to any of those values may be used afterwards.
    #[inline]
    pub unsafe fn free_all(&self) {
        // SAFETY: as in `free_with`.
        unsafe { bindings::klp_shadow_free_all(self.id as _, Self::drop_dtor()) };
    }

    /// Like [`Shadow::free_all`], running `D` on each value first.
    ///
    /// # Safety
    ///
    /// As for [`Shadow::free_all`].
    #[inline]
    pub unsafe fn free_all_with<D: Destructor<T>>(&self) {
        // SAFETY: as in `free_with`.
        unsafe { bindings::klp_shadow_free_all(self.id as _, Some(destroy::<T, D>)) };
    }
}
