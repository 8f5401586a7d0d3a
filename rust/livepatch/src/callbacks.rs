// SPDX-License-Identifier: GPL-2.0

//! Per-object callbacks: `struct klp_callbacks`.
//!
//! The core calls them when an object is patched or unpatched: when the patch
//! is enabled or disabled for objects already loaded, and when a patched
//! module is loaded (`pre_patch`, `post_patch`) or removed (`pre_unpatch`,
//! `post_unpatch`) later. All four run with the core's `klp_mutex` held, in
//! process context: they may sleep and allocate with `GFP_KERNEL`, but must
//! not enable, disable or load livepatches themselves.

use crate::{bindings, Patch};
use core::{ffi::CStr, marker::PhantomData};
use kernel::{error::Result, ffi::c_int};

/// The callbacks of one or more objects; implement it on a unit type and
/// name that type with `#[callbacks("object", ...)]` in the patch module.
///
/// Every method has an empty default.
pub trait Callbacks {
    /// Before the object is patched. An error cancels patching it: enabling
    /// the patch fails with that error (for vmlinux or an already loaded
    /// module), or loading the module being patched does.
    #[inline]
    fn pre_patch(_cx: &Context<'_>) -> Result {
        Ok(())
    }

    /// After the object is patched (the transition to the new code is done).
    #[inline]
    fn post_patch(_cx: &Context<'_>) {}

    /// Before the object is unpatched.
    #[inline]
    fn pre_unpatch(_cx: &Context<'_>) {}

    /// After the object is unpatched (no task runs the new code any more).
    #[inline]
    fn post_unpatch(_cx: &Context<'_>) {}
}

/// The state of a kernel module (`enum module_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModuleState {
    /// Loaded and initialised.
    Live,
    /// Being loaded: its init is running or about to.
    Coming,
    /// Being removed.
    Going,
    /// Still being set up by the loader.
    Unformed,
}

/// What a callback is called for: the object, with `klp_mutex` held.
///
/// Only the core's calls create one, so holding a `&Context` proves the
/// caller runs inside a callback, serialised with every other callback and
/// transition.
///
/// # Invariants
///
/// `obj` points to a `klp_object` of an enabled patch, and `klp_mutex` is held
/// for `'a`.
pub struct Context<'a> {
    obj: *mut bindings::klp_object,
    _held: PhantomData<&'a ()>,
}

impl Context<'_> {
    /// The patched module, or `None` for vmlinux.
    #[inline]
    pub fn module(&self) -> Option<Module<'_>> {
        // SAFETY: `obj` is valid and its `mod` field is written by the core
        // only under `klp_mutex`, which is held (type invariant).
        let m = unsafe { (*self.obj).mod_ };
        // INVARIANT: the core sets `mod` only while the module is loaded, and
        // holds `klp_mutex` while it does.
        (!m.is_null()).then_some(Module {
            m,
            _cx: PhantomData,
        })
    }

    /// The name of the object: "vmlinux" or the module name.
    #[inline]
    pub fn object_name(&self) -> &CStr {
        // SAFETY: `obj` is valid (type invariant); `name` is null or a
        // `'static` string (type invariant of `crate::Object`).
        let name = unsafe { (*self.obj).name };
        if name.is_null() {
            c"vmlinux"
        } else {
            // SAFETY: non-null `name` is a NUL-terminated `'static` string.
            unsafe { CStr::from_ptr(name.cast()) }
        }
    }

    /// The system state `id` of `patch` (`klp_get_state()`).
    #[inline]
    pub fn state(&self, patch: &Patch, id: u64) -> Option<StateRef<'_>> {
        // SAFETY: `patch.as_raw()` is a valid `klp_patch`; `klp_get_state()`
        // only walks its `states` array.
        let s = unsafe { bindings::klp_get_state(patch.as_raw(), id as _) };
        StateRef::new(s)
    }

    /// The state `id` of the patches being replaced (`klp_get_prev_state()`):
    /// what an earlier livepatch left, for a newer one to take over.
    ///
    /// Only a transition (the patch being enabled or disabled) has patches
    /// being replaced: called for a module that is loading or going away
    /// (`ModuleState::Coming` or `Going`), this is `None`, where the core's
    /// `klp_get_prev_state()` would warn (a panic with `panic_on_warn`).
    #[inline]
    pub fn prev_state(&self, id: u64) -> Option<StateRef<'_>> {
        if self.outside_transition() {
            return None;
        }
        // SAFETY: the core allows this during transitions, with `klp_mutex`
        // held (type invariant); callbacks of vmlinux and of live modules
        // run only from a transition (`__klp_enable_patch()`,
        // `__klp_disable_patch()`, `klp_complete_transition()`).
        let s = unsafe { bindings::klp_get_prev_state(id as _) };
        StateRef::new(s)
    }

    /// Whether the core may be calling this outside any transition: for a
    /// module being loaded (`klp_module_coming()`) or removed
    /// (`klp_module_going()`), whatever transition there may be is not this
    /// object's.
    #[inline]
    fn outside_transition(&self) -> bool {
        self.module()
            .is_some_and(|m| matches!(m.state(), ModuleState::Coming | ModuleState::Going))
    }
}

