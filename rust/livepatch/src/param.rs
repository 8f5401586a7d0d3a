// SPDX-License-Identifier: GPL-2.0

//! Module parameters of livepatch modules, with the kernel's C parameter ops,
//! so they behave exactly as `module_param(name, int, perm)` does: set at
//! `insmod` time (`name=value`) and, with a non-zero `perm`, read and written
//! through `/sys/module/<module>/parameters/<name>`.
//!
//! Declare one in the patch module; the macro registers it and adds its
//! `parm`/`parmtype` modinfo:
//!
//! ```ignore
//! #[param(perm = 0o644, description = "replace (default=0)")]
//! static replace: livepatch::IntParam = livepatch::IntParam::new(0);
//! ```

use core::ffi::CStr;
use kernel::{bindings, ffi::c_int, types::Opaque};

/// An `int` module parameter.
///
/// # Invariants
///
/// The value is written only by the kernel's `param_ops_int` (at load time,
/// and through sysfs with the module's parameter lock held) and read with
/// `READ_ONCE` semantics.
#[repr(transparent)]
pub struct IntParam(Opaque<c_int>);

// SAFETY: the value is a C `int` written by the kernel's parameter code and
// only read, racily but atomically for an aligned `int`, by Rust (type
// invariant), as C code reads its `module_param` variables.
unsafe impl Sync for IntParam {}

impl IntParam {
    /// A parameter with the given default value.
    pub const fn new(default: i32) -> Self {
        Self(Opaque::new(default))
    }

    /// The current value.
    pub fn get(&self) -> i32 {
        // SAFETY: the pointer is valid and aligned; a volatile read is the
        // kernel's `READ_ONCE()` for a concurrent sysfs write.
        unsafe { core::ptr::read_volatile(self.0.get()) }
    }

    /// The `struct kernel_param` that registers this parameter (emitted by
    /// the patch macro into the `__param` section).
    #[doc(hidden)]
    pub const fn kernel_param(&'static self, name: &'static CStr, perm: u16) -> KernelParam {
        // SAFETY: all-zero is a valid `kernel_param` to start from.
        let mut kp: bindings::kernel_param = unsafe { core::mem::zeroed() };
        kp.name = name.as_ptr().cast();
        kp.mod_ = this_module();
        kp.ops = &raw const bindings::param_ops_int;
        kp.perm = perm;
        kp.level = -1;
        kp.__bindgen_anon_1.arg = self.0.get().cast();
        KernelParam(kp)
    }
}

#[cfg(MODULE)]
const fn this_module() -> *mut bindings::module {
    &raw mut bindings::__this_module
}

#[cfg(not(MODULE))]
const fn this_module() -> *mut bindings::module {
    core::ptr::null_mut()
}

/// A registered parameter: a `struct kernel_param` in the `__param` section,
/// which the module loader parses and sysfs exposes.
#[doc(hidden)]
#[repr(transparent)]
pub struct KernelParam(bindings::kernel_param);

// SAFETY: the kernel only reads a `kernel_param`; Rust never touches it.
unsafe impl Sync for KernelParam {}
