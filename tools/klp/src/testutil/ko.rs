//! Synthetic livepatch `.ko` files (x86-64 relocatable ELF) with the klp
//! descriptor tables laid out as C and Rust modules lay them out.

use object::write::{Object, Relocation, Symbol, SymbolId, SymbolSection};
use object::{
    Architecture, BinaryFormat, Endianness, RelocationEncoding, RelocationFlags, RelocationKind,
    SectionKind, SymbolFlags, SymbolKind, SymbolScope,
};

/// Config-dependent sizes, as in the test kernel (any size works: the
/// reader does not know them).
const FUNC_SIZE: usize = 0x98;
const OBJ_SIZE: usize = 0xa8;
const PATCH_SIZE: usize = 0xc8;

/// How the tables are emitted.
#[derive(Clone, Copy)]
pub enum Layout {
    /// `samples/livepatch/livepatch-sample.c`: patch, objects, functions;
    /// `mod = THIS_MODULE`; `new_func` relative to `.text`.
    C,
    /// This project's macro: functions, objects, patch; `mod` set at run
    /// time (NULL in the file); `new_func` against the function's symbol.
    Rust,
}

/// The release of the kernel a [`FakeRoot`](super::FakeRoot) runs, which
/// [`Modinfo`] modules are built for unless told otherwise.
pub const RELEASE: &str = "7.2.13";

/// A `vermagic` as Kbuild writes it: the release, then build options.
pub fn vermagic(release: &str) -> String {
    format!("{release} SMP preempt mod_unload ")
}

/// The `.modinfo` of a synthetic module: `livepatch=Y` (for a livepatch),
/// `name=`, `vermagic=`.
#[derive(Debug, Clone)]
pub struct Modinfo {
    name: &'static str,
    livepatch: bool,
    release: &'static str,
}

impl Modinfo {
    /// Livepatch module `name`, built for [`RELEASE`].
    pub fn livepatch(name: &'static str) -> Self {
        Modinfo {
            name,
            livepatch: true,
            release: RELEASE,
        }
    }

    /// Ordinary (not livepatch) module `name`, built for [`RELEASE`].
    pub fn plain(name: &'static str) -> Self {
        Modinfo {
            livepatch: false,
            ..Self::livepatch(name)
        }
    }

    /// Built for kernel `release` instead.
    pub fn built_for(self, release: &'static str) -> Self {
        Modinfo { release, ..self }
    }

    /// The section's contents: NUL-terminated `key=value` entries.
    fn bytes(&self) -> Vec<u8> {
        let mut entries = Vec::new();
        if self.livepatch {
            entries.push("livepatch=Y".to_string());
        }
        entries.push(format!("name={}", self.name));
        entries.push(format!("vermagic={}", vermagic(self.release)));
        entries
            .iter()
            .flat_map(|e| [e.as_bytes(), b"\0"].concat())
            .collect()
    }
}

/// A patched function.
pub struct KoFunc {
    pub name: String,
    pub sympos: u64,
    pub replacement: String,
}

impl KoFunc {
    /// `name` (sympos 0), replaced by `livepatch_<name>`.
    pub fn new(name: &str) -> Self {
        KoFunc {
            name: name.into(),
            sympos: 0,
            replacement: format!("livepatch_{name}"),
        }
    }

    pub fn sympos(self, sympos: u64) -> Self {
        KoFunc { sympos, ..self }
    }

    pub fn replacement(self, replacement: &str) -> Self {
        KoFunc {
            replacement: replacement.into(),
            ..self
        }
    }
}

/// A patched object and its functions.
pub struct KoObject {
    /// `None`: vmlinux.
    pub name: Option<String>,
    pub funcs: Vec<KoFunc>,
}

impl KoObject {
    pub fn vmlinux(funcs: Vec<KoFunc>) -> Self {
        KoObject { name: None, funcs }
    }

    /// Module `name`.
    pub fn module(name: &str, funcs: Vec<KoFunc>) -> Self {
        KoObject {
            name: Some(name.into()),
            funcs,
        }
    }
}

/// The smallest patch: vmlinux function `name`, replaced by
/// `livepatch_<name>`.
pub fn vmlinux_fn(name: &str) -> Vec<KoObject> {
    vec![KoObject::vmlinux(vec![KoFunc::new(name)])]
}

/// Livepatch module `name` built for [`RELEASE`], with the smallest patch
/// (vmlinux `f`), laid out as this project's macro does.
pub fn livepatch_ko(name: &'static str) -> Vec<u8> {
    klp_module(
        &Modinfo::livepatch(name),
        &vmlinux_fn("f"),
        false,
        Layout::Rust,
    )
}

/// A module with `modinfo` and one patch of `objects`.
pub fn klp_module(
    modinfo: &Modinfo,
    objects: &[KoObject],
    replace: bool,
    layout: Layout,
) -> Vec<u8> {
    klp_module_with(modinfo, objects, replace, layout, &[])
}

