// SPDX-License-Identifier: GPL-2.0

//! A Rust module with buggy Rust functions, the targets of the Rust patches
//! of this directory (scripts/guest/tests.d/80-rust-targets.sh).
//!
//! Reading `/proc/rust_victim` shows what its functions compute:
//!
//! ```text
//! double(21) = 43                  rust_victim_double(): extern "C", #[no_mangle]
//! verdict(Some(50)) = fail         verdict(): Rust ABI (an Option<u32> by value,
//!                                  a &CStr returned in two registers)
//! EINVAL.name() = None             kernel::error::Error::name() of vmlinux
//! ```
//!
//! `/proc/rust_victim_slow` shows the verdict line only, after sleeping 5
//! seconds *inside* `verdict()`: a task there keeps a patch of it in
//! transition.
//!
//! `/proc/rust_victim_twins` shows `triple(7) = 21` and `thrice(7) = 21`:
//! two functions with the same machine code, which the compiler merges into
//! one body with two symbols (one ftrace site).
//!
//! Both targets are `#[inline(never)]`: a call the compiler inlined would
//! not go through the function's ftrace site (and a small function without
//! it may be compiled into the crates that call it).

use core::ffi::{c_char, c_int, c_void, CStr};
use kernel::{bindings, error::code::EINVAL, prelude::*};

module! {
    type: RustVictim,
    name: "rust_victim",
    authors: ["rust-livepatch developers"],
    description: "rust-livepatch test: buggy Rust functions for Rust patches to fix",
    license: "GPL",
}

/// The bug: one too many. Fixed by `rust_lp_victim_fix` (`x + x`).
#[no_mangle]
#[inline(never)]
pub extern "C" fn rust_victim_double(x: u32) -> u32 {
    x + x + 1
}

/// The bug: a score of exactly 50 passes, but this says it fails. Sleeps
/// `nap_ms` first.
#[inline(never)]
pub fn verdict(score: Option<u32>, nap_ms: u32) -> &'static CStr {
    if nap_ms > 0 {
        // SAFETY: process context (a read of a /proc file).
        unsafe { bindings::msleep(nap_ms) };
    }
    match score {
        Some(s) if s > 50 => c"pass",
        Some(_) => c"fail",
        None => c"absent",
    }
}

/// Twins: the same code as [`thrice`], so LLVM merges the two functions
/// (one body, two symbols).
#[inline(never)]
pub fn triple(x: u32) -> u32 {
    x.wrapping_mul(3)
}

/// See [`triple`].
#[inline(never)]
pub fn thrice(x: u32) -> u32 {
    x.wrapping_mul(3)
}

/// How long a read of /proc/rust_victim_slow sleeps in `verdict()`.
pub const SLOW_NAP_MS: u32 = 5000;

unsafe extern "C" {
    // fs/proc/generic.c, exported; not in the kernel's bindings.
    fn proc_create_single_data(
        name: *const c_char,
        mode: bindings::umode_t,
        parent: *mut c_void,
        show: Option<unsafe extern "C" fn(*mut bindings::seq_file, *mut c_void) -> c_int>,
        data: *mut c_void,
    ) -> *mut c_void;
    fn proc_remove(de: *mut c_void);
}

/// Shows the three results.
unsafe extern "C" fn show(m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
    let d = rust_victim_double(core::hint::black_box(21));
    // SAFETY: `m` is the seq_file of the read in progress; each format is a
    // C string whose conversion gets an argument of its type (`%u`: a
    // `u32`, `%s`: a C string).
    unsafe { bindings::seq_printf(m, c"double(21) = %u\n".as_ptr().cast(), d) };
    show_verdict(m, 0);
    let name = EINVAL.name();
    // SAFETY: as above.
    unsafe {
        bindings::seq_printf(
            m,
            c"EINVAL.name() = %s\n".as_ptr().cast(),
            name.map_or(c"None".as_ptr(), CStr::as_ptr),
        )
    };
    0
}

fn show_verdict(m: *mut bindings::seq_file, nap_ms: u32) {
    let v = verdict(core::hint::black_box(Some(50)), nap_ms);
    // SAFETY: `m` is the seq_file of the read in progress (`show()` and
    // `show_slow()` pass theirs); `%s` gets a C string.
    unsafe { bindings::seq_printf(m, c"verdict(Some(50)) = %s\n".as_ptr().cast(), v.as_ptr()) };
}

/// Shows the verdict line, after a nap inside `verdict()`.
unsafe extern "C" fn show_slow(m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
    show_verdict(m, SLOW_NAP_MS);
    0
}

/// Shows what the twins compute.
unsafe extern "C" fn show_twins(m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
    let (a, b) = (
        triple(core::hint::black_box(7)),
        thrice(core::hint::black_box(7)),
    );
    // SAFETY: `m` is the seq_file of the read in progress; `%u` gets a `u32`.
    unsafe { bindings::seq_printf(m, c"triple(7) = %u\n".as_ptr().cast(), a) };
    // SAFETY: as above.
    unsafe { bindings::seq_printf(m, c"thrice(7) = %u\n".as_ptr().cast(), b) };
    0
}

struct Entry(*mut c_void);

// SAFETY: the pointer is only handed back to `proc_remove()`, from any
// context that may sleep.
unsafe impl Send for Entry {}
// SAFETY: as above; nothing reads through it.
unsafe impl Sync for Entry {}

struct RustVictim {
    entries: KVec<Entry>,
}

type ShowFn = unsafe extern "C" fn(*mut bindings::seq_file, *mut c_void) -> c_int;

fn create(name: &CStr, show: ShowFn) -> Result<Entry> {
    // SAFETY: `name` is a C string that outlives the call (procfs copies
    // it); `show` has the signature `single_open()` expects and lives as
    // long as this module, which removes the entry in `drop`.
    let de = unsafe {
        proc_create_single_data(
            name.as_ptr(),
            0o444,
            core::ptr::null_mut(),
            Some(show),
            core::ptr::null_mut(),
        )
    };
    if de.is_null() {
        return Err(ENOMEM);
    }
    Ok(Entry(de))
}

impl kernel::Module for RustVictim {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // Dropped (entries removed) on an error half-way.
        let mut victim = RustVictim {
            entries: KVec::with_capacity(3, GFP_KERNEL)?,
        };
        for (name, show) in [
            (c"rust_victim", show as ShowFn),
            (c"rust_victim_slow", show_slow),
            (c"rust_victim_twins", show_twins),
        ] {
            let entry = create(name, show)?;
            victim.entries.push(entry, GFP_KERNEL)?;
        }
        pr_info!("loaded: /proc/rust_victim, /proc/rust_victim_slow, /proc/rust_victim_twins\n");
        Ok(victim)
    }
}

impl Drop for RustVictim {
    fn drop(&mut self) {
        for e in &self.entries {
            // SAFETY: created in `init`, removed once; removing waits for
            // readers in progress.
            unsafe { proc_remove(e.0) };
        }
    }
}
