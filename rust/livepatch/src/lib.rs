// SPDX-License-Identifier: GPL-2.0

//! Livepatches in Rust: safe wrappers over `<linux/livepatch.h>`.
//!
//! A livepatch replaces functions of the running kernel (or of its modules)
//! with new ones, through ftrace, without a reboot. In C a patch is a
//! `struct klp_patch` pointing to an array of `struct klp_object`s (vmlinux or
//! one module each), each pointing to an array of `struct klp_func`s (one
//! replaced function each), all registered with `klp_enable_patch()` from
//! module init.
//!
//! This crate wraps the three descriptors as [`Patch`], [`Object`] and
//! [`Func`]. Write them with the [`macro@patch`] and [`macro@livepatch`]
//! attributes rather than by hand: the macros check at compile time what the
//! core would reject at `insmod` time, build the tables with their
//! terminators, and add the `livepatch=Y` modinfo the core requires.
//!
//! ```ignore
//! #[livepatch::patch(name = "rust_livepatch_sample", license = "GPL")]
//! mod fix {
//!     use kernel::{bindings, ffi::{c_int, c_void}};
//!
//!     #[livepatch]
//!     unsafe extern "C" fn cmdline_proc_show(m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
//!         /* ... */
//!         0
//!     }
//! }
//! ```
//!
//! C header: [`include/linux/livepatch.h`](srctree/include/linux/livepatch.h).

#![crate_name = "livepatch"]

/// The prefix of this crate's own kernel log lines.
const __LOG_PREFIX: &[u8] = b"rust_livepatch\0";

#[doc(hidden)]
pub mod abi;
pub mod bindings;
mod callbacks;
#[doc(hidden)]
pub mod entry;
mod func;
mod layout;
mod object;
mod param;
mod patch;
mod print;
pub mod shadow;
mod state;

pub use callbacks::{Callbacks, Context, Module, ModuleState, ObjectCallbacks, StateRef};
pub use func::{Func, Funcs};
pub use livepatch_macros::{livepatch, patch};
pub use object::{Object, Objects};
pub use param::{IntArrayParam, IntParam};
#[doc(hidden)]
pub use param::{KParamArray, KernelParam};
pub use patch::{Enabled, Patch, PatchModule, Relocations};
pub use print::HashedPtr;
pub use shadow::Shadow;
pub use state::{State, States};
