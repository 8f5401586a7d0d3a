// SPDX-License-Identifier: GPL-2.0

//! Parsing of the attribute arguments: `#[livepatch::patch(...)]`, and the
//! markers inside the patch module (`#[livepatch(...)]`, `#[param(...)]`,
//! `#[callbacks(...)]`, `#[symbols(...)]`, `#[symbol(...)]`).
//!
//! Each attribute's keys are a declarative table ([`keys!`]): the key, the
//! type of its value and the function that parses and checks that value.
//! Unknown and duplicate keys are errors spanned on the key. Only syntax and
//! per-value checks live here; checks that need the whole module are in
//! [`crate::model`].

use proc_macro2::{Span, TokenStream};
use syn::spanned::Spanned;
use syn::{
    bracketed, ext::IdentExt, meta::ParseNestedMeta, parse::Parser, punctuated::Punctuated,
    Attribute, Expr, Ident, LitBool, LitInt, LitStr, Token,
};

use crate::names;

/// A table of `key = value` arguments: generates a struct with one
/// `Option<T>` per key and the parser of one `key = value`, which calls the
/// key's value parser and rejects unknown and repeated keys.
macro_rules! keys {
    (
        $(#[$meta:meta])*
        struct $name:ident {
            $(
                $(#[$key_meta:meta])*
                $key:ident: $ty:ty => $parser:path,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Default)]
        pub(crate) struct $name {
            $(
                $(#[$key_meta])*
                pub(crate) $key: Option<$ty>,
            )*
        }

        impl $name {
            /// Every key, for the "unknown key" error.
            const KEYS: &'static [&'static str] = &[$(stringify!($key)),*];

            /// Parses one `key = value` into its field.
            fn parse_key(&mut self, meta: ParseNestedMeta<'_>) -> syn::Result<()> {
                $(
                    if meta.path.is_ident(stringify!($key)) {
                        let value = $parser(&meta)?;
                        return set_once(&mut self.$key, value, &meta);
                    }
                )*
                Err(unknown_key(&meta, Self::KEYS))
            }

            /// Parses `key = value, ...` (the tokens inside the parentheses).
            #[allow(dead_code)]
            fn parse(tokens: TokenStream) -> syn::Result<Self> {
                let mut keys = Self::default();
                syn::meta::parser(|meta| keys.parse_key(meta)).parse2(tokens)?;
                Ok(keys)
            }

            /// Parses the arguments of a marker attribute: none (`#[marker]`)
            /// or `#[marker(key = value, ...)]`.
            #[allow(dead_code)]
            fn parse_attr(attr: &Attribute) -> syn::Result<Self> {
                let mut keys = Self::default();
                if !matches!(attr.meta, syn::Meta::Path(_)) {
                    attr.parse_nested_meta(|meta| keys.parse_key(meta))?;
                }
                Ok(keys)
            }
        }
    };
}

/// Stores `value` in `slot`, or fails on the key's second use.
fn set_once<T>(slot: &mut Option<T>, value: T, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if slot.is_some() {
        let key = meta
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        return Err(meta.error(format!("duplicate key `{key}`")));
    }
    *slot = Some(value);
    Ok(())
}

fn unknown_key(meta: &ParseNestedMeta<'_>, keys: &[&str]) -> syn::Error {
    let path = &meta.path;
    let key = quote::quote!(#path).to_string().replace(' ', "");
    meta.error(format!(
        "unknown key `{key}`; expected one of: {}",
        keys.join(", ")
    ))
}

/// `replace = ...` of `#[livepatch::patch(...)]`.
pub(crate) enum Replace {
    /// `replace = true|false`.
    Fixed(LitBool),
    /// `replace = param`: decided at init by an `int` parameter (non-zero:
    /// replace), as the kernel's test_klp_atomic_replace does.
    Param(Ident),
}

/// A state of `states = [(id, version), ...]`.
pub(crate) struct StateArg {
    pub(crate) id: Expr,
    pub(crate) version: Expr,
}

keys! {
    /// The keys of `#[livepatch::patch(...)]`.
    struct PatchKeys {
        /// `replace = true | false | <param>`.
        replace: Replace => replace_value,
        /// `states = [(id, version), ...]`.
        states: Vec<StateArg> => states_value,
        /// `name = "..."`: the module's name (its `.ko` file name).
        name: LitStr => module_name_value,
        /// `authors = ["...", ...]`.
        authors: Vec<LitStr> => modinfo_list_value,
        /// `description = "..."`.
        description: LitStr => modinfo_value,
        /// `license = "..."` (GPL-compatible).
        license: LitStr => license_value,
        /// `exit = f`: a function of the patch module run at module exit.
        exit: Ident => ident_value,
    }
}

/// Arguments of `#[livepatch::patch(...)]`, validated.
pub(crate) struct PatchArgs {
    pub(crate) replace: Option<Replace>,
    pub(crate) states: Vec<StateArg>,
    /// Present when the macro writes the kernel module too.
    pub(crate) module: Option<ModuleArgs>,
}

/// The kernel module keys of `#[livepatch::patch(...)]`.
pub(crate) struct ModuleArgs {
    /// The module's name: the `name` key, or the module file's name.
    pub(crate) name: LitStr,
    pub(crate) authors: Vec<LitStr>,
    pub(crate) description: Option<LitStr>,
    pub(crate) license: LitStr,
    /// `exit = f`: a function of the patch module run at module exit.
    pub(crate) exit: Option<Ident>,
}

impl PatchArgs {
    /// Parses and validates the arguments; `modname` is the name Kbuild gives
    /// the module being built, if known (`RUST_MODFILE`).
    pub(crate) fn parse(attr: TokenStream, modname: Option<&str>) -> syn::Result<Self> {
        let k = PatchKeys::parse(attr)?;
        if let Some(states) = &k.states {
            check_distinct_states(states)?;
        }
        let module = match (k.name, k.license) {
            (name, Some(license)) => {
                let name = module_name(name, modname)?;
                Some(ModuleArgs {
                    name,
                    authors: k.authors.unwrap_or_default(),
                    description: k.description,
                    license,
                    exit: k.exit,
                })
            }
            (None, None) => {
                let orphan = [
                    k.authors
                        .as_ref()
                        .and_then(|a| a.first())
                        .map(|a| ("authors", a.span())),
                    k.description.as_ref().map(|d| ("description", d.span())),
                    k.exit.as_ref().map(|e| ("exit", e.span())),
                ];
                if let Some((key, span)) = orphan.into_iter().flatten().next() {
                    return Err(syn::Error::new(
                        span,
                        format!(
                            "`{key}` is a module key: it needs `license` (and the macro then \
                             writes the module); without the module keys, write your own \
                             `livepatch::module!`"
                        ),
                    ));
                }
                None
            }
            (Some(name), None) => {
                return Err(syn::Error::new(
                    name.span(),
                    "missing key `license`: a livepatch module must declare a GPL-compatible \
                     license (it uses GPL-only symbols such as klp_enable_patch)",
                ))
            }
        };
        Ok(Self {
            replace: k.replace,
            states: k.states.unwrap_or_default(),
            module,
        })
    }
}

/// The module's name: `/sys/kernel/livepatch/<name>`, the log prefix and
/// `klp`'s names are all the name of the `.ko`, which Kbuild takes from the
/// file name. `name`, if given, must be that name.
fn module_name(name: Option<LitStr>, modname: Option<&str>) -> syn::Result<LitStr> {
    match (name, modname) {
        (Some(name), Some(m)) if name.value() != m => Err(syn::Error::new(
            name.span(),
            format!(
                "`name = \"{}\"` but this module is built as `{m}.ko`: the kernel names its \
                 /sys/kernel/livepatch directory and `klp` names it `{m}`; write \
                 `name = \"{m}\"`, or leave `name` out",
                name.value()
            ),
        )),
        (Some(name), _) => Ok(name),
        (None, Some(m)) => Ok(LitStr::new(m, Span::call_site())),
        (None, None) => Err(syn::Error::new(
            Span::call_site(),
            "missing key `name`: the module's name could not be derived (not built by Kbuild)",
        )),
    }
}

/// `(id, version)` pairs whose ids are integer literals must differ; the
/// rest is checked at compile time by the generated code.
fn check_distinct_states(states: &[StateArg]) -> syn::Result<()> {
    let mut seen: Vec<(u64, Span)> = Vec::new();
    for s in states {
        let Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) = &s.id
        else {
            continue;
        };
        let v = i.base10_parse::<u64>()?;
        if v == 0 {
            return Err(syn::Error::new(
                i.span(),
                "a state id cannot be 0: 0 ends the kernel's states table",
            ));
        }
        if let Some((_, first)) = seen.iter().find(|(w, _)| *w == v) {
            let mut e = syn::Error::new(
                i.span(),
                format!("state id {v} is declared twice: each system state has one version"),
            );
            e.combine(syn::Error::new(*first, "first declared here"));
            return Err(e);
        }
        seen.push((v, i.span()));
    }
    Ok(())
}

fn replace_value(meta: &ParseNestedMeta<'_>) -> syn::Result<Replace> {
    let input = meta.value()?;
    if input.peek(LitBool) {
        return Ok(Replace::Fixed(input.parse()?));
    }
    Ok(Replace::Param(input.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            "expected `true`, `false` or the name of an `IntParam`",
        )
    })?))
}

