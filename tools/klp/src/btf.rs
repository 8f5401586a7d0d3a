//! A reader of BTF, the BPF Type Format (`include/uapi/linux/btf.h`,
//! `Documentation/bpf/btf.rst`): the kernel's own description of its types
//! and function prototypes, in `/sys/kernel/btf/vmlinux`, in
//! `/sys/kernel/btf/<module>` and in the `.BTF` section of a `vmlinux` or a
//! `.ko` built with `CONFIG_DEBUG_INFO_BTF(_MODULES)`.
//!
//! Only what `klp` needs is decoded: the type table (every kind, so any type
//! id can be followed) and the string table. A module's BTF is *split* BTF:
//! its type ids continue the base's (vmlinux) and its string offsets too, so
//! a split [`Btf`] keeps its base and looks ids and names up in either.
//!
//! Kinds newer than this reader (above [`Kind::Enum64`]) are skipped through
//! the header's layout section when the file has one (Linux 7.x encoders
//! write it for that purpose); without it such a file is refused with a
//! clear error rather than misread.
//!
//! Both byte orders are read (the magic tells which).

use object::{Object, ObjectSection};
use std::sync::Arc;

/// The BTF magic, as written by a little-endian encoder.
const MAGIC: u16 = 0xeb9f;
/// `sizeof(struct btf_header)` without the layout fields (Linux < 7.0).
const HEADER_LEN_V1: usize = 24;
/// `sizeof(struct btf_header)` with `layout_off` and `layout_len`.
const HEADER_LEN_LAYOUT: usize = 32;
/// `sizeof(struct btf_type)`.
const TYPE_LEN: usize = 12;

/// Why BTF could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BtfError {
    #[error("not BTF: bad magic {0:#06x} (expected 0xeb9f)")]
    Magic(u16),
    #[error("unsupported BTF version {0} (klp reads version 1)")]
    Version(u8),
    #[error("truncated BTF: {0}")]
    Truncated(&'static str),
    #[error("corrupt BTF: {0}")]
    Corrupt(String),
    #[error(
        "BTF type id {id} has kind {kind}, which this klp does not know, and the file has \
         no layout section to skip it: update klp"
    )]
    UnknownKind { id: u32, kind: u8 },
    #[error("no .BTF section: the file was built without BTF (CONFIG_DEBUG_INFO_BTF)")]
    NoSection,
    #[error("the .BTF section is compressed: decompress the file first")]
    Compressed,
    #[error("not an ELF file: {0}")]
    Elf(String),
}

/// A BTF kind (`BTF_KIND_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Ptr,
    Array,
    Struct,
    Union,
    Enum,
    Fwd,
    Typedef,
    Volatile,
    Const,
    Restrict,
    Func,
    FuncProto,
    Var,
    Datasec,
    Float,
    DeclTag,
    TypeTag,
    Enum64,
    /// A kind newer than this reader, skipped through the layout section.
    Unknown(u8),
}

impl Kind {
    fn from_raw(k: u8) -> Kind {
        use Kind::*;
        match k {
            1 => Int,
            2 => Ptr,
            3 => Array,
            4 => Struct,
            5 => Union,
            6 => Enum,
            7 => Fwd,
            8 => Typedef,
            9 => Volatile,
            10 => Const,
            11 => Restrict,
            12 => Func,
            13 => FuncProto,
            14 => Var,
            15 => Datasec,
            16 => Float,
            17 => DeclTag,
            18 => TypeTag,
            19 => Enum64,
            k => Unknown(k),
        }
    }

    /// Bytes after `struct btf_type`: a fixed part and one element per vlen.
    fn trailer(self) -> Option<(usize, usize)> {
        use Kind::*;
        Some(match self {
            Ptr | Fwd | Typedef | Volatile | Const | Restrict | Func | Float | TypeTag => (0, 0),
            Int => (4, 0),
            Array => (12, 0),
            Struct | Union => (0, 12),
            Enum => (0, 8),
            FuncProto => (0, 8),
            Var => (4, 0),
            Datasec => (0, 12),
            DeclTag => (4, 0),
            Enum64 => (0, 12),
            Unknown(_) => return None,
        })
    }
}

/// Function linkage, the vlen of a `BTF_KIND_FUNC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linkage {
    Static,
    Global,
    Extern,
    Other(u32),
}

/// `BTF_KIND_INT`'s encoding word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntEncoding {
    pub signed: bool,
    pub char: bool,
    pub bool: bool,
    pub bits: u8,
}

