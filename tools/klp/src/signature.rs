//! The C signature of a kernel function, read from BTF: what a Rust
//! replacement must match exactly.
//!
//! For the return and each parameter a [`CType`] says how it is passed:
//! its size, its [`Class`] (void, bool, integer, pointer, function pointer,
//! enum, struct or union by value, float), its signedness, and for a pointer
//! what it points to (through typedefs and const/volatile), down to the
//! struct or union name the Rust side must name too.
//!
//! A function absent from BTF is reported as such ([`Lookup::Absent`]):
//! pahole leaves out the functions whose ABI the compiler changed (`.isra`,
//! `.constprop`, dropped arguments), which are exactly the ones whose
//! declared prototype a replacement cannot trust. Several `FUNC`s of one
//! name (static functions of different files, with different prototypes)
//! are [`Lookup::Ambiguous`]: BTF does not say which one is which `sympos`.

use crate::btf::{Btf, Kind, Type};
use std::fmt;

/// How a value is passed, as far as a replacement's signature goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Void,
    Bool,
    Int,
    Pointer,
    FnPointer,
    Enum,
    Struct,
    Union,
    Float,
    /// Only behind a pointer (a parameter declared `int a[4]` is a pointer).
    Array,
    /// A forward declaration (`struct file;`) or a kind klp does not know.
    Opaque,
}

impl Class {
    /// The words used in messages: "pointer", "struct", "unsigned integer"...
    pub fn describe(self, signed: bool) -> &'static str {
        match self {
            Class::Void => "void",
            Class::Bool => "bool",
            Class::Int if signed => "signed integer",
            Class::Int => "unsigned integer",
            Class::Pointer => "pointer",
            Class::FnPointer => "function pointer",
            Class::Enum => "enum",
            Class::Struct => "struct by value",
            Class::Union => "union by value",
            Class::Float => "floating point",
            Class::Array => "array",
            Class::Opaque => "incomplete type",
        }
    }
}

/// A C type as the kernel declares it (resolved from BTF).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CType {
    /// The type as C spells it, typedefs kept: `struct seq_file *`, `gfp_t`.
    pub c: String,
    pub class: Class,
    /// Size in bytes; `None` for void and incomplete types.
    pub size: Option<u32>,
    pub signed: bool,
    /// The typedef names met on the way to the type, outermost first.
    pub typedefs: Vec<String>,
    /// Struct, union, enum, incomplete type: its tag, if it has one.
    pub tag: Option<String>,
    /// Pointer: the type it points to, modifiers and typedefs stripped.
    pub pointee: Option<Box<CType>>,
}

impl CType {
    /// Every name the type goes by: its typedefs, then its tag
    /// (`["kuid_t"]` for `typedef struct {...} kuid_t`).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.typedefs.iter().chain(&self.tag).map(String::as_str)
    }
}

