// SPDX-License-Identifier: GPL-2.0

//! The patch as the core will see it: replacement functions, callbacks,
//! parameters and external symbols found in the module, validated, and
//! grouped by object.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::{spanned::Spanned, Attribute, ForeignItem, Ident, Item, ItemFn, ItemMod, LitStr};

use crate::{
    args::{self, FuncArgs, ParamArgs, SymbolArgs, SymbolsArgs, Target},
    names, safety,
};

/// One `klp_func`: a Rust function replacing a C or a Rust one.
pub(crate) struct Replacement {
    /// The Rust function.
    pub(crate) ident: Ident,
    /// `klp_func.old_name`; for a target named by its Rust path, the path
    /// as written (for messages: the compiler gives the symbol).
    pub(crate) target: LitStr,
    /// What kind of function the target is.
    pub(crate) kind: TargetKind,
    /// `target = path::to::function`: the Rust function replaced.
    pub(crate) rust_path: Option<syn::ExprPath>,
    /// `klp_func.old_sympos`.
    pub(crate) sympos: u64,
    /// The function's signature, for the entry and the binding check.
    pub(crate) sig: syn::Signature,
    /// Whether its symbol name is the user's (`#[no_mangle]`,
    /// `#[export_name]`).
    pub(crate) named: bool,
    /// `unchecked_signature`: the target may be absent from BTF.
    pub(crate) unchecked: bool,
}

impl Replacement {
    /// Whether the replacement, and so its entry, has the Rust ABI (else C).
    pub(crate) fn is_rust_abi(&self) -> bool {
        is_rust_abi(&self.sig)
    }
}

/// What a replacement's target is, which decides the ABIs it may have.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum TargetKind {
    /// A C function, by its symbol name: the replacement is an
    /// `unsafe extern "C" fn`.
    C,
    /// A Rust function by its mangled symbol (`target = "_R..."`): Rust or
    /// C ABI, `unsafe` (its signature is the author's promise).
    RustSymbol,
    /// A Rust function by its path: Rust or C ABI, checked against the
    /// target's type by the compiler.
    RustPath,
}

impl TargetKind {
    /// The kind of a target given as a symbol name: v0-mangled Rust symbols
    /// start with `_R`, which no C symbol of the kernel does.
    pub(crate) fn of_name(name: &str) -> Self {
        if name.starts_with("_R") {
            Self::RustSymbol
        } else {
            Self::C
        }
    }

    pub(crate) fn is_rust(self) -> bool {
        self != Self::C
    }
}

fn is_rust_abi(sig: &syn::Signature) -> bool {
    sig.abi
        .as_ref()
        .is_none_or(|a| a.name.as_ref().is_some_and(|n| n.value() == "Rust"))
}

