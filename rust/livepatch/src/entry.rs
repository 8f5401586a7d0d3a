// SPDX-License-Identifier: GPL-2.0

//! The end of a replacement's entry body (`entry()` in the patch macro): an
//! empty `asm!` that uses the replacement's return value, so the call of the
//! replacement must return into the body before it runs, and the body never
//! hands its frame over with a tail call.
//!
//! [`Ret::used`] takes a value that fits in a register as an input register,
//! which costs nothing; any other value ([`InMemory`]) is read through its
//! address, which makes the compiler store it in the body's frame first.

use core::arch::asm;

/// A return value an `asm!` can take in a register.
pub trait InRegister: Copy {
    /// An empty `asm!` that takes `self` in a register.
    fn used(self);
}

macro_rules! in_register {
    ($class:ident: $($t:ty),*) => {
        $(
            impl InRegister for $t {
                #[inline(always)]
                fn used(self) {
                    // SAFETY: an empty asm that reads one register.
                    unsafe {
                        asm!("/* {0} */", in($class) self, options(nomem, nostack, preserves_flags))
                    };
                }
            }
        )*
    };
}

#[cfg(target_arch = "x86_64")]
in_register!(reg_byte: i8, u8);
#[cfg(target_arch = "x86_64")]
in_register!(reg: i16, u16, i32, u32, i64, u64, isize, usize);

#[cfg(target_arch = "x86_64")]
impl InRegister for bool {
    #[inline(always)]
    fn used(self) {
        u8::from(self).used();
    }
}

#[cfg(target_arch = "x86_64")]
impl<T: ?Sized> InRegister for *const T {
    #[inline(always)]
    fn used(self) {
        self.addr().used();
    }
}

#[cfg(target_arch = "x86_64")]
impl<T: ?Sized> InRegister for *mut T {
    #[inline(always)]
    fn used(self) {
        self.addr().used();
    }
}

impl InRegister for () {
    #[inline(always)]
    fn used(self) {
        // SAFETY: an empty asm. There is no value to take: that it may read
        // memory orders it after the call, as for a value in memory.
        unsafe { asm!("", options(readonly, nostack, preserves_flags)) };
    }
}

/// A replacement's return value, at the end of its entry body.
pub struct Ret<'a, T>(pub &'a T);

impl<T: InRegister> Ret<'_, T> {
    /// An empty `asm!` that takes the value in a register. Inherent: it wins
    /// over [`InMemory::used`] for the types it applies to.
    #[inline(always)]
    pub fn used(&self) {
        (*self.0).used();
    }
}

/// [`Ret::used`] for a value that is not [`InRegister`].
pub trait InMemory {
    /// An empty `asm!` that reads the value through its address.
    fn used(&self);
}

impl<T> InMemory for Ret<'_, T> {
    #[inline(always)]
    fn used(&self) {
        // SAFETY: an empty asm that only reads the value's address.
        unsafe {
            asm!(
                "/* {0} */",
                in(reg) core::ptr::from_ref(self.0).cast::<u8>(),
                options(readonly, nostack, preserves_flags)
            )
        };
    }
}
