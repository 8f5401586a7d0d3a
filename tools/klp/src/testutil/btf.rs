//! Synthetic BTF, for what the fixtures cannot show: the other byte order,
//! kinds newer than the reader, several functions of one name.

/// Raw BTF being written: types in id order (from 1, or from a split's
/// first id), strings from offset 0 (`""`).
pub struct BtfBuilder {
    types: Vec<u8>,
    strings: Vec<u8>,
    big_endian: bool,
    /// `(info_sz, elem_sz)` per kind number, written as a layout section.
    layout: Option<Vec<(u8, u8)>>,
    next_id: u32,
}

impl BtfBuilder {
    pub fn new(big_endian: bool) -> Self {
        BtfBuilder {
            types: Vec::new(),
            strings: vec![0],
            big_endian,
            layout: None,
            next_id: 1,
        }
    }

    /// Writes a layout section (Linux 7.x) with these per-kind sizes.
    pub fn layout(mut self, layout: Vec<(u8, u8)>) -> Self {
        self.layout = Some(layout);
        self
    }

    fn u32(&mut self, v: u32) {
        let b = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.types.extend_from_slice(&b);
    }

    /// The offset of `s`, added to the string section.
    pub fn string(&mut self, s: &str) -> u32 {
        if s.is_empty() {
            return 0;
        }
        let off = self.strings.len() as u32;
        self.strings.extend_from_slice(s.as_bytes());
        self.strings.push(0);
        off
    }

    /// A raw type record followed by `trailer` words; returns its id.
    pub fn raw(
        &mut self,
        name: &str,
        kind: u8,
        vlen: u32,
        size_or_type: u32,
        trailer: &[u32],
    ) -> u32 {
        let name = self.string(name);
        self.u32(name);
        self.u32((kind as u32) << 24 | vlen);
        self.u32(size_or_type);
        for w in trailer {
            self.u32(*w);
        }
        self.next_id += 1;
        self.next_id - 1
    }

    /// `int`-like: an INT of `size` bytes.
    pub fn int(&mut self, name: &str, size: u32, signed: bool) -> u32 {
        let enc = if signed { 1 << 24 } else { 0 } | (size * 8);
        self.raw(name, 1, 0, size, &[enc])
    }

    pub fn ptr(&mut self, to: u32) -> u32 {
        self.raw("", 2, 0, to, &[])
    }

    /// A FUNC_PROTO; a param `("", 0)` last means `...`.
    pub fn proto(&mut self, ret: u32, params: &[(&str, u32)]) -> u32 {
        let mut words = Vec::new();
        for (n, t) in params {
            words.push(self.string(n));
            words.push(*t);
        }
        self.raw("", 13, params.len() as u32, ret, &words)
    }

    pub fn func(&mut self, name: &str, proto: u32) -> u32 {
        self.raw(name, 12, 1, proto, &[])
    }

    pub fn bytes(mut self) -> Vec<u8> {
        let mut layout = Vec::new();
        for (info, elem) in self.layout.take().unwrap_or_default() {
            layout.extend_from_slice(&[info, elem, 0, 0]);
        }
        let hdr_len: u32 = if layout.is_empty() { 24 } else { 32 };
        let mut out = Vec::new();
        let put = |v: u32, out: &mut Vec<u8>| {
            out.extend_from_slice(&if self.big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            })
        };
        let magic: u16 = 0xeb9f;
        out.extend_from_slice(&if self.big_endian {
            magic.to_be_bytes()
        } else {
            magic.to_le_bytes()
        });
        out.extend_from_slice(&[1, 0]);
        let (tl, sl, ll) = (
            self.types.len() as u32,
            self.strings.len() as u32,
            layout.len() as u32,
        );
        put(hdr_len, &mut out);
        put(0, &mut out);
        put(tl, &mut out);
        put(tl, &mut out);
        put(sl, &mut out);
        if hdr_len == 32 {
            put(tl + sl, &mut out);
            put(ll, &mut out);
        }
        out.extend_from_slice(&self.types);
        out.extend_from_slice(&self.strings);
        out.extend_from_slice(&layout);
        out
    }
}

/// The BTF fixture `name` (tests/fixtures/btf/).
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/btf/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Writes `path` (and its directory): an ELF file whose .BTF is the fixture
/// `name`, as a vmlinux or a module built with BTF has.
pub fn write_btf_elf(path: &std::path::Path, name: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, elf_with_sections(&[(".BTF", &fixture(name))])).unwrap();
}

/// A relocatable x86-64 ELF file with these sections (non-alloc, data).
pub fn elf_with_sections(sections: &[(&str, &[u8])]) -> Vec<u8> {
    use object::write::Object;
    use object::{Architecture, BinaryFormat, Endianness, SectionKind};
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    for (name, data) in sections {
        let id = obj.add_section(vec![], name.as_bytes().to_vec(), SectionKind::Other);
        obj.append_section_data(id, data, 1);
    }
    obj.write().unwrap()
}