/// A path as written, without spaces: `kernel::error::Error::name`.
pub(crate) fn path_text(path: &syn::ExprPath) -> String {
    let s = quote::quote!(#path)
        .to_string()
        .replace(" :: ", "::")
        .replace("< ", "<")
        .replace(" >", ">");
    s.strip_prefix(":: ")
        .map_or(s.clone(), |t| format!("::{t}"))
}

/// A non-exported function or variable of a patched object, declared in a
/// `#[symbols]` block: reached through a klp relocation.
pub(crate) struct Symbol {
    /// The C symbol.
    pub(crate) name: String,
    /// Its position among same-named local symbols (0: unique).
    pub(crate) sympos: u64,
    /// The symbol the module references: `.klp.sym.<object>.<name>,<sympos>`.
    pub(crate) link_name: String,
    /// The Rust declaration.
    pub(crate) span: Span,
}

/// One `klp_object`: the functions patched in vmlinux or in one module, its
/// callbacks, and the symbols of it the patch uses.
pub(crate) struct Object {
    /// `klp_object.name`; `None` for vmlinux.
    pub(crate) name: Option<LitStr>,
    pub(crate) funcs: Vec<Replacement>,
    /// The type implementing `livepatch::Callbacks` for this object.
    pub(crate) callbacks: Option<Ident>,
    pub(crate) symbols: Vec<Symbol>,
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

impl Model {
    /// Replacements of every object.
    pub(crate) fn replacements(&self) -> impl Iterator<Item = &Replacement> {
        self.objects.iter().flat_map(|o| &o.funcs)
    }

    /// Whether the patch reaches symbols through klp relocations.
    pub(crate) fn has_symbols(&self) -> bool {
        self.objects.iter().any(|o| !o.symbols.is_empty())
    }
}

/// Accumulates errors so that one build reports every misuse at once.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// The marker attributes the patch macro reads inside its module.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Marker {
    /// `#[unsafe(livepatch)]` (or, as an error, a plain `#[livepatch]`).
    Livepatch,
    Callbacks,
    Param,
    Symbols,
}

impl Marker {
    const ALL: [(Marker, &'static str); 4] = [
        (Marker::Livepatch, "livepatch"),
        (Marker::Callbacks, "callbacks"),
        (Marker::Param, "param"),
        (Marker::Symbols, "symbols"),
    ];

    fn name(self) -> &'static str {
        Self::ALL.iter().find(|(m, _)| *m == self).unwrap().1
    }
}

/// Is `path` the marker `name` (`name` or `livepatch::name`)?
fn is_marker_path(path: &syn::Path, name: &str) -> bool {
    path.is_ident(name)
        || (path.segments.len() == 2
            && path.segments[0].ident == "livepatch"
            && path.segments[1].ident == name)
}

/// A marker found on an item.
struct Found {
    marker: Marker,
    attr: Attribute,
    /// Written as `#[unsafe(...)]`; then `inner` is what the parentheses hold.
    is_unsafe: bool,
    inner: TokenStream,
}

/// Which marker, if any, `attr` is.
fn marker_of(attr: &Attribute) -> Option<Found> {
    if attr.path().is_ident("unsafe") {
        let syn::Meta::List(list) = &attr.meta else {
            return None;
        };
        let mut tokens = list.tokens.clone().into_iter().peekable();
        // `livepatch` or `livepatch::livepatch`, then optional `(...)`.
        let mut path: Vec<String> = Vec::new();
        let mut args = TokenStream::new();
        while let Some(t) = tokens.next() {
            match t {
                TokenTree::Ident(i) => path.push(i.to_string()),
                TokenTree::Punct(p) if p.as_char() == ':' => {}
                TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Parenthesis => {
                    args = g.stream();
                    if tokens.peek().is_some() {
                        return None;
                    }
                }
                _ => return None,
            }
        }
        let is_livepatch = path == ["livepatch"] || path == ["livepatch", "livepatch"];
        return is_livepatch.then(|| Found {
            marker: Marker::Livepatch,
            attr: attr.clone(),
            is_unsafe: true,
            inner: args,
        });
    }
    Marker::ALL
        .iter()
        .find(|(_, name)| is_marker_path(attr.path(), name))
        .map(|(marker, _)| Found {
            marker: *marker,
            attr: attr.clone(),
            is_unsafe: false,
            inner: TokenStream::new(),
        })
}

/// Removes every marker from `attrs`; returns the one there may be.
fn take_marker(attrs: &mut Vec<Attribute>, errors: &mut Errors) -> Option<Found> {
    let mut found: Option<Found> = None;
    let mut kept = Vec::with_capacity(attrs.len());
    for attr in attrs.drain(..) {
        let Some(m) = marker_of(&attr) else {
            kept.push(attr);
            continue;
        };
        if found.is_some() {
            errors.push(syn::Error::new_spanned(
                &attr,
                format!("a second marker `#[{}]` on one item", m.marker.name()),
            ));
        } else {
            found = Some(m);
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

/// Checks that `f` can stand in for a function of kind `kind`.
pub(crate) fn check_signature(f: &ItemFn, kind: TargetKind) -> syn::Result<()> {
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
             with the original function's arguments",
        ));
    }
    if let Some(v) = &sig.variadic {
        errors.push(syn::Error::new_spanned(
            v,
            "a livepatch replacement cannot be variadic",
        ));
    }
    let c_abi = sig
        .abi
        .as_ref()
        .is_some_and(|a| a.name.as_ref().is_some_and(|n| n.value() == "C"));
    match (&sig.abi, kind) {
        (None, TargetKind::RustSymbol | TargetKind::RustPath) => {}
        (Some(_), TargetKind::RustSymbol | TargetKind::RustPath) if c_abi || is_rust_abi(sig) => {}
        (Some(abi), TargetKind::RustSymbol | TargetKind::RustPath) => {
            errors.push(syn::Error::new_spanned(
                abi,
                "wrong ABI: a replacement of a Rust function has its ABI, the Rust ABI (no \
                 `extern`) or `extern \"C\"`",
            ))
        }
        (Some(_), TargetKind::C) if c_abi => {}
        (Some(abi), TargetKind::C) => errors.push(syn::Error::new_spanned(
            abi,
            "wrong ABI: a livepatch replacement is called as the C function it replaces; \
             write `unsafe extern \"C\" fn`",
        )),
        (None, TargetKind::C) => errors.push(syn::Error::new(
            sig.fn_token.span,
            "missing ABI: a livepatch replacement is called as the C function it replaces; \
             write `unsafe extern \"C\" fn` (a Rust function is a target by its path, \
             `target = krate::function`, or its mangled symbol, `target = \"_R...\"`)",
        )),
    }
    if sig.unsafety.is_none() && kind == TargetKind::RustSymbol {
        errors.push(syn::Error::new(
            sig.fn_token.span,
            "a replacement of a Rust function named by its symbol must be `unsafe fn` (or \
             `unsafe extern \"C\" fn`): nothing checks its signature against the target's \
             (name the target by its path for that check)",
        ));
    }
    if sig.unsafety.is_none() && kind == TargetKind::C {
        errors.push(syn::Error::new(
            sig.fn_token.span,
            "a livepatch replacement must be `unsafe extern \"C\" fn`: it receives the C \
             function's arguments, whose validity Rust cannot check",
        ));
    }
    for input in &sig.inputs {
        if let syn::FnArg::Receiver(r) = input {
            errors.push(syn::Error::new_spanned(
                r,
                "a livepatch replacement is a free function, not a method",
            ));
        }
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

/// Finds the marked items of `module` (`#[unsafe(livepatch)]` functions, a
/// `#[callbacks]` type, `#[param]` statics, `#[symbols]` blocks), strips the
/// markers, and groups replacements, callbacks and symbols by object in order
/// of first appearance.
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
        let Some(found) = item_attrs(item).and_then(|a| take_marker(a, &mut errors)) else {
            continue;
        };
        let attr = &found.attr;
        let result = match (found.marker, &mut *item) {
            (Marker::Livepatch, Item::Fn(f)) => {
                replacement(f, &found).and_then(|(object, new, span)| {
                    let this = (object_key(&object), new.target.value(), new.sympos);
                    if let Some((_, _, _, first)) = seen
                        .iter()
                        .find(|(o, t, p, _)| same_function((o, t, *p), &this))
                    {
                        let mut e = syn::Error::new(
                            span,
                            format!(
                                "two replacements for `{}` in {}: a function can be patched \
                                 once per patch",
                                new.target.value(),
                                this.0
                                    .as_ref()
                                    .map_or("vmlinux".to_string(), |o| format!("module `{o}`"))
                            ),
                        );
                        e.combine(syn::Error::new(*first, "the first replacement is here"));
                        return Err(e);
                    }
                    seen.push((this.0, this.1, this.2, span));
                    object_entry(&mut objects, object).funcs.push(new);
                    Ok(())
                })
            }
            (Marker::Callbacks, Item::Struct(_) | Item::Enum(_) | Item::Type(_)) => {
                let ident = match &*item {
                    Item::Struct(s) => s.ident.clone(),
                    Item::Enum(e) => e.ident.clone(),
                    Item::Type(t) => t.ident.clone(),
                    _ => unreachable!(),
                };
                args::parse_callbacks(attr).and_then(|names| {
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
            (Marker::Param, Item::Static(st)) => param(st, attr).map(|p| params.push(p)),
            (Marker::Symbols, Item::ForeignMod(block)) => {
                symbols(block, attr).map(|(object, syms)| {
                    object_entry(&mut objects, object).symbols.extend(syms);
                })
            }
            (kind, _) => Err(syn::Error::new_spanned(
                attr,
                match kind {
                    Marker::Livepatch => {
                        "`#[unsafe(livepatch)]` marks a replacement function; this item is not a function"
                    }
                    Marker::Callbacks => {
                        "`#[callbacks]` goes on the type (a struct, enum or type alias) that implements `livepatch::Callbacks`"
                    }
                    Marker::Param => "`#[param]` goes on a `static NAME: livepatch::IntParam`",
                    Marker::Symbols => {
                        "`#[symbols]` goes on an `extern \"C\" { ... }` block declaring the functions and \
                         variables of the patched object the patch uses"
                    }
                },
            )),
        };
        if let Err(e) = result {
            errors.push(e);
        }
    }
    errors.finish()?;
    let model = Model { objects, params };
    check_calls_to_targets(items, &model)?;
    Ok(model)
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
                symbols: Vec::new(),
            });
            objects.last_mut().unwrap()
        }
    }
}

