// SPDX-License-Identifier: GPL-2.0

//! A livepatch: `struct klp_patch`, and its registration.

use crate::{bindings, Objects, States};
use kernel::{
    error::{code::EBUSY, to_result, Result},
    sync::atomic::{AtomicFlag, Full, Release},
    types::Opaque,
    ThisModule,
};

/// A livepatch: a `struct klp_patch` and the objects it patches.
///
/// Built by [`macro@crate::patch`] as a `static`; enabled from module init
/// with [`Patch::enable`]. Disabling is done through sysfs
/// (`/sys/kernel/livepatch/<module>/enabled`), after which the core releases
/// the patch and the module can be removed.
///
/// # Invariants
///
/// - `inner.objs` points to a terminated [`Objects`] table whose objects and
///   functions belong to this patch alone; `inner.states` is null or points
///   to a terminated [`States`] table.
/// - `claimed` is set once, before `klp_enable_patch()` sees `inner`, so the
///   C struct is registered at most once.
/// - From that call on, the patch is borrowed for `'static` ([`Patch::enable`]
///   takes `&'static self`), so it never moves again: the core links `kobj`,
///   `list` and `obj_list` (and those of the objects and functions) into its
///   lists and may queue `free_work`.
pub struct Patch {
    inner: Opaque<bindings::klp_patch>,
    claimed: AtomicFlag,
}

// SAFETY: Rust code writes `inner` only while constructing it and, once,
// after winning `claimed`; afterwards only the livepatch core accesses it,
// serialised by `klp_mutex`.
unsafe impl Sync for Patch {}

impl Patch {
    /// Describes a patch of the objects in `objs`, declaring the system
    /// `states`; `replace` makes it an atomic-replace patch, which disables
    /// every other patch once its transition completes.
    ///
    /// # Safety
    ///
    /// No other `Patch` may refer to `objs`: the core links each object into
    /// this patch's list.
    #[inline]
    pub const unsafe fn new<const N: usize, const M: usize>(
        objs: &'static Objects<N>,
        states: &'static States<M>,
        replace: bool,
    ) -> Self {
        // SAFETY: all-zero is the state the core expects of the internal
        // fields (`mod` is set by `enable`).
        let mut patch: bindings::klp_patch = unsafe { core::mem::zeroed() };
        patch.objs = objs.as_ptr();
        // No states: NULL, as C patches without states have (and the empty
        // table, unreferenced, is not emitted).
        if M > 0 {
            patch.states = states.as_ptr();
        }
        patch.replace = replace;
        // INVARIANT: the tables are terminated by construction and `objs` is
        // exclusive to this patch by the safety requirement; `claimed` starts
        // unset.
        Self {
            inner: Opaque::new(patch),
            claimed: AtomicFlag::new(false),
        }
    }

    /// Makes the patch an atomic-replace patch or not, before it is enabled
    /// (for example from a module parameter). Fails with `EBUSY` afterwards.
    #[inline]
    pub fn set_replace(&'static self, replace: bool) -> Result {
        // Claim, write, release: `enable` cannot start in between.
        if self.claimed.xchg(true, Full) {
            return Err(EBUSY);
        }
        // SAFETY: `inner` is valid for `'static`; having won `claimed`, this
        // is the only access to it.
        unsafe { (*self.inner.get()).replace = replace };
        self.claimed.store(false, Release);
        Ok(())
    }

    /// The C struct, for the core's lookups (`klp_get_state()`).
    #[inline]
    pub(crate) fn as_raw(&self) -> *mut bindings::klp_patch {
        self.inner.get()
    }

    /// Registers and enables the patch: `klp_enable_patch()`.
    ///
    /// Call it from the init of `module`, the module this patch is built into.
    /// On success the transition to the patched state has started (watch
    /// `/sys/kernel/livepatch/<module>/transition`). Fails with `EBUSY` if the
    /// patch was already enabled, and otherwise with the core's error (for
    /// example `EINVAL` when a target symbol does not exist; the kernel log
    /// says which).
    #[inline]
    pub fn enable(&'static self, module: &'static ThisModule) -> Result {
        if self.claimed.xchg(true, Full) {
            return Err(EBUSY);
        }
        let patch = self.inner.get();
        // SAFETY: `patch` points into `self`, which is valid for `'static`.
        // Having won `claimed`, this is the only access to it until
        // `klp_enable_patch()` below.
        unsafe { (*patch).mod_ = module.as_ptr() };
        // The patch is borrowed for `'static`, so it never moves; it lives in
        // the memory of `module`, which the core pins with a module reference
        // for as long as the patch is registered.
        // SAFETY: `patch` is a valid `klp_patch` whose object and function
        // tables are terminated and exclusive to it (type invariants).
        to_result(unsafe { bindings::klp_enable_patch(patch) })
    }
}
