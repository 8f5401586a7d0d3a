//! The text `klp new` writes: a patch directory's `Kbuild` and `<name>.rs`,
//! with the replacement's exact signature from BTF and a body that does not
//! compile until the author writes the fix. Everything about the generated
//! text is here (the macro's attribute syntax included), so it changes in
//! one place.

use crate::signature::{CType, Class, Signature};
use std::collections::{BTreeSet, HashSet};

/// The longest module name the kernel takes (`MODULE_NAME_LEN` - 1).
const MODULE_NAME_MAX: usize = 55;

/// Which names `kernel::bindings` has, when the kernel tree's generated
/// bindings could be read.
pub enum Bindings {
    /// `$KDIR/rust/bindings/bindings_generated.rs` read: these struct,
    /// union and type names exist.
    Known(HashSet<String>),
    /// Not known: a named struct or union is assumed to be there.
    Unknown,
}

impl Bindings {
    /// Reads the names `pub struct X`, `pub union X`, `pub type X` of
    /// bindgen's output.
    pub fn parse(generated: &str) -> Bindings {
        // Item by item, not line by line: without rustfmt (a toolchain root
        // may lack it) bindgen writes its whole output on a few lines.
        let mut names = std::collections::BTreeSet::new();
        for kw in ["pub struct ", "pub union ", "pub type "] {
            for (at, _) in generated.match_indices(kw) {
                // A top-level item: at the start of a line, or after the
                // end of another item on the same line (not indented in a
                // module).
                let before = &generated[..at];
                let trimmed = before.trim_end_matches(' ');
                let starts_item = if trimmed.len() == before.len() {
                    before.is_empty() || before.ends_with('\n')
                } else {
                    trimmed.ends_with(['}', ';', ']'])
                };
                if !starts_item {
                    continue;
                }
                let rest = &generated[at + kw.len()..];
                let end = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                names.insert(rest[..end].to_string());
            }
        }
        Bindings::Known(names.into_iter().collect())
    }

    fn has(&self, name: &str) -> bool {
        match self {
            Bindings::Known(names) => names.contains(name),
            Bindings::Unknown => true,
        }
    }
}

/// What `klp new` knows about the function to replace.
pub struct NewPatch<'a> {
    /// The module to generate (`fix_<function>` by default).
    pub name: &'a str,
    /// `None`: vmlinux.
    pub object: Option<&'a str>,
    pub sig: &'a Signature,
    /// Where the signature was read (for the header comment).
    pub btf_source: &'a str,
    /// Where the original is defined, or why it is not known.
    pub source: &'a str,
    pub bindings: &'a Bindings,
}

/// The default module name for a fix of `function`.
pub fn default_name(function: &str) -> String {
    let mut name = format!("fix_{function}");
    name.truncate(MODULE_NAME_MAX);
    name
}

/// Why `name` cannot be a module name, if it cannot.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MODULE_NAME_MAX {
        return Err(format!(
            "module name `{name}`: 1 to {MODULE_NAME_MAX} characters"
        ));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        || name.starts_with(|c: char| c.is_ascii_digit())
    {
        return Err(format!(
            "module name `{name}`: letters, digits and `_`, not starting with a digit"
        ));
    }
    Ok(())
}

/// The directory's `Kbuild`.
pub fn kbuild(name: &str) -> String {
    format!(
        "# SPDX-License-Identifier: GPL-2.0\n\
         obj-m += {name}.o\n\
         \n\
         include $(RUST_LIVEPATCH)/rust/livepatch/Kbuild.livepatch\n"
    )
}

/// A parameter or return type in Rust, and what to say about it.
struct Mapped {
    rust: String,
    /// Why it is not the obvious type (for the doc comment), if so.
    note: Option<String>,
}

/// Maps kernel types to Rust, collecting the `kernel::ffi` names used.
struct Mapper<'a> {
    bindings: &'a Bindings,
    ffi: BTreeSet<&'static str>,
    uses_bindings: bool,
}

