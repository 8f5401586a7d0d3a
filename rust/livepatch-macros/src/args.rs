// SPDX-License-Identifier: GPL-2.0

//! Parsing of the attribute arguments: `#[livepatch::patch(...)]` and
//! `#[livepatch(...)]`. Only syntax and per-value checks live here; checks
//! that need the whole module are in [`crate::model`].

use proc_macro2::{Span, TokenStream};
use syn::spanned::Spanned;
use syn::{
    bracketed, meta::ParseNestedMeta, parse::Parser, punctuated::Punctuated, Attribute, Expr,
    Ident, LitBool, LitInt, LitStr, Token,
};

use crate::names;

/// `replace = ...` of `#[livepatch::patch(...)]`.
pub(crate) enum Replace {
    /// `replace = true|false`.
    Fixed(LitBool),
    /// `replace = param`: decided at init by an `int` parameter (non-zero:
    /// replace), as the kernel's test_klp_atomic_replace does.
    Param(Ident),
}

/// Arguments of `#[livepatch::patch(...)]`.
#[derive(Default)]
pub(crate) struct PatchArgs {
    pub(crate) replace: Option<Replace>,
    /// `states = [(id, version), ...]`.
    pub(crate) states: Vec<(Expr, Expr)>,
    /// Present when the macro writes the kernel module too.
    pub(crate) module: Option<ModuleArgs>,
}

/// The kernel module keys of `#[livepatch::patch(...)]`.
pub(crate) struct ModuleArgs {
    pub(crate) name: LitStr,
    pub(crate) authors: Vec<LitStr>,
    pub(crate) description: Option<LitStr>,
    pub(crate) license: LitStr,
    /// `exit = f`: a function of the patch module run at module exit.
    pub(crate) exit: Option<Ident>,
}

/// Arguments of `#[livepatch(...)]` on one replacement function.
#[derive(Default)]
pub(crate) struct FuncArgs {
    pub(crate) target: Option<LitStr>,
    pub(crate) object: Option<LitStr>,
    pub(crate) sympos: Option<(u64, Span)>,
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

fn unknown_key(meta: &ParseNestedMeta<'_>, expected: &str) -> syn::Error {
    let path = &meta.path;
    let key = quote::quote!(#path).to_string().replace(' ', "");
    meta.error(format!("unknown key `{key}`; expected one of: {expected}"))
}

impl PatchArgs {
    pub(crate) fn parse(attr: TokenStream) -> syn::Result<Self> {
        const KEYS: &str = "replace, states, name, authors, description, license, exit";
        let mut exit: Option<Ident> = None;
        let mut replace = None;
        let mut states = None;
        let mut name: Option<LitStr> = None;
        let mut authors: Option<Vec<LitStr>> = None;
        let mut description = None;
        let mut license: Option<LitStr> = None;
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident("replace") {
                let input = meta.value()?;
                let v = if input.peek(LitBool) {
                    Replace::Fixed(input.parse()?)
                } else {
                    Replace::Param(input.parse().map_err(|e| {
                        syn::Error::new(
                            e.span(),
                            "expected `true`, `false` or the name of an `IntParam`",
                        )
                    })?)
                };
                set_once(&mut replace, v, &meta)
            } else if meta.path.is_ident("states") {
                let content;
                let input = meta.value()?;
                bracketed!(content in input);
                let list = Punctuated::<Expr, Token![,]>::parse_terminated(&content)?;
                let mut pairs = Vec::new();
                for e in list {
                    match e {
                        Expr::Tuple(t) if t.elems.len() == 2 => {
                            let mut it = t.elems.into_iter();
                            pairs.push((it.next().unwrap(), it.next().unwrap()));
                        }
                        other => {
                            return Err(syn::Error::new_spanned(
                                other,
                                "a state is `(id, version)`",
                            ))
                        }
                    }
                }
                set_once(&mut states, pairs, &meta)
            } else if meta.path.is_ident("name") {
                let v: LitStr = meta.value()?.parse()?;
                names::check_module_name(&v, "module name")?;
                set_once(&mut name, v, &meta)
            } else if meta.path.is_ident("authors") {
                let content;
                let input = meta.value()?;
                bracketed!(content in input);
                let list = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
                for a in &list {
                    names::check_modinfo_value(a)?;
                }
                set_once(&mut authors, list.into_iter().collect(), &meta)
            } else if meta.path.is_ident("description") {
                let v: LitStr = meta.value()?.parse()?;
                names::check_modinfo_value(&v)?;
                set_once(&mut description, v, &meta)
            } else if meta.path.is_ident("exit") {
                let v: Ident = meta.value()?.parse()?;
                set_once(&mut exit, v, &meta)
            } else if meta.path.is_ident("license") {
                let v: LitStr = meta.value()?.parse()?;
                names::check_license(&v)?;
                set_once(&mut license, v, &meta)
            } else {
                Err(unknown_key(&meta, KEYS))
            }
        });
        parser.parse2(attr)?;

        let module = match (name, license) {
            (Some(name), Some(license)) => Some(ModuleArgs {
                name,
                authors: authors.unwrap_or_default(),
                description,
                license,
                exit,
            }),
            (None, None) if authors.is_none() && description.is_none() => {
                if let Some(e) = exit {
                    return Err(syn::Error::new(
                        e.span(),
                        "`exit` needs the module keys (`name`, `license`): without them, write \
                         the module exit in your own `module!` type's `Drop`",
                    ));
                }
                None
            }
            (None, _) => {
                return Err(syn::Error::new(
                    Span::call_site(),
                    "missing key `name`: the module keys (authors, description, license) \
                     need the module's name",
                ))
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
            replace,
            states: states.unwrap_or_default(),
            module,
        })
    }
}

