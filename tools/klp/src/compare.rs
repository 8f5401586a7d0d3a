//! A replacement's declared signature ([`crate::declared`]) against the
//! kernel's ([`crate::signature`], from BTF): every difference that changes
//! how a value is passed or read is a problem, named by function, parameter
//! (1-based index and name) and both types.
//!
//! The rules, for a parameter (the kernel passes, the replacement reads)
//! and the return (the replacement produces, the kernel reads):
//! - the number of parameters is the same, and the kernel's function is not
//!   variadic;
//! - integers: same size and signedness; a C enum takes an integer of its
//!   size (bindgen turns enums into integer constants), either sign;
//! - `bool`: a C `bool` parameter may be read as `u8`, but a C integer may
//!   not be read as `bool` (it can be other than 0 or 1); a returned C
//!   `bool` must be a Rust `bool`;
//! - pointers: a pointer; behind it, `c_void` fits anything (opaque), a
//!   struct or union must be the same one (by tag or typedef name, case and
//!   `_` aside: a Rust mirror of `struct seq_file` is `SeqFile`) and, when
//!   both sizes are known, of the same size (else the bindings come from
//!   another kernel configuration); `void *` takes `*mut c_void` or a byte
//!   pointer; a pointer to a scalar, one of that class and size;
//! - function pointers: a function pointer, or `*mut c_void`;
//! - struct or union by value: the same one, same size;
//! - floating point: same size.
//!
//! A target absent from BTF, or present several times with different
//! prototypes, is a problem unless the record is marked unchecked.

use crate::declared::{Declared, RClass, RustType};
use crate::signature::{describe, CType, Class, Lookup, Signature};

/// How a message tells the author to take the signature on their word.
/// (The attribute syntax is the macro's; one place to change it.)
pub const OVERRIDE_HINT: &str =
    "if you checked the signature by hand, mark the replacement `unchecked_signature`";

/// The outcome of checking one replacement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// What makes the module unsafe to load; empty when it fits.
    pub problems: Vec<String>,
    /// What the operator should know but does not refuse the module.
    pub notes: Vec<String>,
}

