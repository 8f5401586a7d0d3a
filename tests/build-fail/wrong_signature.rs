// SPDX-License-Identifier: GPL-2.0

//! The kernel's bindings declare `msleep(unsigned int)`: a replacement that
//! takes a `u64` is refused at compile time.
//
// EXPECT: expected fn pointer `unsafe extern "C" fn(u64)`
// EXPECT: found fn item `unsafe extern "C" fn(u32) {kernel::bindings::
// EXPECT: msleep}`
//
// (rustc 1.96 names the item kernel::bindings::msleep, 1.97
// kernel::bindings::bindings_raw::msleep.)

#[livepatch::patch(license = "GPL")]
mod fix {
    // SAFETY: wrong on purpose: msleep() takes an unsigned int.
    #[unsafe(livepatch)]
    unsafe extern "C" fn msleep(_ms: u64) {}
}
