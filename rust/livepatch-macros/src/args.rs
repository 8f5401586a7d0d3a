// SPDX-License-Identifier: GPL-2.0

//! Parsing of the attribute arguments: `#[livepatch::patch(...)]` and
//! `#[livepatch(...)]`. Only syntax and per-value checks live here; checks
//! that need the whole module are in [`crate::model`].

use proc_macro2::{Span, TokenStream};
use syn::{
    bracketed, meta::ParseNestedMeta, parse::Parser, punctuated::Punctuated, Attribute, LitBool,
    LitInt, LitStr, Token,
};

use crate::names;

/// Arguments of `#[livepatch::patch(...)]`.
#[derive(Default)]
pub(crate) struct PatchArgs {
    /// `replace = true|false`.
    pub(crate) replace: Option<LitBool>,
    /// Present when the macro writes the kernel module too.
    pub(crate) module: Option<ModuleArgs>,
}

/// The kernel module keys of `#[livepatch::patch(...)]`.
pub(crate) struct ModuleArgs {
    pub(crate) name: LitStr,
    pub(crate) authors: Vec<LitStr>,
    pub(crate) description: Option<LitStr>,
    pub(crate) license: LitStr,
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
        let key = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
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
        const KEYS: &str = "replace, name, authors, description, license";
        let mut replace = None;
        let mut name: Option<LitStr> = None;
        let mut authors: Option<Vec<LitStr>> = None;
        let mut description = None;
        let mut license: Option<LitStr> = None;
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident("replace") {
                let v: LitBool = meta.value()?.parse()?;
                set_once(&mut replace, v, &meta)
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
            }),
            (None, None) if authors.is_none() && description.is_none() => None,
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
        Ok(Self { replace, module })
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
                return Err(syn::Error::new(lit.span(), "`sympos` is an unsigned integer"));
            }
            let v = lit.base10_parse::<u64>()?;
            set_once(&mut self.sympos, (v, lit.span()), &meta)
        } else {
            Err(unknown_key(&meta, "target, object, sympos"))
        }
    }
}
