//! What a Rust livepatch module declares about its replacements' signatures:
//! records the `#[livepatch]` macro writes into the module, read back here
//! to be compared with the kernel's BTF ([`crate::compare`]).
//!
//! # The record format (version 1)
//!
//! Records live in the section [`SECTION`] (`.note.rust_livepatch.signatures`),
//! a `SHT_PROGBITS` section *without* `SHF_ALLOC`: the linker keeps it in the
//! `.ko`, the kernel does not load it, `strip --strip-debug` keeps it, and
//! modpost accepts a non-allocated section named `.note*` without a warning. The macro emits one record per
//! replacement with `core::arch::global_asm!`; records follow each other with
//! no alignment or padding (`ld -r` may concatenate several crates'), in the
//! byte order of the target (the ELF header's). Strings are NUL-terminated
//! (`.asciz`) UTF-8; in the asm string, `\` and `"` are escaped with `\`, and
//! `{`/`}` doubled (format syntax of `global_asm!`).
//!
//! ```text
//!     .pushsection .note.rust_livepatch.signatures,"",@progbits
//!     .ascii "RLPS"          magic
//!     .byte 1                version
//!     .byte FLAGS            bit 0: unchecked (see below); others 0
//!     .short NPARAMS         number of parameters
//!     .long 3f - 2f          length of the body (from 2: to 3:)
//! 2:
//!     .asciz "OBJECT"        "vmlinux" or the target module's name
//!     .asciz "TARGET"        the C function replaced
//!     .long SYMPOS           the `sympos` given (0: none)
//!     .asciz "REPLACEMENT"   the Rust function's name
//!     TYPE                   the return type (`()` when there is none)
//!     NPARAMS times:
//!       .asciz "PARAM"       the parameter's name as written (`_v`, `_`)
//!       TYPE
//! 3:
//!     .popsection
//!
//! TYPE:
//!     .byte CLASS            see below
//!     .byte SIGNED           0 or 1
//!     .byte POINTEE_CLASS    a pointer written `*mut T` / `*const T`: T's
//!                            CLASS; otherwise 255 (unknown)
//!     .byte 0                reserved
//!     .long SIZE             core::mem::size_of::<Type>() (0 for `()`)
//!     .long POINTEE_SIZE     `*mut T` / `*const T`: size_of::<T>();
//!                            otherwise 0xffffffff (unknown)
//!     .asciz "SPELLING"      the type as written: `*mut bindings::seq_file`
//!     .asciz "NAME"          `*mut T` / `*const T` with T a path: T's last
//!                            segment (`seq_file`, `c_void`); a path type
//!                            by value: its last segment (`kuid_t`,
//!                            `c_int`); otherwise ""
//! ```
//!
//! CLASS values: 0 void (`()`, and `c_void` as a pointee), 1 bool, 2
//! integer, 3 pointer, 4 function pointer (`unsafe extern "C" fn`, or an
//! `Option` of one), 5 floating point, 6 struct or union by value (any type
//! the in-kernel crate's classifying trait does not know), 255 unknown.
//! CLASS, SIGNED and POINTEE_CLASS are computed at compile time by that trait
//! (`const` operands of `global_asm!`); the strings are what the macro reads
//! from the tokens.
//!
//! FLAGS bit 0, *unchecked*, is the per-function override: the target may be
//! absent from BTF (or ambiguous in it) and the module still passes; its
//! signature is then the author's word. A mismatch with a prototype BTF does
//! have is never overridden.
//!
//! A record of another version is skipped whole (its length says how far)
//! and reported, so an older `klp` does not misread a newer module.

use object::{Object, ObjectSection};

/// The section holding the records.
pub const SECTION: &str = ".note.rust_livepatch.signatures";
/// Each record starts with these bytes.
pub const MAGIC: &[u8; 4] = b"RLPS";
/// The record version this reader knows.
pub const VERSION: u8 = 1;
/// FLAGS bit: the target may be absent from BTF.
pub const FLAG_UNCHECKED: u8 = 1;

/// A CLASS byte of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RClass {
    Void,
    Bool,
    Int,
    Pointer,
    FnPointer,
    Float,
    Aggregate,
    Unknown,
}

impl RClass {
    pub fn from_byte(b: u8) -> Result<RClass, String> {
        Ok(match b {
            0 => RClass::Void,
            1 => RClass::Bool,
            2 => RClass::Int,
            3 => RClass::Pointer,
            4 => RClass::FnPointer,
            5 => RClass::Float,
            6 => RClass::Aggregate,
            255 => RClass::Unknown,
            b => return Err(format!("unknown type class {b}")),
        })
    }

    pub fn to_byte(self) -> u8 {
        match self {
            RClass::Void => 0,
            RClass::Bool => 1,
            RClass::Int => 2,
            RClass::Pointer => 3,
            RClass::FnPointer => 4,
            RClass::Float => 5,
            RClass::Aggregate => 6,
            RClass::Unknown => 255,
        }
    }
}

/// A Rust type as the record describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RustType {
    pub class: RClass,
    pub signed: bool,
    pub size: u32,
    /// A pointer written `*mut T`: T's class; `None` when unknown.
    pub pointee_class: Option<RClass>,
    /// A pointer written `*mut T`: `size_of::<T>()`; `None` when unknown.
    pub pointee_size: Option<u32>,
    /// The type as written.
    pub spelling: String,
    /// The pointee's (pointer) or the type's (by value) last path segment.
    pub name: String,
}

/// One replacement's declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub object: String,
    pub target: String,
    pub sympos: u32,
    pub replacement: String,
    /// The per-function override: the target may be absent from BTF.
    pub unchecked: bool,
    pub ret: RustType,
    pub params: Vec<(String, RustType)>,
}

