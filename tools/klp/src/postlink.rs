//! `klp post-link`: turns the external symbols of a linked livepatch module
//! into klp relocations the kernel applies (see [`crate::klpsyms`] for the
//! format and why), after the module's final link: the linker keeps neither
//! `SHN_LIVEPATCH` nor `SHF_RELA_LIVEPATCH`.
//!
//! [`convert`] refuses, with every reason at once, what the kernel could not
//! apply; it changes nothing else in the file, and checks that on its own
//! output ([`check_rewrite`]) before anything is written.

use crate::descriptors::{self, Descriptors};
use crate::klpsyms::{
    self, Conversion, KlpSymName, Scan, Site, SymState, KLP_RELA_FLAGS, MARKER, RELA_PREFIX,
    SHN_LIVEPATCH,
};
use object::build::elf::{Builder, Relocation, SectionData, SectionId, SymbolId};
use object::build::Id;
use object::elf;
use object::read::elf::{FileHeader, Rela, SectionHeader, Sym};
use object::{Endianness, Object, ObjectSymbol};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What [`convert`] did.
#[derive(Debug)]
pub enum Outcome {
    /// No external symbols and no marker: the file is left as it is.
    NothingToDo,
    /// Converted earlier: left as it is.
    AlreadyConverted { symbols: usize, relocations: usize },
    /// The new contents of the file.
    Converted { data: Vec<u8>, summary: Summary },
}

/// What a conversion moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Relocations moved, per object.
    pub relocations: BTreeMap<String, usize>,
    /// Symbols converted to `SHN_LIVEPATCH`.
    pub symbols: usize,
    /// The `.klp.rela.*` sections created.
    pub sections: Vec<String>,
}

impl Summary {
    /// One line: "N relocations for objects vmlinux (N), ext4 (N)...".
    pub fn describe(&self) -> String {
        let total: usize = self.relocations.values().sum();
        let objects: Vec<String> = self
            .relocations
            .iter()
            .map(|(o, n)| format!("{o} ({n})"))
            .collect();
        let objects = if objects.is_empty() {
            "no object".to_string()
        } else {
            objects.join(", ")
        };
        format!(
            "{total} relocations for objects {objects} moved to {} .klp.rela sections, {} symbols marked SHN_LIVEPATCH, marker set",
            self.sections.len(),
            self.symbols,
        )
    }
}

/// Converts the module file `data`. The error lists every problem found,
/// one per line, for the patch author.
pub fn convert(data: &[u8]) -> Result<Outcome, String> {
    if let Ok(file) = object::File::parse(data) {
        let copied = targets_compiled_in(&file);
        if !copied.is_empty() {
            return Err(copied.join("\n"));
        }
    }
    let Some(scan) = klpsyms::scan(data)? else {
        return if mentions_klp(data) {
            Err("not a 64-bit little-endian ELF file: klp post-link supports x86_64 only".into())
        } else {
            Ok(Outcome::NothingToDo)
        };
    };
    if scan.symbols.is_empty() && scan.markers.is_empty() {
        return Ok(Outcome::NothingToDo);
    }
    let descriptors = object::File::parse(data)
        .ok()
        .and_then(|f| descriptors::find(&f));
    let problems = problems(&scan, descriptors.as_ref());
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    if scan.conversion() == Conversion::Converted {
        return Ok(Outcome::AlreadyConverted {
            symbols: scan.symbols.len(),
            relocations: (0..scan.symbols.len())
                .map(|i| scan.relocations_of(i))
                .sum(),
        });
    }
    let (out, summary) = rewrite(data, &scan).map_err(|e| format!("cannot rewrite it: {e}"))?;
    check_rewrite(data, &out, &scan)
        .map_err(|e| format!("internal error, the rewritten file would differ: {e}"))?;
    Ok(Outcome::Converted { data: out, summary })
}

