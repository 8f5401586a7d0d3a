// SPDX-License-Identifier: GPL-2.0

//! Procedural macros of rust-livepatch.
//!
//! [`macro@patch`] turns an inline module of Rust functions, each marked
//! `#[unsafe(livepatch)]`, into the `klp_func` / `klp_object` / `klp_patch`
//! descriptors the kernel's livepatch core expects, at compile time. Misuse is
//! a compile error spanned on the offending token.
//!
//! The crate is thin on purpose: [`args`] parses attribute arguments (a
//! declarative table of keys per attribute), [`model`] collects and validates
//! what the module holds, [`expand`] emits code. The in-kernel `livepatch`
//! crate re-exports the macros.

mod args;
mod expand;
mod model;
mod names;
mod safety;

use proc_macro::TokenStream;

/// Builds a livepatch from an inline module.
///
/// ```ignore
/// #[livepatch::patch(
///     authors = ["Rust for Linux"],
///     description = "Rust port of samples/livepatch/livepatch-sample.c",
///     license = "GPL",
/// )]
/// mod fix {
///     use kernel::{bindings, ffi::{c_int, c_void}};
///
///     // SAFETY: same signature as `cmdline_proc_show()` in fs/proc/cmdline.c.
///     #[unsafe(livepatch)]
///     unsafe extern "C" fn cmdline_proc_show(m: *mut bindings::seq_file, v: *mut c_void) -> c_int {
///         /* ... */
///     }
/// }
/// ```
///
/// # Keys of `#[livepatch::patch(...)]`, all optional
///
/// - `replace = true`: an atomic-replace patch (`klp_patch.replace`);
///   `replace = <param>` decides at init from an `#[param]` (non-zero:
///   replace).
/// - `states = [(id, version), ...]`: the system states the patch declares
///   (`klp_patch.states`); ids are non-zero and distinct.
/// - Module keys: with `license` (GPL-compatible), the macro also writes the
///   kernel module around the patch (what the kernel's `module!` writes,
///   with an init that enables the patch last): `name` (the module's name, which is its `.ko` file name: derived
///   from the file Kbuild builds, and if given it must be that name),
///   `authors = ["...", ...]`, `description`, and `exit = f` (`fix::f()` runs
///   at module exit, once the patch is disabled and the module removed).
///   Without them, write your own `livepatch::module! { type: T, ... }`
///   where `T: livepatch::PatchModule`.
///
/// # Items inside the module
///
/// - `#[unsafe(livepatch)]` / `#[unsafe(livepatch(target = "...", object =
///   "...", sympos = N))]` on an `unsafe extern "C" fn`: a replacement (see
///   [`macro@livepatch`]), with a `// SAFETY:` comment right above.
/// - `#[callbacks("vmlinux", "module", ...)]` on a type implementing
///   `livepatch::Callbacks`: the pre/post (un)patch callbacks of those
///   objects (default `vmlinux`).
/// - `#[param(perm = 0o644, description = "...")]` on a
///   `static NAME: livepatch::IntParam` (a C `int`) or
///   `livepatch::IntArrayParam<N>`: a module parameter, as `module_param()`;
///   `perm` follows the kernel's `VERIFY_OCTAL_PERMISSIONS()`.
/// - `#[symbols]` / `#[symbols(object = "module")]` on an `extern "C" { ... }`
///   block: non-exported functions and variables of vmlinux or of a patched
///   module that the patch uses, reached through klp relocations (the build
///   converts them with `klp post-link`). On an item,
///   `#[symbol(name = "...", sympos = N)]` gives the C name (default: the
///   Rust name) and which of several local symbols of that name (default 0:
///   the only one). Call such functions directly, never through a pointer;
///   use a module's symbols only from that module's replacements and
///   callbacks (its relocations are applied only while it is loaded).
///
/// The module gets a `pub static PATCH: livepatch::Patch` and the modinfo
/// `livepatch=Y` the core requires. One patch per kernel module.
#[proc_macro_attribute]
pub fn patch(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::patch(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Marks a replacement function inside a [`macro@patch`] module, written
/// `#[unsafe(livepatch)]`.
///
/// The function must be a non-generic `unsafe extern "C" fn` with exactly the
/// C signature of the function it replaces: the kernel enters it in place of
/// the original, with the original's arguments. That is the promise the
/// `unsafe(...)` makes; justify it in a `// SAFETY:` comment above (the build
/// requires one). Where the kernel's `bindings` declare the target (a
/// function of vmlinux in a header), the build also checks that the types
/// are the binding's.
///
/// Keys, all optional:
/// - `target = "name"`: the function to replace (default: this function's own
///   name);
/// - `object = "vmlinux" | "module_name"`: where the target lives (default:
///   `vmlinux`);
/// - `sympos = N`: which of several same-named local symbols (default 0:
///   the name must be unique).
///
/// A replacement must not call the function it replaces (the build refuses
/// it): once patched, that call enters the replacement again. To reuse the
/// original's logic, copy it.
///
/// Outside a [`macro@patch`] module this attribute is an error.
#[proc_macro_attribute]
pub fn livepatch(_attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::stray("livepatch", item.into()).into()
}

/// Names the callbacks type of objects, inside a [`macro@patch`] module
/// (see there). Outside one, an error.
#[proc_macro_attribute]
pub fn callbacks(_attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::stray("callbacks", item.into()).into()
}

/// Declares a module parameter, inside a [`macro@patch`] module (see there).
/// Outside one, an error.
#[proc_macro_attribute]
pub fn param(_attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::stray("param", item.into()).into()
}

/// Declares non-exported symbols of a patched object, inside a
/// [`macro@patch`] module (see there). Outside one, an error.
#[proc_macro_attribute]
pub fn symbols(_attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::stray("symbols", item.into()).into()
}

/// Names one symbol of a `#[symbols]` block, inside a [`macro@patch`] module
/// (see there). Outside one, an error.
#[proc_macro_attribute]
pub fn symbol(_attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::stray("symbol", item.into()).into()
}