impl Mapper<'_> {
    fn ffi(&mut self, name: &'static str) -> String {
        self.ffi.insert(name);
        name.to_string()
    }

    /// An integer: C's own names through `kernel::ffi`, typedefs (`u32`,
    /// `gfp_t`...) as the Rust integer of their size and sign.
    fn int(&mut self, t: &CType) -> Mapped {
        let base =
            t.c.trim_start_matches("const ")
                .trim_start_matches("volatile ");
        let ffi = match base {
            "char" => Some("c_char"),
            "signed char" => Some("c_schar"),
            "unsigned char" => Some("c_uchar"),
            "short int" | "short" => Some("c_short"),
            "short unsigned int" | "unsigned short" => Some("c_ushort"),
            "int" => Some("c_int"),
            "unsigned int" => Some("c_uint"),
            "long int" | "long" => Some("c_long"),
            "long unsigned int" | "unsigned long" => Some("c_ulong"),
            "long long int" | "long long" => Some("c_longlong"),
            "long long unsigned int" | "unsigned long long" => Some("c_ulonglong"),
            _ => None,
        };
        if let Some(f) = ffi.filter(|_| t.typedefs.is_empty()) {
            return Mapped {
                rust: self.ffi(f),
                note: None,
            };
        }
        let rust = format!(
            "{}{}",
            if t.signed { "i" } else { "u" },
            t.size.unwrap_or(0) * 8
        );
        let rust = match (t.size, t.typedefs.first().map(String::as_str)) {
            (Some(8), Some("size_t")) => "usize".to_string(),
            (Some(8), Some("ssize_t")) => "isize".to_string(),
            _ => rust,
        };
        let note = (base != rust).then(|| format!("`{}`", t.c));
        Mapped { rust, note }
    }

    /// A struct or union's name in `bindings`: its tag, or for an anonymous
    /// one the typedef bindgen names it after.
    fn aggregate_name(&self, t: &CType) -> Option<String> {
        let name = t.tag.clone().or_else(|| t.typedefs.last().cloned())?;
        self.bindings.has(&name).then_some(name)
    }

    fn map(&mut self, t: &CType) -> Mapped {
        let plain = |rust: &str| Mapped {
            rust: rust.to_string(),
            note: None,
        };
        match t.class {
            Class::Void => plain("()"),
            Class::Bool => plain("bool"),
            Class::Int => self.int(t),
            Class::Enum => {
                let rust = self.ffi(if t.signed { "c_int" } else { "c_uint" });
                let rust = if t.size == Some(4) {
                    rust
                } else {
                    format!(
                        "{}{}",
                        if t.signed { "i" } else { "u" },
                        t.size.unwrap_or(0) * 8
                    )
                };
                Mapped {
                    rust,
                    note: Some(format!("`{}`", t.c)),
                }
            }
            Class::Float => plain(if t.size == Some(4) { "f32" } else { "f64" }),
            Class::Struct | Class::Union => match self.aggregate_name(t) {
                Some(name) => {
                    self.uses_bindings = true;
                    let note = (t.typedefs.first().is_some_and(|td| *td != name))
                        .then(|| format!("`{}`", t.c));
                    Mapped {
                        rust: format!("bindings::{name}"),
                        note,
                    }
                }
                None => Mapped {
                    // By value there is no opaque stand-in: the build stops.
                    rust: format!("bindings::klp_new_unknown_{}_bytes", t.size.unwrap_or(0)),
                    note: Some(format!(
                        "`{}` passed by value, which `kernel::bindings` does not name: \
                         declare a `#[repr(C)]` type of the same layout",
                        t.c
                    )),
                },
            },
            Class::FnPointer => Mapped {
                rust: format!("*mut {}", self.ffi("c_void")),
                note: Some(format!("`{}`, a function pointer", t.c)),
            },
            Class::Pointer => self.pointer(t),
            Class::Array | Class::Opaque => Mapped {
                rust: format!("*mut {}", self.ffi("c_void")),
                note: Some(format!("`{}`", t.c)),
            },
        }
    }

    fn pointer(&mut self, t: &CType) -> Mapped {
        let Some(p) = t.pointee.as_deref() else {
            return Mapped {
                rust: format!("*mut {}", self.ffi("c_void")),
                note: None,
            };
        };
        let mutability = if p.c.starts_with("const ") {
            "*const"
        } else {
            "*mut"
        };
        let opaque = |m: &mut Self, why: String| Mapped {
            rust: format!("{mutability} {}", m.ffi("c_void")),
            note: Some(why),
        };
        match p.class {
            Class::Void => Mapped {
                rust: format!("{mutability} {}", self.ffi("c_void")),
                note: None,
            },
            Class::Struct | Class::Union | Class::Opaque => {
                match p.tag.clone().or_else(|| p.typedefs.last().cloned()) {
                    Some(name) if p.class != Class::Opaque && self.bindings.has(&name) => {
                        self.uses_bindings = true;
                        Mapped {
                            rust: format!("{mutability} bindings::{name}"),
                            note: None,
                        }
                    }
                    _ if p.class == Class::Opaque => {
                        opaque(self, format!("`{}`, a type the kernel only declares", t.c))
                    }
                    Some(_) => opaque(
                        self,
                        format!("`{}`, a type `kernel::bindings` does not have", t.c),
                    ),
                    None => opaque(self, format!("`{}`, an anonymous type", t.c)),
                }
            }
            Class::FnPointer | Class::Array => opaque(self, format!("`{}`", t.c)),
            _ => {
                let inner = self.map(p);
                Mapped {
                    rust: format!("{mutability} {}", inner.rust),
                    note: inner.note.map(|_| format!("`{}`", t.c)),
                }
            }
        }
    }
}