/// Rust targets (mangled names, `_R...`) the module defines itself: the
/// compiler instantiated the function in the patch's crate (it is
/// `#[inline]`, generic, or small enough to be inlined across crates), so
/// it has no one symbol in the kernel: the core would patch the copy in the
/// target object, if it has one, and every copy inlined elsewhere would
/// stay unpatched. The `#[livepatch]` macro names a Rust target from its
/// path with a `sym` operand, which does exactly that for such a function.
fn targets_compiled_in(file: &object::File<'_>) -> Vec<String> {
    let Some(descriptors) = descriptors::find(file) else {
        return Vec::new();
    };
    let defined: BTreeSet<&str> = file
        .symbols()
        .filter(|s| s.is_definition())
        .filter_map(|s| s.name().ok())
        .collect();
    descriptors
        .objects
        .iter()
        .flat_map(|o| o.functions.iter().map(move |f| (o, f)))
        .filter(|(_, f)| f.name.starts_with("_R") && defined.contains(f.name.as_str()))
        .map(|(o, f)| {
            format!(
                "the target {} of {} is compiled into this patch module itself: it is an \
                 #[inline] or generic Rust function (or one small enough that the compiler \
                 inlines it across crates), which has no one symbol in the kernel: its callers \
                 have their own copies or inlined it. Patch a caller that has a symbol of its \
                 own, or make the target #[inline(never)] in the kernel you patch",
                f.name, o.name
            )
        })
        .collect()
}

/// A 32-bit or big-endian file: does it have anything to convert?
fn mentions_klp(data: &[u8]) -> bool {
    object::File::parse(data).is_ok_and(|f| {
        f.symbols().any(|s| {
            s.name()
                .is_ok_and(|n| n.starts_with(klpsyms::SYM_PREFIX) || n == MARKER)
        })
    })
}

