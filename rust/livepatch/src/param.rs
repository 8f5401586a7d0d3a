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
    #[inline]
    pub const fn new(default: i32) -> Self {
        Self(Opaque::new(default))
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> i32 {
        // SAFETY: the pointer is valid and aligned; a volatile read is the
        // kernel's `READ_ONCE()` for a concurrent sysfs write.
        unsafe { core::ptr::read_volatile(self.0.get()) }
    }

    /// The `struct kernel_param` that registers this parameter (emitted by
    /// the patch macro into the `__param` section).
    #[doc(hidden)]
    #[inline]
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
#[inline]
const fn this_module() -> *mut bindings::module {
    &raw mut bindings::__this_module
}

#[cfg(not(MODULE))]
#[inline]
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

/// An `int` array module parameter of at most `N` values, as
/// `module_param_array(name, int, &num, perm)`: `name=1,2,3` at load time.
///
/// # Invariants
///
/// `num` and `elems` are written by the kernel's `param_array_ops` while the
/// module loads (and, with a non-zero `perm`, through sysfs under the
/// module's parameter lock); `num <= N`.
#[repr(C)]
pub struct IntArrayParam<const N: usize> {
    num: Opaque<core::ffi::c_uint>,
    elems: Opaque<[c_int; N]>,
}

// SAFETY: as for `IntParam`: C `int`s written by the kernel's parameter code,
// read by Rust with `READ_ONCE` semantics.
unsafe impl<const N: usize> Sync for IntArrayParam<N> {}

impl<const N: usize> IntArrayParam<N> {
    /// An empty array parameter.
    #[inline]
    pub const fn new() -> Self {
        assert!(N > 0, "an array parameter holds at least one value");
        Self {
            num: Opaque::new(0),
            elems: Opaque::new([0; N]),
        }
    }

    /// How many values were given.
    #[inline]
    pub fn len(&self) -> usize {
        // SAFETY: valid and aligned; `READ_ONCE` of a concurrent write.
        let n = unsafe { core::ptr::read_volatile(self.num.get()) } as usize;
        n.min(N)
    }

    /// Whether no value was given.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Value `i`, if given.
    #[inline]
    pub fn get(&self, i: usize) -> Option<i32> {
        if i >= self.len() {
            return None;
        }
        // SAFETY: `i < N`, so the element is in bounds; `READ_ONCE`.
        Some(unsafe { core::ptr::read_volatile(self.elems.get().cast::<c_int>().add(i)) })
    }

    /// The `struct kparam_array` describing this array (emitted by the patch
    /// macro).
    #[doc(hidden)]
    #[inline]
    pub const fn kparam_array(&'static self) -> KParamArray {
        // SAFETY: all-zero is a valid `kparam_array` to start from.
        let mut arr: bindings::kparam_array = unsafe { core::mem::zeroed() };
        arr.max = N as _;
        arr.elemsize = core::mem::size_of::<c_int>() as _;
        arr.num = self.num.get();
        arr.ops = &raw const bindings::param_ops_int;
        arr.elem = self.elems.get().cast();
        KParamArray(arr)
    }
}

impl<const N: usize> Default for IntArrayParam<N> {
    #[inline]
    fn default() -> Self {
        Self::new()
    }
}

/// A `struct kparam_array`, referenced by the array's [`KernelParam`].
#[doc(hidden)]
#[repr(transparent)]
pub struct KParamArray(bindings::kparam_array);

// SAFETY: the kernel only reads a `kparam_array`; Rust never touches it.
unsafe impl Sync for KParamArray {}

impl KParamArray {
    /// The `struct kernel_param` that registers the array.
    #[inline]
    pub const fn kernel_param(&'static self, name: &'static CStr, perm: u16) -> KernelParam {
        // SAFETY: all-zero is a valid `kernel_param` to start from.
        let mut kp: bindings::kernel_param = unsafe { core::mem::zeroed() };
        kp.name = name.as_ptr().cast();
        kp.mod_ = this_module();
        kp.ops = &raw const bindings::param_array_ops;
        kp.perm = perm;
        kp.level = -1;
        kp.__bindgen_anon_1.arr = &raw const self.0;
        KernelParam(kp)
    }
}