impl Verdict {
    pub fn fits(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks `declared` against what BTF has for its target. `source` names
/// the BTF for messages (`/sys/kernel/btf/vmlinux`).
pub fn check(declared: &Declared, lookup: &Lookup, source: &str) -> Verdict {
    let label = declared.label();
    let mut v = Verdict::default();
    match lookup {
        Lookup::Found(sig) => compare(declared, sig, &label, &mut v),
        Lookup::Absent => {
            let what = format!(
                "{label}: not in {source}: the compiler may have inlined it or changed its ABI \
                 (.isra, .constprop, dropped arguments), or pahole left it out; its signature \
                 cannot be checked"
            );
            if declared.unchecked {
                v.notes
                    .push(format!("{what} (unchecked, as the replacement asks)"));
            } else {
                v.problems.push(format!("{what}; {OVERRIDE_HINT}"));
            }
        }
        Lookup::Ambiguous(sigs) => {
            let protos: Vec<String> = sigs
                .iter()
                .map(|s| format!("`{}`", s.prototype()))
                .collect();
            let what = format!(
                "{label}: {} functions of that name in {source} have different prototypes \
                 ({}); BTF does not say which one is sympos {}",
                sigs.len(),
                protos.join(", "),
                declared.sympos
            );
            if declared.unchecked {
                v.notes
                    .push(format!("{what} (unchecked, as the replacement asks)"));
            } else if let Some(sig) = sigs.iter().find(|s| {
                let mut one = Verdict::default();
                compare(declared, s, &label, &mut one);
                one.fits()
            }) {
                v.problems.push(format!(
                    "{what}; the replacement matches `{}`: {OVERRIDE_HINT}",
                    sig.prototype()
                ));
            } else {
                v.problems
                    .push(format!("{what}; the replacement matches none of them"));
            }
        }
    }
    v
}

/// Which way a value flows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flow {
    /// A parameter: the kernel writes, the replacement reads.
    In,
    /// The return value: the replacement writes, the kernel reads.
    Out,
}

fn compare(d: &Declared, sig: &Signature, label: &str, v: &mut Verdict) {
    if sig.variadic {
        v.problems.push(format!(
            "{label}: the kernel's function is variadic (`{}`): a Rust replacement cannot \
             receive its variable arguments",
            sig.prototype()
        ));
    }
    let n = d.params.len().max(sig.params.len());
    for i in 0..n {
        let index = i + 1;
        match (d.params.get(i), sig.params.get(i)) {
            (Some((rname, r)), Some(p)) => {
                let name = if p.name.is_empty() { rname } else { &p.name };
                if let Some(why) = mismatch(r, &p.ty, Flow::In) {
                    v.problems.push(format!(
                        "{label}: parameter {index} `{name}`: the replacement has {}, the \
                         kernel has {}{why}",
                        rust_desc(r),
                        p.ty
                    ));
                }
            }
            (Some((rname, r)), None) => v.problems.push(format!(
                "{label}: parameter {index} `{rname}`: the replacement has {}, the kernel's \
                 function has only {} parameter{}",
                rust_desc(r),
                sig.params.len(),
                plural(sig.params.len())
            )),
            (None, Some(p)) => v.problems.push(format!(
                "{label}: parameter {index} `{}`: missing from the replacement (the kernel \
                 has {}, {} parameter{} in all)",
                p.name,
                p.ty,
                sig.params.len(),
                plural(sig.params.len())
            )),
            (None, None) => unreachable!(),
        }
    }
    if let Some(why) = mismatch(&d.ret, &sig.ret, Flow::Out) {
        v.problems.push(format!(
            "{label}: return: the replacement has {}, the kernel has {}{why}",
            rust_desc(&d.ret),
            sig.ret
        ));
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// "`u32` (4 bytes, unsigned integer)", "`*mut c_void` (pointer)".
pub fn rust_desc(r: &RustType) -> String {
    let what = match r.class {
        RClass::Void => "void".to_string(),
        RClass::Pointer => "pointer".to_string(),
        RClass::FnPointer => "function pointer".to_string(),
        RClass::Unknown => "unknown class".to_string(),
        c => format!("{}, {}", bytes(r.size), rclass_words(c, r.signed)),
    };
    format!("`{}` ({what})", r.spelling)
}

fn rclass_words(c: RClass, signed: bool) -> &'static str {
    match c {
        RClass::Void => "void",
        RClass::Bool => "bool",
        RClass::Int if signed => "signed integer",
        RClass::Int => "unsigned integer",
        RClass::Pointer => "pointer",
        RClass::FnPointer => "function pointer",
        RClass::Float => "floating point",
        RClass::Aggregate => "struct or union by value",
        RClass::Unknown => "unknown class",
    }
}

fn bytes(n: u32) -> String {
    if n == 1 {
        "1 byte".into()
    } else {
        format!("{n} bytes")
    }
}

/// `None` when `r` may stand for `c`; otherwise the end of the message
/// (`""`, or `"; " + a reason`).
fn mismatch(r: &RustType, c: &CType, flow: Flow) -> Option<String> {
    let size_ok = c.size == Some(r.size);
    let bad = || Some(String::new());
    match (c.class, r.class) {
        (Class::Void, RClass::Void) => None,
        (Class::Void, _) | (_, RClass::Void) => bad(),
        (_, RClass::Unknown) => Some("; the replacement's type has an unknown class".into()),
        (Class::Bool, RClass::Bool) => None,
        (Class::Bool, RClass::Int) if size_ok && flow == Flow::In => None,
        (Class::Bool, RClass::Int) if size_ok => {
            Some("; the kernel reads a `bool`, which must be 0 or 1: return `bool`".into())
        }
        (Class::Int, RClass::Bool) if size_ok && flow == Flow::Out => None,
        (Class::Int, RClass::Bool) if size_ok => Some(
            "; the kernel may pass a value other than 0 or 1, which is undefined behaviour \
             in a Rust `bool`"
                .into(),
        ),
        (Class::Int, RClass::Int) if size_ok && c.signed == r.signed => None,
        (Class::Enum, RClass::Int) if size_ok => None,
        (Class::Float, RClass::Float) if size_ok => None,
        (Class::Struct | Class::Union, RClass::Aggregate) => {
            if !names_match(&r.name, c) {
                bad()
            } else if !size_ok {
                Some(format!(
                    "; the same type has another size in the bindings the replacement was \
                     built with: {}",
                    other_config()
                ))
            } else {
                None
            }
        }
        (Class::FnPointer, RClass::FnPointer) => None,
        (Class::FnPointer, RClass::Pointer) if r.pointee_class == Some(RClass::Void) => None,
        (Class::Pointer, RClass::Pointer) => pointee_mismatch(r, c.pointee.as_deref()?),
        _ => bad(),
    }
}

fn other_config() -> &'static str {
    "was it built for another kernel or configuration?"
}

/// Whether the Rust name (a path's last segment) is one the C type goes by:
/// bindgen's name is C's; a type of the patch's own that mirrors a C one
/// is named in Rust's style (`Dummy` for `struct dummy`, `SeqFile` for
/// `struct seq_file`), so case and `_` are not compared.
fn names_match(rname: &str, c: &CType) -> bool {
    let fold = |s: &str| -> String {
        s.chars()
            .filter(|&ch| ch != '_')
            .map(|ch| ch.to_ascii_lowercase())
            .collect()
    };
    let mut names = c.names().peekable();
    // An anonymous type without a typedef: only the size can be compared.
    names.peek().is_none() || c.names().any(|n| fold(n) == fold(rname))
}

/// Both are pointers: does what the Rust one points to fit the C pointee?
fn pointee_mismatch(r: &RustType, c: &CType) -> Option<String> {
    let Some(pc) = r.pointee_class else {
        return None; // the macro could not tell: pointer-ness is all we know
    };
    let points_to = |what: &str| {
        Some(format!(
            "; the replacement points to {what}, the kernel to {}",
            pointee_words(c)
        ))
    };
    match (c.class, pc) {
        (_, RClass::Void) => None,
        (Class::Void, RClass::Int) if r.pointee_size == Some(1) => None,
        (Class::Void, _) => Some("; declare it `*mut c_void` and cast it where you use it".into()),
        (Class::Struct | Class::Union | Class::Opaque, RClass::Aggregate) => {
            if !names_match(&r.name, c) {
                points_to(&format!("`{}`", r.name))
            } else if let (Some(cs), Some(rs)) = (c.size, r.pointee_size) {
                // bindgen gives an opaque type size 0: nothing to compare.
                (rs != 0 && cs != rs).then(|| {
                    format!(
                        "; `{}` is {} in the kernel's BTF but {} in the bindings the \
                         replacement was built with: {}",
                        r.name,
                        bytes(cs),
                        bytes(rs),
                        other_config()
                    )
                })
            } else {
                None
            }
        }
        (Class::Struct | Class::Union | Class::Opaque, _) => points_to(&rust_pointee_words(r)),
        (Class::Int | Class::Enum, RClass::Int)
        | (Class::Bool, RClass::Bool | RClass::Int)
        | (Class::Float, RClass::Float)
        | (Class::Pointer | Class::FnPointer, RClass::Pointer | RClass::FnPointer)
            if r.pointee_size.is_none() || r.pointee_size == c.size =>
        {
            None
        }
        (Class::Array, _) => None,
        _ => points_to(&rust_pointee_words(r)),
    }
}

fn pointee_words(c: &CType) -> String {
    format!("`{}` ({})", c.c, describe(c))
}

fn rust_pointee_words(r: &RustType) -> String {
    let class = r
        .pointee_class
        .map_or("unknown class", |c| rclass_words(c, false));
    let class = if class.ends_with("integer") {
        "integer"
    } else {
        class
    };
    match r.pointee_size {
        Some(s) => format!("{} {class}", bytes(s)),
        None => class.to_string(),
    }
}

#[cfg(test)]
mod tests;