/// [`klp_module`] with more (non-allocated) sections, e.g. signature
/// records.
pub fn klp_module_with(
    modinfo: &Modinfo,
    objects: &[KoObject],
    replace: bool,
    layout: Layout,
    sections: &[(&str, &[u8])],
) -> Vec<u8> {
    let mut ko = Ko::new(modinfo);
    for (name, bytes) in sections {
        let id = ko
            .obj
            .add_section(vec![], name.as_bytes().to_vec(), SectionKind::Other);
        ko.obj.append_section_data(id, bytes, 1);
    }
    let nfuncs: Vec<usize> = objects.iter().map(|o| o.funcs.len() + 1).collect();
    let funcs_len = nfuncs.iter().sum::<usize>() * FUNC_SIZE;
    let objs_len = (objects.len() + 1) * OBJ_SIZE;
    let (patch_at, objs_at, funcs_at) = match layout {
        Layout::C => (0, PATCH_SIZE, PATCH_SIZE + objs_len),
        Layout::Rust => (funcs_len + objs_len, funcs_len, 0),
    };
    let mut data = vec![0u8; PATCH_SIZE + objs_len + funcs_len];
    let data_sym = ko.obj.section_symbol(ko.data);
    let mut relocs: Vec<(usize, SymbolId, i64)> = Vec::new();

    if let Layout::C = layout {
        relocs.push((patch_at, ko.this_module(), 0));
    }
    relocs.push((patch_at + 8, data_sym, objs_at as i64));
    data[patch_at + 24] = replace as u8;

    let mut func_at = funcs_at;
    for (i, o) in objects.iter().enumerate() {
        let obj_at = objs_at + i * OBJ_SIZE;
        if let Some(name) = &o.name {
            let s = ko.string(name);
            relocs.push((obj_at, s.0, s.1));
        }
        relocs.push((obj_at + 8, data_sym, func_at as i64));
        for f in &o.funcs {
            let s = ko.string(&f.name);
            relocs.push((func_at, s.0, s.1));
            let (sym, off) = ko.function(&f.replacement);
            match layout {
                Layout::C => relocs.push((func_at + 8, ko.obj.section_symbol(ko.text), off as i64)),
                Layout::Rust => relocs.push((func_at + 8, sym, 0)),
            }
            data[func_at + 16..func_at + 24].copy_from_slice(&f.sympos.to_le_bytes());
            func_at += FUNC_SIZE;
        }
        func_at += FUNC_SIZE; // the terminator
    }
    ko.obj.append_section_data(ko.data, &data, 8);
    for (at, sym, addend) in relocs {
        ko.pointer(at as u64, sym, addend);
    }
    ko.bytes()
}

/// A relocatable ELF with `.modinfo`, `.text`, `.rodata.str1.1`, `.data`.
pub struct Ko {
    obj: Object<'static>,
    text: object::write::SectionId,
    rodata: object::write::SectionId,
    data: object::write::SectionId,
}

impl Ko {
    pub fn new(modinfo: &Modinfo) -> Self {
        let mut obj = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
        let info = obj.add_section(vec![], b".modinfo".to_vec(), SectionKind::ReadOnlyData);
        obj.append_section_data(info, &modinfo.bytes(), 1);
        let text = obj.add_section(vec![], b".text".to_vec(), SectionKind::Text);
        let rodata = obj.add_section(
            vec![],
            b".rodata.str1.1".to_vec(),
            SectionKind::ReadOnlyString,
        );
        let data = obj.add_section(vec![], b".data".to_vec(), SectionKind::Data);
        Ko {
            obj,
            text,
            rodata,
            data,
        }
    }

    /// A NUL-terminated string in `.rodata.str1.1`: (section symbol, offset).
    fn string(&mut self, s: &str) -> (SymbolId, i64) {
        let mut bytes = s.as_bytes().to_vec();
        bytes.push(0);
        let off = self.obj.append_section_data(self.rodata, &bytes, 1);
        (self.obj.section_symbol(self.rodata), off as i64)
    }

    /// A function `name` (a `ret`) in `.text`: its symbol and offset.
    fn function(&mut self, name: &str) -> (SymbolId, u64) {
        let off = self.obj.append_section_data(self.text, &[0xc3; 16], 16);
        let sym = self.obj.add_symbol(Symbol {
            name: name.as_bytes().to_vec(),
            value: off,
            size: 16,
            kind: SymbolKind::Text,
            scope: SymbolScope::Linkage,
            weak: false,
            section: SymbolSection::Section(self.text),
            flags: SymbolFlags::None,
        });
        (sym, off)
    }

    /// `__this_module`, in `.gnu.linkonce.this_module`.
    fn this_module(&mut self) -> SymbolId {
        let sec = self.obj.add_section(
            vec![],
            b".gnu.linkonce.this_module".to_vec(),
            SectionKind::Data,
        );
        let off = self.obj.append_section_data(sec, &[0; 64], 8);
        self.obj.add_symbol(Symbol {
            name: b"__this_module".to_vec(),
            value: off,
            size: 64,
            kind: SymbolKind::Data,
            scope: SymbolScope::Linkage,
            weak: false,
            section: SymbolSection::Section(sec),
            flags: SymbolFlags::None,
        })
    }

    /// A 64-bit absolute pointer at `.data + at` to `sym + addend`.
    fn pointer(&mut self, at: u64, sym: SymbolId, addend: i64) {
        let flags = RelocationFlags::Generic {
            kind: RelocationKind::Absolute,
            encoding: RelocationEncoding::Generic,
            size: 64,
        };
        self.obj
            .add_relocation(
                self.data,
                Relocation {
                    offset: at,
                    symbol: sym,
                    addend,
                    flags,
                },
            )
            .unwrap();
    }

    /// `.data` holding only a pointer to `__this_module` (a `struct
    /// file_operations` has one too).
    pub fn this_module_pointer_at_data_start(&mut self) {
        self.obj.append_section_data(self.data, &[0; 16], 8);
        let m = self.this_module();
        self.pointer(0, m, 0);
    }

    pub fn bytes(self) -> Vec<u8> {
        self.obj.write().unwrap()
    }
}