/// Everything in `scan` the kernel could not apply, or that would let the
/// patch run unconverted.
fn problems(scan: &Scan, descriptors: Option<&Descriptors>) -> Vec<String> {
    let mut p = Vec::new();
    if u32::from(scan.machine) != u32::from(elf::EM_X86_64.0) {
        p.push(format!(
            "the file is for ELF machine {}, not x86_64: klp post-link only knows x86_64's relocations",
            scan.machine
        ));
        return p;
    }
    for s in &scan.symbols {
        if let Err(why) = &s.parsed {
            p.push(format!(
                "symbol '{}': {why}; the kernel could not resolve it",
                s.symbol
            ));
        }
        if let SymState::Other(what) = &s.state {
            p.push(format!(
                "symbol '{}' is {what}: a klp symbol must be a WEAK undefined reference (extern item + .weak)",
                s.symbol
            ));
        }
    }

    match scan.markers.as_slice() {
        [] if scan.pending() => p.push(format!(
            "it references {} klp symbols but has no '{MARKER}' marker: its init could not tell a converted module from an unconverted one, which would run with address 0 for each symbol",
            scan.symbols.len()
        )),
        [] => {}
        [m] => {
            if m.section.is_none() {
                p.push(format!("'{MARKER}' is undefined: define it in the module"));
            } else if !m.writable_data {
                p.push(format!(
                    "'{MARKER}' is in {}, not initialised writable data: put it in a .data section (e.g. #[link_section = \".data..rust_livepatch_klp\"])",
                    m.section_name
                ));
            } else if m.size != 1 {
                p.push(format!("'{MARKER}' is {} bytes, not 1", m.size));
            } else if !matches!(m.value, Some(0 | 1)) {
                p.push(format!(
                    "'{MARKER}' holds {:?}, neither 0 (as built) nor 1 (converted)",
                    m.value
                ));
            }
        }
        many => p.push(format!(
            "{} symbols are named '{MARKER}': there must be one",
            many.len()
        )),
    }

    if scan.pending() && !scan.klp_sections.is_empty() {
        p.push(format!(
            "it already has klp relocation sections ({}) and still unconverted symbols or relocations: rebuild it and convert it once",
            scan.klp_sections
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for k in &scan.klp_sections {
        if k.flags & KLP_RELA_FLAGS != KLP_RELA_FLAGS {
            p.push(format!(
                "section {} has flags {:#x}, without SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH",
                k.name, k.flags
            ));
        }
    }
    for site in &scan.sites {
        if let Some(why) = site_problem(scan, site) {
            p.push(why);
        }
    }

    let objects: BTreeSet<&str> = scan
        .names()
        .map(|n| n.object.as_str())
        .filter(|o| *o != "vmlinux")
        .collect();
    if !objects.is_empty() {
        match descriptors {
            None => p.push(format!(
                "it references symbols of modules {} but no klp descriptors were found in it: klp applies a module's relocations only for a klp_object of that name",
                objects.iter().copied().collect::<Vec<_>>().join(", ")
            )),
            Some(d) => {
                for o in objects {
                    if !d.objects.iter().any(|x| x.name == o) {
                        p.push(format!(
                            "it references symbols of module {o} but the patch has no klp_object named {o}: the kernel would never apply their relocations (add an object for {o}, even with no function)"
                        ));
                    }
                }
            }
        }
    }
    p
}

fn site_problem(scan: &Scan, site: &Site) -> Option<String> {
    let sym = &scan.symbols[site.sym];
    let at = format!(
        "relocation at {}+{:#x} against '{}'",
        site.target_name, site.offset, sym.symbol
    );
    if !site.is_rela {
        return Some(format!(
            "{at} is in an SHT_REL section: x86_64 modules use SHT_RELA"
        ));
    }
    if sym.state == SymState::Livepatch {
        return Some(format!(
            "{at}: the symbol is already SHN_LIVEPATCH but still has ordinary relocations (a partly converted file): rebuild it"
        ));
    }
    let name = klpsyms::x86_64_reloc_name(site.r_type);
    if site.r_type == elf::R_X86_64_32.0 {
        return Some(format!(
            "{at} is {name}: no kernel address fits in 32 unsigned bits (apply_relocate_add would fail with an overflow)"
        ));
    }
    if klpsyms::x86_64_reloc_size(site.r_type).is_none() {
        return Some(format!(
            "{at} is {name}, which the kernel's apply_relocate_add (x86_64) does not handle (it handles R_X86_64_64, PC32, PLT32, 32S, PC64)"
        ));
    }
    match site.zero {
        Some(true) => {}
        Some(false) => {
            return Some(format!(
                "{at}: the bytes at the site are not zero, and the kernel applies a relocation only over zero bytes"
            ))
        }
        None => {
            return Some(format!(
                "{at}: the bytes at the site cannot be read (outside the section or in an uninitialised one)"
            ))
        }
    }
    if let Ok(KlpSymName { object, .. }) = &sym.parsed {
        if object != "vmlinux" && site.target_name.starts_with(".init") {
            return Some(format!(
                "{at}: {} is freed after the patch's init, but klp writes the relocations of module {object} whenever that module loads",
                site.target_name
            ));
        }
    }
    None
}

/// The rewritten file and what moved. `scan` has no problems.
pub(crate) fn rewrite(data: &[u8], scan: &Scan) -> Result<(Vec<u8>, Summary), String> {
    // The builder refuses section types it does not know, even unloaded
    // ones it could copy: read those as opaque data, then give their type
    // back.
    let (input, opaque) = mark_opaque(data)?;
    let mut b = Builder::read(&*input).map_err(|e| e.to_string())?;
    for s in b.sections.iter_mut() {
        if let Some((_, t)) = opaque.iter().find(|(i, _)| *i == s.id().index() + 1) {
            s.sh_type = elf::SectionType(*t);
        }
    }
    // Builder ids, by ELF index (the builder keeps the file's order).
    let section_ids: Vec<SectionId> = b.sections.iter().map(|s| s.id()).collect();
    let section_id = |index: usize| section_ids[index - 1];
    let symbol_ids: Vec<SymbolId> = b.symbols.iter().map(|s| s.id()).collect();
    let symbol_id = |index: usize| symbol_ids[index - 1];
    let symtab = b
        .sections
        .iter()
        .find(|s| matches!(s.data, SectionData::Symbol))
        .map(|s| s.id())
        .ok_or("no .symtab")?;

    // The new sections: one per (object, target section), in a stable order.
    let mut groups: BTreeMap<(String, usize), Vec<Relocation>> = BTreeMap::new();
    let mut removed: HashMap<usize, BTreeSet<usize>> = HashMap::new();
    let mut summary = Summary {
        relocations: BTreeMap::new(),
        symbols: 0,
        sections: Vec::new(),
    };
    for site in &scan.sites {
        let sym = &scan.symbols[site.sym];
        let object = sym
            .parsed
            .as_ref()
            .map(|n| n.object.clone())
            .map_err(|e| e.clone())?;
        groups
            .entry((object.clone(), site.target))
            .or_default()
            .push(Relocation {
                r_offset: site.offset,
                symbol: Some(symbol_id(sym.index)),
                r_type: elf::RelocationType(site.r_type),
                r_addend: site.addend,
            });
        removed
            .entry(site.rel_section)
            .or_default()
            .insert(site.entry);
        *summary.relocations.entry(object).or_default() += 1;
    }

    for (&rel_section, entries) in &removed {
        let section = b.sections.get_mut(section_id(rel_section));
        let SectionData::Relocation(relocations) = &mut section.data else {
            return Err(format!("section {rel_section} is not a relocation section"));
        };
        let mut i = 0;
        relocations.retain(|_| {
            i += 1;
            !entries.contains(&(i - 1))
        });
    }

    for ((object, target), relocations) in groups {
        let target_name = scan
            .sites
            .iter()
            .find(|s| s.target == target)
            .map(|s| s.target_name.clone())
            .unwrap_or_default();
        let name = format!("{RELA_PREFIX}{object}.{target_name}");
        let s = b.sections.add();
        s.name = name.clone().into_bytes().into();
        s.sh_type = elf::SHT_RELA;
        s.sh_flags = elf::SectionFlags(KLP_RELA_FLAGS);
        s.sh_link_section = Some(symtab);
        s.sh_info_section = Some(section_id(target));
        s.sh_addralign = 8;
        s.sh_entsize = 24;
        s.data = SectionData::Relocation(relocations);
        summary.sections.push(name);
    }

    for sym in &scan.symbols {
        if sym.state == SymState::WeakUndefined {
            let s = b.symbols.get_mut(symbol_id(sym.index));
            s.section = None;
            s.st_shndx = elf::SymbolSection(SHN_LIVEPATCH);
            summary.symbols += 1;
        }
    }

    if let [marker] = scan.markers.as_slice() {
        let (Some(index), Ok(offset)) = (marker.section, usize::try_from(marker.offset)) else {
            return Err("the marker is undefined".into());
        };
        let SectionData::Data(bytes) = &mut b.sections.get_mut(section_id(index)).data else {
            return Err("the marker's section has no data".into());
        };
        *bytes
            .to_mut()
            .get_mut(offset)
            .ok_or("the marker is outside its section")? = 1;
    }

    let mut out = Vec::new();
    b.write(&mut out).map_err(|e| e.to_string())?;
    Ok((out, summary))
}

/// Section types copied as they are (none is loaded, none refers to
/// anything that moves): `SHT_LLVM_ADDRSIG` (clang's `.llvm_addrsig`, which
/// `ld.lld -r` keeps; a list of symbol indices, which the rewrite keeps).
const OPAQUE_TYPES: &[u32] = &[0x6fff_4c03];

/// A copy of `data` whose sections of an [`OPAQUE_TYPES`] type are
/// `SHT_PROGBITS`, and those sections' indices and types.
fn mark_opaque(data: &[u8]) -> Result<(Vec<u8>, Vec<(usize, u32)>), String> {
    let header = elf::FileHeader64::<Endianness>::parse(data).map_err(err)?;
    let e = header.endian().map_err(err)?;
    let shoff = usize::try_from(header.e_shoff(e)).map_err(|e| e.to_string())?;
    let shentsize = usize::from(header.e_shentsize(e));
    let mut copy = data.to_vec();
    let mut opaque = Vec::new();
    for (i, s) in header.sections(e, data).map_err(err)?.iter().enumerate() {
        let t = s.sh_type(e).0;
        if OPAQUE_TYPES.contains(&t) {
            // sh_type is the second 32-bit word of a section header.
            let at = shoff + i * shentsize + 4;
            copy[at..at + 4].copy_from_slice(&elf::SHT_PROGBITS.0.to_le_bytes());
            opaque.push((i, t));
        }
    }
    Ok((copy, opaque))
}

/// Checks that `new` is `old` with exactly the conversion of `scan`: the same
/// sections (name, type, flags, links, data) and symbols (name, value, size,
/// binding, type, section) in the same order, except the moved relocations,
/// the converted symbols' `st_shndx` and the marker byte; plus the new klp
/// sections holding the moved relocations.
pub fn check_rewrite(old: &[u8], new: &[u8], scan: &Scan) -> Result<(), String> {
    let o = Elf::parse(old)?;
    let n = Elf::parse(new)?;
    let e = o.endian;
    let moved: BTreeSet<(usize, usize)> = scan
        .sites
        .iter()
        .map(|s| (s.rel_section, s.entry))
        .collect();
    let converted: BTreeSet<usize> = scan
        .symbols
        .iter()
        .filter(|s| s.state == SymState::WeakUndefined)
        .map(|s| s.index)
        .collect();
    let marker = scan
        .markers
        .first()
        .and_then(|m| Some((m.section?, usize::try_from(m.offset).ok()?)));

    let old_syms = o.symbols()?;
    let new_syms = n.symbols()?;
    if old_syms.list.len() != new_syms.list.len() {
        return Err(format!(
            "{} symbols instead of {}",
            new_syms.list.len(),
            old_syms.list.len()
        ));
    }
    for (i, (a, b)) in old_syms.list.iter().zip(&new_syms.list).enumerate() {
        let shndx = if converted.contains(&i) {
            SHN_LIVEPATCH
        } else {
            a.shndx
        };
        if (&a.name, a.info, a.other, a.value, a.size, shndx)
            != (&b.name, b.info, b.other, b.value, b.size, b.shndx)
        {
            return Err(format!("symbol {i} ({}) changed", a.name));
        }
    }

    let old_n = o.sections.len();
    let new_n = n.sections.len();
    let klp_count = new_n.checked_sub(old_n).ok_or("sections were lost")?;
    for i in 1..old_n {
        let a = o.sections.section(object::SectionIndex(i)).map_err(err)?;
        let b = n.sections.section(object::SectionIndex(i)).map_err(err)?;
        let name = o.section_name(a);
        if name != n.section_name(b)
            || a.sh_type(e) != b.sh_type(e)
            || a.sh_flags(e) != b.sh_flags(e)
            || a.sh_link(e) != b.sh_link(e)
            || a.sh_info(e) != b.sh_info(e)
            || a.sh_addralign(e) != b.sh_addralign(e)
            || a.sh_entsize(e) != b.sh_entsize(e)
        {
            return Err(format!("the header of section {i} ({name}) changed"));
        }
        let t = a.sh_type(e);
        if t == elf::SHT_SYMTAB || t == elf::SHT_STRTAB {
            continue; // compared through the symbols and names
        }
        if t == elf::SHT_NOBITS {
            if a.sh_size(e) != b.sh_size(e) {
                return Err(format!("the size of section {i} ({name}) changed"));
            }
            continue;
        }
        if let (Some((ra, _)), Some((rb, _))) =
            (a.rela(e, old).map_err(err)?, b.rela(e, new).map_err(err)?)
        {
            let kept: Vec<_> = ra
                .iter()
                .enumerate()
                .filter(|(j, _)| !moved.contains(&(i, *j)))
                .map(|(_, r)| rela_tuple(r, e))
                .collect();
            let now: Vec<_> = rb.iter().map(|r| rela_tuple(r, e)).collect();
            if kept != now {
                return Err(format!("the relocations of section {i} ({name}) changed"));
            }
            continue;
        }
        let mut da = a.data(e, old).map_err(err)?.to_vec();
        let db = b.data(e, new).map_err(err)?;
        if let Some((s, off)) = marker {
            if s == i {
                if let Some(byte) = da.get_mut(off) {
                    *byte = 1;
                }
            }
        }
        if da != db {
            return Err(format!("the data of section {i} ({name}) changed"));
        }
    }

    // The klp sections hold the moved relocations, nothing else.
    let mut want: Vec<(u64, u32, u32, i64)> = scan
        .sites
        .iter()
        .map(|s| {
            (
                s.offset,
                scan.symbols[s.sym].index as u32,
                s.r_type,
                s.addend,
            )
        })
        .collect();
    let mut have = Vec::new();
    for i in old_n..old_n + klp_count {
        let s = n.sections.section(object::SectionIndex(i)).map_err(err)?;
        let name = n.section_name(s);
        if !name.starts_with(RELA_PREFIX) || s.sh_flags(e).0 != KLP_RELA_FLAGS {
            return Err(format!("unexpected new section {name}"));
        }
        let (relas, link) = s.rela(e, new).map_err(err)?.ok_or("not SHT_RELA")?;
        if link.0 != new_syms.symtab_index {
            return Err(format!("{name} does not link to .symtab"));
        }
        for r in relas {
            let sym = new_syms
                .list
                .get(r.r_sym(e, false) as usize)
                .ok_or("a relocation against no symbol")?;
            let expected = format!(".{}", &name[RELA_PREFIX.len()..]);
            let sym_object = sym
                .name
                .strip_prefix(klpsyms::SYM_PREFIX)
                .and_then(|r| r.split_once('.'))
                .map(|(o, _)| format!(".{o}."))
                .unwrap_or_default();
            if !expected.starts_with(&sym_object) || sym_object.is_empty() {
                return Err(format!("{name} holds a relocation against {}", sym.name));
            }
            have.push(rela_tuple(r, e));
        }
    }
    want.sort_unstable();
    have.sort_unstable();
    if want != have {
        return Err("the klp sections do not hold exactly the moved relocations".into());
    }
    Ok(())
}

fn err(e: object::read::Error) -> String {
    e.to_string()
}

fn rela_tuple(r: &elf::Rela64<Endianness>, e: Endianness) -> (u64, u32, u32, i64) {
    (
        r.r_offset(e),
        r.r_sym(e, false),
        r.r_type(e, false).0,
        r.r_addend(e),
    )
}

/// A 64-bit ELF file's sections, for [`check_rewrite`].
struct Elf<'a> {
    data: &'a [u8],
    endian: Endianness,
    sections: object::read::elf::SectionTable<'a, elf::FileHeader64<Endianness>>,
}

struct SymInfo {
    name: String,
    info: u8,
    other: u8,
    value: u64,
    size: u64,
    shndx: u16,
}

struct Symbols {
    symtab_index: usize,
    list: Vec<SymInfo>,
}

impl<'a> Elf<'a> {
    fn parse(data: &'a [u8]) -> Result<Self, String> {
        let header = elf::FileHeader64::<Endianness>::parse(data).map_err(err)?;
        let endian = header.endian().map_err(err)?;
        let sections = header.sections(endian, data).map_err(err)?;
        Ok(Elf {
            data,
            endian,
            sections,
        })
    }

    fn section_name(&self, s: &elf::SectionHeader64<Endianness>) -> String {
        self.sections
            .section_name(self.endian, s)
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_default()
    }

    fn symbols(&self) -> Result<Symbols, String> {
        let e = self.endian;
        let t = self
            .sections
            .symbols(e, self.data, elf::SHT_SYMTAB)
            .map_err(err)?;
        let mut list = Vec::new();
        for s in t.iter() {
            list.push(SymInfo {
                name: String::from_utf8_lossy(t.symbol_name(e, s).map_err(err)?).into_owned(),
                info: s.st_info().0,
                other: s.st_other().0,
                value: s.st_value(e),
                size: s.st_size(e),
                shndx: s.st_shndx(e).0,
            });
        }
        Ok(Symbols {
            symtab_index: t.section().0,
            list,
        })
    }
}

/// Converts the file at `path` in place: a temporary file next to it, then
/// a rename, so a failure leaves the original intact. Returns the line to
/// print.
pub fn post_link_file(path: &std::path::Path) -> Result<String, String> {
    let data = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    match convert(&data)? {
        Outcome::NothingToDo => Ok("no external symbols, unchanged".into()),
        Outcome::AlreadyConverted {
            symbols,
            relocations,
        } => Ok(format!(
            "already converted ({relocations} klp relocations against {symbols} symbols), unchanged"
        )),
        Outcome::Converted { data, summary } => {
            write_atomically(path, &data).map_err(|e| format!("cannot write it: {e}"))?;
            Ok(summary.describe())
        }
    }
}

fn write_atomically(path: &std::path::Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    // Through a symbolic link, replace the file it points to.
    let path = &std::fs::canonicalize(path)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.klp-post-link.{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.set_permissions(std::fs::metadata(path)?.permissions())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
pub(crate) mod tests;