impl Declared {
    /// How messages name the target: `func`, or `module:func`.
    pub fn label(&self) -> String {
        if self.object == "vmlinux" {
            self.target.clone()
        } else {
            format!("{}:{}", self.object, self.target)
        }
    }
}

/// The records of a module and what could not be read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Records {
    pub declared: Vec<Declared>,
    /// Records skipped (another version), for the operator.
    pub skipped: Vec<String>,
}

/// Reads the records of an ELF file; `Ok(None)` when it has no [`SECTION`]
/// (a module built before the records existed, or a C module).
pub fn read(file: &object::File<'_>) -> Result<Option<Records>, String> {
    let Some(section) = file.section_by_name(SECTION) else {
        return Ok(None);
    };
    let data = section
        .data()
        .map_err(|e| format!("unreadable {SECTION}: {e}"))?;
    parse(data, !file.is_little_endian()).map(Some)
}

/// Parses the contents of [`SECTION`].
pub fn parse(data: &[u8], big_endian: bool) -> Result<Records, String> {
    let mut records = Records::default();
    let mut r = Reader {
        data,
        at: 0,
        big_endian,
    };
    while r.at < data.len() {
        let start = r.at;
        let fail = |e: String| format!("{SECTION}: record at offset {start}: {e}");
        if r.bytes(4).map_err(fail)? != MAGIC {
            return Err(fail("bad magic (expected \"RLPS\")".into()));
        }
        let version = r.u8().map_err(fail)?;
        let flags = r.u8().map_err(fail)?;
        let nparams = r.u16().map_err(fail)?;
        let len = r.u32().map_err(fail)? as usize;
        let body_start = r.at;
        let body_end = body_start
            .checked_add(len)
            .filter(|e| *e <= data.len())
            .ok_or_else(|| fail(format!("body of {len} bytes runs past the section")))?;
        if version != VERSION {
            records.skipped.push(format!(
                "record at offset {start} has version {version}; this klp reads version \
                 {VERSION}: update klp"
            ));
            r.at = body_end;
            continue;
        }
        let mut body = Reader {
            data: &data[..body_end],
            at: body_start,
            big_endian,
        };
        let d = body.declared(flags, nparams).map_err(fail)?;
        if body.at != body_end {
            return Err(fail(format!(
                "{} bytes left after the last parameter",
                body_end - body.at
            )));
        }
        records.declared.push(d);
        r.at = body_end;
    }
    Ok(records)
}

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
    big_endian: bool,
}

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], String> {
        let b = self
            .data
            .get(self.at..self.at + n)
            .ok_or_else(|| "truncated".to_string())?;
        self.at += n;
        Ok(b)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.bytes(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, String> {
        let b: [u8; 2] = self.bytes(2)?.try_into().unwrap();
        Ok(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b: [u8; 4] = self.bytes(4)?.try_into().unwrap();
        Ok(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    fn string(&mut self) -> Result<String, String> {
        let rest = &self.data[self.at.min(self.data.len())..];
        let n = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or("unterminated string")?;
        let s = std::str::from_utf8(&rest[..n]).map_err(|_| "a string is not UTF-8")?;
        self.at += n + 1;
        Ok(s.to_string())
    }

    fn ty(&mut self) -> Result<RustType, String> {
        let class = RClass::from_byte(self.u8()?)?;
        let signed = self.u8()? != 0;
        let pointee_class = match RClass::from_byte(self.u8()?)? {
            RClass::Unknown => None,
            c => Some(c),
        };
        let _reserved = self.u8()?;
        let size = self.u32()?;
        let pointee_size = Some(self.u32()?).filter(|s| *s != u32::MAX);
        Ok(RustType {
            class,
            signed,
            size,
            pointee_class,
            pointee_size,
            spelling: self.string()?,
            name: self.string()?,
        })
    }

    fn declared(&mut self, flags: u8, nparams: u16) -> Result<Declared, String> {
        let object = self.string()?;
        let target = self.string()?;
        let sympos = self.u32()?;
        let replacement = self.string()?;
        let ret = self.ty()?;
        let mut params = Vec::new();
        for _ in 0..nparams {
            let name = self.string()?;
            params.push((name, self.ty()?));
        }
        Ok(Declared {
            object,
            target,
            sympos,
            replacement,
            unchecked: flags & FLAG_UNCHECKED != 0,
            ret,
            params,
        })
    }
}

/// Writes records in the format above (the reader's tests, and a reference
/// for the macro's output).
pub fn write(declared: &[Declared], big_endian: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let u16b = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u32b = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let string = |b: &mut Vec<u8>, s: &str| {
        b.extend_from_slice(s.as_bytes());
        b.push(0);
    };
    let ty = |b: &mut Vec<u8>, t: &RustType| {
        b.push(t.class.to_byte());
        b.push(t.signed as u8);
        b.push(t.pointee_class.unwrap_or(RClass::Unknown).to_byte());
        b.push(0);
        b.extend_from_slice(&u32b(t.size));
        b.extend_from_slice(&u32b(t.pointee_size.unwrap_or(u32::MAX)));
        string(b, &t.spelling);
        string(b, &t.name);
    };
    for d in declared {
        let mut body = Vec::new();
        string(&mut body, &d.object);
        string(&mut body, &d.target);
        body.extend_from_slice(&u32b(d.sympos));
        string(&mut body, &d.replacement);
        ty(&mut body, &d.ret);
        for (name, t) in &d.params {
            string(&mut body, name);
            ty(&mut body, t);
        }
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.push(if d.unchecked { FLAG_UNCHECKED } else { 0 });
        out.extend_from_slice(&u16b(d.params.len() as u16));
        out.extend_from_slice(&u32b(body.len() as u32));
        out.extend_from_slice(&body);
    }
    out
}

#[cfg(test)]
mod tests;
