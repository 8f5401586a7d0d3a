// SPDX-License-Identifier: GPL-2.0

//! The patch as the core will see it: replacement functions found in the
//! module, validated, and grouped by object.

use proc_macro2::Span;
use syn::{spanned::Spanned, Attribute, Ident, Item, ItemFn, ItemMod, LitStr};

use crate::{args::FuncArgs, names};

/// One `klp_func`: a Rust function replacing a C one.
pub(crate) struct Replacement {
    /// The Rust function.
    pub(crate) ident: Ident,
    /// `klp_func.old_name`.
    pub(crate) target: LitStr,
    /// `klp_func.old_sympos`.
    pub(crate) sympos: u64,
}

/// One `klp_object`: the functions patched in vmlinux or in one module.
pub(crate) struct Object {
    /// `klp_object.name`; `None` for vmlinux.
    pub(crate) name: Option<LitStr>,
    pub(crate) funcs: Vec<Replacement>,
}

/// Accumulates errors so that one build reports every misuse at once.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// Is `attr` our `#[livepatch]` / `#[livepatch::livepatch]` marker?
fn is_marker(attr: &Attribute) -> bool {
    let path = attr.path();
    path.is_ident("livepatch")
        || (path.segments.len() == 2
            && path.segments[0].ident == "livepatch"
            && path.segments[1].ident == "livepatch")
}

/// Removes the marker from `attrs`, returning it if there was exactly one.
fn take_marker(attrs: &mut Vec<Attribute>, errors: &mut Errors) -> Option<Attribute> {
    let mut found = None;
    let mut kept = Vec::with_capacity(attrs.len());
    for attr in attrs.drain(..) {
        if !is_marker(&attr) {
            kept.push(attr);
        } else if found.is_some() {
            errors.push(syn::Error::new_spanned(&attr, "duplicate `#[livepatch]` attribute"));
        } else {
            found = Some(attr);
        }
    }
    *attrs = kept;
    found
}

fn item_attrs(item: &mut Item) -> Option<&mut Vec<Attribute>> {
    Some(match item {
        Item::Const(i) => &mut i.attrs,
        Item::Enum(i) => &mut i.attrs,
        Item::ExternCrate(i) => &mut i.attrs,
        Item::ForeignMod(i) => &mut i.attrs,
        Item::Impl(i) => &mut i.attrs,
        Item::Macro(i) => &mut i.attrs,
        Item::Mod(i) => &mut i.attrs,
        Item::Static(i) => &mut i.attrs,
        Item::Struct(i) => &mut i.attrs,
        Item::Trait(i) => &mut i.attrs,
        Item::TraitAlias(i) => &mut i.attrs,
        Item::Type(i) => &mut i.attrs,
        Item::Union(i) => &mut i.attrs,
        Item::Use(i) => &mut i.attrs,
        _ => return None,
    })
}

/// Checks that `f` can stand in for a C function.
pub(crate) fn check_signature(f: &ItemFn) -> syn::Result<()> {
    let sig = &f.sig;
    let mut errors = Errors::default();
    if let Some(c) = &sig.constness {
        errors.push(syn::Error::new(c.span, "a livepatch replacement cannot be `const fn`"));
    }
    if let Some(a) = &sig.asyncness {
        errors.push(syn::Error::new(a.span, "a livepatch replacement cannot be `async fn`"));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.push(syn::Error::new_spanned(
            &sig.generics,
            "a livepatch replacement cannot be generic: the kernel calls it at one fixed address \
             with the C function's arguments",
        ));
    }
    if let Some(v) = &sig.variadic {
        errors.push(syn::Error::new_spanned(v, "a livepatch replacement cannot be variadic"));
    }
    match &sig.abi {
        Some(abi) if abi.name.as_ref().is_some_and(|n| n.value() == "C") => {}
        Some(abi) => errors.push(syn::Error::new_spanned(
            abi,
            "wrong ABI: a livepatch replacement is called as the C function it replaces; \
             write `unsafe extern \"C\" fn`",
        )),
        None => errors.push(syn::Error::new(
            sig.fn_token.span,
            "missing ABI: a livepatch replacement is called as the C function it replaces; \
             write `unsafe extern \"C\" fn`",
        )),
    }
    if sig.unsafety.is_none() {
        errors.push(syn::Error::new(
            sig.fn_token.span,
            "a livepatch replacement must be `unsafe extern \"C\" fn`: it receives the C \
             function's arguments, whose validity Rust cannot check",
        ));
    }
    errors.finish()
}