/// A `#[unsafe(livepatch)]` function: its object, replacement and span.
fn replacement(f: &ItemFn, found: &Found) -> syn::Result<(Option<LitStr>, Replacement, Span)> {
    let mut errors = Errors::default();
    if !found.is_unsafe {
        errors.push(syn::Error::new_spanned(
            &found.attr,
            "write `#[unsafe(livepatch)]`: that this function has exactly the ABI and signature \
             of the C function it replaces is your promise, which Rust cannot check; justify it \
             in a `// SAFETY:` comment above the attribute (where the C function is declared)",
        ));
    } else if let Err(e) = safety::require_comment(&found.attr) {
        errors.push(e);
    }
    let args = match if found.is_unsafe {
        FuncArgs::parse_tokens(found.inner.clone())
    } else {
        FuncArgs::parse_marker(&found.attr)
    } {
        Ok(a) => a,
        Err(e) => {
            // The signature's rules depend on the target: without the
            // arguments, they are not checked.
            errors.push(e);
            return Err(errors.finish().unwrap_err());
        }
    };
    let ident = f.sig.ident.clone();
    let span = ident.span();
    let (target, rust_path, kind) = match args.target {
        Some(Target::Name(t)) => {
            let kind = TargetKind::of_name(&t.value());
            (t, None, kind)
        }
        Some(Target::Path(p)) => {
            if let Err(e) = check_path_object(&p, args.object.as_ref()) {
                errors.push(e);
            }
            let text = LitStr::new(&path_text(&p), p.span());
            (text, Some(p), TargetKind::RustPath)
        }
        None => {
            let name = LitStr::new(&args::ident_name(&ident), ident.span());
            if let Err(e) = names::check_symbol_name(&name) {
                errors.push(e);
            }
            (name, None, TargetKind::C)
        }
    };
    if let Err(e) = check_signature(f, kind) {
        errors.push(e);
    }
    errors.finish()?;
    let object = args.object.filter(|o| o.value() != names::VMLINUX);
    let sympos = args.sympos.map_or(0, |(v, _)| v);
    let unchecked = args.unchecked_signature.unwrap_or(false);
    let named = f
        .attrs
        .iter()
        .any(|a| a.path().is_ident("no_mangle") || a.path().is_ident("export_name"));
    Ok((
        object,
        Replacement {
            ident,
            target,
            kind,
            rust_path,
            sympos,
            sig: f.sig.clone(),
            named,
            unchecked,
        },
        span,
    ))
}