/// One entry of the type table, borrowed from its [`Btf`].
#[derive(Debug, Clone, Copy)]
pub struct Type<'a> {
    pub id: u32,
    pub kind: Kind,
    /// The name, `""` for anonymous types.
    pub name: &'a str,
    pub vlen: u32,
    pub kflag: bool,
    /// `size` or `type`, depending on the kind.
    size_or_type: u32,
    /// The bytes after `struct btf_type`.
    trailer: &'a [u8],
    big_endian: bool,
}

impl<'a> Type<'a> {
    /// The byte size of an int, float, struct, union, enum, enum64.
    pub fn size(&self) -> u32 {
        self.size_or_type
    }

    /// The type a ptr, typedef, const, volatile, restrict, type tag, func,
    /// var or decl tag refers to; a func proto's return type.
    pub fn target(&self) -> u32 {
        self.size_or_type
    }

    fn word(&self, at: usize) -> u32 {
        read_u32(self.trailer, at, self.big_endian).unwrap_or(0)
    }

    /// An int's encoding.
    pub fn int_encoding(&self) -> IntEncoding {
        let v = self.word(0);
        IntEncoding {
            signed: (v >> 24) & 1 != 0,
            char: (v >> 24) & 2 != 0,
            bool: (v >> 24) & 4 != 0,
            bits: (v & 0xff) as u8,
        }
    }

    /// A func's linkage.
    pub fn linkage(&self) -> Linkage {
        match self.vlen {
            0 => Linkage::Static,
            1 => Linkage::Global,
            2 => Linkage::Extern,
            n => Linkage::Other(n),
        }
    }

    /// An array's element type and number of elements.
    pub fn array(&self) -> (u32, u32) {
        (self.word(0), self.word(8))
    }

    /// A func proto's parameters: (name offset, type id); a trailing
    /// `(0, 0)` means `...`.
    pub fn raw_params(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        (0..self.vlen as usize).map(|i| (self.word(i * 8), self.word(i * 8 + 4)))
    }

    /// An enum's or enum64's signedness (kind flag).
    pub fn enum_signed(&self) -> bool {
        self.kflag
    }
}

/// Parsed BTF: a base (vmlinux) or a split (module) on top of its base.
#[derive(Debug)]
pub struct Btf {
    data: Vec<u8>,
    big_endian: bool,
    /// Byte range of the type section in `data`.
    types: (usize, usize),
    /// Byte range of the string section in `data`.
    strings: (usize, usize),
    /// Per kind number: (fixed trailer, per-vlen element) from the layout
    /// section, for kinds this reader does not know.
    layout: Vec<(usize, usize)>,
    /// Offset in `data` of each type record; `offsets[0]` is type id
    /// `first_id`.
    offsets: Vec<usize>,
    /// The id of this BTF's first type: 1 for a base, the base's next id for
    /// a split.
    first_id: u32,
    /// The string offset this BTF's own string section starts at.
    first_str: u32,
    base: Option<Arc<Btf>>,
}

fn read_u16(d: &[u8], at: usize, be: bool) -> Option<u16> {
    let b: [u8; 2] = d.get(at..at + 2)?.try_into().ok()?;
    Some(if be {
        u16::from_be_bytes(b)
    } else {
        u16::from_le_bytes(b)
    })
}

fn read_u32(d: &[u8], at: usize, be: bool) -> Option<u32> {
    let b: [u8; 4] = d.get(at..at + 4)?.try_into().ok()?;
    Some(if be {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    })
}

impl Btf {
    /// Parses base BTF (e.g. `/sys/kernel/btf/vmlinux`).
    pub fn parse(data: Vec<u8>) -> Result<Btf, BtfError> {
        Self::parse_with(data, None)
    }

    /// Parses split BTF (e.g. `/sys/kernel/btf/<module>`) over `base`.
    pub fn parse_split(data: Vec<u8>, base: Arc<Btf>) -> Result<Btf, BtfError> {
        Self::parse_with(data, Some(base))
    }