/// `type` -> `r#type`; names Rust cannot take even raw get a `_`.
fn rust_ident(name: &str, index: usize) -> String {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern",
        "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
        "pub", "ref", "return", "static", "struct", "trait", "true", "type", "unsafe", "use",
        "where", "while", "abstract", "become", "box", "do", "final", "gen", "macro", "override",
        "priv", "try", "typeof", "unsized", "virtual", "yield",
    ];
    if name.is_empty() {
        format!("arg{index}")
    } else if matches!(name, "self" | "Self" | "super" | "crate" | "_") {
        format!("{name}_")
    } else if KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_string()
    }
}

/// The patch module's source.
pub fn patch_source(p: &NewPatch<'_>) -> String {
    let sig = p.sig;
    let mut m = Mapper {
        bindings: p.bindings,
        ffi: BTreeSet::new(),
        uses_bindings: false,
    };
    let mut params = Vec::new();
    let mut notes = Vec::new();
    for (i, param) in sig.params.iter().enumerate() {
        let ident = rust_ident(&param.name, i + 1);
        let mapped = m.map(&param.ty);
        if let Some(n) = mapped.note {
            notes.push(format!("`{ident}` is {n}."));
        }
        params.push(format!("{ident}: {}", mapped.rust));
    }
    let ret = m.map(&sig.ret);
    if let Some(n) = &ret.note {
        notes.push(format!("The return value is {n}."));
    }
    let ret = if sig.ret.class == Class::Void {
        String::new()
    } else {
        format!(" -> {}", ret.rust)
    };
    let func = &sig.name;
    let object = p.object.unwrap_or("vmlinux");

    let mut s = String::new();
    s += "// SPDX-License-Identifier: GPL-2.0\n\n";
    s += &format!("//! Livepatch for `{func}()` ({object}).\n//!\n");
    s += &doc("//! ", &format!("The original: `{}`", sig.prototype()));
    s += &doc("//! ", &format!("Source: {}", p.source));
    s += "//!\n";
    s += &doc(
        "//! ",
        &format!(
            "Generated by `klp new` from {}: the signature below is the kernel's, keep it \
             exactly (`klp` checks it against the kernel's BTF).",
            p.btf_source
        ),
    );
    s += "\n";
    // The module's name is its file's (`name = ...` may only repeat it).
    let description = format!("description = \"Livepatch for {func}()\"");
    let args = format!("{description}, license = \"GPL\"");
    // rustfmt's `attr_fn_like_width`: arguments up to 70 columns on one line.
    if args.len() <= 70 {
        s += &format!("#[livepatch::patch({args})]\n");
    } else {
        s += &format!("#[livepatch::patch(\n    {description},\n    license = \"GPL\"\n)]\n");
    }
    s += "mod fix {\n";
    s += &use_line(m.uses_bindings, &m.ffi);
    s += &format!("    /// Replaces `{func}()`.\n");
    if !notes.is_empty() {
        s += "    ///\n";
        for n in &notes {
            s += &doc("    /// ", n);
        }
    }
    s += &doc(
        "    // ",
        &format!(
            "SAFETY: the signature of `{}`, as the kernel's BTF ({}) gives it; `klp build` \
             and `klp load` check it against BTF again.",
            sig.prototype(),
            p.btf_source
        ),
    );
    s += &match p.object {
        None => "    #[unsafe(livepatch)]\n".to_string(),
        Some(o) => format!("    #[unsafe(livepatch(object = \"{o}\"))]\n"),
    };
    let one_line = format!(
        "    unsafe extern \"C\" fn {func}({}){ret} {{",
        params.join(", ")
    );
    if one_line.len() <= 100 {
        s += &one_line;
        s += "\n";
    } else {
        s += &format!("    unsafe extern \"C\" fn {func}(\n");
        for p in &params {
            s += &format!("        {p},\n");
        }
        s += &format!("    ){ret} {{\n");
    }
    s += &format!(
        "        compile_error!(\"write the fix for {func} here, then remove this line\")\n"
    );
    s += "    }\n}\n";
    s
}