/// A module being patched, seen from a callback.
///
/// # Invariants
///
/// `m` points to a loaded `struct module`, and `klp_mutex` is held for `'a`.
pub struct Module<'a> {
    m: *mut kernel::bindings::module,
    _cx: PhantomData<&'a ()>,
}

impl Module<'_> {
    /// The module's name.
    #[inline]
    pub fn name(&self) -> &CStr {
        // SAFETY: `m` is a loaded module (type invariant); `name` is a
        // NUL-terminated array that does not change while it is loaded.
        unsafe { CStr::from_ptr((*self.m).name.as_ptr().cast()) }
    }

    /// The module's state.
    #[inline]
    pub fn state(&self) -> ModuleState {
        // SAFETY: `m` is a loaded module (type invariant).
        match unsafe { (*self.m).state } {
            kernel::bindings::module_state_MODULE_STATE_LIVE => ModuleState::Live,
            kernel::bindings::module_state_MODULE_STATE_COMING => ModuleState::Coming,
            kernel::bindings::module_state_MODULE_STATE_GOING => ModuleState::Going,
            _ => ModuleState::Unformed,
        }
    }
}

/// A system state (`struct klp_state`) reached from a callback.
///
/// # Invariants
///
/// `s` points to a `klp_state` of a registered patch, and `klp_mutex` is
/// held for `'a`, which serialises every access to `data`.
pub struct StateRef<'a> {
    s: *mut bindings::klp_state,
    _cx: PhantomData<&'a ()>,
}

impl StateRef<'_> {
    #[inline]
    fn new(s: *mut bindings::klp_state) -> Option<Self> {
        // INVARIANT: the core returns null or a state of a registered patch;
        // callers hold a `Context`, so `klp_mutex` is held.
        (!s.is_null()).then_some(Self {
            s,
            _cx: PhantomData,
        })
    }

    /// The state's id.
    #[inline]
    pub fn id(&self) -> u64 {
        // SAFETY: `s` is valid (type invariant).
        unsafe { (*self.s).id as u64 }
    }

    /// The state's version.
    #[inline]
    pub fn version(&self) -> u32 {
        // SAFETY: `s` is valid (type invariant).
        unsafe { (*self.s).version as u32 }
    }

    /// The data the livepatch that owns the state attached to it.
    #[inline]
    pub fn data(&self) -> *mut core::ffi::c_void {
        // SAFETY: `s` is valid and `klp_mutex` serialises accesses to `data`
        // (type invariant).
        unsafe { (*self.s).data }
    }

    /// Attaches `data` to the state (what it points to is the patch's
    /// business: it may be handed over to the next patch).
    #[inline]
    pub fn set_data(&self, data: *mut core::ffi::c_void) {
        // SAFETY: `s` is valid and `klp_mutex` serialises accesses to `data`
        // (type invariant).
        unsafe { (*self.s).data = data };
    }
}

/// The `klp_callbacks` of one object: the four trampolines of a
/// [`Callbacks`] type, or none.
#[repr(transparent)]
pub struct ObjectCallbacks(bindings::klp_callbacks);

impl ObjectCallbacks {
    /// No callbacks.
    pub const NONE: Self = Self(bindings::klp_callbacks {
        pre_patch: None,
        post_patch: None,
        pre_unpatch: None,
        post_unpatch: None,
        post_unpatch_enabled: false,
    });

    /// The callbacks of `T`.
    #[inline]
    pub const fn of<T: Callbacks>() -> Self {
        Self(bindings::klp_callbacks {
            pre_patch: Some(pre_patch::<T>),
            post_patch: Some(post_patch::<T>),
            pre_unpatch: Some(pre_unpatch::<T>),
            post_unpatch: Some(post_unpatch::<T>),
            post_unpatch_enabled: false,
        })
    }

    #[inline]
    pub(crate) const fn into_raw(self) -> bindings::klp_callbacks {
        self.0
    }
}

/// # Safety
///
/// `obj` must be the object the core runs callbacks for, with `klp_mutex` held
/// for `'a`.
#[inline]
unsafe fn context<'a>(obj: *mut bindings::klp_object) -> Context<'a> {
    // INVARIANT: guaranteed by the caller.
    Context {
        obj,
        _held: PhantomData,
    }
}

#[inline]
unsafe extern "C" fn pre_patch<T: Callbacks>(obj: *mut bindings::klp_object) -> c_int {
    // SAFETY: the core calls this for `obj` with `klp_mutex` held.
    let cx = unsafe { context(obj) };
    match T::pre_patch(&cx) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

#[inline]
unsafe extern "C" fn post_patch<T: Callbacks>(obj: *mut bindings::klp_object) {
    // SAFETY: the core calls this for `obj` with `klp_mutex` held.
    T::post_patch(&unsafe { context(obj) });
}

#[inline]
unsafe extern "C" fn pre_unpatch<T: Callbacks>(obj: *mut bindings::klp_object) {
    // SAFETY: the core calls this for `obj` with `klp_mutex` held.
    T::pre_unpatch(&unsafe { context(obj) });
}

#[inline]
unsafe extern "C" fn post_unpatch<T: Callbacks>(obj: *mut bindings::klp_object) {
    // SAFETY: the core calls this for `obj` with `klp_mutex` held.
    T::post_unpatch(&unsafe { context(obj) });
}