    /// Parses the `.BTF` section of an ELF file: a `vmlinux` (no base) or a
    /// `.ko` (split: pass the vmlinux BTF it was built against).
    ///
    /// A module built out of tree has its own base, `.BTF.base` (the
    /// "distilled" base: only the vmlinux types it refers to, which the
    /// kernel maps onto its own when the module loads); its `.BTF` is split
    /// over that one, so `base` is not used.
    pub fn from_elf(elf: &[u8], base: Option<Arc<Btf>>) -> Result<Btf, BtfError> {
        let file = object::File::parse(elf).map_err(|e| BtfError::Elf(e.to_string()))?;
        let section_data = |name: &str| -> Result<Option<Vec<u8>>, BtfError> {
            let Some(section) = file.section_by_name(name) else {
                return Ok(None);
            };
            if !matches!(
                section.compressed_file_range().map(|r| r.format),
                Ok(object::CompressionFormat::None)
            ) {
                return Err(BtfError::Compressed);
            }
            let data = section
                .data()
                .map_err(|e| BtfError::Elf(format!("unreadable {name} section: {e}")))?;
            Ok(Some(data.to_vec()))
        };
        let data = section_data(".BTF")?.ok_or(BtfError::NoSection)?;
        let base = match section_data(".BTF.base")? {
            Some(distilled) => Some(Arc::new(Self::parse_with(distilled, None)?)),
            None => base,
        };
        Self::parse_with(data, base)
    }

    /// Reads raw BTF (`/sys/kernel/btf/...`) or an ELF file's `.BTF` (see
    /// [`Btf::from_elf`]), split over `base` when given.
    pub fn from_bytes(data: Vec<u8>, base: Option<Arc<Btf>>) -> Result<Btf, BtfError> {
        if data.starts_with(b"\x7fELF") {
            Self::from_elf(&data, base)
        } else {
            Self::parse_with(data, base)
        }
    }

    fn parse_with(data: Vec<u8>, base: Option<Arc<Btf>>) -> Result<Btf, BtfError> {
        let magic_le = read_u16(&data, 0, false).ok_or(BtfError::Truncated("no header"))?;
        let big_endian = match magic_le {
            MAGIC => false,
            m if m == MAGIC.swap_bytes() => true,
            m => return Err(BtfError::Magic(m)),
        };
        let be = big_endian;
        if data.len() < HEADER_LEN_V1 {
            return Err(BtfError::Truncated("header"));
        }
        if data[2] != 1 {
            return Err(BtfError::Version(data[2]));
        }
        let word = |at| read_u32(&data, at, be).ok_or(BtfError::Truncated("header"));
        let hdr_len = word(4)? as usize;
        if hdr_len < HEADER_LEN_V1 || hdr_len > data.len() {
            return Err(BtfError::Corrupt(format!("header length {hdr_len}")));
        }
        let section = |off: u32, len: u32, what: &str| {
            let start = hdr_len
                .checked_add(off as usize)
                .filter(|s| *s <= data.len());
            let end = start.and_then(|s| s.checked_add(len as usize));
            match (start, end) {
                (Some(s), Some(e)) if e <= data.len() => Ok((s, e)),
                _ => Err(BtfError::Corrupt(format!(
                    "{what} section ({off}+{len}) is outside the data"
                ))),
            }
        };
        let types = section(word(8)?, word(12)?, "type")?;
        let strings = section(word(16)?, word(20)?, "string")?;
        let mut layout = Vec::new();
        if hdr_len >= HEADER_LEN_LAYOUT {
            let (start, end) = section(word(24)?, word(28)?, "layout")?;
            layout = data[start..end]
                .chunks_exact(4)
                .map(|l| (l[0] as usize, l[1] as usize))
                .collect();
        }
        let (first_id, first_str) = match &base {
            None => (1, 0),
            Some(b) => (b.next_id(), b.next_str()),
        };
        let mut btf = Btf {
            data,
            big_endian,
            types,
            strings,
            layout,
            offsets: Vec::new(),
            first_id,
            first_str,
            base,
        };
        btf.index_types()?;
        Ok(btf)
    }

    fn index_types(&mut self) -> Result<(), BtfError> {
        let (mut at, end) = self.types;
        let be = self.big_endian;
        while at < end {
            if end - at < TYPE_LEN {
                return Err(BtfError::Truncated("type section"));
            }
            let info = read_u32(&self.data, at + 4, be).unwrap_or(0);
            let raw_kind = ((info >> 24) & 0x7f) as u8;
            let vlen = (info & 0xff_ffff) as usize;
            let id = self.first_id + self.offsets.len() as u32;
            if raw_kind == 0 {
                return Err(BtfError::Corrupt(format!("type id {id} has kind 0")));
            }
            let (fixed, per) = match Kind::from_raw(raw_kind).trailer() {
                Some(t) => t,
                None => *self
                    .layout
                    .get(raw_kind as usize)
                    .ok_or(BtfError::UnknownKind { id, kind: raw_kind })?,
            };
            self.offsets.push(at);
            at = fixed
                .checked_add(per.saturating_mul(vlen))
                .and_then(|n| n.checked_add(at + TYPE_LEN))
                .ok_or(BtfError::Truncated("type section"))?;
        }
        if at != end {
            return Err(BtfError::Truncated("type section"));
        }
        Ok(())
    }

