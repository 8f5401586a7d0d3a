// SPDX-License-Identifier: GPL-2.0

//! Code generation: descriptors as statics inside the patch module, the entry
//! of each replacement, the references to non-exported symbols, the
//! `livepatch=Y` modinfo, and optionally the kernel module around them.

use std::ffi::CString;

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::{parse_quote, spanned::Spanned, Ident, Item, ItemMod, LitBool, LitStr};

use crate::{
    args::{self, ModuleArgs, PatchArgs, Replace},
    model::{self, Model, Replacement},
};

/// `#[livepatch::patch(...)] mod name { ... }`.
pub(crate) fn patch(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    // The module Kbuild builds: `RUST_MODFILE` is its path without `.ko`.
    let modname = std::env::var("RUST_MODFILE").ok().and_then(|f| {
        let base = f.rsplit('/').next()?.replace('-', "_");
        (!base.is_empty()).then_some(base)
    });
    patch_for(attr, item, modname.as_deref())
}

/// [`patch`] for the module `modname`, if known.
pub(crate) fn patch_for(
    attr: TokenStream,
    item: TokenStream,
    modname: Option<&str>,
) -> syn::Result<TokenStream> {
    let args = PatchArgs::parse(attr, modname)?;
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
    let does_something = model.replacements().next().is_some()
        || model.objects.iter().any(|o| o.callbacks.is_some());
    if !does_something && !may_replace {
        return Err(syn::Error::new(
            module.ident.span(),
            "this patch replaces no function and has no callbacks: mark replacement functions \
             with `#[unsafe(livepatch)]` (only an atomic-replace patch, `replace = true`, may be \
             empty)",
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
                "`replace = <param>` needs the module keys (`license`) so the macro writes the \
                 init; in your own `PatchModule::init` call `PATCH.set_replace(..)`",
            ));
        }
    }

    let mut generated = descriptors(&model, &args);
    generated.extend(model.params.iter().flat_map(param));
    generated.extend(model.replacements().flat_map(entry));
    generated.extend(model.objects.iter().flat_map(|o| {
        let object = o.name.as_ref().map_or("vmlinux".to_string(), LitStr::value);
        o.funcs.iter().map(move |r| signature_record(r, &object))
    }));
    if model.replacements().next().is_some() {
        generated.push(parse_quote! {
            #[allow(unused_imports)]
            use ::livepatch::abi::Fallback as _;
        });
        generated.push(parse_quote! {
            #[allow(unused_imports)]
            use ::livepatch::entry::InMemory as _;
        });
    }
    generated.extend(symbols(&model));
    let (_, items) = module
        .content
        .as_mut()
        .expect("model::collect checked the module is inline");
    for item in items.iter_mut() {
        match item {
            // Parameters are named as users type them: `replace=1`.
            Item::Static(st) if model.params.iter().any(|p| p.ident == st.ident) => st
                .attrs
                .push(parse_quote!(#[allow(non_upper_case_globals)])),
            // The replacement's body is compiled into its entry.
            Item::Fn(f)
                if model.replacements().any(|r| r.ident == f.sig.ident)
                    && !f.attrs.iter().any(|a| a.path().is_ident("inline")) =>
            {
                f.attrs.push(parse_quote!(#[inline(always)]))
            }
            _ => {}
        }
    }
    items.extend(generated);

    let kernel_module = args.module.as_ref().map(|m| {
        let (_, items) = module.content.as_mut().expect("inline");
        items.extend(module_items(m, &args));
        kernel_module(m, &module.ident)
    });
    Ok(quote! {
        #module
        #kernel_module
    })
}

/// A stray marker, outside any patch module.
pub(crate) fn stray(marker: &str, item: TokenStream) -> TokenStream {
    let what = match marker {
        "livepatch" => "marks a replacement function",
        "callbacks" => "names the callbacks type of an object",
        "param" => "declares a module parameter",
        "symbol" => "names one symbol of a `#[symbols]` block",
        _ => "declares the non-exported symbols a patch uses",
    };
    let err = syn::Error::new(
        Span::call_site(),
        format!(
            "`#[{marker}]` {what} inside a `#[livepatch::patch]` module; on its own it does \
             nothing: move this item into `#[livepatch::patch] mod name {{ ... }}`"
        ),
    )
    .into_compile_error();
    quote! { #err #item }
}

/// The symbol of a replacement's entry: what `klp_func.new_func` points to,
/// named `livepatch_<fn>` as the C samples name theirs.
fn entry_symbol(r: &Replacement) -> String {
    let name = args::ident_name(&r.ident);
    if name.starts_with("livepatch_") && !r.named {
        name
    } else {
        format!("livepatch_{name}")
    }
}

fn entry_ident(r: &Replacement) -> Ident {
    format_ident!("__livepatch_entry_{}", args::ident_name(&r.ident))
}

/// The static standing for the entry stub's symbol, whose address is
/// `klp_func.new_func` on x86_64.
fn stub_static(r: &Replacement) -> Ident {
    format_ident!("__LIVEPATCH_STUB_{}", args::ident_name(&r.ident))
}

/// The entry of a replacement: what `klp_func.new_func` points to, and the
/// function behind it.
///
/// The livepatch core decides that a task has left the replacement (so that
/// a transition back, or to another patch, may complete and the module be
/// freed) when no address on its stack falls within the function
/// `new_func` points to (`klp_check_stack_func()` in
/// kernel/livepatch/transition.c), whose size kallsyms gives: for a module,
/// the distance to the next symbol it lists (`find_kallsyms_symbol()`).
///
/// On x86_64, `new_func` is a stub named `livepatch_<fn>` as the C samples
/// name theirs, `endbr64; call __fentry__; jmp <body>`: its ftrace site makes
/// the replacement traceable like a C one (the kernel's test-ftrace.sh
/// traces it). The body is a Rust function placed right after the stub, in
/// the same section, under a name kallsyms does not list (`$...`, which it
/// takes for a mapping symbol): so the stub's size, as the core computes it,
/// covers the body, and a task anywhere in the body counts as inside the
/// replacement. Elsewhere `new_func` is the body.
///
/// The replacement's code is inlined into the body (`#[inline(always)]`).
/// While a task runs it, or anything it calls, the body's frame (its return
/// address) is on the task's stack, provided the body never hands its frame
/// over with a tail call (a final call compiled to a jump, which would leave
/// no trace of the replacement while the callee runs, possibly in this
/// module's code). The `asm!` that uses the result after the call stops
/// that: the call must return into the body before the asm runs
/// (`livepatch::entry`; free for a result in a register).
fn entry(r: &Replacement) -> Vec<Item> {
    let ident = &r.ident;
    let entry = entry_ident(r);
    let symbol = entry_symbol(r);
    let section = format!(".text.{symbol}");
    let body_symbol = format!("${symbol}");
    let stub = stub_static(r);
    let sig = &r.sig;
    let args: Vec<Ident> = (0..sig.inputs.len())
        .map(|i| format_ident!("__lp_arg{}", i))
        .collect();
    let types = sig.inputs.iter().map(|a| match a {
        syn::FnArg::Typed(t) => &*t.ty,
        syn::FnArg::Receiver(_) => unreachable!("model::check_signature rejects methods"),
    });
    let output = &sig.output;
    let span = ident.span();
    let stub_lines = |record: &[String]| {
        let mut lines = vec![
            format!(".pushsection {section},\"ax\",@progbits"),
            format!(".globl {symbol}"),
            format!(".type {symbol},@function"),
            ".p2align 4".to_string(),
            format!("{symbol}:"),
            "endbr64".to_string(),
            "1: call __fentry__".to_string(),
            // Quoted: the body's name starts with `$`.
            "jmp \"{body}\"".to_string(),
            format!(".size {symbol}, .-{symbol}"),
            ".popsection".to_string(),
        ];
        lines.extend_from_slice(record);
        lines
    };
    // Who records the stub's ftrace site in `__mcount_loc`: objtool, or
    // (where the C compiler records its own) the stub itself.
    let by_objtool = stub_lines(&[]);
    let by_stub = stub_lines(&[
        ".pushsection __mcount_loc,\"a\",@progbits".to_string(),
        ".quad 1b".to_string(),
        ".popsection".to_string(),
    ]);
    // The body has the replacement's ABI, which is the target's (the stub
    // jumps to it with the registers as the caller set them): C, or for a
    // Rust target possibly Rust (same compiler, same types: same ABI).
    let abi = (!r.is_rust_abi()).then(|| quote!(extern "C"));
    let mut items: Vec<Item> = vec![
        parse_quote_spanned! {span=>
            #[cfg(all(target_arch = "x86_64", CONFIG_FTRACE_MCOUNT_USE_OBJTOOL))]
            ::core::arch::global_asm!(#(#by_objtool),*, body = sym #entry);
        },
        parse_quote_spanned! {span=>
            #[cfg(all(target_arch = "x86_64", CONFIG_FTRACE_MCOUNT_USE_CC))]
            ::core::arch::global_asm!(#(#by_stub),*, body = sym #entry);
        },
        parse_quote_spanned! {span=>
            #[cfg(all(
                target_arch = "x86_64",
                CONFIG_FUNCTION_TRACER,
                not(any(CONFIG_FTRACE_MCOUNT_USE_OBJTOOL, CONFIG_FTRACE_MCOUNT_USE_CC))
            ))]
            ::core::compile_error!(
                "rust-livepatch: this kernel records its ftrace sites neither with objtool nor \
                 with the C compiler (CONFIG_FTRACE_MCOUNT_USE_OBJTOOL / _USE_CC): a Rust \
                 replacement's entry cannot be registered with ftrace"
            );
        },
        parse_quote_spanned! {span=>
            #[cfg(target_arch = "x86_64")]
            extern "C" {
                #[link_name = #symbol]
                static #stub: u8;
            }
        },
        parse_quote_spanned! {span=>
            #[doc(hidden)]
            #[cfg_attr(target_arch = "x86_64", export_name = #body_symbol, link_section = #section)]
            #[cfg_attr(not(target_arch = "x86_64"), export_name = #symbol)]
            #[allow(unreachable_code, unused_unsafe)]
            unsafe #abi fn #entry(#(#args: #types),*) #output {
                // SAFETY: the kernel enters this in place of the function it
                // replaces, with that function's arguments: `#[unsafe(livepatch)]`
                // on `#ident` promises its signature is that function's.
                let ret = unsafe { #ident(#(#args),*) };
                // An empty asm that uses `ret`: the call above must return
                // here before it (see `entry()` in the patch macro).
                ::livepatch::entry::Ret(&ret).used();
                ret
            }
        },
    ];
    items.extend(binding_check(r));
    items.extend(rust_target(r));
    items
}

/// The symbol of a Rust target named by its path: the label of the string
/// `klp_func.old_name` points to.
fn target_label(r: &Replacement) -> String {
    format!("__livepatch_target_{}", args::ident_name(&r.ident))
}

fn target_static(r: &Replacement) -> Ident {
    format_ident!("__LIVEPATCH_TARGET_{}", args::ident_name(&r.ident))
}

/// For a Rust target named by its path (`target = kernel::a::f`): its
/// symbol name and a check of its type.
///
/// The name is the one the compiler gives the function, written by a `sym`
/// operand of `global_asm!` into a string in `.rodata`: a `sym` operand
/// substitutes the (mangled) symbol as text, creates no relocation, so the
/// patch module neither needs the target exported nor depends on its module
/// (which may load after the patch). The compiler reads it from the crate's
/// metadata: the `kernel` crate's in the kernel tree, a module crate's
/// `.rmeta` given with `--extern`.
///
/// The check: the target, as a function pointer of the replacement's type
/// (ABI, parameters, return type), must compile; so the replacement has
/// the target's exact signature, as the compiler sees the target in that
/// metadata (up to lifetimes, and an `unsafe` pointer accepts a safe fn).
fn rust_target(r: &Replacement) -> Vec<Item> {
    let Some(path) = &r.rust_path else {
        return Vec::new();
    };
    let label = target_label(r);
    let target = target_static(r);
    let lines = [
        ".pushsection .rodata.rust_livepatch.targets,\"a\"".to_string(),
        format!("{label}:"),
        ".asciz \"{0}\"".to_string(),
        ".popsection".to_string(),
    ];
    let sig = &r.sig;
    let types = sig.inputs.iter().filter_map(|a| match a {
        syn::FnArg::Typed(t) => Some(&*t.ty),
        syn::FnArg::Receiver(_) => None,
    });
    let output = &sig.output;
    let abi = (!r.is_rust_abi()).then(|| quote!(extern "C"));
    let span = path.span();
    vec![
        parse_quote! {
            ::core::arch::global_asm!(#(#lines),*, sym #path);
        },
        parse_quote! {
            unsafe extern "C" {
                #[link_name = #label]
                #[doc(hidden)]
                static #target: u8;
            }
        },
        parse_quote_spanned! {span=>
            const _: () = {
                #[allow(non_camel_case_types)]
                type replacement_signature = unsafe #abi fn(#(#types),*) #output;
                // The target's type is not the replacement's: give the
                // replacement the target's signature (ABI, parameter and
                // return types).
                let _: replacement_signature = #path;
            };
        },
    ]
}

/// `quote_spanned!` + `parse_quote!`.
macro_rules! parse_quote_spanned {
    ($span:expr=> $($tt:tt)*) => {
        syn::parse2(quote_spanned!($span=> $($tt)*)).expect("generated code parses")
    };
}
use parse_quote_spanned;

/// Where the kernel's `bindings` declare the target (a function of a header
/// of vmlinux), a compile-time check that the replacement's type is exactly
/// the binding's. For a name `bindings` does not have, the check finds the
/// stand-in declared here instead and passes.
fn binding_check(r: &Replacement) -> Option<Item> {
    if r.kind.is_rust() {
        // No binding: a path target has its own check (`rust_target`).
        return None;
    }
    if r.sympos != 0 {
        // Several local functions have this name: the binding may be another.
        return None;
    }
    let mut target: Ident = syn::parse_str(&r.target.value()).ok()?;
    // The error, if any, points at the replacement's name.
    target.set_span(r.ident.span());
    let sig = &r.sig;
    let types: Vec<&syn::Type> = sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            syn::FnArg::Typed(t) => Some(&*t.ty),
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    let output = &sig.output;
    let span = sig.fn_token.span;
    Some(parse_quote_spanned! {span=>
        const _: () = {
            #[allow(non_camel_case_types)]
            type replacement_signature = unsafe extern "C" fn(#(#types),*) #output;
            #[allow(dead_code, non_snake_case, non_upper_case_globals, unused_variables)]
            unsafe extern "C" fn #target(#(_: #types),*) #output {
                loop {}
            }
            const _: () = {
                #[allow(unused_imports)]
                use ::kernel::bindings::*;
                // The kernel's header declares the replaced function with
                // another type than the replacement's: fix the replacement's
                // signature.
                let _: replacement_signature = #target;
            };
        };
    })
}

/// A string for the assembler, inside `global_asm!`'s format string.
fn asm_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' | '"' => {
                out.push('\\');
                out.push(c);
            }
            '{' => out.push_str("{{"),
            '}' => out.push_str("}}"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A type as written, compactly: `*mut bindings::seq_file`.
fn spelling(ty: &syn::Type) -> String {
    let s = quote!(#ty).to_string();
    let mut s = s
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace("* mut ", "*mut ")
        .replace("* const ", "*const ")
        .replace(" < ", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
        .replace("& ", "&")
        .replace(" (", "(")
        .replace("( ", "(")
        .replace(" )", ")");
    if s.starts_with("::") {
        s.remove(0);
        s.remove(0);
    }
    s
}

/// The last segment of a path type.
fn last_segment(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| args::ident_name(&s.ident)),
        syn::Type::Paren(p) => last_segment(&p.elem),
        syn::Type::Group(g) => last_segment(&g.elem),
        _ => None,
    }
}

/// What the pointer type `ty` (written `*mut P` / `*const P`) points to.
fn pointee(ty: &syn::Type) -> Option<&syn::Type> {
    match ty {
        syn::Type::Ptr(p) => Some(&p.elem),
        syn::Type::Paren(p) => pointee(&p.elem),
        syn::Type::Group(g) => pointee(&g.elem),
        _ => None,
    }
}

/// The record of a replacement's signature that `klp` checks against the
/// kernel's BTF: format version 1 of tools/klp/src/declared.rs, in the
/// section `.note.rust_livepatch.signatures`, which the kernel does not load.
fn signature_record(r: &Replacement, object: &str) -> Item {
    let mut lines: Vec<String> = vec![
        ".pushsection .note.rust_livepatch.signatures,\"\",@progbits".into(),
        ".ascii \"RLPS\"".into(),
        // The kernel's BTF has no Rust function (pahole leaves Rust units
        // out): a Rust target's signature is checked at build time, by the
        // compiler for a path, or is the author's promise for a symbol.
        format!(".byte 1, {}", u8::from(r.unchecked || r.kind.is_rust())),
        format!(".short {}", r.sig.inputs.len()),
        ".long 3f - 2f".into(),
        "2:".into(),
        format!(".asciz {}", asm_string(object)),
        match &r.rust_path {
            Some(_) => ".asciz \"{target}\"".into(),
            None => format!(".asciz {}", asm_string(&r.target.value())),
        },
        format!(".long {}", r.sympos),
        format!(".asciz {}", asm_string(&args::ident_name(&r.ident))),
    ];
    let mut operands: Vec<TokenStream> = Vec::new();
    if let Some(path) = &r.rust_path {
        operands.push(quote!(target = sym #path,));
    }
    let mut ty_record = |n: usize, ty: &syn::Type, lines: &mut Vec<String>| {
        let (c, s, pc, z, pz) = (
            format_ident!("c{}", n),
            format_ident!("s{}", n),
            format_ident!("pc{}", n),
            format_ident!("z{}", n),
            format_ident!("pz{}", n),
        );
        operands.push(quote! {
            #c = const ::livepatch::abi::Probe::<#ty>::CLASS,
            #s = const ::livepatch::abi::Probe::<#ty>::SIGNED,
            #z = const ::core::mem::size_of::<#ty>(),
        });
        let name = match pointee(ty) {
            Some(p) => {
                operands.push(quote! {
                    #pc = const ::livepatch::abi::Probe::<#p>::CLASS,
                    #pz = const ::core::mem::size_of::<#p>(),
                });
                lines.push(format!(".byte {{{c}}}, {{{s}}}, {{{pc}}}, 0"));
                lines.push(format!(".long {{{z}}}, {{{pz}}}"));
                last_segment(p)
            }
            None => {
                lines.push(format!(".byte {{{c}}}, {{{s}}}, 255, 0"));
                lines.push(format!(".long {{{z}}}, 0xffffffff"));
                last_segment(ty)
            }
        };
        lines.push(format!(".asciz {}", asm_string(&spelling(ty))));
        lines.push(format!(".asciz {}", asm_string(&name.unwrap_or_default())));
    };
    let unit: syn::Type = parse_quote!(());
    let ret = match &r.sig.output {
        // `-> !` is a C `void` function that does not return.
        syn::ReturnType::Type(_, t) if !matches!(**t, syn::Type::Never(_)) => &**t,
        _ => &unit,
    };
    ty_record(0, ret, &mut lines);
    for (i, input) in r.sig.inputs.iter().enumerate() {
        let syn::FnArg::Typed(t) = input else {
            continue;
        };
        let name = match &*t.pat {
            syn::Pat::Ident(p) => args::ident_name(&p.ident),
            _ => "_".into(),
        };
        lines.push(format!(".asciz {}", asm_string(&name)));
        ty_record(i + 1, &t.ty, &mut lines);
    }
    lines.push("3:".into());
    lines.push(".popsection".into());
    parse_quote! {
        #[cfg(target_arch = "x86_64")]
        ::core::arch::global_asm!(#(#lines),*, #(#operands)*);
    }
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
        ..
    } = r;
    let entry = entry_ident(r);
    let stub = stub_static(r);
    // The entry: the stub, which jumps to the body, on x86_64.
    let new_func = quote! {
        {
            #[cfg(target_arch = "x86_64")]
            let entry = (&raw const #stub).cast::<::core::ffi::c_void>();
            #[cfg(not(target_arch = "x86_64"))]
            let entry = #entry as *const ::core::ffi::c_void;
            entry
        }
    };
    if r.rust_path.is_some() {
        let target = target_static(r);
        return quote_spanned! {ident.span()=>
            // SAFETY: `#target` is the NUL-terminated symbol name of the
            // target, in this module's `.rodata` (see `rust_target()` in the
            // patch macro); the compiler checked that the replacement, and so
            // its entry (the stub, which jumps to the body, on x86_64), has
            // the target's type; `#[unsafe(livepatch)]` on `#ident` promises
            // that the running target is the one this patch was built
            // against. Both are data and code of this module, so they live as
            // long as the descriptors.
            unsafe { ::livepatch::Func::with_symbol(&raw const #target, #new_func, #sympos) }
        };
    }
    let target = c_str(target);
    quote_spanned! {ident.span()=>
        // SAFETY: `#[unsafe(livepatch)]` on `#ident` promises it has the
        // signature of the function it replaces, and its entry (the stub,
        // which jumps to the body, on x86_64) has the same one; both are code
        // of this module, so they live as long as the descriptors that point
        // to them.
        unsafe { ::livepatch::Func::new(#target, #new_func, #sympos) }
    }
}

/// `#[cfg(MODULE)]` modinfo strings `key=value`, written into `.modinfo` by
/// the assembler as bytes: no symbol (a C module's have short local ones, a
/// Rust static's would be a long mangled name in every `.ko`). `label`, if
/// given, is a local assembler label defined there: a second definition in
/// the crate is an assembler error.
fn modinfo(entries: &[String], label: Option<&str>) -> Item {
    let mut lines = vec![".pushsection .modinfo,\"a\",@progbits".to_string()];
    if let Some(label) = label {
        lines.push(format!(".L{label}:"));
    }
    for entry in entries {
        let bytes: Vec<String> = entry.bytes().chain([0]).map(|b| b.to_string()).collect();
        lines.push(format!(".byte {}", bytes.join(",")));
    }
    lines.push(".popsection".to_string());
    parse_quote! {
        #[cfg(MODULE)]
        ::core::arch::global_asm!(#(#lines),*);
    }
}

/// The `Funcs`, `Objects`, `States` and `Patch` statics, and the modinfo.
/// The statics get short symbol names (their mangled ones would take some 60
/// bytes each of every module's string table); a module has one patch, so
/// they are unique in it.
fn descriptors(model: &Model, args: &PatchArgs) -> Vec<Item> {
    let mut items: Vec<Item> = Vec::new();
    let mut object_exprs = Vec::new();
    for (i, object) in model.objects.iter().enumerate() {
        let funcs_ident = format_ident!("__LIVEPATCH_FUNCS_{}", i);
        let n = object.funcs.len();
        let funcs = object.funcs.iter().map(func);
        let funcs_symbol = format!("__livepatch_funcs_{i}");
        items.push(parse_quote! {
            #[doc(hidden)]
            #[export_name = #funcs_symbol]
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
        #[export_name = "__livepatch_objects"]
        static __LIVEPATCH_OBJECTS: ::livepatch::Objects<#m> =
            ::livepatch::Objects::new([#(#object_exprs),*]);
    });
    let states = args.states.iter().map(|s| {
        let (id, version) = (&s.id, &s.version);
        quote!(((#id) as u64, (#version) as u32))
    });
    let s = args.states.len();
    // (An empty table is not referenced, and so not emitted, unless named.)
    let states_symbol = (s > 0).then(|| quote!(#[export_name = "__livepatch_states"]));
    items.push(parse_quote! {
        #[doc(hidden)]
        #states_symbol
        static __LIVEPATCH_STATES: ::livepatch::States<#s> = ::livepatch::States::new([#(#states),*]);
    });
    let replace = matches!(
        &args.replace,
        Some(Replace::Fixed(LitBool { value: true, .. }))
    );
    let relocations = if model.has_symbols() {
        quote!(::core::option::Option::Some(&__LIVEPATCH_RELOCATIONS))
    } else {
        quote!(::core::option::Option::None)
    };
    items.push(parse_quote! {
        /// This module's livepatch, enabled by its module's init (see
        /// [`livepatch::PatchModule`]).
        #[export_name = "__livepatch_patch"]
        pub static PATCH: ::livepatch::Patch =
            // SAFETY: `__LIVEPATCH_OBJECTS` is referenced by this patch only.
            unsafe {
                ::livepatch::Patch::new(&__LIVEPATCH_OBJECTS, &__LIVEPATCH_STATES, #replace, #relocations)
            };
    });
    // The core refuses a patch whose module lacks this key
    // (`check_modinfo_livepatch()`, kernel/module/main.c). The fixed label
    // turns a second patch in the same module into a build error.
    items.push(modinfo(
        &["livepatch=Y".to_string()],
        Some("__rust_livepatch_one_patch_per_module"),
    ));
    items
}

/// The references to non-exported symbols: each `.klp.sym...` name (given
/// to the declaration by [`model::collect`]) weak, so that modpost accepts
/// the undefined symbol and `klp post-link` turns its relocations into klp
/// relocations; and the flag that tool sets once it has.
fn symbols(model: &Model) -> Vec<Item> {
    if !model.has_symbols() {
        return Vec::new();
    }
    let weak = model
        .objects
        .iter()
        .flat_map(|o| &o.symbols)
        .map(|s| format!(".weak \"{}\"", s.link_name));
    vec![
        parse_quote! {
            ::core::arch::global_asm!(#(#weak),*);
        },
        parse_quote! {
            #[doc(hidden)]
            #[export_name = "__rust_livepatch_klp_converted"]
            #[link_section = ".data"]
            static __LIVEPATCH_RELOCATIONS: ::livepatch::Relocations = ::livepatch::Relocations::new();
        },
    ]
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
    let name = args::ident_name(ident);
    let c_name = Literal::c_string(&CString::new(name.clone()).expect("an identifier has no NUL"));
    let kp = format_ident!("__LIVEPATCH_PARAM_{}", name);
    let mut items: Vec<Item> = Vec::new();
    let (registration, ty) = if *array {
        let arr = format_ident!("__LIVEPATCH_PARAM_ARRAY_{}", name);
        items.push(parse_quote! {
            #[doc(hidden)]
            #[allow(non_upper_case_globals)]
            static #arr: ::livepatch::KParamArray = #ident.kparam_array();
        });
        (quote!(#arr.kernel_param(#c_name, #perm)), "array of int")
    } else {
        (quote!(#ident.kernel_param(#c_name, #perm)), "int")
    };
    items.push(parse_quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        #[link_section = "__param"]
        #[used(compiler)]
        static #kp: ::livepatch::KernelParam = #registration;
    });
    let mut info = vec![format!("parmtype={name}:{ty}")];
    if let Some(d) = description {
        info.push(format!("parm={name}:{}", d.value()));
    }
    items.push(modinfo(&info, None));
    items
}

/// The module type the generated `module!` enables the patch with: its init
/// sets `replace` from its parameter if asked; dropping it runs `exit`.
fn module_items(m: &ModuleArgs, args: &PatchArgs) -> Vec<Item> {
    let set_replace = match &args.replace {
        Some(Replace::Param(p)) => Some(quote!(PATCH.set_replace(#p.get() != 0)?;)),
        _ => None,
    };
    let mut items: Vec<Item> = vec![
        parse_quote! {
            #[doc(hidden)]
            pub(super) struct __LivepatchModule;
        },
        parse_quote! {
            impl ::livepatch::PatchModule for __LivepatchModule {
                const PATCH: &'static ::livepatch::Patch = &PATCH;

                fn init(_module: &'static ::kernel::ThisModule) -> ::kernel::error::Result<Self> {
                    #set_replace
                    ::core::result::Result::Ok(Self)
                }
            }
        },
    ];
    // Module exit runs when the patch is disabled and the module removed.
    if let Some(exit) = &m.exit {
        items.push(parse_quote! {
            impl ::core::ops::Drop for __LivepatchModule {
                fn drop(&mut self) {
                    #exit()
                }
            }
        });
    }
    items
}

/// The kernel module around [`module_items`]'s type: what the kernel's
/// `module!` generates for a loadable module whose type is
/// `livepatch::Enabled<_>`, without its named statics (each a long mangled
/// symbol in the `.ko`): the modinfo and the `init_module`/`cleanup_module`
/// references are written by the assembler, as C's `MODULE_*()` and
/// `module_init()` write them. A livepatch is always a loadable module.
fn kernel_module(m: &ModuleArgs, patch_mod: &syn::Ident) -> TokenStream {
    let ModuleArgs {
        name,
        authors,
        description,
        license,
        ..
    } = m;
    let mut info: Vec<String> = authors
        .iter()
        .map(|a| format!("author={}", a.value()))
        .collect();
    if let Some(d) = description {
        info.push(format!("description={}", d.value()));
    }
    info.push(format!("license={}", license.value()));
    let info = modinfo(&info, None);
    let name = c_str(name);
    quote! {
        #[cfg(not(MODULE))]
        ::core::compile_error!("a livepatch is a loadable module: build it with obj-m");

        /// The module name, for the kernel's printing macros.
        const __LOG_PREFIX: &[u8] = #name.to_bytes_with_nul();

        #info

        impl ::kernel::ModuleMetadata for #patch_mod::__LivepatchModule {
            const NAME: &'static ::kernel::str::CStr = #name;
        }

        #[cfg(MODULE)]
        #[doc(hidden)]
        mod __livepatch_module {
            type Module = ::livepatch::Enabled<super::#patch_mod::__LivepatchModule>;

            // SAFETY: `__this_module` is the module's `struct module`, which
            // modpost defines and the loader fills in; it lives as long as
            // the module's code.
            static THIS_MODULE: ::kernel::ThisModule = unsafe {
                extern "C" {
                    static __this_module: ::kernel::types::Opaque<::kernel::bindings::module>;
                }
                ::kernel::ThisModule::from_ptr(__this_module.get())
            };

            static mut MODULE: ::core::mem::MaybeUninit<Module> = ::core::mem::MaybeUninit::uninit();

            /// # Safety
            ///
            /// Called once, by the loader, as this module's init.
            #[no_mangle]
            unsafe extern "C" fn init_module() -> ::kernel::ffi::c_int {
                // SAFETY: this is the whole of this module's init.
                match unsafe { Module::init(&THIS_MODULE) } {
                    ::core::result::Result::Ok(m) => {
                        // SAFETY: only `init_module` and `cleanup_module`
                        // access `MODULE`, which the loader runs once each,
                        // one after the other.
                        unsafe { (*(&raw mut MODULE)).write(m) };
                        0
                    }
                    ::core::result::Result::Err(e) => e.to_errno(),
                }
            }

            /// # Safety
            ///
            /// Called once, by the loader, after `init_module` returned 0.
            #[no_mangle]
            unsafe extern "C" fn cleanup_module() {
                // SAFETY: `init_module` wrote `MODULE` (it returned 0), and
                // nothing else accesses it.
                unsafe { (*(&raw mut MODULE)).assume_init_drop() }
            }

            // Kept, as C's `module_init()`/`module_exit()` keep them.
            ::core::arch::global_asm!(
                ".pushsection .init.data,\"aw\",@progbits",
                ".balign 8",
                ".quad init_module",
                ".popsection",
                ".pushsection .exit.data,\"aw\",@progbits",
                ".balign 8",
                ".quad cleanup_module",
                ".popsection",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `.byte` line of modinfo entry `e`, as the expansion prints it.
    fn modinfo_line(e: &str) -> String {
        let bytes: Vec<String> = e.bytes().chain([0]).map(|b| b.to_string()).collect();
        format!("\".byte {}\"", bytes.join(","))
    }

    /// Asserts that `out` contains each of `wants`.
    fn assert_contains(out: &str, wants: &[&str]) {
        for want in wants {
            assert!(out.contains(want), "missing `{want}` in:\n{out}");
        }
    }

    /// The expansion of `#[patch(attr)] mod fix { items }`.
    fn expand(attr: TokenStream, items: TokenStream) -> String {
        patch_for(attr, quote!(mod fix { #items }), None)
            .map(|t| t.to_string())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn sample_expansion() {
        let out = expand(
            quote!(name = "rust_livepatch_sample", license = "GPL"),
            quote! {
                #[unsafe(livepatch)]
                unsafe extern "C" fn cmdline_proc_show(m: *mut u8) -> i32 { 0 }
            },
        );
        assert_contains(
            &out,
            &[
                r#"".pushsection .text.livepatch_cmdline_proc_show,\"ax\",@progbits" , ".globl livepatch_cmdline_proc_show""#,
                r#""livepatch_cmdline_proc_show:" , "endbr64" , "1: call __fentry__" , "jmp \"{body}\"""#,
                "body = sym __livepatch_entry_cmdline_proc_show",
                r#"".pushsection __mcount_loc,\"a\",@progbits" , ".quad 1b""#,
                r#"link_name = "livepatch_cmdline_proc_show""#,
                r#"export_name = "$livepatch_cmdline_proc_show" , link_section = ".text.livepatch_cmdline_proc_show""#,
                "unsafe extern \"C\" fn __livepatch_entry_cmdline_proc_show (__lp_arg0 : * mut u8) -> i32",
                "let ret = unsafe { cmdline_proc_show (__lp_arg0) } ;",
                ":: livepatch :: entry :: Ret (& ret) . used () ;",
                "use :: livepatch :: entry :: InMemory as _ ;",
                "# [inline (always)] unsafe extern \"C\" fn cmdline_proc_show",
                r#"Func :: new (c"cmdline_proc_show" , { # [cfg (target_arch = "x86_64")] let entry = (& raw const __LIVEPATCH_STUB_cmdline_proc_show)"#,
                "static __LIVEPATCH_FUNCS_0 : :: livepatch :: Funcs < 1usize >",
                "Object :: new (:: core :: option :: Option :: None , & __LIVEPATCH_FUNCS_0 , :: livepatch :: ObjectCallbacks :: NONE)",
                "Patch :: new (& __LIVEPATCH_OBJECTS , & __LIVEPATCH_STATES , false , :: core :: option :: Option :: None)",
                r#"".pushsection .modinfo,\"a\",@progbits" , ".L__rust_livepatch_one_patch_per_module:""#,
                &modinfo_line("livepatch=Y"),
                &modinfo_line("license=GPL"),
                r#"const __LOG_PREFIX : & [u8] = c"rust_livepatch_sample" . to_bytes_with_nul () ;"#,
                "type Module = :: livepatch :: Enabled < super :: fix :: __LivepatchModule > ;",
                "# [no_mangle] unsafe extern \"C\" fn init_module () -> :: kernel :: ffi :: c_int",
                "match unsafe { Module :: init (& THIS_MODULE) }",
                r#"".quad init_module""#,
                "impl :: livepatch :: PatchModule for __LivepatchModule",
                // The binding check.
                "type replacement_signature = unsafe extern \"C\" fn (* mut u8) -> i32 ;",
                "use :: kernel :: bindings :: * ;",
                "let _ : replacement_signature = cmdline_proc_show ;",
            ],
        );
    }

    #[test]
    fn signature_records() {
        let out = expand(
            quote!(),
            quote! {
                #[unsafe(livepatch(object = "m", target = "t", sympos = 2, unchecked_signature))]
                unsafe extern "C" fn f(m: *mut bindings::seq_file, _: u8, r#type: Option<unsafe extern "C" fn(*mut u8) -> c_int>) -> ! { loop {} }
            },
        );
        assert_contains(
            &out,
            &[
                r#"".pushsection .note.rust_livepatch.signatures,\"\",@progbits" , ".ascii \"RLPS\"" , ".byte 1, 1" , ".short 3""#,
                r#"".asciz \"m\"" , ".asciz \"t\"" , ".long 2" , ".asciz \"f\"""#,
                // The return: `!` is void.
                r#"".byte {c0}, {s0}, 255, 0" , ".long {z0}, 0xffffffff" , ".asciz \"()\"" , ".asciz \"\"""#,
                r#"".asciz \"m\"" , ".byte {c1}, {s1}, {pc1}, 0" , ".long {z1}, {pz1}" , ".asciz \"*mut bindings::seq_file\"" , ".asciz \"seq_file\"""#,
                r#"".asciz \"_\"" , ".byte {c2}, {s2}, 255, 0""#,
                r#"".asciz \"type\"""#,
                r#"".asciz \"Option<unsafe extern \\\"C\\\" fn(*mut u8) -> c_int>\"""#,
                "pc1 = const :: livepatch :: abi :: Probe :: < bindings :: seq_file > :: CLASS",
                "z2 = const :: core :: mem :: size_of :: < u8 > ()",
                "use :: livepatch :: abi :: Fallback as _ ;",
            ],
        );
    }

    #[test]
    fn module_objects_and_sympos() {
        let out = expand(
            quote!(replace = true),
            quote! {
                #[unsafe(livepatch(object = "test_klp_livepatch_mod", target = "f", sympos = 2))]
                unsafe extern "C" fn g() {}
                #[no_mangle]
                #[unsafe(livepatch)]
                unsafe extern "C" fn livepatch_h() {}
                #[unsafe(livepatch)]
                unsafe extern "C" fn livepatch_i() {}
            },
        );
        assert!(
            out.contains(r#"Option :: Some (c"test_klp_livepatch_mod")"#),
            "{out}"
        );
        assert!(out.contains(r#"Func :: new (c"f" ,"#), "{out}");
        assert!(out.contains("2u64"), "{out}");
        assert!(
            out.contains("Patch :: new (& __LIVEPATCH_OBJECTS , & __LIVEPATCH_STATES , true"),
            "{out}"
        );
        assert!(out.contains("Objects < 2usize >"), "{out}");
        // A user-chosen symbol name is kept, and the entry gets another.
        assert!(
            out.contains("# [no_mangle] # [inline (always)] unsafe extern \"C\" fn livepatch_h"),
            "{out}"
        );
        assert!(
            out.contains(r#"link_name = "livepatch_livepatch_h""#),
            "{out}"
        );
        assert!(out.contains(r#"link_name = "livepatch_i""#), "{out}");
        // No binding check for a sympos, nor a module without the keys.
        assert!(!out.contains("let _ : replacement_signature = f"), "{out}");
        assert!(!out.contains("module !"), "{out}");
    }

    #[test]
    fn rust_targets() {
        let out = expand(
            quote!(license = "GPL", name = "m"),
            quote! {
                #[unsafe(livepatch(target = kernel::error::Error::name))]
                fn name(e: &kernel::error::Error) -> Option<&'static CStr> { None }
                #[unsafe(livepatch(target = rust_victim::c_abi, object = "rust_victim", sympos = 2))]
                extern "C" fn c_abi(x: u32) -> u32 { x }
                #[unsafe(livepatch(target = "_RNvCs1234_11rust_victim7verdict", object = "rust_victim"))]
                unsafe fn verdict(x: u32) -> u32 { x }
            },
        );
        assert_contains(
            &out,
            &[
                // The symbol, written by the compiler into `.rodata`.
                r#"global_asm ! (".pushsection .rodata.rust_livepatch.targets,\"a\"" , "__livepatch_target_name:" , ".asciz \"{0}\"" , ".popsection" , sym kernel :: error :: Error :: name)"#,
                r#"unsafe extern "C" { # [link_name = "__livepatch_target_name"] # [doc (hidden)] static __LIVEPATCH_TARGET_name : u8 ; }"#,
                "Func :: with_symbol (& raw const __LIVEPATCH_TARGET_name , { # [cfg (target_arch = \"x86_64\")] let entry = (& raw const __LIVEPATCH_STUB_name) . cast :: < :: core :: ffi :: c_void > () ;",
                "__livepatch_entry_name as * const :: core :: ffi :: c_void ; entry } , 0u64)",
                "Func :: with_symbol (& raw const __LIVEPATCH_TARGET_c_abi , { # [cfg (target_arch = \"x86_64\")] let entry = (& raw const __LIVEPATCH_STUB_c_abi) . cast :: < :: core :: ffi :: c_void > () ;",
                "__livepatch_entry_c_abi as * const :: core :: ffi :: c_void ; entry } , 2u64)",
                // The type check, with the replacement's ABI.
                "type replacement_signature = unsafe fn (& kernel :: error :: Error) -> Option < & 'static CStr > ;",
                "let _ : replacement_signature = kernel :: error :: Error :: name ;",
                "type replacement_signature = unsafe extern \"C\" fn (u32) -> u32 ;",
                "let _ : replacement_signature = rust_victim :: c_abi ;",
                // Entries with the target's ABI.
                "unsafe fn __livepatch_entry_name (__lp_arg0 : & kernel :: error :: Error) -> Option < & 'static CStr >",
                "unsafe extern \"C\" fn __livepatch_entry_c_abi (__lp_arg0 : u32) -> u32",
                "unsafe fn __livepatch_entry_verdict (__lp_arg0 : u32) -> u32",
                // A mangled name as it is; records unchecked (no Rust in BTF),
                // the path's symbol given by the compiler.
                r#"Func :: new (c"_RNvCs1234_11rust_victim7verdict" ,"#,
                r#"".byte 1, 1" , ".short 1" , ".long 3f - 2f" , "2:" , ".asciz \"vmlinux\"" , ".asciz \"{target}\"""#,
                "target = sym kernel :: error :: Error :: name ,",
                r#"".asciz \"rust_victim\"" , ".asciz \"_RNvCs1234_11rust_victim7verdict\"""#,
            ],
        );
        // No bindings check for Rust targets.
        assert!(!out.contains("use :: kernel :: bindings :: *"), "{out}");
    }

    #[test]
    fn params_states_and_replace_param() {
        let out = expand(
            quote!(
                license = "GPL",
                name = "m",
                replace = replace,
                states = [(1, 2)]
            ),
            quote! {
                #[param(perm = 0o644, description = "replace (default=0)")]
                static replace: livepatch::IntParam = livepatch::IntParam::new(0);
                #[param]
                static r#type: livepatch::IntParam = livepatch::IntParam::new(0);
                #[unsafe(livepatch)]
                unsafe extern "C" fn meminfo_proc_show() {}
            },
        );
        assert_contains(
            &out,
            &[
                r#"static __LIVEPATCH_PARAM_replace : :: livepatch :: KernelParam = replace . kernel_param (c"replace" , 420u16)"#,
                &modinfo_line("parmtype=replace:int"),
                &modinfo_line("parm=replace:replace (default=0)"),
                r#"r#type . kernel_param (c"type" , 0u16)"#,
                &modinfo_line("parmtype=type:int"),
                "States :: new ([((1) as u64 , (2) as u32)])",
                "PATCH . set_replace (replace . get () != 0) ? ;",
            ],
        );
        let err = patch_for(
            quote!(replace = nope),
            quote!(
                mod f {
                    #[unsafe(livepatch)]
                    unsafe extern "C" fn a() {}
                }
            ),
            None,
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
                fn cleanup() {}
                #[unsafe(livepatch)]
                unsafe extern "C" fn f() {}
            ),
        );
        assert!(
            out.contains("impl :: core :: ops :: Drop for __LivepatchModule { fn drop (& mut self) { cleanup () } }"),
            "{out}"
        );
    }

    #[test]
    fn symbols_and_relocation_flag() {
        let out = expand(
            quote!(license = "GPL", name = "m"),
            quote! {
                #[symbols]
                extern "C" {
                    static saved_command_line: *mut u8;
                }
                #[symbols(object = "test_mod")]
                extern "C" {
                    #[symbol(name = "helper", sympos = 2)]
                    fn h();
                }
                #[unsafe(livepatch)]
                unsafe extern "C" fn cmdline_proc_show() {}
            },
        );
        assert_contains(
            &out,
            &[
                r#"# [link_name = ".klp.sym.vmlinux.saved_command_line,0"] static saved_command_line"#,
                r#"# [link_name = ".klp.sym.test_mod.helper,2"] fn h"#,
                r#"global_asm ! (".weak \".klp.sym.vmlinux.saved_command_line,0\"" , ".weak \".klp.sym.test_mod.helper,2\"")"#,
                r#"# [export_name = "__rust_livepatch_klp_converted"] # [link_section = ".data"]"#,
                "Option :: Some (& __LIVEPATCH_RELOCATIONS)",
                // The module whose symbols are used gets a (function-less) object.
                r#"Object :: new (:: core :: option :: Option :: Some (c"test_mod") , & __LIVEPATCH_FUNCS_1"#,
                "static __LIVEPATCH_FUNCS_1 : :: livepatch :: Funcs < 0usize >",
            ],
        );
    }

    #[test]
    fn empty_patch() {
        let e = patch_for(
            TokenStream::new(),
            quote!(
                mod fix {}
            ),
            None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("replaces no function"));
        assert!(patch_for(
            quote!(replace = true),
            quote!(
                mod fix {}
            ),
            None
        )
        .is_ok());
        let e = patch_for(
            TokenStream::new(),
            quote!(
                mod fix {
                    #[symbols]
                    extern "C" {
                        fn f();
                    }
                }
            ),
            None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("replaces no function"));
    }

    #[test]
    fn module_keys() {
        let err = |attr: TokenStream| {
            patch_for(
                attr,
                quote!(
                    mod f {
                        #[unsafe(livepatch)]
                        unsafe extern "C" fn a() {}
                    }
                ),
                Some("m"),
            )
            .err()
            .map(|e| e.to_string())
        };
        assert!(err(quote!(name = "m"))
            .unwrap()
            .contains("missing key `license`"));
        assert!(err(quote!(license = "GPL")).is_none());
        assert!(err(quote!(name = "n", license = "GPL"))
            .unwrap()
            .contains("built as `m.ko`"));
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
            .contains("`exit` is a module key"));
    }
}