fn states_value(meta: &ParseNestedMeta<'_>) -> syn::Result<Vec<StateArg>> {
    let content;
    let input = meta.value()?;
    bracketed!(content in input);
    let list = Punctuated::<Expr, Token![,]>::parse_terminated(&content)?;
    list.into_iter()
        .map(|e| match e {
            Expr::Tuple(t) if t.elems.len() == 2 => {
                let mut it = t.elems.into_iter();
                Ok(StateArg {
                    id: it.next().unwrap(),
                    version: it.next().unwrap(),
                })
            }
            other => Err(syn::Error::new_spanned(other, "a state is `(id, version)`")),
        })
        .collect()
}

fn module_name_value(meta: &ParseNestedMeta<'_>) -> syn::Result<LitStr> {
    let v: LitStr = meta.value()?.parse()?;
    names::check_module_name(&v, "module name")?;
    Ok(v)
}

fn modinfo_value(meta: &ParseNestedMeta<'_>) -> syn::Result<LitStr> {
    let v: LitStr = meta.value()?.parse()?;
    names::check_modinfo_value(&v)?;
    Ok(v)
}

fn modinfo_list_value(meta: &ParseNestedMeta<'_>) -> syn::Result<Vec<LitStr>> {
    let content;
    let input = meta.value()?;
    bracketed!(content in input);
    let list = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
    for a in &list {
        names::check_modinfo_value(a)?;
    }
    Ok(list.into_iter().collect())
}