/// A Rust target's object: a path into vmlinux's crates is in vmlinux, one
/// into another crate (a module's) needs `object = "module"`. The check
/// reads the path as written: `object = "vmlinux"` given explicitly is taken
/// as it is (a crate renamed by `use`).
fn check_path_object(path: &syn::ExprPath, object: Option<&LitStr>) -> syn::Result<()> {
    if path.qself.is_some() {
        return Ok(());
    }
    let Some(first) = path.path.segments.first() else {
        return Ok(());
    };
    let krate = args::ident_name(&first.ident);
    let in_vmlinux = names::VMLINUX_CRATES.contains(&krate.as_str());
    match object {
        None if !in_vmlinux => Err(syn::Error::new_spanned(
            &first.ident,
            format!(
                "`{krate}` is not one of vmlinux's crates ({}): for a function of the module \
                 `{krate}`, write `object = \"{krate}\"`",
                names::VMLINUX_CRATES.join(", ")
            ),
        )),
        Some(o) if in_vmlinux && o.value() != names::VMLINUX => Err(syn::Error::new(
            o.span(),
            format!(
                "`{krate}` is a crate of vmlinux, not of the module `{}`: leave `object` out",
                o.value()
            ),
        )),
        _ => Ok(()),
    }
}

/// A `#[param]` static.
fn param(st: &syn::ItemStatic, attr: &Attribute) -> syn::Result<Param> {
    let args = ParamArgs::parse_marker(attr)?;
    let last = match &*st.ty {
        syn::Type::Path(p) => p.path.segments.last(),
        _ => None,
    };
    let array = match last {
        Some(s) if s.ident == "IntParam" && s.arguments.is_none() => false,
        Some(s) if s.ident == "IntArrayParam" => {
            if let syn::PathArguments::AngleBracketed(a) = &s.arguments {
                if let Some(syn::GenericArgument::Const(syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(n),
                    ..
                }))) = a.args.first()
                {
                    if n.base10_parse::<u64>()? == 0 {
                        return Err(syn::Error::new(
                            n.span(),
                            "an array parameter holds at least one value: `IntArrayParam<N>` \
                             with N > 0",
                        ));
                    }
                }
            }
            true
        }
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
        perm: args.perm.unwrap_or(0),
        description: args.description,
    })
}

