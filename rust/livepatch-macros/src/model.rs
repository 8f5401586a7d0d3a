// SPDX-License-Identifier: GPL-2.0

//! The patch as the core will see it: replacement functions found in the
//! module, validated, and grouped by object.

use proc_macro2::Span;
use syn::{spanned::Spanned, Attribute, Ident, Item, ItemFn, ItemMod, LitStr};

use crate::{
    args::{self, FuncArgs},
    names,
};

/// One `klp_func`: a Rust function replacing a C one.
pub(crate) struct Replacement {
    /// The Rust function.
    pub(crate) ident: Ident,
    /// `klp_func.old_name`.
    pub(crate) target: LitStr,
    /// `klp_func.old_sympos`.
    pub(crate) sympos: u64,
}

/// One `klp_object`: the functions patched in vmlinux or in one module, and
/// its callbacks.
pub(crate) struct Object {
    /// `klp_object.name`; `None` for vmlinux.
    pub(crate) name: Option<LitStr>,
    pub(crate) funcs: Vec<Replacement>,
    /// The type implementing `livepatch::Callbacks` for this object.
    pub(crate) callbacks: Option<Ident>,
}

/// A `#[param]` static: an `int` module parameter, or an array of them.
pub(crate) struct Param {
    pub(crate) ident: Ident,
    pub(crate) array: bool,
    pub(crate) perm: u16,
    pub(crate) description: Option<LitStr>,
}

