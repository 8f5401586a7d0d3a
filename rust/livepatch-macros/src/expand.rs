// SPDX-License-Identifier: GPL-2.0

//! Code generation: descriptors as statics inside the patch module, the
//! `livepatch=Y` modinfo, and optionally the kernel module around them.

use std::ffi::CString;

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::{parse_quote, Item, ItemFn, ItemMod, LitStr};

use crate::{
    args::{ModuleArgs, PatchArgs},
    model::{self, Object, Replacement},
};

/// `#[livepatch::patch(...)] mod name { ... }`.
pub(crate) fn patch(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let args = PatchArgs::parse(attr)?;
    let mut module: ItemMod = syn::parse2(item).map_err(|e| {
        syn::Error::new(e.span(), "`#[livepatch::patch]` goes on an inline module: `mod name { ... }`")
    })?;
    let objects = model::collect(&mut module)?;
    let replace = args.replace.as_ref().is_some_and(|r| r.value);
    if objects.is_empty() && !replace {
        return Err(syn::Error::new(
            module.ident.span(),
            "this patch replaces no function: mark replacement functions with `#[livepatch]` \
             (only an atomic-replace patch, `replace = true`, may be empty)",
        ));
    }

    let descriptors = descriptors(&objects, replace);
    let (_, items) = module.content.as_mut().expect("model::collect checked the module is inline");
    for item in items.iter_mut() {
        if let Item::Fn(f) = item {
            if objects.iter().flat_map(|o| &o.funcs).any(|r| r.ident == f.sig.ident) {
                name_symbol(f);
            }
        }
    }
    items.extend(descriptors);

    let kernel_module = args.module.as_ref().map(|m| kernel_module(m, &module.ident));
    Ok(quote! {
        #module
        #kernel_module
    })
}