fn license_value(meta: &ParseNestedMeta<'_>) -> syn::Result<LitStr> {
    let v: LitStr = meta.value()?.parse()?;
    names::check_license(&v)?;
    Ok(v)
}

fn ident_value(meta: &ParseNestedMeta<'_>) -> syn::Result<Ident> {
    meta.value()?.parse()
}

fn symbol_value(meta: &ParseNestedMeta<'_>) -> syn::Result<LitStr> {
    let v: LitStr = meta.value()?.parse()?;
    names::check_symbol_name(&v)?;
    Ok(v)
}

/// What `target = ...` names.
pub(crate) enum Target {
    /// `target = "name"`: a symbol of the object: a C function, a
    /// `#[no_mangle]` Rust one, or a mangled Rust symbol (`_R...`).
    Name(LitStr),
    /// `target = path::to::function`: a Rust function of vmlinux's crates or
    /// of a module's crate, by its path; the compiler gives its symbol.
    Path(syn::ExprPath),
}

fn target_value(meta: &ParseNestedMeta<'_>) -> syn::Result<Target> {
    let input = meta.value()?;
    if input.peek(LitStr) {
        let v: LitStr = input.parse()?;
        names::check_symbol_name(&v)?;
        return Ok(Target::Name(v));
    }
    let path: syn::ExprPath = input.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            "expected the target's symbol name as a string (`target = \"name\"`) or the path \
             of a Rust function (`target = kernel::module::function`)",
        )
    })?;
    check_target_path(&path)?;
    Ok(Target::Path(path))
}