    /// The id the next BTF stacked on this one starts at.
    fn next_id(&self) -> u32 {
        self.first_id + self.offsets.len() as u32
    }

    fn next_str(&self) -> u32 {
        self.first_str + (self.strings.1 - self.strings.0) as u32
    }

    /// The base this split BTF stacks on.
    pub fn base(&self) -> Option<&Arc<Btf>> {
        self.base.as_ref()
    }

    /// The number of types, the base's included (type ids are `1..=len`).
    pub fn len(&self) -> u32 {
        self.next_id() - 1
    }

    /// Whether there is no type at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The ids held by this BTF itself (not its base).
    pub fn own_ids(&self) -> std::ops::Range<u32> {
        self.first_id..self.next_id()
    }

    /// The string at `off` (this BTF's or its base's); `""` when invalid.
    pub fn name_at(&self, off: u32) -> &str {
        if off < self.first_str {
            return self.base.as_ref().map_or("", |b| b.name_at(off));
        }
        let (start, end) = self.strings;
        let at = start + (off - self.first_str) as usize;
        if at >= end {
            return "";
        }
        let s = &self.data[at..end];
        let s = &s[..s.iter().position(|&b| b == 0).unwrap_or(s.len())];
        std::str::from_utf8(s).unwrap_or("")
    }

    /// The type with `id`, `None` for 0 (void) or an id past the end.
    pub fn get(&self, id: u32) -> Option<Type<'_>> {
        if id < self.first_id {
            return self.base.as_ref()?.get(id);
        }
        let at = *self.offsets.get((id - self.first_id) as usize)?;
        let be = self.big_endian;
        let name_off = read_u32(&self.data, at, be)?;
        let info = read_u32(&self.data, at + 4, be)?;
        let size_or_type = read_u32(&self.data, at + 8, be)?;
        let end = self
            .offsets
            .get((id - self.first_id) as usize + 1)
            .copied()
            .unwrap_or(self.types.1);
        Some(Type {
            id,
            kind: Kind::from_raw(((info >> 24) & 0x7f) as u8),
            name: self.name_at(name_off),
            vlen: info & 0xff_ffff,
            kflag: info >> 31 != 0,
            size_or_type,
            trailer: &self.data[at + TYPE_LEN..end],
            big_endian: be,
        })
    }

    /// Every `BTF_KIND_FUNC` named `name` in this BTF itself, not its base:
    /// a module's BTF holds the module's functions, its base vmlinux's.
    pub fn funcs_named(&self, name: &str) -> Vec<Type<'_>> {
        self.own_ids()
            .filter_map(|id| self.get(id))
            .filter(|t| t.kind == Kind::Func && t.name == name)
            .collect()
    }

    /// A func proto's parameters as (name, type id); `...` is left out and
    /// reported by the bool.
    pub fn params(&self, proto: &Type<'_>) -> (Vec<(String, u32)>, bool) {
        let mut variadic = false;
        let mut params = Vec::new();
        for (name, ty) in proto.raw_params() {
            if name == 0 && ty == 0 {
                variadic = true;
            } else {
                params.push((self.name_at(name).to_string(), ty));
            }
        }
        (params, variadic)
    }

    /// Follows typedefs, const, volatile, restrict and type tags from `id`;
    /// returns the first other type (`None` for void) and the typedef names
    /// met on the way, outermost first.
    pub fn strip(&self, mut id: u32) -> (Option<Type<'_>>, Vec<&str>) {
        let mut typedefs = Vec::new();
        // A loop of modifiers would be corrupt BTF; bound the walk.
        for _ in 0..64 {
            let Some(t) = self.get(id) else {
                return (None, typedefs);
            };
            match t.kind {
                Kind::Typedef => typedefs.push(t.name),
                Kind::Const | Kind::Volatile | Kind::Restrict | Kind::TypeTag => {}
                _ => return (Some(t), typedefs),
            }
            id = t.target();
        }
        (None, typedefs)
    }
}

#[cfg(test)]
mod tests;
