// SPDX-License-Identifier: GPL-2.0

//! A livepatch: `struct klp_patch`, and its registration.

use crate::{bindings, Objects, States};
use kernel::ffi::c_char;
use kernel::{
    error::{
        code::{EBUSY, EINVAL},
        to_result, Result,
    },
    sync::atomic::{AtomicFlag, Full, Release},
    types::Opaque,
    ThisModule,
};

/// A livepatch: a `struct klp_patch` and the objects it patches.
///
/// Built by [`macro@crate::patch`] as a `static`; enabled as the last step
/// of module init ([`Enabled`]). Disabling is done through sysfs
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
/// - `relocations`, if any, is the flag `klp post-link` sets in the module
///   file once it has turned the module's references to non-exported symbols
///   into klp relocations.
pub struct Patch {
    inner: Opaque<bindings::klp_patch>,
    claimed: AtomicFlag,
    relocations: Option<&'static Relocations>,
}

// SAFETY: Rust code writes `inner` only while constructing it and, once,
// after winning `claimed`; afterwards only the livepatch core accesses it,
// serialised by `klp_mutex`.
unsafe impl Sync for Patch {}

/// Set in the module file by `klp post-link` when it has converted the
/// module's references to `#[symbols]` into klp relocations: an unconverted
/// module would call address 0 (the loader resolves an unknown weak symbol
/// to 0), so [`Patch::enable`] refuses it.
///
/// The macro emits one per patch that declares symbols, in a writable data
/// section under the fixed name `__rust_livepatch_klp_converted`, which the
/// tool finds and sets to 1.
#[doc(hidden)]
#[repr(transparent)]
pub struct Relocations(core::cell::UnsafeCell<u8>);

// SAFETY: nothing writes the flag at run time (the tool writes it in the
// module file); it is only read.
unsafe impl Sync for Relocations {}

impl Relocations {
    /// Not converted (what the compiler emits).
    #[inline]
    pub const fn new() -> Self {
        Self(core::cell::UnsafeCell::new(0))
    }

    #[inline]
    fn converted(&self) -> bool {
        // SAFETY: the flag is a valid `u8` that nothing writes at run time.
        // The read is volatile because the compiler, which emitted 0, must
        // not assume it is still 0: the tool changed it in the file.
        unsafe { core::ptr::read_volatile(self.0.get()) == 1 }
    }
}

impl Default for Relocations {
    #[inline]
    fn default() -> Self {
        Self::new()
    }
}

impl Patch {
    /// Describes a patch of the objects in `objs`, declaring the system
    /// `states`; `replace` makes it an atomic-replace patch, which disables
    /// every other patch once its transition completes. `relocations` is
    /// given when the module reaches non-exported symbols (see
    /// [`Relocations`]).
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
        relocations: Option<&'static Relocations>,
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
            relocations,
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
    /// On success the transition to the patched state has started (watch
    /// `/sys/kernel/livepatch/<module>/transition`). Fails with `EBUSY` if the
    /// patch was already enabled, with `EINVAL` if the module's klp
    /// relocations were not converted (see [`Relocations`]), and otherwise
    /// with the core's error (for example `EINVAL` when a target symbol does
    /// not exist; the kernel log says which).
    ///
    /// Use [`Enabled`] rather than calling this: it enables the patch as the
    /// last step of module init.
    ///
    /// # Safety
    ///
    /// Must be called from the init of `module`, the module this patch is
    /// built into, as its last fallible step: if the init fails after this
    /// returned `Ok`, the loader frees the module's memory while the
    /// livepatch core still uses the patch in it and the replacement
    /// functions are live.
    #[inline]
    pub unsafe fn enable(&'static self, module: &'static ThisModule) -> Result {
        if self.claimed.xchg(true, Full) {
            return Err(EBUSY);
        }
        if let Some(r) = self.relocations {
            if !r.converted() {
                // SAFETY: a KERN_ERR format whose one `%s` gets the module's
                // name, a C string (`_printk` without Rust's formatting, so
                // that a module which never takes this path does not carry
                // it).
                unsafe {
                    kernel::bindings::_printk(
                        c"\x013rust_livepatch: %s: refusing to enable the patch: its references to \
                          non-exported symbols were not converted by 'klp post-link' (they would \
                          call address 0)\n"
                            .as_ptr()
                            .cast(),
                        module_name(module),
                    )
                };
                return Err(EINVAL);
            }
        }
        let patch = self.inner.get();
        // SAFETY: `patch` points into `self`, which is valid for `'static`.
        // Having won `claimed`, this is the only access to it until
        // `klp_enable_patch()` below.
        unsafe { (*patch).mod_ = module.as_ptr() };
        // The patch is borrowed for `'static`, so it never moves; it lives in
        // the memory of `module`, which the core pins with a module reference
        // for as long as the patch is registered (and the caller does not let
        // the init fail after this).
        // SAFETY: `patch` is a valid `klp_patch` whose object and function
        // tables are terminated and exclusive to it (type invariants).
        to_result(unsafe { bindings::klp_enable_patch(patch) })
    }
}

