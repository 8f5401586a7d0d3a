//! The livepatch descriptors of a module file, recovered from its data and
//! relocations.
//!
//! A livepatch module holds, as initialised data, one `struct klp_patch`, an
//! array of `struct klp_object` and, per object, an array of `struct
//! klp_func`. Their sizes depend on the kernel configuration (they embed
//! `kobject`s...), but their first fields do not (the "external" part of
//! `include/linux/livepatch.h`, 64-bit layout):
//!
//! ```text
//! klp_func   { +0 old_name: char*, +8 new_func: void*, +16 old_sympos: ulong, ... }
//! klp_object { +0 name: char* (NULL: vmlinux), +8 funcs: klp_func*, ... }
//! klp_patch  { +0 mod: module*, +8 objs: klp_object*, +16 states, +24 replace: bool, ... }
//! ```
//!
//! In a `.ko` (a relocatable object) pointers are 0 in the section data and
//! set by 64-bit absolute relocations. So, without knowing the struct sizes:
//! - a **function** is a place with a pointer to a C string at +0 and a
//!   pointer into code at +8;
//! - an **object** is a place whose +8 points to a function (the start of
//!   its array) or to an empty array (a bare terminator), with a string or
//!   NULL at +0;
//! - the **patch** is a place whose +8 points to an object, with NULL or
//!   `__this_module` at +0 (the Rust crate sets `mod` at run time, C
//!   initialises it).
//!
//! An array is its first element and the candidates that follow at a
//! constant stride (the struct size, unknown in advance) up to an all-zero
//! terminator. This is a reading of the data, not of the code: a module
//! that builds its descriptors at run time shows none, and it assumes a
//! 64-bit target.

use object::{
    Object, ObjectSection, ObjectSymbol, RelocationKind, RelocationTarget, SectionIndex,
    SectionKind, SymbolKind,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// What a livepatch module patches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Descriptors {
    /// `klp_patch.replace` (atomic replace of all earlier patches).
    pub replace: bool,
    pub objects: Vec<ObjectDesc>,
}

/// A patched object: `vmlinux` or a module name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectDesc {
    pub name: String,
    pub functions: Vec<FuncDesc>,
}

/// A patched function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FuncDesc {
    /// `old_name`: the function replaced.
    pub name: String,
    /// `old_sympos` (0: the name must be unique in the object).
    pub sympos: u64,
    /// The replacement's symbol in the module, when it has one.
    pub replacement: Option<String>,
}

/// A place in the file: section index and offset.
type Loc = (usize, u64);

/// Where a 64-bit pointer points.
struct Target {
    loc: Option<Loc>,
    /// The symbol name, unless the relocation is against a section.
    symbol: Option<String>,
}

/// The descriptors of the patch in `file`, or `None` if none is found.
pub fn find(file: &object::File) -> Option<Descriptors> {
    let reader = Reader::new(file);
    let funcs: BTreeMap<Loc, FuncDesc> = reader
        .pointers
        .keys()
        .filter_map(|&loc| Some((loc, reader.func_at(loc)?)))
        .collect();
    // An object's funcs point to a function, or to an empty array (a bare
    // terminator, often in .bss): an object with callbacks only.
    let objects: BTreeMap<Loc, (String, Option<Loc>)> = reader
        .pointers
        .iter()
        .filter_map(|(&(sec, off), t)| {
            let target = t.loc?;
            let first_func = if funcs.contains_key(&target) {
                Some(target)
            } else if reader.is_terminator(target) {
                None
            } else {
                return None;
            };
            let at = (sec, off.checked_sub(8)?);
            Some((at, (reader.object_name(at)?, first_func)))
        })
        .collect();
    let (patch, objs_start) = reader.pointers.iter().find_map(|(&(sec, off), t)| {
        let objs = t.loc.filter(|l| objects.contains_key(l))?;
        let at = (sec, off.checked_sub(8)?);
        reader.is_patch_mod(at).then_some((at, objs))
    })?;
    let objects = reader
        .array(&objects, objs_start)
        .into_iter()
        .map(|loc| {
            let (name, first_func) = &objects[&loc];
            let functions = first_func.map_or_else(Vec::new, |start| {
                reader
                    .array(&funcs, start)
                    .iter()
                    .map(|l| funcs[l].clone())
                    .collect()
            });
            ObjectDesc {
                name: name.clone(),
                functions,
            }
        })
        .collect();
    Some(Descriptors {
        replace: reader.byte((patch.0, patch.1 + 24)).is_some_and(|b| b != 0),
        objects,
    })
}

/// The file with its 64-bit absolute relocations indexed by place.
struct Reader<'a, 'f> {
    file: &'a object::File<'f>,
    pointers: BTreeMap<Loc, Target>,
}

impl<'a, 'f> Reader<'a, 'f> {
    fn new(file: &'a object::File<'f>) -> Self {
        let mut pointers = BTreeMap::new();
        for section in file.sections() {
            if section.kind() == SectionKind::Text {
                continue;
            }
            for (offset, rel) in section.relocations() {
                if rel.kind() != RelocationKind::Absolute || rel.size() != 64 {
                    continue;
                }
                let target = match rel.target() {
                    RelocationTarget::Symbol(i) => match file.symbol_by_index(i) {
                        Ok(sym) => Target {
                            loc: sym
                                .section_index()
                                .map(|s| (s.0, sym.address().wrapping_add_signed(rel.addend()))),
                            symbol: (sym.kind() != SymbolKind::Section)
                                .then(|| sym.name().unwrap_or("").to_string()),
                        },
                        Err(_) => continue,
                    },
                    RelocationTarget::Section(s) => Target {
                        loc: Some((s.0, rel.addend() as u64)),
                        symbol: None,
                    },
                    _ => continue,
                };
                pointers.insert((section.index().0, offset), target);
            }
        }
        Reader { file, pointers }
    }

