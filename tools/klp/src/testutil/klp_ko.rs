//! Synthetic livepatch `.ko` files with external symbols
//! (`.klp.sym.<object>.<name>,<sympos>`), as a Rust patch has them after
//! its final link: WEAK undefined symbols with ordinary relocations, a
//! marker byte, and klp descriptors (Rust layout) for the objects.

use crate::klpsyms::MARKER;
use object::elf;
use object::write::{Object, Relocation, SectionId, Symbol, SymbolId, SymbolSection};
use object::{
    Architecture, BinaryFormat, Endianness, RelocationFlags, SectionKind, SymbolFlags, SymbolKind,
    SymbolScope,
};
use std::collections::HashMap;

const FUNC_SIZE: usize = 0x98;
const OBJ_SIZE: usize = 0xa8;
const PATCH_SIZE: usize = 0xc8;

/// Where a reference to an external symbol is.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum In {
    /// A `call` in `.text` (5 bytes, the relocation at +1).
    Text,
    /// A pointer in `.data`.
    Data,
    /// A `call` in `.init.text`.
    InitText,
    /// A pointer in `.debug_info` (not allocated).
    Debug,
}

/// One reference to an external symbol.
#[derive(Clone, Debug)]
pub struct Ref {
    pub symbol: String,
    pub r_type: u32,
    pub addend: i64,
    pub place: In,
    /// Bytes at the site are not zero.
    pub dirty: bool,
}

impl Ref {
    /// A call of `symbol` (R_X86_64_PLT32, addend -4).
    pub fn call(symbol: &str) -> Self {
        Ref {
            symbol: symbol.into(),
            r_type: elf::R_X86_64_PLT32.0,
            addend: -4,
            place: In::Text,
            dirty: false,
        }
    }

    /// A read of variable `symbol` (R_X86_64_PC32, addend -4).
    pub fn read(symbol: &str) -> Self {
        Ref {
            r_type: elf::R_X86_64_PC32.0,
            ..Ref::call(symbol)
        }
    }

    /// A pointer to `symbol` in `.data` (R_X86_64_64).
    pub fn pointer(symbol: &str) -> Self {
        Ref {
            r_type: elf::R_X86_64_64.0,
            addend: 0,
            place: In::Data,
            ..Ref::call(symbol)
        }
    }

    pub fn with_type(mut self, r_type: u32) -> Self {
        self.r_type = r_type;
        self
    }

    pub fn at(mut self, place: In) -> Self {
        self.place = place;
        self
    }

    pub fn dirty(mut self) -> Self {
        self.dirty = true;
        self
    }
}

/// How each `.klp.sym` symbol is declared.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Decl {
    WeakUndefined,
    GlobalUndefined,
    /// Defined in `.text`.
    Defined,
}

/// Where the marker is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MarkerAt {
    Data,
    Bss,
    Rodata,
}

/// A livepatch module to build.
#[derive(Clone, Debug)]
pub struct KlpKo {
    pub modinfo: Vec<String>,
    /// The `klp_object` names (`vmlinux` gets a function, modules none).
    pub objects: Vec<String>,
    pub refs: Vec<Ref>,
    pub decl: Decl,
    /// `None`: no marker.
    pub marker: Option<MarkerAt>,
    pub marker_value: u8,
    pub marker_size: u64,
    /// Emit the klp descriptors.
    pub descriptors: bool,
    pub machine: Architecture,
    /// A `.llvm_addrsig` section, as clang and `ld.lld -r` leave one.
    pub addrsig: bool,
    /// The function the `vmlinux` object patches (`klp_func.old_name`).
    pub target: String,
    /// Functions defined in `.text`, by name.
    pub defines: Vec<String>,
}