/// Everything the macro found in the patch module.
pub(crate) struct Model {
    pub(crate) objects: Vec<Object>,
    pub(crate) params: Vec<Param>,
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

/// The marker attributes the patch macro reads inside its module.
const MARKERS: &[&str] = &["livepatch", "callbacks", "param"];

/// Is `attr` the marker `name` (`#[name]` or `#[livepatch::name]`)?
fn is_marker(attr: &Attribute, name: &str) -> bool {
    let path = attr.path();
    path.is_ident(name)
        || (path.segments.len() == 2
            && path.segments[0].ident == "livepatch"
            && path.segments[1].ident == name)
}

/// Removes every marker from `attrs`; returns the one there may be.
fn take_marker(
    attrs: &mut Vec<Attribute>,
    errors: &mut Errors,
) -> Option<(&'static str, Attribute)> {
    let mut found: Option<(&'static str, Attribute)> = None;
    let mut kept = Vec::with_capacity(attrs.len());
    for attr in attrs.drain(..) {
        let Some(name) = MARKERS.iter().find(|m| is_marker(&attr, m)) else {
            kept.push(attr);
            continue;
        };
        if found.is_some() {
            errors.push(syn::Error::new_spanned(
                &attr,
                format!("a second marker `#[{name}]` on one item"),
            ));
        } else {
            found = Some((name, attr));
        }
    }
    *attrs = kept;
    found
}

fn item_attrs(item: &mut Item) -> Option<&mut Vec<Attribute>> {
    Some(match item {
        Item::Const(i) => &mut i.attrs,
        Item::Enum(i) => &mut i.attrs,
        Item::Fn(i) => &mut i.attrs,
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
        errors.push(syn::Error::new(
            c.span,
            "a livepatch replacement cannot be `const fn`",
        ));
    }
    if let Some(a) = &sig.asyncness {
        errors.push(syn::Error::new(
            a.span,
            "a livepatch replacement cannot be `async fn`",
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.push(syn::Error::new_spanned(
            &sig.generics,
            "a livepatch replacement cannot be generic: the kernel calls it at one fixed address \
             with the C function's arguments",
        ));
    }
    if let Some(v) = &sig.variadic {
        errors.push(syn::Error::new_spanned(
            v,
            "a livepatch replacement cannot be variadic",
        ));
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

/// Two replacements, as (object, target, sympos), that would patch the same
/// function.
fn same_function(a: (&Option<String>, &String, u64), b: &(Option<String>, String, u64)) -> bool {
    a.0 == &b.0
        && a.1 == &b.1
        // sympos 0 means "the only symbol of that name": it is every position.
        && (a.2 == b.2 || a.2 == 0 || b.2 == 0)
}

/// Where a replacement or a callbacks type goes.
fn object_key(name: &Option<LitStr>) -> Option<String> {
    name.as_ref().map(LitStr::value)
}

/// Finds the marked items of `module` (`#[livepatch]` functions, a
/// `#[callbacks]` type, `#[param]` statics), strips the markers, and groups
/// replacements and callbacks by object in order of first appearance.
pub(crate) fn collect(module: &mut ItemMod) -> syn::Result<Model> {
    let Some((_, items)) = &mut module.content else {
        return Err(syn::Error::new(
            module.semi.span(),
            "`#[livepatch::patch]` needs an inline module: `mod name { ... }`",
        ));
    };
    let mut errors = Errors::default();
    let mut objects: Vec<Object> = Vec::new();
    // (object, target, sympos, span) of every replacement so far.
    let mut seen: Vec<(Option<String>, String, u64, Span)> = Vec::new();
    let mut params = Vec::new();
    for item in items.iter_mut() {
        let Some((kind, attr)) = item_attrs(item).and_then(|a| take_marker(a, &mut errors)) else {
            continue;
        };
        let result = match (kind, &*item) {
            ("livepatch", Item::Fn(f)) => replacement(f, &attr).and_then(|(object, new, span)| {
                let this = (object_key(&object), new.target.value(), new.sympos);
                if let Some((_, _, _, first)) = seen.iter().find(|(o, t, p, _)| same_function((o, t, *p), &this)) {
                    let mut e = syn::Error::new(
                        span,
                        format!(
                            "two replacements for `{}` in {}: a function can be patched once per patch",
                            new.target.value(),
                            this.0.as_ref().map_or("vmlinux".to_string(), |o| format!("module `{o}`"))
                        ),
                    );
                    e.combine(syn::Error::new(*first, "the first replacement is here"));
                    return Err(e);
                }
                seen.push((this.0, this.1, this.2, span));
                object_entry(&mut objects, object).funcs.push(new);
                Ok(())
            }),
            ("callbacks", Item::Struct(_) | Item::Enum(_) | Item::Type(_)) => {
                let ident = match &*item {
                    Item::Struct(s) => s.ident.clone(),
                    Item::Enum(e) => e.ident.clone(),
                    Item::Type(t) => t.ident.clone(),
                    _ => unreachable!(),
                };
                args::parse_callbacks(&attr).and_then(|names| {
                    for name in names {
                        let name = (name.value() != names::VMLINUX).then_some(name);
                        let span = name.as_ref().map_or(ident.span(), LitStr::span);
                        let entry = object_entry(&mut objects, name);
                        if let Some(first) = &entry.callbacks {
                            return Err(syn::Error::new(
                                span,
                                format!("this object already has callbacks: `{first}`"),
                            ));
                        }
                        entry.callbacks = Some(ident.clone());
                    }
                    Ok(())
                })
            }
            ("param", Item::Static(st)) => param(st, &attr).map(|p| params.push(p)),
            (kind, _) => Err(syn::Error::new_spanned(
                &attr,
                match kind {
                    "livepatch" => "`#[livepatch]` marks a replacement function; this item is not a function",
                    "callbacks" => "`#[callbacks]` goes on the type (a struct, enum or type alias) that implements `livepatch::Callbacks`",
                    _ => "`#[param]` goes on a `static NAME: livepatch::IntParam`",
                },
            )),
        };
        if let Err(e) = result {
            errors.push(e);
        }
    }
    errors.finish()?;
    Ok(Model { objects, params })
}

/// The object named `name`, added if new.
fn object_entry(objects: &mut Vec<Object>, name: Option<LitStr>) -> &mut Object {
    let key = object_key(&name);
    match objects.iter().position(|o| object_key(&o.name) == key) {
        Some(i) => &mut objects[i],
        None => {
            objects.push(Object {
                name,
                funcs: Vec::new(),
                callbacks: None,
            });
            objects.last_mut().unwrap()
        }
    }
}

/// A `#[livepatch]` function: its object, replacement and span.
fn replacement(f: &ItemFn, attr: &Attribute) -> syn::Result<(Option<LitStr>, Replacement, Span)> {
    let mut errors = Errors::default();
    if let Err(e) = check_signature(f) {
        errors.push(e);
    }
    let args = match FuncArgs::parse(attr) {
        Ok(a) => a,
        Err(e) => {
            errors.push(e);
            FuncArgs::default()
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
    errors.finish()?;
    let object = args.object.filter(|o| o.value() != names::VMLINUX);
    let sympos = args.sympos.map_or(0, |(v, _)| v);
    Ok((
        object,
        Replacement {
            ident,
            target,
            sympos,
        },
        span,
    ))
}

/// A `#[param]` static.
fn param(st: &syn::ItemStatic, attr: &Attribute) -> syn::Result<Param> {
    let args = args::ParamArgs::parse(attr)?;
    let last = match &*st.ty {
        syn::Type::Path(p) => p.path.segments.last(),
        _ => None,
    };
    let array = match last {
        Some(s) if s.ident == "IntParam" && s.arguments.is_none() => false,
        Some(s) if s.ident == "IntArrayParam" => true,
        _ => {
            return Err(syn::Error::new_spanned(
                &st.ty,
                "a livepatch module parameter is a `livepatch::IntParam` (a C `int`) or a \
                 `livepatch::IntArrayParam<N>` (an array of them)",
            ))
        }
    };
    if let syn::StaticMutability::Mut(m) = &st.mutability {
        return Err(syn::Error::new(
            m.span,
            "a parameter static is not `mut`: `IntParam` handles the writes",
        ));
    }
    Ok(Param {
        ident: st.ident.clone(),
        array,
        perm: args.perm,
        description: args.description,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn collect_from(tokens: proc_macro2::TokenStream) -> syn::Result<(ItemMod, Vec<Object>)> {
        let mut m: ItemMod = syn::parse2(tokens).unwrap();
        let model = collect(&mut m)?;
        Ok((m, model.objects))
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
        let vmlinux: Vec<_> = objects[0]
            .funcs
            .iter()
            .map(|f| (f.target.value(), f.sympos))
            .collect();
        assert_eq!(
            vmlinux,
            [
                ("cmdline_proc_show".into(), 0),
                ("meminfo_proc_show".into(), 2)
            ]
        );
        assert_eq!(
            objects[1].name.as_ref().unwrap().value(),
            "test_klp_callbacks_mod"
        );
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
        assert!(dup(r#"target = "f""#, r#"target = "f""#)
            .unwrap()
            .contains("two replacements"));
        assert!(dup(r#"target = "f", sympos = 1"#, r#"target = "f""#).is_some());
        assert!(dup(r#"target = "f", sympos = 1"#, r#"target = "f", sympos = 2"#).is_none());
        assert!(dup(r#"target = "f""#, r#"target = "f", object = "m""#).is_none());
        assert!(dup(r#"target = "f""#, r#"target = "f", object = "vmlinux""#).is_some());
    }

    #[test]
    fn signatures() {
        let check = |f: proc_macro2::TokenStream| {
            check_signature(&syn::parse2(f).unwrap())
                .err()
                .map(|e| e.to_string())
        };
        assert!(check(quote!(
            unsafe extern "C" fn f(a: i32) -> i32 {
                a
            }
        ))
        .is_none());
        assert!(check(quote!(
            extern "C" fn f() {}
        ))
        .unwrap()
        .contains("must be `unsafe"));
        assert!(check(quote!(
            unsafe fn f() {}
        ))
        .unwrap()
        .contains("missing ABI"));
        assert!(check(quote!(
            unsafe extern "Rust" fn f() {}
        ))
        .unwrap()
        .contains("wrong ABI"));
        assert!(check(quote!(
            unsafe extern "C-unwind" fn f() {}
        ))
        .unwrap()
        .contains("wrong ABI"));
        assert!(check(quote!(
            unsafe extern "C" fn f<T>() {}
        ))
        .unwrap()
        .contains("generic"));
        assert!(check(quote!(
            const unsafe extern "C" fn f() {}
        ))
        .unwrap()
        .contains("const"));
    }

    #[test]
    fn not_a_function() {
        let e = collect_from(quote! { mod fix { #[livepatch] static X: u8 = 0; } })
            .err()
            .unwrap();
        assert!(e.to_string().contains("not a function"));
    }

    #[test]
    fn callbacks_and_params() {
        let mut m: ItemMod = syn::parse2(quote! {
            mod fix {
                #[callbacks("vmlinux", "test_klp_callbacks_mod")]
                struct Demo;
                #[param(perm = 0o644, description = "pre_patch_ret (default=0)")]
                static pre_patch_ret: livepatch::IntParam = livepatch::IntParam::new(0);
                #[livepatch(object = "test_klp_callbacks_busy", target = "busymod_work_func")]
                unsafe extern "C" fn patched_work_func() {}
            }
        })
        .unwrap();
        let model = collect(&mut m).unwrap();
        let objs: Vec<_> = model
            .objects
            .iter()
            .map(|o| {
                (
                    o.name.as_ref().map(LitStr::value),
                    o.callbacks.is_some(),
                    o.funcs.len(),
                )
            })
            .collect();
        assert_eq!(
            objs,
            [
                (None, true, 0),
                (Some("test_klp_callbacks_mod".into()), true, 0),
                (Some("test_klp_callbacks_busy".into()), false, 1)
            ]
        );
        assert_eq!(model.params[0].ident, "pre_patch_ret");
        assert_eq!(model.params[0].perm, 0o644);
        let bad = |t: proc_macro2::TokenStream| {
            collect(&mut syn::parse2(t).unwrap())
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(bad(quote!(
            mod f {
                #[callbacks]
                struct A;
                #[callbacks]
                struct B;
            }
        ))
        .contains("already has callbacks"));
        assert!(bad(quote!(
            mod f {
                #[param]
                static X: i32 = 0;
            }
        ))
        .contains("IntParam"));
        assert!(bad(quote!(
            mod f {
                #[param(perm = 0o666)]
                static X: IntParam = IntParam::new(0);
            }
        ))
        .contains("world-writable"));
        assert!(bad(quote!(
            mod f {
                #[callbacks]
                fn f() {}
            }
        ))
        .contains("implements `livepatch::Callbacks`"));
    }

    #[test]
    fn outline_module() {
        let e = collect_from(quote! { mod fix; }).err().unwrap();
        assert!(e.to_string().contains("inline module"));
    }
}
