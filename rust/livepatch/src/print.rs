// SPDX-License-Identifier: GPL-2.0

//! Printing kernel addresses without revealing them.
//!
//! Rust's `{:p}` prints a pointer's raw value: in a kernel log line that
//! gives away the kernel's layout (KASLR). C code prints `%p`, which the
//! kernel hashes with a per-boot secret (`ptr_to_id()`, lib/vsprintf.c): the
//! same pointer always prints the same id within a boot, so log lines can be
//! matched to each other without the address leaking. [`HashedPtr`] prints
//! a pointer that way in `pr_info!` and friends.

use core::{ffi::c_void, ptr};
use kernel::fmt;

/// A pointer as `%p` prints it: hashed (`00000000a8465633`), or
/// `(____ptrval____)` before the kernel's hash key is ready; NULL and error
/// pointers are not hashed (`0000000000000000`, `fffffffffffffff2`).
///
/// ```ignore
/// pr_info!("dummy @ {}\n", HashedPtr::of(&*d));
/// ```
///
/// It keeps the address only (never dereferenced), as an integer: the
/// value is `Send` and `Sync`, and holds no borrow.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HashedPtr(usize);

impl HashedPtr {
    /// The address of `r`.
    #[inline]
    pub fn of<T: ?Sized>(r: &T) -> Self {
        Self::from_ptr(ptr::from_ref(r))
    }

    /// The address `p` points to (any pointer, even dangling or null).
    #[inline]
    pub fn from_ptr<T: ?Sized>(p: *const T) -> Self {
        Self(p.cast::<c_void>() as usize)
    }
}

/// `%p` prints at most 16 hex digits on 64-bit (`(____ptrval____)` is 16
/// characters too); 32 bytes leave room for the NUL.
const LEN: usize = 32;

/// The kernel's `Display` (what `pr_info!`'s `{}` uses).
impl fmt::Display for HashedPtr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f)
    }
}

impl fmt::Debug for HashedPtr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f)
    }
}

impl HashedPtr {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; LEN];
        // SAFETY: `buf` is writable for `LEN` bytes; the format is a C string
        // with one conversion, `%p`, whose argument is a pointer (only
        // hashed, never dereferenced). `scnprintf` writes at most `LEN`
        // bytes including the NUL and returns the length without it.
        let n = unsafe {
            kernel::bindings::scnprintf(
                buf.as_mut_ptr().cast(),
                LEN,
                c"%p".as_ptr().cast(),
                self.0 as *const c_void,
            )
        };
        let n = usize::try_from(n).unwrap_or(0).min(LEN - 1);
        // `pad`: honours a width and an alignment (`{:>20}`).
        f.pad(core::str::from_utf8(&buf[..n]).map_err(|_| fmt::Error)?)
    }
}