impl Default for KlpKo {
    fn default() -> Self {
        KlpKo {
            modinfo: vec![
                "livepatch=Y".into(),
                "name=lp".into(),
                "vermagic=7.2.13 SMP preempt mod_unload ".into(),
            ],
            objects: vec!["vmlinux".into()],
            refs: vec![],
            decl: Decl::WeakUndefined,
            marker: Some(MarkerAt::Data),
            marker_value: 0,
            marker_size: 1,
            descriptors: true,
            machine: Architecture::X86_64,
            addrsig: false,
            target: "cmdline_proc_show".into(),
            defines: vec![],
        }
    }
}

impl KlpKo {
    /// The default module with `refs`.
    pub fn with_refs(refs: Vec<Ref>) -> Self {
        KlpKo {
            refs,
            ..Default::default()
        }
    }

    pub fn bytes(&self) -> Vec<u8> {
        let mut obj = Object::new(BinaryFormat::Elf, self.machine, Endianness::Little);
        let info = obj.add_section(vec![], b".modinfo".to_vec(), SectionKind::ReadOnlyData);
        let mut modinfo = Vec::new();
        for entry in &self.modinfo {
            modinfo.extend_from_slice(entry.as_bytes());
            modinfo.push(0);
        }
        obj.append_section_data(info, &modinfo, 1);
        let text = obj.add_section(vec![], b".text".to_vec(), SectionKind::Text);
        let rodata = obj.add_section(
            vec![],
            b".rodata.str1.1".to_vec(),
            SectionKind::ReadOnlyString,
        );
        let data = obj.add_section(vec![], b".data".to_vec(), SectionKind::Data);
        if self.descriptors {
            descriptors(&mut obj, text, rodata, data, &self.objects, &self.target);
        }
        for name in &self.defines {
            let off = obj.append_section_data(text, &[0xc3; 16], 16);
            obj.add_symbol(Symbol {
                name: name.as_bytes().to_vec(),
                value: off,
                size: 16,
                kind: SymbolKind::Text,
                scope: SymbolScope::Compilation,
                weak: false,
                section: SymbolSection::Section(text),
                flags: SymbolFlags::None,
            });
        }

        let mut syms: HashMap<String, SymbolId> = HashMap::new();
        let mut extra: HashMap<In, SectionId> = HashMap::new();
        for r in &self.refs {
            let decl = self.decl;
            let sym = *syms.entry(r.symbol.clone()).or_insert_with(|| {
                obj.add_symbol(Symbol {
                    name: r.symbol.as_bytes().to_vec(),
                    value: 0,
                    size: 0,
                    kind: if decl == Decl::Defined {
                        SymbolKind::Text
                    } else {
                        SymbolKind::Unknown
                    },
                    scope: SymbolScope::Linkage,
                    weak: decl == Decl::WeakUndefined,
                    section: if decl == Decl::Defined {
                        SymbolSection::Section(text)
                    } else {
                        SymbolSection::Undefined
                    },
                    flags: SymbolFlags::None,
                })
            });
            let fill = if r.dirty { 0xcc } else { 0 };
            let (section, offset) = match r.place {
                In::Text => {
                    let off = obj.append_section_data(text, &[0xe8, fill, fill, fill, fill], 1);
                    (text, off + 1)
                }
                In::Data => (data, obj.append_section_data(data, &[fill; 8], 8)),
                In::InitText | In::Debug => {
                    let s = *extra.entry(r.place).or_insert_with(|| {
                        let (name, kind) = if r.place == In::InitText {
                            (&b".init.text"[..], SectionKind::Text)
                        } else {
                            (&b".debug_info"[..], SectionKind::Debug)
                        };
                        obj.add_section(vec![], name.to_vec(), kind)
                    });
                    (
                        s,
                        obj.append_section_data(s, &[0, fill, fill, fill, fill, 0, 0, 0], 1) + 1,
                    )
                }
            };
            obj.add_relocation(
                section,
                Relocation {
                    offset,
                    symbol: sym,
                    addend: r.addend,
                    flags: RelocationFlags::Elf {
                        r_type: elf::RelocationType(r.r_type),
                    },
                },
            )
            .unwrap();
        }

        if let Some(at) = self.marker {
            let size = self.marker_size.max(1);
            let (section, offset) = match at {
                MarkerAt::Data => {
                    let mut bytes = vec![0; size as usize];
                    bytes[0] = self.marker_value;
                    (data, obj.append_section_data(data, &bytes, 1))
                }
                MarkerAt::Rodata => {
                    let s = obj.add_section(vec![], b".rodata".to_vec(), SectionKind::ReadOnlyData);
                    (s, obj.append_section_data(s, &vec![0; size as usize], 1))
                }
                MarkerAt::Bss => {
                    let s =
                        obj.add_section(vec![], b".bss".to_vec(), SectionKind::UninitializedData);
                    (s, obj.append_section_bss(s, size, 1))
                }
            };
            obj.add_symbol(Symbol {
                name: MARKER.as_bytes().to_vec(),
                value: offset,
                size: self.marker_size,
                kind: SymbolKind::Data,
                scope: SymbolScope::Linkage,
                weak: false,
                section: SymbolSection::Section(section),
                flags: SymbolFlags::None,
            });
        }
        if self.addrsig {
            let s = obj.add_section(vec![], b".llvm_addrsig".to_vec(), SectionKind::Other);
            obj.section_mut(s).flags = object::SectionFlags::Elf {
                sh_type: elf::SectionType(0x6fff_4c03),
                sh_flags: elf::SHF_EXCLUDE,
            };
            obj.append_section_data(s, &[1, 2], 1);
        }
        obj.write().unwrap()
    }
}

