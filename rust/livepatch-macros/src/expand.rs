// SPDX-License-Identifier: GPL-2.0

//! Code generation: descriptors as statics inside the patch module, the
//! `livepatch=Y` modinfo, and optionally the kernel module around them.

use std::ffi::CString;

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::{parse_quote, Ident, Item, ItemMod, LitBool, LitStr};

use crate::{
    args::{ModuleArgs, PatchArgs, Replace},
    model::{self, Model, Replacement},
};

/// `#[livepatch::patch(...)] mod name { ... }`.
pub(crate) fn patch(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let args = PatchArgs::parse(attr)?;
    let mut module: ItemMod = syn::parse2(item).map_err(|e| {
        syn::Error::new(
            e.span(),
            "`#[livepatch::patch]` goes on an inline module: `mod name { ... }`",
        )
    })?;
    let model = model::collect(&mut module)?;
    let may_replace = !matches!(
        &args.replace,
        None | Some(Replace::Fixed(LitBool { value: false, .. }))
    );
    if model.objects.is_empty() && !may_replace {
        return Err(syn::Error::new(
            module.ident.span(),
            "this patch replaces no function: mark replacement functions with `#[livepatch]` \
             (only an atomic-replace patch, `replace = true`, may be empty)",
        ));
    }
    if let Some(Replace::Param(p)) = &args.replace {
        if !model.params.iter().any(|q| q.ident == *p) {
            return Err(syn::Error::new(
                p.span(),
                format!("no `#[param]` static named `{p}` in this module"),
            ));
        }
        if args.module.is_none() {
            return Err(syn::Error::new(
                p.span(),
                "`replace = <param>` needs the module keys (`name`, `license`) so the macro writes the \
                 init; in your own init call `PATCH.set_replace(..)` before `PATCH.enable(..)`",
            ));
        }
    }

    let mut generated = descriptors(&model, &args);
    generated.extend(model.params.iter().flat_map(param));
    let (_, items) = module
        .content
        .as_mut()
        .expect("model::collect checked the module is inline");
    generated.extend(model.objects.iter().flat_map(|o| &o.funcs).flat_map(entry));
    for item in items.iter_mut() {
        match item {
            // Parameters are named as users type them: `replace=1`.
            Item::Static(st) if model.params.iter().any(|p| p.ident == st.ident) => st
                .attrs
                .push(parse_quote!(#[allow(non_upper_case_globals)])),
            _ => {}
        }
    }
    items.extend(generated);

    let kernel_module = args.module.as_ref().map(|m| {
        let (_, items) = module.content.as_mut().expect("inline");
        items.push(init_fn(&args));
        if let Some(exit) = &m.exit {
            items.push(parse_quote! {
                #[doc(hidden)]
                pub(super) fn __livepatch_exit() {
                    #exit()
                }
            });
        }
        kernel_module(m, &module.ident)
    });
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

/// The entry symbol of a replacement: what `klp_func.new_func` points to.
fn entry_symbol(r: &Replacement) -> String {
    format!("livepatch_{}", r.ident)
}

fn entry_static(r: &Replacement) -> Ident {
    format_ident!("__LIVEPATCH_ENTRY_{}", r.ident)
}

/// The entry of a replacement, named `livepatch_<fn>` as the C samples name
/// theirs: on x86_64, a stub with an ftrace site (`call __fentry__`, which
/// objtool records in `__mcount_loc`) that jumps to the Rust function, so the
/// replacement can be traced with ftrace like a C one (rustc emits no ftrace
/// site of its own). The jump keeps every argument register and the stack as
/// the core left them. Elsewhere, the Rust function itself.
fn entry(r: &Replacement) -> Vec<Item> {
    let ident = &r.ident;
    let symbol = entry_symbol(r);
    let stat = entry_static(r);
    let lines = [
        format!(".pushsection .text.{symbol},\"ax\",@progbits"),
        format!(".globl {symbol}"),
        format!(".type {symbol},@function"),
        ".p2align 4".to_string(),
        format!("{symbol}:"),
        "endbr64".to_string(),
        "call __fentry__".to_string(),
        "jmp {target}".to_string(),
        format!(".size {symbol}, .-{symbol}"),
        ".popsection".to_string(),
    ];
    vec![
        parse_quote! {
            #[cfg(target_arch = "x86_64")]
            ::core::arch::global_asm!(#(#lines),*, target = sym #ident);
        },
        parse_quote! {
            #[cfg(target_arch = "x86_64")]
            extern "C" {
                #[link_name = #symbol]
                static #stat: u8;
            }
        },
    ]
}

fn c_str(lit: &LitStr) -> Literal {
    let s = CString::new(lit.value()).expect("names::check_* rejected NUL bytes");
    let mut out = Literal::c_string(&s);
    out.set_span(lit.span());
    out
}

fn func(r: &Replacement) -> TokenStream {
    let Replacement {
        ident,
        target,
        sympos,
    } = r;
    let target = c_str(target);
    let stat = entry_static(r);
    quote_spanned! {ident.span()=>
        // SAFETY: `#[livepatch]` on `#ident` asserts that it is an `unsafe extern "C" fn` with
        // the signature of the C function it replaces, and its entry stub only jumps to it; both
        // are code of this module, so they live as long as the descriptors that point to them.
        unsafe {
            ::livepatch::Func::new(
                #target,
                {
                    #[cfg(target_arch = "x86_64")]
                    let entry = (&raw const #stat).cast::<::core::ffi::c_void>();
                    #[cfg(not(target_arch = "x86_64"))]
                    let entry = #ident as *const ::core::ffi::c_void;
                    entry
                },
                #sympos,
            )
        }
    }
}

/// A `#[cfg(MODULE)]` modinfo string `key=value`.
fn modinfo(ident: &Ident, entry: &str) -> Item {
    let bytes = format!("{entry}\0");
    let len = bytes.len();
    let lit = proc_macro2::Literal::byte_string(bytes.as_bytes());
    parse_quote! {
        #[cfg(MODULE)]
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        #[link_section = ".modinfo"]
        #[used(compiler)]
        static #ident: [u8; #len] = *#lit;
    }
}

/// The `Funcs`, `Objects`, `States` and `Patch` statics, and the modinfo.
fn descriptors(model: &Model, args: &PatchArgs) -> Vec<Item> {
    let mut items: Vec<Item> = Vec::new();
    let mut object_exprs = Vec::new();
    for (i, object) in model.objects.iter().enumerate() {
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
        let callbacks = match &object.callbacks {
            Some(t) => quote!(::livepatch::ObjectCallbacks::of::<#t>()),
            None => quote!(::livepatch::ObjectCallbacks::NONE),
        };
        object_exprs.push(quote! {
            // SAFETY: `#funcs_ident` is referenced by this object only.
            unsafe { ::livepatch::Object::new(#name, &#funcs_ident, #callbacks) }
        });
    }
    let m = model.objects.len();
    items.push(parse_quote! {
        #[doc(hidden)]
        static __LIVEPATCH_OBJECTS: ::livepatch::Objects<#m> =
            ::livepatch::Objects::new([#(#object_exprs),*]);
    });
    let states = args
        .states
        .iter()
        .map(|(id, version)| quote!(::livepatch::State::new((#id) as u64, (#version) as u32)));
    let s = args.states.len();
    items.push(parse_quote! {
        #[doc(hidden)]
        static __LIVEPATCH_STATES: ::livepatch::States<#s> = ::livepatch::States::new([#(#states),*]);
    });
    let replace = matches!(
        &args.replace,
        Some(Replace::Fixed(LitBool { value: true, .. }))
    );
    items.push(parse_quote! {
        /// This module's livepatch: enable it from module init with
        /// [`Patch::enable`](::livepatch::Patch::enable).
        pub static PATCH: ::livepatch::Patch =
            // SAFETY: `__LIVEPATCH_OBJECTS` is referenced by this patch only.
            unsafe { ::livepatch::Patch::new(&__LIVEPATCH_OBJECTS, &__LIVEPATCH_STATES, #replace) };
    });
    // The core refuses a patch whose module lacks this key
    // (`check_modinfo_livepatch()`, kernel/module/main.c). The fixed symbol
    // name turns a second patch in the same module into a build error.
    let mut livepatch_y = modinfo(&format_ident!("__LIVEPATCH_MODINFO"), "livepatch=Y");
    if let Item::Static(st) = &mut livepatch_y {
        st.attrs
            .push(parse_quote!(#[export_name = "__rust_livepatch_modinfo_one_patch_per_module"]));
    }
    items.push(livepatch_y);
    items
}

/// A `#[param]`: its `kernel_param` and its `parmtype`/`parm` modinfo, as
/// `module_param(name, int, perm)` and `MODULE_PARM_DESC()` emit them.
fn param(p: &model::Param) -> Vec<Item> {
    let model::Param {
        ident,
        array,
        perm,
        description,
    } = p;
    let name =
        Literal::c_string(&CString::new(ident.to_string()).expect("an identifier has no NUL"));
    let kp = format_ident!("__LIVEPATCH_PARAM_{}", ident);
    let mut items: Vec<Item> = Vec::new();
    let (registration, ty) = if *array {
        let arr = format_ident!("__LIVEPATCH_PARAM_ARRAY_{}", ident);
        items.push(parse_quote! {
            #[doc(hidden)]
            #[allow(non_upper_case_globals)]
            static #arr: ::livepatch::KParamArray = #ident.kparam_array();
        });
        (quote!(#arr.kernel_param(#name, #perm)), "array of int")
    } else {
        (quote!(#ident.kernel_param(#name, #perm)), "int")
    };
    items.push(parse_quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        #[link_section = "__param"]
        #[used(compiler)]
        static #kp: ::livepatch::KernelParam = #registration;
    });
    items.push(modinfo(
        &format_ident!("__LIVEPATCH_PARMTYPE_{}", ident),
        &format!("parmtype={ident}:{ty}"),
    ));
    if let Some(d) = description {
        items.push(modinfo(
            &format_ident!("__LIVEPATCH_PARM_{}", ident),
            &format!("parm={ident}:{}", d.value()),
        ));
    }
    items
}

/// The init the generated module calls: set `replace` from its parameter if
/// asked, then enable the patch.
fn init_fn(args: &PatchArgs) -> Item {
    let set_replace = match &args.replace {
        Some(Replace::Param(p)) => Some(quote!(PATCH.set_replace(#p.get() != 0)?;)),
        _ => None,
    };
    parse_quote! {
        #[doc(hidden)]
        pub(super) fn __livepatch_init(
            module: &'static ::kernel::ThisModule,
        ) -> ::kernel::error::Result {
            #set_replace
            PATCH.enable(module)
        }
    }
}

/// `module!` plus an init that enables the patch.
fn kernel_module(m: &ModuleArgs, patch_mod: &syn::Ident) -> TokenStream {
    let ModuleArgs {
        name,
        authors,
        description,
        license,
        exit,
    } = m;
    // Module exit runs when the patch is disabled and the module removed.
    let drop = exit.as_ref().map(|_| {
        quote! {
            impl ::core::ops::Drop for __LivepatchModule {
                fn drop(&mut self) {
                    #patch_mod::__livepatch_exit();
                }
            }
        }
    });
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
                #patch_mod::__livepatch_init(module)?;
                ::core::result::Result::Ok(Self)
            }
        }

        #drop
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(attr: TokenStream, item: TokenStream) -> String {
        patch(attr, item)
            .map(|t| t.to_string())
            .unwrap_or_else(|e| panic!("{e}"))
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
            r#""livepatch_cmdline_proc_show:" , "endbr64" , "call __fentry__" , "jmp {target}""#,
            "target = sym cmdline_proc_show",
            r#"link_name = "livepatch_cmdline_proc_show""#,
            r#"Func :: new (c"cmdline_proc_show" , { # [cfg (target_arch = "x86_64")] let entry = (& raw const __LIVEPATCH_ENTRY_cmdline_proc_show)"#,
            "static __LIVEPATCH_FUNCS_0 : :: livepatch :: Funcs < 1usize >",
            "Object :: new (:: core :: option :: Option :: None , & __LIVEPATCH_FUNCS_0 , :: livepatch :: ObjectCallbacks :: NONE)",
            "Patch :: new (& __LIVEPATCH_OBJECTS , & __LIVEPATCH_STATES , false)",
            r#"* b"livepatch=Y\0""#,
            r#"name : "rust_livepatch_sample""#,
            "fix :: __livepatch_init (module) ?",
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
        assert!(
            out.contains(r#"Option :: Some (c"test_klp_livepatch_mod")"#),
            "{out}"
        );
        assert!(out.contains(r#"Func :: new (c"f" ,"#), "{out}");
        assert!(out.contains("let entry = g as * const"), "{out}");
        assert!(out.contains("2u64"), "{out}");
        assert!(
            out.contains("Patch :: new (& __LIVEPATCH_OBJECTS , & __LIVEPATCH_STATES , true)"),
            "{out}"
        );
        assert!(out.contains("Objects < 2usize >"), "{out}");
        // A user-chosen symbol name is kept; no module! without `name`.
        assert!(
            out.contains("# [no_mangle] unsafe extern \"C\" fn h"),
            "{out}"
        );
        assert!(!out.contains("module !"), "{out}");
    }

    #[test]
    fn params_states_and_replace_param() {
        let out = expand(
            quote!(
                name = "test_klp_atomic_replace",
                license = "GPL",
                replace = replace,
                states = [(1, 2)]
            ),
            quote! {
                mod fix {
                    #[param(perm = 0o644, description = "replace (default=0)")]
                    static replace: livepatch::IntParam = livepatch::IntParam::new(0);
                    #[livepatch]
                    unsafe extern "C" fn meminfo_proc_show() {}
                }
            },
        );
        for want in [
            r#"static __LIVEPATCH_PARAM_replace : :: livepatch :: KernelParam = replace . kernel_param (c"replace" , 420u16)"#,
            r#"* b"parmtype=replace:int\0""#,
            r#"* b"parm=replace:replace (default=0)\0""#,
            "State :: new ((1) as u64 , (2) as u32)",
            "PATCH . set_replace (replace . get () != 0) ? ;",
        ] {
            assert!(out.contains(want), "missing `{want}` in:\n{out}");
        }
        let err = patch(
            quote!(replace = nope),
            quote!(
                mod f {
                    #[livepatch]
                    unsafe extern "C" fn a() {}
                }
            ),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("no `#[param]` static named `nope`"), "{err}");
    }

    #[test]
    fn module_exit() {
        let out = expand(
            quote!(name = "m", license = "GPL", exit = cleanup),
            quote!(
                mod fix {
                    fn cleanup() {}
                    #[livepatch]
                    unsafe extern "C" fn f() {}
                }
            ),
        );
        assert!(
            out.contains("pub (super) fn __livepatch_exit () { cleanup () }"),
            "{out}"
        );
        assert!(
            out.contains("impl :: core :: ops :: Drop for __LivepatchModule"),
            "{out}"
        );
        assert!(out.contains("fix :: __livepatch_exit ()"), "{out}");
    }

    #[test]
    fn empty_patch() {
        let e = patch(
            TokenStream::new(),
            quote!(
                mod fix {}
            ),
        )
        .unwrap_err();
        assert!(e.to_string().contains("replaces no function"));
        assert!(patch(
            quote!(replace = true),
            quote!(
                mod fix {}
            )
        )
        .is_ok());
    }

    #[test]
    fn module_keys() {
        let err = |attr: TokenStream| {
            patch(
                attr,
                quote!(
                    mod f {
                        #[livepatch]
                        unsafe extern "C" fn a() {}
                    }
                ),
            )
            .err()
            .map(|e| e.to_string())
        };
        assert!(err(quote!(name = "m"))
            .unwrap()
            .contains("missing key `license`"));
        assert!(err(quote!(license = "GPL"))
            .unwrap()
            .contains("missing key `name`"));
        assert!(err(quote!(name = "m", license = "MIT"))
            .unwrap()
            .contains("not GPL-compatible"));
        assert!(err(quote!(name = "m", name = "n", license = "GPL"))
            .unwrap()
            .contains("duplicate key `name`"));
        assert!(err(quote!(nmae = "m"))
            .unwrap()
            .contains("unknown key `nmae`"));
        assert!(err(quote!(name = "m", license = "GPL", authors = ["a", "b"])).is_none());
        assert!(err(quote!(exit = cleanup))
            .unwrap()
            .contains("`exit` needs the module keys"));
    }
}