/// `text` as comment lines starting with `prefix`, wrapped at 100 columns.
fn doc(prefix: &str, text: &str) -> String {
    let mut out = String::new();
    let mut line = String::from(prefix);
    // A `code span` is not broken.
    let mut words: Vec<String> = Vec::new();
    for w in text.split(' ') {
        match words.last_mut() {
            Some(last) if last.matches('`').count() % 2 == 1 => {
                last.push(' ');
                last.push_str(w);
            }
            _ => words.push(w.to_string()),
        }
    }
    for word in &words {
        if line.len() > prefix.len() && line.len() + 1 + word.len() > 100 {
            out += line.trim_end();
            out += "\n";
            line = String::from(prefix);
        }
        if line.len() > prefix.len() {
            line.push(' ');
        }
        line += word.as_str();
    }
    out += line.trim_end();
    out + "\n"
}

/// `use kernel::{bindings, ffi::{...}};` as rustfmt lays it out.
fn use_line(bindings: bool, ffi: &BTreeSet<&'static str>) -> String {
    let ffi: Vec<&str> = ffi.iter().copied().collect();
    let ffi_part = match ffi.len() {
        0 => None,
        1 => Some(format!("ffi::{}", ffi[0])),
        _ => Some(format!("ffi::{{{}}}", ffi.join(", "))),
    };
    let items: Vec<String> = bindings
        .then(|| "bindings".to_string())
        .into_iter()
        .chain(ffi_part)
        .collect();
    let line = match items.len() {
        0 => return String::new(),
        1 => format!("    use kernel::{};\n", items[0]),
        // rustfmt lays a list holding a nested list out vertically.
        _ if ffi.len() > 1 => format!(
            "    use kernel::{{\n        {},\n    }};\n",
            items.join(",\n        ")
        ),
        _ => format!("    use kernel::{{{}}};\n", items.join(", ")),
    };
    line + "\n"
}

#[cfg(test)]
mod tests;