/// The klp tables in `.data` (Rust layout: functions, objects, patch).
fn descriptors(
    obj: &mut Object,
    text: SectionId,
    rodata: SectionId,
    data: SectionId,
    objects: &[String],
    target: &str,
) {
    let nfuncs = |o: &String| if o == "vmlinux" { 2 } else { 1 };
    let funcs_len: usize = objects.iter().map(nfuncs).sum::<usize>() * FUNC_SIZE;
    let objs_at = funcs_len;
    let patch_at = objs_at + (objects.len() + 1) * OBJ_SIZE;
    let base = obj.append_section_data(data, &vec![0; patch_at + PATCH_SIZE], 8) as usize;
    let data_sym = obj.section_symbol(data);
    let rodata_sym = obj.section_symbol(rodata);
    let mut relocs: Vec<(usize, SymbolId, i64)> =
        vec![(patch_at + 8, data_sym, (base + objs_at) as i64)];
    let string = |obj: &mut Object, s: &str| {
        let mut b = s.as_bytes().to_vec();
        b.push(0);
        obj.append_section_data(rodata, &b, 1) as i64
    };
    let mut func_at = 0;
    for (i, o) in objects.iter().enumerate() {
        let obj_at = objs_at + i * OBJ_SIZE;
        if o != "vmlinux" {
            relocs.push((obj_at, rodata_sym, string(obj, o)));
        }
        relocs.push((obj_at + 8, data_sym, (base + func_at) as i64));
        if o == "vmlinux" {
            relocs.push((func_at, rodata_sym, string(obj, target)));
            let off = obj.append_section_data(text, &[0xc3; 16], 16);
            let f = obj.add_symbol(Symbol {
                name: b"livepatch_cmdline_proc_show".to_vec(),
                value: off,
                size: 16,
                kind: SymbolKind::Text,
                scope: SymbolScope::Linkage,
                weak: false,
                section: SymbolSection::Section(text),
                flags: SymbolFlags::None,
            });
            relocs.push((func_at + 8, f, 0));
            func_at += FUNC_SIZE;
        }
        func_at += FUNC_SIZE; // the terminator
    }
    for (at, sym, addend) in relocs {
        obj.add_relocation(
            data,
            Relocation {
                offset: (base + at) as u64,
                symbol: sym,
                addend,
                flags: RelocationFlags::Elf {
                    r_type: elf::R_X86_64_64,
                },
            },
        )
        .unwrap();
    }
}