    /// The elements of the array starting at `start`: the `candidates`
    /// that follow it at a constant stride (the distance to the next
    /// candidate), as long as an all-zero terminator ends them; else only
    /// `start` (a one-element array followed by unrelated data).
    fn array<T>(&self, candidates: &BTreeMap<Loc, T>, start: Loc) -> Vec<Loc> {
        let mut next = candidates
            .range((start.0, start.1 + 1)..(start.0 + 1, 0))
            .map(|(l, _)| *l);
        let Some(second) = next.next() else {
            return vec![start];
        };
        let stride = second.1 - start.1;
        let mut out = vec![start, second];
        for loc in next {
            if loc.1 != out[out.len() - 1].1 + stride {
                break;
            }
            out.push(loc);
        }
        let last = out[out.len() - 1];
        if !self.is_terminator((last.0, last.1 + stride)) {
            out.truncate(1);
        }
        out
    }

    /// An array terminator at `loc`: its first two pointers are NULL.
    fn is_terminator(&self, (sec, off): Loc) -> bool {
        if self.pointers.contains_key(&(sec, off)) || self.pointers.contains_key(&(sec, off + 8)) {
            return false;
        }
        match self.file.section_by_index(SectionIndex(sec)) {
            Ok(s) if s.kind() == SectionKind::UninitializedData => off + 16 <= s.size(),
            Ok(_) => self
                .bytes((sec, off), 16)
                .is_some_and(|b| b.iter().all(|&x| x == 0)),
            Err(_) => false,
        }
    }

    /// A `klp_func` at `loc`: a string at +0, code at +8.
    fn func_at(&self, (sec, off): Loc) -> Option<FuncDesc> {
        let name = self.c_string(self.pointers.get(&(sec, off))?)?;
        let new = self.pointers.get(&(sec, off + 8))?;
        let (code_sec, code_off) = new.loc?;
        if self
            .file
            .section_by_index(SectionIndex(code_sec))
            .ok()?
            .kind()
            != SectionKind::Text
        {
            return None;
        }
        Some(FuncDesc {
            name,
            sympos: self.u64_at((sec, off + 16)).unwrap_or(0),
            replacement: new
                .symbol
                .clone()
                .filter(|s| !s.is_empty())
                .or_else(|| self.function_symbol((code_sec, code_off))),
        })
    }

    /// A `klp_object` name at `loc`: a string, or NULL (vmlinux).
    fn object_name(&self, loc: Loc) -> Option<String> {
        match self.pointers.get(&loc) {
            Some(t) => self.c_string(t),
            None => self.is_null(loc).then(|| "vmlinux".to_string()),
        }
    }

    /// `klp_patch.mod` at `loc`: NULL (set at run time) or `__this_module`.
    fn is_patch_mod(&self, loc: Loc) -> bool {
        match self.pointers.get(&loc) {
            Some(t) => t.symbol.as_deref() == Some("__this_module"),
            None => self.is_null(loc),
        }
    }

    /// The NUL-terminated string a pointer targets, if it is one in
    /// read-only data (symbol names: printable, shorter than KSYM_NAME_LEN).
    fn c_string(&self, t: &Target) -> Option<String> {
        let (sec, off) = t.loc?;
        let section = self.file.section_by_index(SectionIndex(sec)).ok()?;
        if !matches!(
            section.kind(),
            SectionKind::ReadOnlyData | SectionKind::ReadOnlyString
        ) {
            return None;
        }
        let data = section.data().ok()?.get(usize::try_from(off).ok()?..)?;
        let bytes = &data[..data.iter().position(|&b| b == 0)?];
        let s = std::str::from_utf8(bytes).ok()?;
        (!s.is_empty() && s.len() < 512 && s.chars().all(|c| c.is_ascii_graphic()))
            .then(|| s.to_string())
    }

    fn function_symbol(&self, (sec, off): Loc) -> Option<String> {
        self.file
            .symbols()
            .find(|s| {
                s.kind() == SymbolKind::Text
                    && s.section_index() == Some(SectionIndex(sec))
                    && s.address() == off
            })
            .and_then(|s| s.name().ok().map(str::to_string))
    }

    fn bytes(&self, (sec, off): Loc, len: usize) -> Option<&[u8]> {
        let data = self
            .file
            .section_by_index(SectionIndex(sec))
            .ok()?
            .data()
            .ok()?;
        let start = usize::try_from(off).ok()?;
        data.get(start..start.checked_add(len)?)
    }

    fn u64_at(&self, loc: Loc) -> Option<u64> {
        let b: [u8; 8] = self.bytes(loc, 8)?.try_into().ok()?;
        Some(if self.file.is_little_endian() {
            u64::from_le_bytes(b)
        } else {
            u64::from_be_bytes(b)
        })
    }

    fn byte(&self, loc: Loc) -> Option<u8> {
        self.bytes(loc, 1).map(|b| b[0])
    }

    fn is_null(&self, loc: Loc) -> bool {
        self.u64_at(loc) == Some(0)
    }
}

#[cfg(test)]
mod tests;