/// A Rust target has one symbol: not a generic instance, not a function of
/// the patch itself.
fn check_target_path(path: &syn::ExprPath) -> syn::Result<()> {
    // In `<T as Trait<A>>::f`, `Trait<A>` names the impl; what follows the
    // trait, and a path without `<... as ...>`, is the function and its type.
    let skip = path.qself.as_ref().map_or(0, |q| q.position);
    if let Some(seg) = path
        .path
        .segments
        .iter()
        .skip(skip)
        .find(|s| !s.arguments.is_none())
    {
        return Err(syn::Error::new_spanned(
            &seg.arguments,
            "a generic Rust function cannot be a livepatch target: each instance is compiled \
             into the crates that use it, so it has no single symbol in the kernel; patch the \
             non-generic function that calls it",
        ));
    }
    if path.qself.is_none() {
        if let Some(first) = path.path.segments.first() {
            if ["crate", "self", "super", "Self"].contains(&first.ident.to_string().as_str()) {
                return Err(syn::Error::new_spanned(
                    &first.ident,
                    "the target is a function of the kernel or of a module, named from its crate \
                     (`kernel::...`, or the module's crate name): not a function of this patch",
                ));
            }
        }
    }
    Ok(())
}

fn object_value(meta: &ParseNestedMeta<'_>) -> syn::Result<LitStr> {
    let v: LitStr = meta.value()?.parse()?;
    if v.value() != names::VMLINUX {
        names::check_module_name(&v, "object")?;
    }
    Ok(v)
}

/// A flag: `key` alone, or `key = true | false`.
fn flag_value(meta: &ParseNestedMeta<'_>) -> syn::Result<bool> {
    if meta.input.peek(Token![=]) {
        let b: LitBool = meta.value()?.parse()?;
        return Ok(b.value);
    }
    Ok(true)
}

fn sympos_value(meta: &ParseNestedMeta<'_>) -> syn::Result<(u64, Span)> {
    let lit: LitInt = meta.value()?.parse()?;
    if !matches!(lit.suffix(), "" | "u64" | "usize") {
        return Err(syn::Error::new(
            lit.span(),
            "`sympos` is an unsigned integer",
        ));
    }
    Ok((lit.base10_parse::<u64>()?, lit.span()))
}

keys! {
    /// The keys of `#[livepatch(...)]` on one replacement function.
    struct FuncArgs {
        /// `target = "name"` (a symbol) or `target = path::to::function`
        /// (a Rust function): the function replaced (default: the Rust
        /// name).
        target: Target => target_value,
        /// `object = "vmlinux" | "module"`.
        object: LitStr => object_value,
        /// `sympos = N`: which of several same-named local symbols.
        sympos: (u64, Span) => sympos_value,
        /// `unchecked_signature`: the target may be absent from the
        /// kernel's BTF (`klp` then takes the signature on trust).
        unchecked_signature: bool => flag_value,
    }
}

impl FuncArgs {
    /// Parses a `#[livepatch]` or `#[livepatch(...)]` marker (`unsafe(...)`
    /// already removed).
    pub(crate) fn parse_marker(attr: &Attribute) -> syn::Result<Self> {
        Self::parse_attr(attr)
    }

    /// Parses the tokens of `livepatch(...)` inside `#[unsafe(...)]`.
    pub(crate) fn parse_tokens(tokens: TokenStream) -> syn::Result<Self> {
        Self::parse(tokens)
    }
}

/// Arguments of `#[callbacks("object", ...)]`: the objects (default vmlinux).
pub(crate) fn parse_callbacks(attr: &Attribute) -> syn::Result<Vec<LitStr>> {
    if matches!(attr.meta, syn::Meta::Path(_)) {
        return Ok(vec![LitStr::new(names::VMLINUX, attr.span())]);
    }
    let list = attr.parse_args_with(Punctuated::<LitStr, Token![,]>::parse_terminated)?;
    for o in &list {
        if o.value() != names::VMLINUX {
            names::check_module_name(o, "object")?;
        }
    }
    Ok(list.into_iter().collect())
}