/// The name of `module`, a C string.
fn module_name(module: &'static ThisModule) -> *const c_char {
    let m = module.as_ptr();
    if m.is_null() {
        return c"vmlinux".as_ptr().cast();
    }
    // SAFETY: `m` is this module, loaded while its init runs; `name` is a
    // NUL-terminated array that does not change.
    unsafe { (*m).name.as_ptr().cast() }
}

/// A kernel module whose init ends by enabling its livepatch: what a module
/// written with [`livepatch::module!`](crate::module) implements (the patch
/// macro with module keys writes both for you).
///
/// ```ignore
/// struct MyFix { /* what init sets up, dropped at module exit */ }
///
/// impl livepatch::PatchModule for MyFix {
///     const PATCH: &'static livepatch::Patch = &fix::PATCH;
///     fn init(module: &'static ThisModule) -> Result<Self> { /* ... */ }
/// }
///
/// livepatch::module! { type: MyFix, name: "my_fix", license: "GPL" }
/// ```
pub trait PatchModule: Sized + Send + Sync {
    /// The patch the module enables.
    const PATCH: &'static Patch;

    /// What the module sets up before its patch is enabled; an error here
    /// leaves the patch alone. Dropping the value is the module's exit,
    /// which runs only once the patch is disabled and released.
    fn init(module: &'static ThisModule) -> Result<Self>;
}

/// A [`PatchModule`] whose patch is enabled: the value the module's
/// `module!` type holds (see [`livepatch::module!`](crate::module)).
pub struct Enabled<M: PatchModule> {
    module: M,
}

impl<M: PatchModule> Enabled<M> {
    /// Runs the module's init, then enables the patch as the very last step,
    /// so that no error can make the loader free the module while the patch
    /// is live.
    ///
    /// # Safety
    ///
    /// Called only as the whole of the init of `module`, the module `M` is
    /// built into: [`livepatch::module!`](crate::module) generates that
    /// call; nothing fallible may follow it.
    #[doc(hidden)]
    pub unsafe fn init(module: &'static ThisModule) -> Result<Self> {
        let m = M::init(module)?;
        // SAFETY: this is the init of `module`, which `M::PATCH` is built
        // into (a `PatchModule` names its own patch), and nothing fallible
        // follows (the caller's guarantee). If enabling fails, `m` is
        // dropped: the module's cleanup.
        unsafe { M::PATCH.enable(module) }?;
        Ok(Self { module: m })
    }

    /// The module's own value.
    #[inline]
    pub fn get(&self) -> &M {
        &self.module
    }
}

/// The kernel module of a livepatch written by hand: the kernel's `module!`
/// for a type implementing [`PatchModule`], whose init runs `T::init` and
/// then enables `T::PATCH`, last. Takes the keys of `module!`.
///
/// ```ignore
/// livepatch::module! {
///     type: MyFix,
///     name: "my_fix",
///     license: "GPL",
/// }
/// ```
#[macro_export]
macro_rules! module {
    (type: $t:ty, $($rest:tt)*) => {
        #[doc(hidden)]
        struct __LivepatchModule($crate::Enabled<$t>);

        impl ::kernel::Module for __LivepatchModule {
            fn init(module: &'static ::kernel::ThisModule) -> ::kernel::error::Result<Self> {
                // SAFETY: this is the whole of the module's init.
                ::core::result::Result::Ok(Self(unsafe { $crate::Enabled::<$t>::init(module) }?))
            }
        }

        ::kernel::prelude::module! {
            type: __LivepatchModule,
            $($rest)*
        }
    };
}