/// A `#[symbols(object = "...")] extern "C" { ... }` block: the object and
/// its symbols. Each item may carry `#[symbol(name = "...", sympos = N)]`.
fn symbols(
    block: &mut syn::ItemForeignMod,
    attr: &Attribute,
) -> syn::Result<(Option<LitStr>, Vec<Symbol>)> {
    let args = SymbolsArgs::parse_marker(attr)?;
    let object = args.object.filter(|o| o.value() != names::VMLINUX);
    let object_name = object
        .as_ref()
        .map_or(names::VMLINUX.to_string(), LitStr::value);
    let mut errors = Errors::default();
    if block.abi.name.as_ref().is_none_or(|n| n.value() != "C") {
        errors.push(syn::Error::new_spanned(
            &block.abi,
            "a `#[symbols]` block declares C functions and variables: `extern \"C\" { ... }`",
        ));
    }
    let mut syms = Vec::new();
    for item in &mut block.items {
        let (attrs, ident) = match item {
            ForeignItem::Fn(f) => (&mut f.attrs, f.sig.ident.clone()),
            ForeignItem::Static(s) => (&mut s.attrs, s.ident.clone()),
            other => {
                errors.push(syn::Error::new_spanned(
                    other,
                    "a `#[symbols]` block holds `fn` and `static` declarations only",
                ));
                continue;
            }
        };
        let mut sym_args = SymbolArgs::default();
        let mut kept = Vec::new();
        for a in attrs.drain(..) {
            if is_marker_path(a.path(), "symbol") {
                match SymbolArgs::parse_marker(&a) {
                    Ok(s) => sym_args = s,
                    Err(e) => errors.push(e),
                }
            } else if a.path().is_ident("link_name") {
                errors.push(syn::Error::new_spanned(
                    &a,
                    "the macro names this symbol for the kernel's klp relocations: give the C \
                     name with `#[symbol(name = \"...\")]` instead of `link_name`",
                ));
            } else {
                kept.push(a);
            }
        }
        *attrs = kept;
        let name = sym_args
            .name
            .unwrap_or_else(|| LitStr::new(&args::ident_name(&ident), ident.span()));
        if let Err(e) = names::check_klp_symbol_name(&name) {
            errors.push(e);
            continue;
        }
        let sympos = sym_args.sympos.map_or(0, |(v, _)| v);
        // The name `klp_resolve_symbols()` parses (kernel/livepatch/core.c):
        // ".klp.sym." "%55[^.].%511[^,],%lu".
        let link_name = format!(".klp.sym.{object_name}.{},{sympos}", name.value());
        attrs.push(syn::parse_quote!(#[link_name = #link_name]));
        syms.push(Symbol {
            name: name.value(),
            sympos,
            link_name,
            span: ident.span(),
        });
    }
    errors.finish()?;
    Ok((object, syms))
}

/// Rejects a call of a function the patch replaces, from its replacements:
/// once patched, every call of the original enters the replacement again
/// (ftrace redirects it), so it recurses forever.
fn check_calls_to_targets(items: &[Item], model: &Model) -> syn::Result<()> {
    let targets: Vec<String> = model.replacements().map(|r| r.target.value()).collect();
    let mut errors = Errors::default();
    let recursion = |span: Span, target: &str| {
        syn::Error::new(
            span,
            format!(
                "`{target}` is a function this patch replaces: once the patch is enabled, every \
                 call of it enters the replacement instead (ftrace redirects it), so calling it \
                 from the replacement recurses forever. To reuse the original's logic, copy it \
                 into the patch (its non-exported helpers can be declared in a `#[symbols]` \
                 block)"
            ),
        )
    };
    // Rust targets named by path: a path in a replacement's body that is
    // the target's path, or its last two or more segments (`Error::name`
    // for `kernel::error::Error::name`). A call through a `use`d single
    // name or a method call (`e.name()`) is not seen.
    let rust_targets: Vec<(Vec<String>, String)> = model
        .replacements()
        .filter_map(|r| {
            let p = r.rust_path.as_ref().filter(|p| p.qself.is_none())?;
            let segs = p
                .path
                .segments
                .iter()
                .map(|s| args::ident_name(&s.ident))
                .collect();
            Some((segs, r.target.value()))
        })
        .collect();
    for item in items {
        match item {
            Item::Fn(f) if model.replacements().any(|r| r.ident == f.sig.ident) => {
                for (span, name) in bindings_paths(f.block.to_token_stream_owned()) {
                    if targets.contains(&name) {
                        errors.push(recursion(span, &name));
                    }
                }
                for (span, run) in path_runs(f.block.to_token_stream_owned()) {
                    for (segs, text) in &rust_targets {
                        if run.len() >= 2.min(segs.len()) && segs.ends_with(&run) {
                            errors.push(recursion(span, text));
                        }
                    }
                }
            }
            Item::ForeignMod(block) => {
                for fi in &block.items {
                    let (ident, attrs) = match fi {
                        ForeignItem::Fn(f) => (&f.sig.ident, &f.attrs),
                        _ => continue,
                    };
                    let link_name = attrs.iter().find_map(|a| match &a.meta {
                        syn::Meta::NameValue(nv) if nv.path.is_ident("link_name") => {
                            match &nv.value {
                                syn::Expr::Lit(syn::ExprLit {
                                    lit: syn::Lit::Str(s),
                                    ..
                                }) => Some(s.value()),
                                _ => None,
                            }
                        }
                        _ => None,
                    });
                    let name = link_name.unwrap_or_else(|| args::ident_name(ident));
                    if targets.contains(&name) {
                        errors.push(recursion(ident.span(), &name));
                    }
                }
            }
            _ => {}
        }
    }
    // `#[symbols]` blocks got their `.klp.sym` link names already: check
    // their C names.
    for object in &model.objects {
        for s in &object.symbols {
            if object.funcs.iter().any(|r| {
                r.target.value() == s.name
                    && (r.sympos == s.sympos || r.sympos == 0 || s.sympos == 0)
            }) {
                errors.push(recursion(s.span, &s.name));
            }
        }
    }
    errors.finish()
}

trait ToTokensOwned {
    fn to_token_stream_owned(&self) -> TokenStream;
}

impl<T: quote::ToTokens> ToTokensOwned for T {
    fn to_token_stream_owned(&self) -> TokenStream {
        self.to_token_stream()
    }
}

/// Every path (`a::b::c`, identifiers joined by `::`) in `tokens`: the span
/// of its first identifier and its segments.
fn path_runs(tokens: TokenStream) -> Vec<(Span, Vec<String>)> {
    fn walk(tokens: TokenStream, found: &mut Vec<(Span, Vec<String>)>) {
        let mut run: Option<(Span, Vec<String>)> = None;
        let mut colons = 0;
        for t in tokens {
            match t {
                TokenTree::Ident(i) => {
                    match &mut run {
                        Some((_, segs)) if colons == 2 => segs.push(args::ident_name(&i)),
                        _ => {
                            found.extend(run.take());
                            run = Some((i.span(), vec![args::ident_name(&i)]));
                        }
                    }
                    colons = 0;
                }
                TokenTree::Punct(p) if p.as_char() == ':' && colons < 2 => colons += 1,
                TokenTree::Group(g) => {
                    found.extend(run.take());
                    colons = 0;
                    walk(g.stream(), found);
                }
                _ => {
                    found.extend(run.take());
                    colons = 0;
                }
            }
        }
        found.extend(run);
    }
    let mut found = Vec::new();
    walk(tokens, &mut found);
    found
}

/// Every `bindings::NAME` path in `tokens`: its span and `NAME`.
fn bindings_paths(tokens: TokenStream) -> Vec<(Span, String)> {
    let mut found = Vec::new();
    let mut window: Vec<TokenTree> = Vec::new();
    fn walk(tokens: TokenStream, window: &mut Vec<TokenTree>, found: &mut Vec<(Span, String)>) {
        for t in tokens {
            if let TokenTree::Group(g) = &t {
                window.clear();
                walk(g.stream(), window, found);
                window.clear();
                continue;
            }
            window.push(t);
            if window.len() > 4 {
                window.remove(0);
            }
            if let [TokenTree::Ident(b), TokenTree::Punct(c1), TokenTree::Punct(c2), TokenTree::Ident(name)] =
                &window[..]
            {
                if b == "bindings" && c1.as_char() == ':' && c2.as_char() == ':' {
                    found.push((name.span(), args::ident_name(name)));
                }
            }
        }
    }
    walk(tokens, &mut window, &mut found);
    found
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

    /// Why `collect` refuses the module `tokens`; empty if it accepts it.
    fn bad(tokens: proc_macro2::TokenStream) -> String {
        collect(&mut syn::parse2(tokens).unwrap())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn groups_by_object_in_order() {
        let (m, objects) = collect_from(quote! {
            mod fix {
                #[unsafe(livepatch)]
                unsafe extern "C" fn cmdline_proc_show() {}
                #[unsafe(livepatch(object = "test_klp_callbacks_mod", target = "busymod_work_func"))]
                unsafe extern "C" fn busy() {}
                #[unsafe(livepatch(target = "meminfo_proc_show", object = "vmlinux", sympos = 2))]
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
    fn plain_marker_needs_unsafe() {
        let e = collect_from(quote! { mod fix { #[livepatch] unsafe extern "C" fn f() {} } })
            .err()
            .unwrap();
        assert!(
            e.to_string().contains("write `#[unsafe(livepatch)]`"),
            "{e}"
        );
    }

    #[test]
    fn duplicate_targets() {
        let dup = |a: &str, b: &str| {
            let a: proc_macro2::TokenStream = a.parse().unwrap();
            let b: proc_macro2::TokenStream = b.parse().unwrap();
            collect_from(quote! {
                mod fix {
                    #[unsafe(livepatch(#a))] unsafe extern "C" fn one() {}
                    #[unsafe(livepatch(#b))] unsafe extern "C" fn two() {}
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
            check_signature(&syn::parse2(f).unwrap(), TargetKind::C)
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
    fn rust_target_signatures() {
        let check = |kind: TargetKind, f: proc_macro2::TokenStream| {
            check_signature(&syn::parse2(f).unwrap(), kind)
                .err()
                .map(|e| e.to_string())
        };
        // By path: Rust or C ABI, safe or not (the compiler checks the type).
        for f in [
            quote!(
                fn f(a: u32) -> u32 {
                    a
                }
            ),
            quote!(
                unsafe fn f() {}
            ),
            quote!(
                extern "Rust" fn f() {}
            ),
            quote!(
                extern "C" fn f() {}
            ),
            quote!(
                unsafe extern "C" fn f() {}
            ),
        ] {
            assert_eq!(check(TargetKind::RustPath, f.clone()), None, "{f}");
        }
        assert!(check(
            TargetKind::RustPath,
            quote!(
                extern "C-unwind" fn f() {}
            )
        )
        .unwrap()
        .contains("wrong ABI: a replacement of a Rust function"));
        assert!(check(
            TargetKind::RustPath,
            quote!(
                fn f<T>() {}
            )
        )
        .unwrap()
        .contains("generic"));
        // By mangled symbol: Rust or C ABI, but `unsafe`.
        assert_eq!(
            check(
                TargetKind::RustSymbol,
                quote!(
                    unsafe fn f() {}
                )
            ),
            None
        );
        assert!(check(
            TargetKind::RustSymbol,
            quote!(
                fn f() {}
            )
        )
        .unwrap()
        .contains("must be `unsafe fn`"));
        assert_eq!(TargetKind::of_name("_RNvCs1_1a1f"), TargetKind::RustSymbol);
        assert_eq!(TargetKind::of_name("cmdline_proc_show"), TargetKind::C);
    }

    #[test]
    fn rust_target_paths() {
        let (_, objects) = collect_from(quote! {
            mod fix {
                #[unsafe(livepatch(target = kernel::error::Error::name))]
                fn name(e: &kernel::error::Error) -> Option<&'static CStr> { None }
                #[unsafe(livepatch(target = rust_victim::verdict, object = "rust_victim"))]
                fn verdict(x: u32) -> u32 { x }
                #[unsafe(livepatch(target = <kernel::error::Error as core::fmt::Debug>::fmt))]
                fn fmt(e: &kernel::error::Error, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result { Ok(()) }
            }
        })
        .unwrap();
        let targets: Vec<_> = objects
            .iter()
            .flat_map(|o| o.funcs.iter().map(|f| (f.target.value(), f.kind)))
            .collect();
        assert_eq!(
            targets,
            [
                ("kernel::error::Error::name".into(), TargetKind::RustPath),
                (
                    "<kernel::error::Error as core::fmt::Debug>::fmt".into(),
                    TargetKind::RustPath
                ),
                ("rust_victim::verdict".into(), TargetKind::RustPath),
            ]
        );
        assert!(bad(quote! { mod f {
            #[unsafe(livepatch(target = rust_victim::verdict))]
            fn verdict(x: u32) -> u32 { x }
        }})
        .contains("write `object = \"rust_victim\"`"));
        assert!(bad(quote! { mod f {
            #[unsafe(livepatch(target = kernel::error::Error::name, object = "m"))]
            fn name(e: &kernel::error::Error) -> Option<&'static CStr> { None }
        }})
        .contains("a crate of vmlinux"));
        assert!(bad(quote! { mod f {
            #[unsafe(livepatch(target = kernel::alloc::f::<u32>))]
            fn g(x: u32) -> u32 { x }
        }})
        .contains("generic Rust function"));
        // The trait's arguments name the impl: not a generic function.
        assert!(bad(quote! { mod f {
            #[unsafe(livepatch(target = <kernel::error::Error as core::convert::From<kernel::alloc::AllocError>>::from))]
            fn from(e: kernel::alloc::AllocError) -> kernel::error::Error { todo!() }
        }})
        .is_empty());
        assert!(bad(quote! { mod f {
            #[unsafe(livepatch(target = <kernel::alloc::KVec<u8>>::push::<u8>))]
            fn push() {}
        }})
        .contains("generic Rust function"));
        assert!(bad(quote! { mod f {
            #[unsafe(livepatch(target = crate::g))]
            fn g(x: u32) -> u32 { x }
        }})
        .contains("not a function of this patch"));
        assert!(bad(quote! { mod f {
            #[unsafe(livepatch(target = "x"))]
            fn g(x: u32) -> u32 { x }
        }})
        .contains("missing ABI"));
        // Two replacements of one Rust function.
        assert!(bad(quote! { mod f {
            #[unsafe(livepatch(target = kernel::error::Error::name))]
            fn a(e: &kernel::error::Error) -> Option<&'static CStr> { None }
            #[unsafe(livepatch(target = kernel::error::Error::name))]
            fn b(e: &kernel::error::Error) -> Option<&'static CStr> { None }
        }})
        .contains("two replacements"));
        // Calling the target from its replacement recurses.
        assert!(bad(quote! { mod f {
            #[unsafe(livepatch(target = kernel::error::Error::name))]
            fn name(e: &kernel::error::Error) -> Option<&'static CStr> { Error::name(e) }
        }})
        .contains("recurses forever"));
        assert!(bad(quote! { mod f {
            #[unsafe(livepatch(target = rust_victim::verdict, object = "rust_victim"))]
            fn verdict(x: u32) -> u32 { rust_victim::verdict(x) + other::verdict(x) }
        }})
        .contains("recurses forever"));
        assert!(bad(quote! { mod f {
            #[unsafe(livepatch(target = rust_victim::verdict, object = "rust_victim"))]
            fn verdict(x: u32) -> u32 { other::verdict(x) + rust_victim::verdict_helper(x) + verdict_2(x) }
        }})
        .is_empty());
    }

    #[test]
    fn not_a_function() {
        let e = collect_from(quote! { mod fix { #[unsafe(livepatch)] static X: u8 = 0; } })
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
                #[unsafe(livepatch(object = "test_klp_callbacks_busy", target = "busymod_work_func"))]
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
                #[param(perm = 0o060)]
                static X: IntParam = IntParam::new(0);
            }
        ))
        .contains("VERIFY_OCTAL_PERMISSIONS"));
        assert!(bad(quote!(
            mod f {
                #[param]
                static X: IntArrayParam<0> = IntArrayParam::new();
            }
        ))
        .contains("at least one value"));
        assert!(bad(quote!(
            mod f {
                #[callbacks]
                fn f() {}
            }
        ))
        .contains("implements `livepatch::Callbacks`"));
    }

    #[test]
    fn symbols() {
        let mut m: ItemMod = syn::parse2(quote! {
            mod fix {
                #[symbols]
                extern "C" {
                    static saved_command_line: *mut u8;
                    #[symbol(name = "process_output", sympos = 2)]
                    fn output(c: u8) -> i32;
                }
                #[symbols(object = "test_mod")]
                extern "C" {
                    fn helper();
                }
                #[unsafe(livepatch)]
                unsafe extern "C" fn cmdline_proc_show() {}
            }
        })
        .unwrap();
        let model = collect(&mut m).unwrap();
        let syms: Vec<_> = model
            .objects
            .iter()
            .flat_map(|o| {
                let object = o.name.as_ref().map_or("vmlinux".into(), LitStr::value);
                o.symbols
                    .iter()
                    .map(move |s| (object.clone(), s.name.clone(), s.sympos))
            })
            .collect();
        assert_eq!(
            syms,
            [
                ("vmlinux".into(), "saved_command_line".into(), 0),
                ("vmlinux".into(), "process_output".into(), 2),
                ("test_mod".into(), "helper".into(), 0),
            ]
        );
        let out = quote!(#m).to_string();
        assert!(!out.contains("symbol"), "{out}");
        assert!(bad(quote!(
            mod f {
                #[symbols]
                extern "C" {
                    #[symbol(name = "a,b")]
                    fn x();
                }
            }
        ))
        .contains("`,`"));
        assert!(bad(quote!(
            mod f {
                #[symbols(object = "a.b")]
                extern "C" {
                    fn x();
                }
            }
        ))
        .contains("'.'"));
        assert!(bad(quote!(
            mod f {
                #[symbols]
                extern "C" {
                    #[link_name = "y"]
                    fn x();
                }
            }
        ))
        .contains("#[symbol(name"));
        assert!(bad(quote!(
            mod f {
                #[symbols]
                struct S;
            }
        ))
        .contains("extern \"C\""));
    }

    #[test]
    fn calling_the_target_recurses() {
        assert!(bad(quote! {
            mod f {
                #[unsafe(livepatch)]
                unsafe extern "C" fn version_proc_show(m: *mut u8) -> i32 {
                    unsafe { kernel::bindings::version_proc_show(m) }
                }
            }
        })
        .contains("recurses forever"));
        assert!(bad(quote! {
            mod f {
                extern "C" { fn version_proc_show(m: *mut u8) -> i32; }
                #[unsafe(livepatch)]
                unsafe extern "C" fn fixed(m: *mut u8) -> i32 { 0 }
            }
        })
        .is_empty());
        assert!(bad(quote! {
            mod f {
                extern "C" { #[link_name = "version_proc_show"] fn orig(m: *mut u8) -> i32; }
                #[unsafe(livepatch(target = "version_proc_show"))]
                unsafe extern "C" fn fixed(m: *mut u8) -> i32 { 0 }
            }
        })
        .contains("recurses forever"));
        assert!(bad(quote! {
            mod f {
                #[symbols] extern "C" { fn version_proc_show(m: *mut u8) -> i32; }
                #[unsafe(livepatch)]
                unsafe extern "C" fn version_proc_show(m: *mut u8) -> i32 { 0 }
            }
        })
        .contains("recurses forever"));
        // Another function's binding is fine.
        assert!(bad(quote! {
            mod f {
                #[unsafe(livepatch)]
                unsafe extern "C" fn version_proc_show(m: *mut u8) -> i32 {
                    unsafe { bindings::seq_printf(m) }
                }
            }
        })
        .is_empty());
    }

    #[test]
    fn outline_module() {
        let e = collect_from(quote! { mod fix; }).err().unwrap();
        assert!(e.to_string().contains("inline module"));
    }
}