/// `VERIFY_OCTAL_PERMISSIONS()` (include/linux/moduleparam.h): the checks
/// the kernel applies to a parameter's `perm` at compile time.
pub(crate) fn check_param_perm(v: u32) -> Result<(), &'static str> {
    if v > 0o777 {
        return Err("`perm` is at most 0o777");
    }
    if (v >> 6) & 4 < (v >> 3) & 4 || (v >> 3) & 4 < v & 4 {
        return Err("readable by group or others but not by the owner (USER_READABLE >= GROUP_READABLE >= OTHER_READABLE)");
    }
    if (v >> 6) & 2 < (v >> 3) & 2 {
        return Err("writable by the group but not by the owner (USER_WRITABLE >= GROUP_WRITABLE)");
    }
    if v & 2 != 0 {
        return Err("world-writable");
    }
    Ok(())
}

fn perm_value(meta: &ParseNestedMeta<'_>) -> syn::Result<u16> {
    let lit: LitInt = meta.value()?.parse()?;
    let v = lit.base10_parse::<u32>()?;
    check_param_perm(v).map_err(|why| {
        syn::Error::new(
            lit.span(),
            format!(
                "`perm = {v:#o}`: {why}; the kernel's VERIFY_OCTAL_PERMISSIONS() rejects it \
                 (e.g. 0o644, 0o600, 0o444)"
            ),
        )
    })?;
    Ok(v as u16)
}

keys! {
    /// The keys of `#[param(...)]`.
    struct ParamArgs {
        /// `perm = 0o644`: the sysfs mode (0: not in sysfs).
        perm: u16 => perm_value,
        /// `description = "..."`: the `parm` modinfo.
        description: LitStr => modinfo_value,
    }
}

impl ParamArgs {
    pub(crate) fn parse_marker(attr: &Attribute) -> syn::Result<Self> {
        Self::parse_attr(attr)
    }
}

keys! {
    /// The keys of `#[symbols(...)]` on an `extern "C"` block.
    struct SymbolsArgs {
        /// `object = "vmlinux" | "module"`: where the symbols are.
        object: LitStr => object_value,
    }
}

impl SymbolsArgs {
    pub(crate) fn parse_marker(attr: &Attribute) -> syn::Result<Self> {
        Self::parse_attr(attr)
    }
}

keys! {
    /// The keys of `#[symbol(...)]` on one item of a `#[symbols]` block.
    struct SymbolArgs {
        /// `name = "..."`: the symbol's name (default: the Rust name).
        name: LitStr => symbol_value,
        /// `sympos = N`: which of several same-named local symbols.
        sympos: (u64, Span) => sympos_value,
    }
}

impl SymbolArgs {
    pub(crate) fn parse_marker(attr: &Attribute) -> syn::Result<Self> {
        Self::parse_attr(attr)
    }
}

/// The name a Rust identifier stands for (`r#type` is `type`).
pub(crate) fn ident_name(ident: &Ident) -> String {
    ident.unraw().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn perms() {
        for ok in [0, 0o644, 0o600, 0o444, 0o400, 0o640, 0o664, 0o660, 0o200] {
            assert!(check_param_perm(ok).is_ok(), "{ok:#o}");
        }
        for bad in [0o060, 0o004, 0o046, 0o666, 0o622, 0o1000, 0o020, 0o044] {
            assert!(check_param_perm(bad).is_err(), "{bad:#o}");
        }
    }

    #[test]
    fn states() {
        let err = |t: TokenStream| {
            PatchArgs::parse(t, None)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(err(quote!(states = [(1, 1), (2, 1), (1, 2)])).contains("declared twice"));
        assert!(err(quote!(states = [(0, 1)])).contains("cannot be 0"));
        assert!(err(quote!(states = [(1, 1), (2, 1)])).is_empty());
    }

    #[test]
    fn module_names() {
        let name = |t: TokenStream, m: Option<&str>| {
            PatchArgs::parse(t, m).map(|a| a.module.map(|m| m.name.value()))
        };
        assert_eq!(
            name(quote!(license = "GPL"), Some("fix")).unwrap(),
            Some("fix".into())
        );
        assert_eq!(
            name(quote!(name = "fix", license = "GPL"), Some("fix")).unwrap(),
            Some("fix".into())
        );
        let e = name(quote!(name = "other", license = "GPL"), Some("fix"))
            .err()
            .unwrap();
        assert!(e.to_string().contains("built as `fix.ko`"), "{e}");
        assert_eq!(name(quote!(), Some("fix")).unwrap(), None);
    }
}