/// Formats a type as messages show it: "`void *` (pointer)",
/// "`int` (4 bytes, signed integer)".
impl fmt::Display for CType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` ({})", self.c, describe(self))
    }
}

/// The parenthesised part of [`CType`]'s display.
pub fn describe(t: &CType) -> String {
    match t.class {
        Class::Void | Class::Pointer | Class::FnPointer | Class::Opaque => {
            t.class.describe(t.signed).to_string()
        }
        _ => format!("{}, {}", bytes(t.size), t.class.describe(t.signed)),
    }
}

fn bytes(size: Option<u32>) -> String {
    match size {
        Some(1) => "1 byte".into(),
        Some(n) => format!("{n} bytes"),
        None => "unknown size".into(),
    }
}

/// A parameter: its name in the kernel's source (may be empty) and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub ty: CType,
}

/// A function's C signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub name: String,
    pub params: Vec<Param>,
    pub ret: CType,
    /// Takes `...` after its parameters.
    pub variadic: bool,
}

impl Signature {
    /// The C prototype: `int cmdline_proc_show(struct seq_file *m, void *v)`.
    pub fn prototype(&self) -> String {
        let mut params: Vec<String> = self
            .params
            .iter()
            .map(|p| join_decl(&p.ty.c, &p.name))
            .collect();
        if self.variadic {
            params.push("...".into());
        }
        if params.is_empty() {
            params.push("void".into());
        }
        format!(
            "{}({})",
            join_decl(&self.ret.c, &self.name),
            params.join(", ")
        )
    }
}

/// `int` + `x` -> `int x`; `void *` + `v` -> `void *v`. (Function pointer
/// and array types are shown whole, followed by the name.)
fn join_decl(ty: &str, name: &str) -> String {
    if name.is_empty() {
        ty.to_string()
    } else if ty.ends_with('*') {
        format!("{ty}{name}")
    } else {
        format!("{ty} {name}")
    }
}

/// What looking a function up in BTF found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(Signature),
    /// No `FUNC` of that name.
    Absent,
    /// Several `FUNC`s of that name with different prototypes.
    Ambiguous(Vec<Signature>),
}

/// Looks up function `name` among `btf`'s own functions (a module's BTF:
/// the module's; vmlinux's: the kernel's). Several `FUNC`s with one
/// prototype count as one.
pub fn lookup(btf: &Btf, name: &str) -> Result<Lookup, String> {
    let mut sigs: Vec<Signature> = Vec::new();
    for func in btf.funcs_named(name) {
        let sig = signature(btf, &func)?;
        if !sigs.contains(&sig) {
            sigs.push(sig);
        }
    }
    Ok(match sigs.len() {
        0 => Lookup::Absent,
        1 => Lookup::Found(sigs.remove(0)),
        _ => Lookup::Ambiguous(sigs),
    })
}

/// The signature of a `BTF_KIND_FUNC`.
pub fn signature(btf: &Btf, func: &Type<'_>) -> Result<Signature, String> {
    let proto = btf
        .get(func.target())
        .filter(|p| p.kind == Kind::FuncProto)
        .ok_or_else(|| {
            format!(
                "corrupt BTF: FUNC {} (id {}) has no FUNC_PROTO",
                func.name, func.id
            )
        })?;
    let (raw, variadic) = btf.params(&proto);
    let params = raw
        .into_iter()
        .map(|(name, id)| {
            Ok(Param {
                name,
                ty: resolve(btf, id)?,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(Signature {
        name: func.name.to_string(),
        params,
        ret: resolve(btf, proto.target())?,
        variadic,
    })
}

/// Pointers to pointers to ... deeper than this are corrupt BTF.
const MAX_DEPTH: u32 = 32;

/// The [`CType`] of type `id` (0 is void).
pub fn resolve(btf: &Btf, id: u32) -> Result<CType, String> {
    resolve_at(btf, id, 0)
}

fn resolve_at(btf: &Btf, id: u32, depth: u32) -> Result<CType, String> {
    if depth > MAX_DEPTH {
        return Err(format!("corrupt BTF: type {id} nests too deep"));
    }
    let c = spell(btf, id, "", 0);
    let (t, typedefs) = btf.strip(id);
    let mut ty = CType {
        c,
        class: Class::Void,
        size: None,
        signed: false,
        typedefs: typedefs.iter().map(|s| s.to_string()).collect(),
        tag: None,
        pointee: None,
    };
    let Some(t) = t else {
        if id != 0 && btf.get(id).is_none() {
            return Err(format!("corrupt BTF: type id {id} does not exist"));
        }
        return Ok(ty);
    };
    match t.kind {
        Kind::Int => {
            let enc = t.int_encoding();
            ty.class = if enc.bool { Class::Bool } else { Class::Int };
            ty.size = Some(t.size());
            ty.signed = enc.signed;
        }
        Kind::Float => {
            ty.class = Class::Float;
            ty.size = Some(t.size());
            ty.signed = true;
        }
        Kind::Enum | Kind::Enum64 => {
            ty.class = Class::Enum;
            ty.size = Some(t.size());
            ty.signed = t.enum_signed();
            ty.add_tag(t.name);
        }
        Kind::Struct | Kind::Union => {
            ty.class = if t.kind == Kind::Struct {
                Class::Struct
            } else {
                Class::Union
            };
            ty.size = Some(t.size());
            ty.add_tag(t.name);
        }
        Kind::Fwd => {
            ty.class = Class::Opaque;
            ty.add_tag(t.name);
        }
        Kind::Ptr => {
            ty.size = Some(8);
            let (target, _) = btf.strip(t.target());
            if target.is_some_and(|p| p.kind == Kind::FuncProto) {
                ty.class = Class::FnPointer;
            } else {
                ty.class = Class::Pointer;
                ty.pointee = Some(Box::new(resolve_at(btf, t.target(), depth + 1)?));
            }
        }
        Kind::Array => {
            let (elem, n) = t.array();
            let e = resolve_at(btf, elem, depth + 1)?;
            ty.class = Class::Array;
            ty.size = e.size.map(|s| s.saturating_mul(n));
        }
        _ => ty.class = Class::Opaque,
    }
    Ok(ty)
}

impl CType {
    fn add_tag(&mut self, tag: &str) {
        if !tag.is_empty() {
            self.tag = Some(tag.to_string());
        }
    }
}

/// How C spells type `id` declaring `decl` (a name, or the `*` of a
/// pointer being spelled): `struct seq_file *`, `int (*)(void *)`.
pub fn spell(btf: &Btf, id: u32, decl: &str, depth: u32) -> String {
    let base = |name: &str| {
        if decl.is_empty() {
            name.to_string()
        } else {
            format!("{name} {decl}")
        }
    };
    if depth > MAX_DEPTH {
        return base("?");
    }
    let Some(t) = btf.get(id) else {
        return base("void");
    };
    let tagged = |kw: &str| {
        if t.name.is_empty() {
            base(&format!("{kw} {{...}}"))
        } else {
            base(&format!("{kw} {}", t.name))
        }
    };
    match t.kind {
        Kind::Int | Kind::Float | Kind::Typedef => base(t.name),
        Kind::Struct => tagged("struct"),
        Kind::Union => tagged("union"),
        Kind::Enum | Kind::Enum64 => tagged("enum"),
        Kind::Fwd if t.kflag => tagged("union"),
        Kind::Fwd => tagged("struct"),
        Kind::Ptr => {
            let (target, _) = btf.strip(t.target());
            let inner = if target.is_some_and(|p| matches!(p.kind, Kind::FuncProto | Kind::Array)) {
                format!("(*{decl})")
            } else {
                format!("*{decl}")
            };
            spell(btf, t.target(), &inner, depth + 1)
        }
        Kind::Const | Kind::Volatile | Kind::Restrict => {
            let kw = match t.kind {
                Kind::Const => "const",
                Kind::Volatile => "volatile",
                _ => "restrict",
            };
            let target_is_ptr = btf.get(t.target()).is_some_and(|p| p.kind == Kind::Ptr);
            if target_is_ptr {
                // `char *const p`: the qualifier follows the star.
                let decl = if decl.is_empty() {
                    kw.to_string()
                } else {
                    format!("{kw} {decl}")
                };
                spell(btf, t.target(), &decl, depth + 1)
            } else {
                format!("{kw} {}", spell(btf, t.target(), decl, depth + 1))
            }
        }
        Kind::TypeTag => spell(btf, t.target(), decl, depth + 1),
        Kind::Array => {
            let (elem, n) = t.array();
            spell(btf, elem, &format!("{decl}[{n}]"), depth + 1)
        }
        Kind::FuncProto => {
            let (params, variadic) = btf.params(&t);
            let mut ps: Vec<String> = params
                .iter()
                .map(|(_, id)| spell(btf, *id, "", depth + 1))
                .collect();
            if variadic {
                ps.push("...".into());
            }
            if ps.is_empty() {
                ps.push("void".into());
            }
            spell(
                btf,
                t.target(),
                &format!("{decl}({})", ps.join(", ")),
                depth + 1,
            )
        }
        _ => base("?"),
    }
}

#[cfg(test)]
mod tests;