/// Two replacements that would patch the same function.
fn same_function(a: (&Option<LitStr>, &Replacement), b: (&Option<LitStr>, &Replacement)) -> bool {
    let obj = |o: &Option<LitStr>| o.as_ref().map(LitStr::value);
    obj(a.0) == obj(b.0)
        && a.1.target.value() == b.1.target.value()
        // sympos 0 means "the only symbol of that name": it is every position.
        && (a.1.sympos == b.1.sympos || a.1.sympos == 0 || b.1.sympos == 0)
}

/// Finds the `#[livepatch]` functions of `module`, strips the markers, and
/// groups the replacements by object in order of first appearance.
pub(crate) fn collect(module: &mut ItemMod) -> syn::Result<Vec<Object>> {
    let Some((_, items)) = &mut module.content else {
        return Err(syn::Error::new(
            module.semi.span(),
            "`#[livepatch::patch]` needs an inline module: `mod name { ... }`",
        ));
    };
    let mut errors = Errors::default();
    let mut found: Vec<(Option<LitStr>, Replacement, Span)> = Vec::new();
    for item in items.iter_mut() {
        let marker = match item {
            Item::Fn(f) => take_marker(&mut f.attrs, &mut errors),
            other => {
                if let Some(attr) = item_attrs(other).and_then(|a| take_marker(a, &mut errors)) {
                    errors.push(syn::Error::new_spanned(
                        attr,
                        "`#[livepatch]` marks a replacement function; this item is not a function",
                    ));
                }
                continue;
            }
        };
        let (Some(attr), Item::Fn(f)) = (marker, item) else { continue };
        if let Err(e) = check_signature(f) {
            errors.push(e);
        }
        let args = match FuncArgs::parse(&attr) {
            Ok(a) => a,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let ident = f.sig.ident.clone();
        let span = ident.span();
        let target = match args.target {
            Some(t) => t,
            None => {
                let name = LitStr::new(&ident.to_string(), ident.span());
                if let Err(e) = names::check_symbol_name(&name) {
                    errors.push(e);
                }
                name
            }
        };
        let object = args.object.filter(|o| o.value() != names::VMLINUX);
        let sympos = args.sympos.map_or(0, |(v, _)| v);
        let new = Replacement { ident, target, sympos };
        if let Some((_, _, first)) =
            found.iter().find(|(o, r, _)| same_function((o, r), (&object, &new)))
        {
            let mut e = syn::Error::new(
                span,
                format!(
                    "two replacements for `{}` in {}: a function can be patched once per patch",
                    new.target.value(),
                    object.as_ref().map_or("vmlinux".to_string(), |o| format!("module `{}`", o.value()))
                ),
            );
            e.combine(syn::Error::new(*first, "the first replacement is here"));
            errors.push(e);
            continue;
        }
        found.push((object, new, span));
    }
    errors.finish()?;

    let mut objects: Vec<Object> = Vec::new();
    for (name, func, _) in found {
        let key = name.as_ref().map(LitStr::value);
        match objects.iter_mut().find(|o| o.name.as_ref().map(LitStr::value) == key) {
            Some(o) => o.funcs.push(func),
            None => objects.push(Object { name, funcs: vec![func] }),
        }
    }
    Ok(objects)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn collect_from(tokens: proc_macro2::TokenStream) -> syn::Result<(ItemMod, Vec<Object>)> {
        let mut m: ItemMod = syn::parse2(tokens).unwrap();
        let objects = collect(&mut m)?;
        Ok((m, objects))
    }

    #[test]
    fn groups_by_object_in_order() {
        let (m, objects) = collect_from(quote! {
            mod fix {
                #[livepatch]
                unsafe extern "C" fn cmdline_proc_show() {}
                #[livepatch(object = "test_klp_callbacks_mod", target = "busymod_work_func")]
                unsafe extern "C" fn busy() {}
                #[livepatch(target = "meminfo_proc_show", object = "vmlinux", sympos = 2)]
                unsafe extern "C" fn meminfo() {}
                fn helper() {}
            }
        })
        .unwrap();
        assert_eq!(objects.len(), 2);
        assert!(objects[0].name.is_none());
        let vmlinux: Vec<_> = objects[0].funcs.iter().map(|f| (f.target.value(), f.sympos)).collect();
        assert_eq!(vmlinux, [("cmdline_proc_show".into(), 0), ("meminfo_proc_show".into(), 2)]);
        assert_eq!(objects[1].name.as_ref().unwrap().value(), "test_klp_callbacks_mod");
        assert_eq!(objects[1].funcs[0].ident, "busy");
        // The markers are gone, the other items untouched.
        let out = quote!(#m).to_string();
        assert!(!out.contains("livepatch"), "{out}");
        assert!(out.contains("fn helper"));
    }

    #[test]
    fn duplicate_targets() {
        let dup = |a: &str, b: &str| {
            let a: proc_macro2::TokenStream = a.parse().unwrap();
            let b: proc_macro2::TokenStream = b.parse().unwrap();
            collect_from(quote! {
                mod fix {
                    #[livepatch(#a)] unsafe extern "C" fn one() {}
                    #[livepatch(#b)] unsafe extern "C" fn two() {}
                }
            })
            .err()
            .map(|e| e.to_string())
        };
        assert!(dup(r#"target = "f""#, r#"target = "f""#).unwrap().contains("two replacements"));
        assert!(dup(r#"target = "f", sympos = 1"#, r#"target = "f""#).is_some());
        assert!(dup(r#"target = "f", sympos = 1"#, r#"target = "f", sympos = 2"#).is_none());
        assert!(dup(r#"target = "f""#, r#"target = "f", object = "m""#).is_none());
        assert!(dup(r#"target = "f""#, r#"target = "f", object = "vmlinux""#).is_some());
    }

    #[test]
    fn signatures() {
        let check = |f: proc_macro2::TokenStream| {
            check_signature(&syn::parse2(f).unwrap()).err().map(|e| e.to_string())
        };
        assert!(check(quote!(unsafe extern "C" fn f(a: i32) -> i32 { a })).is_none());
        assert!(check(quote!(extern "C" fn f() {})).unwrap().contains("must be `unsafe"));
        assert!(check(quote!(unsafe fn f() {})).unwrap().contains("missing ABI"));
        assert!(check(quote!(unsafe extern "Rust" fn f() {})).unwrap().contains("wrong ABI"));
        assert!(check(quote!(unsafe extern "C-unwind" fn f() {})).unwrap().contains("wrong ABI"));
        assert!(check(quote!(unsafe extern "C" fn f<T>() {})).unwrap().contains("generic"));
        assert!(check(quote!(const unsafe extern "C" fn f() {})).unwrap().contains("const"));
    }

    #[test]
    fn not_a_function() {
        let e = collect_from(quote! { mod fix { #[livepatch] static X: u8 = 0; } }).err().unwrap();
        assert!(e.to_string().contains("not a function"));
    }

    #[test]
    fn outline_module() {
        let e = collect_from(quote! { mod fix; }).err().unwrap();
        assert!(e.to_string().contains("inline module"));
    }
}