/// A stray `#[livepatch]`, outside any patch module.
pub(crate) fn stray_livepatch(_attr: TokenStream, item: TokenStream) -> TokenStream {
    let err = syn::Error::new(
        Span::call_site(),
        "`#[livepatch]` marks a replacement function inside a `#[livepatch::patch]` module; \
         on its own it does nothing: move this function into `#[livepatch::patch] mod name { ... }`",
    )
    .into_compile_error();
    quote! { #err #item }
}

/// Gives a replacement a readable global symbol (`livepatch_<name>`, as the
/// C samples name theirs) for kallsyms and stack traces, unless the user
/// named it already.
fn name_symbol(f: &mut ItemFn) {
    let named = f
        .attrs
        .iter()
        .any(|a| a.path().is_ident("no_mangle") || a.path().is_ident("export_name"));
    if !named {
        let symbol = LitStr::new(&format!("livepatch_{}", f.sig.ident), f.sig.ident.span());
        f.attrs.push(parse_quote!(#[export_name = #symbol]));
    }
}

fn c_str(lit: &LitStr) -> Literal {
    let s = CString::new(lit.value()).expect("names::check_* rejected NUL bytes");
    let mut out = Literal::c_string(&s);
    out.set_span(lit.span());
    out
}

fn func(r: &Replacement) -> TokenStream {
    let Replacement { ident, target, sympos } = r;
    let target = c_str(target);
    quote_spanned! {ident.span()=>
        // SAFETY: `#[livepatch]` on `#ident` asserts that it is an `unsafe extern "C" fn` with
        // the signature of the C function it replaces; it is a function item of this module, so
        // it lives as long as the descriptors that point to it.
        unsafe { ::livepatch::Func::new(#target, #ident as *const ::core::ffi::c_void, #sympos) }
    }
}

/// The `Funcs`, `Objects` and `Patch` statics, and the modinfo.
fn descriptors(objects: &[Object], replace: bool) -> Vec<Item> {
    let mut items: Vec<Item> = Vec::new();
    let mut object_exprs = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        let funcs_ident = format_ident!("__LIVEPATCH_FUNCS_{}", i);
        let n = object.funcs.len();
        let funcs = object.funcs.iter().map(func);
        items.push(parse_quote! {
            #[doc(hidden)]
            static #funcs_ident: ::livepatch::Funcs<#n> = ::livepatch::Funcs::new([#(#funcs),*]);
        });
        let name = match &object.name {
            Some(n) => {
                let n = c_str(n);
                quote!(::core::option::Option::Some(#n))
            }
            None => quote!(::core::option::Option::None),
        };
        object_exprs.push(quote! {
            // SAFETY: `#funcs_ident` is referenced by this object only.
            unsafe { ::livepatch::Object::new(#name, &#funcs_ident) }
        });
    }
    let m = objects.len();
    items.push(parse_quote! {
        #[doc(hidden)]
        static __LIVEPATCH_OBJECTS: ::livepatch::Objects<#m> =
            ::livepatch::Objects::new([#(#object_exprs),*]);
    });
    items.push(parse_quote! {
        /// This module's livepatch: enable it from module init with
        /// [`Patch::enable`](::livepatch::Patch::enable).
        pub static PATCH: ::livepatch::Patch =
            // SAFETY: `__LIVEPATCH_OBJECTS` is referenced by this patch only.
            unsafe { ::livepatch::Patch::new(&__LIVEPATCH_OBJECTS, #replace) };
    });
    // The core refuses a patch whose module lacks this key
    // (`check_modinfo_livepatch()`, kernel/module/main.c). The fixed symbol
    // name turns a second patch in the same module into a build error.
    items.push(parse_quote! {
        #[cfg(MODULE)]
        #[doc(hidden)]
        #[link_section = ".modinfo"]
        #[used(compiler)]
        #[export_name = "__rust_livepatch_modinfo_one_patch_per_module"]
        static __LIVEPATCH_MODINFO: [u8; 12] = *b"livepatch=Y\0";
    });
    items
}

/// `module!` plus an init that enables the patch.
fn kernel_module(m: &ModuleArgs, patch_mod: &syn::Ident) -> TokenStream {
    let ModuleArgs { name, authors, description, license } = m;
    let authors = (!authors.is_empty()).then(|| quote!(authors: [#(#authors),*],));
    let description = description.as_ref().map(|d| quote!(description: #d,));
    quote! {
        ::kernel::prelude::module! {
            type: __LivepatchModule,
            name: #name,
            #authors
            #description
            license: #license,
        }

        #[doc(hidden)]
        struct __LivepatchModule;

        impl ::kernel::Module for __LivepatchModule {
            fn init(module: &'static ::kernel::ThisModule) -> ::kernel::error::Result<Self> {
                #patch_mod::PATCH.enable(module)?;
                ::core::result::Result::Ok(Self)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(attr: TokenStream, item: TokenStream) -> String {
        patch(attr, item).map(|t| t.to_string()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn sample_expansion() {
        let out = expand(
            quote!(name = "rust_livepatch_sample", license = "GPL"),
            quote! {
                mod fix {
                    #[livepatch]
                    unsafe extern "C" fn cmdline_proc_show(m: *mut u8) -> i32 { 0 }
                }
            },
        );
        for want in [
            r#"export_name = "livepatch_cmdline_proc_show""#,
            r#"Func :: new (c"cmdline_proc_show" , cmdline_proc_show as * const :: core :: ffi :: c_void , 0u64)"#,
            "static __LIVEPATCH_FUNCS_0 : :: livepatch :: Funcs < 1usize >",
            "Object :: new (:: core :: option :: Option :: None , & __LIVEPATCH_FUNCS_0)",
            "Patch :: new (& __LIVEPATCH_OBJECTS , false)",
            r#"* b"livepatch=Y\0""#,
            r#"name : "rust_livepatch_sample""#,
            "fix :: PATCH . enable (module) ?",
        ] {
            assert!(out.contains(want), "missing `{want}` in:\n{out}");
        }
    }

    #[test]
    fn module_objects_and_sympos() {
        let out = expand(
            quote!(replace = true),
            quote! {
                mod fix {
                    #[livepatch(object = "test_klp_livepatch_mod", target = "f", sympos = 2)]
                    unsafe extern "C" fn g() {}
                    #[no_mangle]
                    #[livepatch]
                    unsafe extern "C" fn h() {}
                }
            },
        );
        assert!(out.contains(r#"Option :: Some (c"test_klp_livepatch_mod")"#), "{out}");
        assert!(out.contains(r#"Func :: new (c"f" , g as"#), "{out}");
        assert!(out.contains("2u64"), "{out}");
        assert!(out.contains("Patch :: new (& __LIVEPATCH_OBJECTS , true)"), "{out}");
        assert!(out.contains("Objects < 2usize >"), "{out}");
        // A user-chosen symbol name is kept; no module! without `name`.
        assert!(!out.contains("livepatch_h"), "{out}");
        assert!(!out.contains("module !"), "{out}");
    }

    #[test]
    fn empty_patch() {
        let e = patch(TokenStream::new(), quote!(mod fix {})).unwrap_err();
        assert!(e.to_string().contains("replaces no function"));
        assert!(patch(quote!(replace = true), quote!(mod fix {})).is_ok());
    }

    #[test]
    fn module_keys() {
        let err = |attr: TokenStream| patch(attr, quote!(mod f { #[livepatch] unsafe extern "C" fn a() {} }))
            .err()
            .map(|e| e.to_string());
        assert!(err(quote!(name = "m")).unwrap().contains("missing key `license`"));
        assert!(err(quote!(license = "GPL")).unwrap().contains("missing key `name`"));
        assert!(err(quote!(name = "m", license = "MIT")).unwrap().contains("not GPL-compatible"));
        assert!(err(quote!(name = "m", name = "n", license = "GPL")).unwrap().contains("duplicate key `name`"));
        assert!(err(quote!(nmae = "m")).unwrap().contains("unknown key `nmae`"));
        assert!(err(quote!(name = "m", license = "GPL", authors = ["a", "b"])).is_none());
    }
}
