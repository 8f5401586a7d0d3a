// SPDX-License-Identifier: GPL-2.0

//! Procedural macros of rust-livepatch.
//!
//! [`macro@patch`] turns an inline module of Rust functions, each marked
//! [`macro@livepatch`], into the `klp_func` / `klp_object` / `klp_patch`
//! descriptors the kernel's livepatch core expects, at compile time. Misuse is
//! a compile error spanned on the offending token.
//!
//! The crate is thin on purpose: [`args`] parses attribute arguments, [`model`]
//! collects and validates the replacement functions, [`expand`] emits code.
//! The in-kernel `livepatch` crate re-exports both macros.

mod args;
mod expand;
mod model;
mod names;

use proc_macro::TokenStream;

/// Builds a livepatch from an inline module of replacement functions.
///
/// ```ignore
/// #[livepatch::patch(
///     name = "rust_livepatch_sample",
///     authors = ["Rust for Linux"],
///     description = "Rust port of samples/livepatch/livepatch-sample.c",
///     license = "GPL",
/// )]
/// mod fix {
///     #[livepatch]
///     unsafe extern "C" fn cmdline_proc_show(m: *mut seq_file, v: *mut c_void) -> c_int {
///         /* ... */
///     }
/// }
/// ```
///
/// Arguments, all optional:
/// - `replace = true`: an atomic-replace patch (`klp_patch.replace`).
/// - `name`, `authors`, `description`, `license`: when `name` is given, the
///   macro also writes the kernel module around the patch (`module!` and an
///   init that enables the patch); `name` and `license` then are required and
///   the license must be GPL-compatible. Without them, enable the patch from
///   your own module's init with `fix::PATCH.enable(module)?`.
/// - `exit = f` (with the module keys): `fix::f()` runs at module exit, i.e.
///   when the module is removed after the patch was disabled.
/// - `states = [(id, version), ...]`: the system states the patch declares.
///
/// The module gets a `pub static PATCH: livepatch::Patch` and the modinfo
/// `livepatch=Y` the core requires. One patch per kernel module.
#[proc_macro_attribute]
pub fn patch(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::patch(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Marks a replacement function inside a [`macro@patch`] module.
///
/// The function must be a non-generic `unsafe extern "C" fn` with exactly the
/// C signature of the function it replaces: the kernel enters it in place of
/// the original, with the original's arguments. Rust cannot check that the two
/// signatures agree; writing `#[livepatch]` asserts that they do.
///
/// Arguments, all optional:
/// - `target = "name"`: the function to replace (default: this function's own
///   name);
/// - `object = "vmlinux" | "module_name"`: where the target lives (default:
///   `vmlinux`);
/// - `sympos = N`: which of several same-named local symbols (default 0:
///   the name must be unique).
///
/// Outside a [`macro@patch`] module this attribute is an error.
#[proc_macro_attribute]
pub fn livepatch(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::stray_livepatch(attr.into(), item.into()).into()
}