impl FuncArgs {
    /// Parses a `#[livepatch]` or `#[livepatch(...)]` attribute.
    pub(crate) fn parse(attr: &Attribute) -> syn::Result<Self> {
        let mut args = Self::default();
        if matches!(attr.meta, syn::Meta::Path(_)) {
            return Ok(args);
        }
        attr.parse_nested_meta(|meta| args.parse_one(meta))?;
        Ok(args)
    }

    fn parse_one(&mut self, meta: ParseNestedMeta<'_>) -> syn::Result<()> {
        if meta.path.is_ident("target") {
            let v: LitStr = meta.value()?.parse()?;
            names::check_symbol_name(&v)?;
            set_once(&mut self.target, v, &meta)
        } else if meta.path.is_ident("object") {
            let v: LitStr = meta.value()?.parse()?;
            if v.value() != names::VMLINUX {
                names::check_module_name(&v, "object")?;
            }
            set_once(&mut self.object, v, &meta)
        } else if meta.path.is_ident("sympos") {
            let lit: LitInt = meta.value()?.parse()?;
            if !matches!(lit.suffix(), "" | "u64" | "usize") {
                return Err(syn::Error::new(
                    lit.span(),
                    "`sympos` is an unsigned integer",
                ));
            }
            let v = lit.base10_parse::<u64>()?;
            set_once(&mut self.sympos, (v, lit.span()), &meta)
        } else {
            Err(unknown_key(&meta, "target, object, sympos"))
        }
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

/// Arguments of `#[param(perm = 0o644, description = "...")]`.
#[derive(Default)]
pub(crate) struct ParamArgs {
    pub(crate) perm: u16,
    pub(crate) description: Option<LitStr>,
}

impl ParamArgs {
    pub(crate) fn parse(attr: &Attribute) -> syn::Result<Self> {
        let mut perm = None;
        let mut description = None;
        if !matches!(attr.meta, syn::Meta::Path(_)) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("perm") {
                    let lit: LitInt = meta.value()?.parse()?;
                    let v = lit.base10_parse::<u16>()?;
                    // VERIFY_OCTAL_PERMISSIONS(): no world-writable parameters.
                    if v > 0o777 || v & 0o002 != 0 {
                        return Err(syn::Error::new(
                            lit.span(),
                            "`perm` is an octal mode without the world-writable bit, e.g. 0o644",
                        ));
                    }
                    set_once(&mut perm, v, &meta)
                } else if meta.path.is_ident("description") {
                    let v: LitStr = meta.value()?.parse()?;
                    names::check_modinfo_value(&v)?;
                    set_once(&mut description, v, &meta)
                } else {
                    Err(unknown_key(&meta, "perm, description"))
                }
            })?;
        }
        Ok(Self {
            perm: perm.unwrap_or(0),
            description,
        })
    }
}
