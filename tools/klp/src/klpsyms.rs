//! External symbols of a livepatch module: the static or non-exported
//! functions and variables of the patched objects (vmlinux or a module) that
//! the patch references, resolved by the livepatch core through "klp
//! relocations" (`Documentation/livepatch/module-elf-format.rst`).
//!
//! A patch references such a symbol under the name
//! `.klp.sym.<object>.<name>,<sympos>` as a WEAK undefined symbol, with
//! ordinary relocations against it (what the linker keeps). `klp post-link`
//! ([`crate::postlink`]) then turns it into what the kernel applies:
//! - the symbol gets `st_shndx = SHN_LIVEPATCH`: `simplify_symbols()`
//!   (kernel/module/main.c) leaves it alone, and `klp_resolve_symbols()`
//!   (kernel/livepatch/core.c) requires it;
//! - its relocations move from `.rela<sec>` to `.klp.rela.<object>.<sec>`
//!   (`SHT_RELA`, `SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH`): the
//!   loader skips them, and klp applies the vmlinux ones when the patch
//!   loads, a module's ones when that module loads (and clears them when it
//!   goes);
//! - the marker byte [`MARKER`] is set to 1: the patch's init refuses to
//!   enable without it, because an unconverted module loads and runs with
//!   address 0 for every such symbol (the loader accepts an unresolved WEAK
//!   symbol as 0).
//!
//! This module reads those symbols from a file ([`scan`]), parses their names
//! as the kernel does ([`KlpSymName::parse`]) and checks them against
//! `/proc/kallsyms` ([`kallsyms_checks`]).

use crate::fit::Check;
use crate::kallsyms::Kallsyms;
use crate::sys::Sys;
use object::elf;
use object::read::elf::{FileHeader, Rel, Rela, SectionHeader, Sym};
use object::{Endianness, FileKind};
use serde::Serialize;
use std::collections::HashSet;

/// The prefix of a klp symbol name (`KLP_SYM_PREFIX`).
pub const SYM_PREFIX: &str = ".klp.sym.";
/// The prefix of a klp relocation section name (`KLP_RELOC_SEC_PREFIX`).
pub const RELA_PREFIX: &str = ".klp.rela.";
/// `st_shndx` of a livepatch symbol (include/uapi/linux/elf.h).
pub const SHN_LIVEPATCH: u16 = 0xff20;
/// `sh_flags` bit of a livepatch relocation section.
pub const SHF_RELA_LIVEPATCH: u64 = 0x0010_0000;
/// The flags `klp post-link` (and objtool's) give a klp relocation section.
pub const KLP_RELA_FLAGS: u64 = elf::SHF_ALLOC.0 | elf::SHF_INFO_LINK.0 | SHF_RELA_LIVEPATCH;
/// The 1-byte static a patch with external symbols carries, 0 as built and
/// set to 1 by `klp post-link`; its init refuses to enable the patch
/// otherwise.
pub const MARKER: &str = "__rust_livepatch_klp_converted";

/// `%55[^.]` in the kernel's parse: `MODULE_NAME_LEN - 1` on 64-bit.
const OBJECT_NAME_MAX: usize = 55;
/// `%511[^,]`: `KSYM_NAME_LEN - 1`.
const SYMBOL_NAME_MAX: usize = 511;

/// A parsed `.klp.sym.<object>.<name>,<sympos>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KlpSymName {
    /// `vmlinux` or a module name.
    pub object: String,
    pub name: String,
    /// 0: the name must be unique in the object; N: its Nth occurrence in
    /// kallsyms order.
    pub sympos: u64,
}

impl KlpSymName {
    /// Parses a full symbol name the way `klp_resolve_symbols()` does
    /// (`".klp.sym." "%55[^.].%511[^,],%lu"`), more strictly: what the kernel
    /// would accept but could never resolve (an object name no module can
    /// have, trailing characters it would ignore) is an error too. The error
    /// says what is wrong, for the patch author.
    pub fn parse(symbol: &str) -> Result<Self, String> {
        let rest = symbol
            .strip_prefix(SYM_PREFIX)
            .ok_or_else(|| format!("does not start with {SYM_PREFIX}"))?;
        let (object, rest) = rest
            .split_once('.')
            .ok_or("no '.' ends the object name (format: .klp.sym.<object>.<name>,<sympos>)")?;
        if object.is_empty() {
            return Err("the object name is empty".into());
        }
        if object.len() > OBJECT_NAME_MAX {
            return Err(format!(
                "the object name '{object}' is longer than {OBJECT_NAME_MAX} characters"
            ));
        }
        if object.contains('-') {
            return Err(format!(
                "the object name '{object}' contains '-': the kernel names modules with '_' ('{}')",
                object.replace('-', "_")
            ));
        }
        if let Some(c) = object
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
        {
            return Err(format!(
                "the object name '{object}' contains '{c}': a module name has only letters, digits and '_'"
            ));
        }
        let (name, sympos) = rest
            .split_once(',')
            .ok_or("no ',<sympos>' after the symbol name (use ,0 for a unique name)")?;
        if name.is_empty() {
            return Err("the symbol name is empty".into());
        }
        if name.len() > SYMBOL_NAME_MAX {
            return Err(format!(
                "the symbol name is longer than {SYMBOL_NAME_MAX} characters"
            ));
        }
        if let Some(c) = name.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(format!(
                "the symbol name '{name}' contains {c:?}, which no kernel symbol has"
            ));
        }
        if sympos.is_empty() || !sympos.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "the sympos '{sympos}' is not a decimal number (0 for a unique name, N for the Nth occurrence)"
            ));
        }
        let sympos = sympos
            .parse()
            .map_err(|_| format!("the sympos '{sympos}' is too large"))?;
        Ok(KlpSymName {
            object: object.to_string(),
            name: name.to_string(),
            sympos,
        })
    }

    /// The full symbol name.
    pub fn symbol(&self) -> String {
        format!("{SYM_PREFIX}{}.{},{}", self.object, self.name, self.sympos)
    }
}

/// What the symbol table says of a klp symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SymState {
    /// WEAK and undefined: as the patch is built, to be converted.
    WeakUndefined,
    /// `st_shndx == SHN_LIVEPATCH`: converted.
    Livepatch,
    /// Anything else (defined, GLOBAL undefined...): described.
    Other(String),
}

/// A `.klp.sym.*` symbol of the file.
#[derive(Debug, Clone)]
pub struct KlpSym {
    /// Its index in `.symtab`.
    pub index: usize,
    /// The full name.
    pub symbol: String,
    pub parsed: Result<KlpSymName, String>,
    pub state: SymState,
}

/// An ordinary relocation against a klp symbol, in a relocation section the
/// kernel applies at load (its target section is allocated).
#[derive(Debug, Clone)]
pub struct Site {
    /// The relocation section and the entry's index in it.
    pub rel_section: usize,
    pub entry: usize,
    /// `SHT_RELA` (x86-64 modules use nothing else).
    pub is_rela: bool,
    /// The section relocated (`sh_info`) and its name.
    pub target: usize,
    pub target_name: String,
    pub offset: u64,
    pub r_type: u32,
    pub addend: i64,
    /// Index in [`Scan::symbols`].
    pub sym: usize,
    /// The bytes at the site are all zero, for the size the type writes:
    /// `None` when they cannot be read (uninitialised section, out of
    /// bounds, unknown type).
    pub zero: Option<bool>,
}

/// A `.klp.rela.*` section already in the file.
#[derive(Debug, Clone)]
pub struct KlpRelaSection {
    pub index: usize,
    pub name: String,
    pub flags: u64,
    /// For each entry, the klp symbol it references (index in
    /// [`Scan::symbols`]), `None` for any other symbol.
    pub syms: Vec<Option<usize>>,
}

/// The marker static.
#[derive(Debug, Clone)]
pub struct Marker {
    /// Its section index and offset, `None` when undefined.
    pub section: Option<usize>,
    pub section_name: String,
    pub offset: u64,
    pub size: u64,
    /// `SHT_PROGBITS` with `SHF_ALLOC | SHF_WRITE`: a byte the file holds
    /// and the module can read and the loader copies.
    pub writable_data: bool,
    /// Its byte in the file, if it has one.
    pub value: Option<u8>,
}

/// Everything klp-relocation related in a module file.
#[derive(Debug, Clone)]
pub struct Scan {
    /// `e_machine`.
    pub machine: u16,
    pub symbols: Vec<KlpSym>,
    /// Ordinary relocations against klp symbols (not `R_X86_64_NONE`, and
    /// into allocated sections: the loader ignores the others).
    pub sites: Vec<Site>,
    pub klp_sections: Vec<KlpRelaSection>,
    /// Every symbol named [`MARKER`].
    pub markers: Vec<Marker>,
}

/// Whether the file is ready for the kernel as far as klp symbols go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Conversion {
    /// No klp symbols: nothing to convert.
    NotNeeded,
    /// Converted by `klp post-link`.
    Converted,
    /// Has klp symbols the kernel cannot resolve yet: run `klp post-link`.
    NotConverted,
}

impl Scan {
    /// How many relocations reference symbol `i` (index in `symbols`),
    /// ordinary and klp ones.
    pub fn relocations_of(&self, i: usize) -> usize {
        self.sites.iter().filter(|s| s.sym == i).count()
            + self
                .klp_sections
                .iter()
                .flat_map(|s| &s.syms)
                .filter(|s| **s == Some(i))
                .count()
    }

    /// Whether something is left to convert: ordinary relocations against
    /// klp symbols, or klp symbols not yet `SHN_LIVEPATCH`.
    pub fn pending(&self) -> bool {
        !self.sites.is_empty() || self.symbols.iter().any(|s| s.state != SymState::Livepatch)
    }

    /// Whether a marker exists and is not 1: the module's init will refuse
    /// to enable its patch.
    pub fn marker_unset(&self) -> bool {
        self.markers.iter().any(|m| m.value != Some(1))
    }

    /// The conversion state, as `klp load` and `klp info` see it. A module
    /// converted by other tools (kpatch, objtool's `klp post-link`) has no
    /// marker: its klp symbols and sections are all that counts.
    pub fn conversion(&self) -> Conversion {
        if self.pending() || self.marker_unset() {
            Conversion::NotConverted
        } else if self.symbols.is_empty() {
            Conversion::NotNeeded
        } else {
            Conversion::Converted
        }
    }

    /// The parsed names of the symbols, skipping unparsable ones.
    pub fn names(&self) -> impl Iterator<Item = &KlpSymName> {
        self.symbols.iter().filter_map(|s| s.parsed.as_ref().ok())
    }
}

/// The size an x86-64 relocation type writes, for the types the kernel's
/// `apply_relocate_add()` (arch/x86/kernel/module.c) handles.
pub fn x86_64_reloc_size(r_type: u32) -> Option<usize> {
    match elf::RelocationType(r_type) {
        elf::R_X86_64_64 | elf::R_X86_64_PC64 => Some(8),
        elf::R_X86_64_32 | elf::R_X86_64_32S | elf::R_X86_64_PC32 | elf::R_X86_64_PLT32 => Some(4),
        _ => None,
    }
}

/// The name of an x86-64 relocation type, for messages.
pub fn x86_64_reloc_name(r_type: u32) -> String {
    let name = match elf::RelocationType(r_type) {
        elf::R_X86_64_NONE => "R_X86_64_NONE",
        elf::R_X86_64_64 => "R_X86_64_64",
        elf::R_X86_64_PC32 => "R_X86_64_PC32",
        elf::R_X86_64_GOT32 => "R_X86_64_GOT32",
        elf::R_X86_64_PLT32 => "R_X86_64_PLT32",
        elf::R_X86_64_GOTPCREL => "R_X86_64_GOTPCREL",
        elf::R_X86_64_32 => "R_X86_64_32",
        elf::R_X86_64_32S => "R_X86_64_32S",
        elf::R_X86_64_16 => "R_X86_64_16",
        elf::R_X86_64_PC16 => "R_X86_64_PC16",
        elf::R_X86_64_8 => "R_X86_64_8",
        elf::R_X86_64_PC8 => "R_X86_64_PC8",
        elf::R_X86_64_TPOFF32 => "R_X86_64_TPOFF32",
        elf::R_X86_64_PC64 => "R_X86_64_PC64",
        elf::R_X86_64_GOTOFF64 => "R_X86_64_GOTOFF64",
        elf::R_X86_64_GOTPC32 => "R_X86_64_GOTPC32",
        elf::R_X86_64_SIZE32 => "R_X86_64_SIZE32",
        elf::R_X86_64_SIZE64 => "R_X86_64_SIZE64",
        elf::R_X86_64_GOTPCRELX => "R_X86_64_GOTPCRELX",
        elf::R_X86_64_REX_GOTPCRELX => "R_X86_64_REX_GOTPCRELX",
        _ => return format!("relocation type {r_type}"),
    };
    name.to_string()
}

/// Reads the klp symbols, their relocations and the marker of an ELF file.
/// `Ok(None)`: a 32-bit or big-endian ELF file, which has none of this
/// project's modules (the caller decides whether that matters).
pub fn scan(data: &[u8]) -> Result<Option<Scan>, String> {
    match FileKind::parse(data) {
        Ok(FileKind::Elf64) => {}
        Ok(FileKind::Elf32) => return Ok(None),
        _ => return Err("not an ELF file".into()),
    }
    scan64(data).map_err(|e| format!("malformed ELF file: {e}"))
}

fn scan64(data: &[u8]) -> object::read::Result<Option<Scan>> {
    let header = elf::FileHeader64::<Endianness>::parse(data)?;
    let endian = header.endian()?;
    if endian != Endianness::Little {
        return Ok(None);
    }
    let sections = header.sections(endian, data)?;
    let symbols = sections.symbols(endian, data, elf::SHT_SYMTAB)?;
    let section_name = |i: usize| -> String {
        sections
            .section(object::SectionIndex(i))
            .ok()
            .and_then(|s| sections.section_name(endian, s).ok())
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_default()
    };

    let mut scan = Scan {
        machine: header.e_machine(endian).0,
        symbols: Vec::new(),
        sites: Vec::new(),
        klp_sections: Vec::new(),
        markers: Vec::new(),
    };
    // Symbol table index -> index in scan.symbols.
    let mut klp_index = vec![None; symbols.len()];
    for (i, sym) in symbols.iter().enumerate().skip(1) {
        let name = symbols.symbol_name(endian, sym)?;
        let name = String::from_utf8_lossy(name);
        let shndx = sym.st_shndx(endian);
        if name.starts_with(SYM_PREFIX) {
            let state = if shndx.0 == SHN_LIVEPATCH {
                SymState::Livepatch
            } else if shndx == elf::SHN_UNDEF && sym.st_bind() == elf::STB_WEAK {
                SymState::WeakUndefined
            } else {
                SymState::Other(describe_symbol(
                    sym.st_bind().0,
                    shndx.0,
                    &section_name(usize::from(shndx.0)),
                ))
            };
            klp_index[i] = Some(scan.symbols.len());
            scan.symbols.push(KlpSym {
                index: i,
                symbol: name.to_string(),
                parsed: KlpSymName::parse(&name),
                state,
            });
        } else if name == MARKER {
            let section = symbols
                .symbol_section(endian, sym, object::SymbolIndex(i))?
                .map(|s| s.0);
            let mut marker = Marker {
                section,
                section_name: section.map(section_name).unwrap_or_default(),
                offset: sym.st_value(endian),
                size: sym.st_size(endian),
                writable_data: false,
                value: None,
            };
            if let Some(s) = section {
                let sh = sections.section(object::SectionIndex(s))?;
                let flags = sh.sh_flags(endian).0;
                let wanted = elf::SHF_ALLOC.0 | elf::SHF_WRITE.0;
                marker.writable_data =
                    sh.sh_type(endian) == elf::SHT_PROGBITS && flags & wanted == wanted;
                if sh.sh_type(endian) != elf::SHT_NOBITS {
                    marker.value = sh
                        .data(endian, data)?
                        .get(usize::try_from(marker.offset).unwrap_or(usize::MAX))
                        .copied();
                }
            }
            scan.markers.push(marker);
        }
    }

    for (index, section) in sections.iter().enumerate() {
        let name = sections.section_name(endian, section)?;
        let name = String::from_utf8_lossy(name).into_owned();
        let flags = section.sh_flags(endian).0;
        if let Some((relas, link)) = section.rela(endian, data)? {
            if link != symbols.section() {
                continue;
            }
            let syms = relas.iter().map(|r| {
                klp_index
                    .get(r.r_sym(endian, false) as usize)
                    .copied()
                    .flatten()
            });
            if name.starts_with(RELA_PREFIX) || flags & SHF_RELA_LIVEPATCH != 0 {
                scan.klp_sections.push(KlpRelaSection {
                    index,
                    name,
                    flags,
                    syms: syms.collect(),
                });
                continue;
            }
            let target = section.sh_info(endian) as usize;
            let Ok(target_sh) = sections.section(object::SectionIndex(target)) else {
                continue;
            };
            if target_sh.sh_flags(endian).0 & elf::SHF_ALLOC.0 == 0 {
                continue;
            }
            let target_data = if target_sh.sh_type(endian) == elf::SHT_NOBITS {
                None
            } else {
                target_sh.data(endian, data).ok()
            };
            for (entry, (rela, sym)) in relas.iter().zip(syms).enumerate() {
                let Some(sym) = sym else { continue };
                let r_type = rela.r_type(endian, false).0;
                if elf::RelocationType(r_type) == elf::R_X86_64_NONE {
                    continue;
                }
                let offset = rela.r_offset(endian);
                let zero = match (target_data, x86_64_reloc_size(r_type)) {
                    (Some(bytes), Some(size)) => usize::try_from(offset)
                        .ok()
                        .and_then(|o| bytes.get(o..o.checked_add(size)?))
                        .map(|b| b.iter().all(|&x| x == 0)),
                    _ => None,
                };
                scan.sites.push(Site {
                    rel_section: index,
                    entry,
                    is_rela: true,
                    target,
                    target_name: section_name(target),
                    offset,
                    r_type,
                    addend: rela.r_addend(endian),
                    sym,
                    zero,
                });
            }
        } else if let Some((rels, link)) = section.rel(endian, data)? {
            if link != symbols.section() {
                continue;
            }
            for (entry, rel) in rels.iter().enumerate() {
                let Some(sym) = klp_index.get(rel.r_sym(endian) as usize).copied().flatten() else {
                    continue;
                };
                let target = section.sh_info(endian) as usize;
                scan.sites.push(Site {
                    rel_section: index,
                    entry,
                    is_rela: false,
                    target,
                    target_name: section_name(target),
                    offset: rel.r_offset(endian),
                    r_type: rel.r_type(endian).0,
                    addend: 0,
                    sym,
                    zero: None,
                });
            }
        }
    }
    Ok(Some(scan))
}

fn describe_symbol(bind: u8, shndx: u16, section: &str) -> String {
    let bind = match elf::SymbolBind(bind) {
        elf::STB_LOCAL => "LOCAL".to_string(),
        elf::STB_GLOBAL => "GLOBAL".to_string(),
        elf::STB_WEAK => "WEAK".to_string(),
        b => format!("binding {b}"),
    };
    match shndx {
        0 => format!("{bind} undefined"),
        0xfff1 => format!("{bind} absolute"),
        0xfff2 => format!("{bind} common"),
        s if s >= 0xff00 => format!("{bind} in special section {s:#x}"),
        _ => format!("{bind} defined in {section}"),
    }
}

/// The `/proc/kallsyms` checks of each external symbol, as the core will
/// resolve it (`klp_find_object_symbol()`): present, unique for sympos 0,
/// at least `sympos` occurrences otherwise. A module object that is not
/// loaded cannot be checked (undecided: its relocations are applied when
/// it loads).
pub fn kallsyms_checks(sys: &Sys, scan: &Scan) -> Vec<Check> {
    let names: Vec<&KlpSymName> = scan.names().collect();
    if names.is_empty() {
        return Vec::new();
    }
    let wanted: HashSet<&str> = names.iter().map(|n| n.name.as_str()).collect();
    let kallsyms = Kallsyms::read(sys, &wanted);
    let mut checks = Vec::new();
    let mut seen = HashSet::new();
    for n in names {
        if !seen.insert((&n.object, &n.name, n.sympos)) {
            continue;
        }
        let what = format!("external {}:{},{}", n.object, n.name, n.sympos);
        let check = if n.object != "vmlinux" && !sys.module_loaded(&n.object) {
            Check {
                what,
                ok: None,
                detail: format!(
                    "module {} is not loaded: checked by the kernel when it loads",
                    n.object
                ),
            }
        } else {
            match &kallsyms {
                None => Check {
                    what,
                    ok: None,
                    detail: "/proc/kallsyms unreadable: not checked".into(),
                },
                Some(k) => match k.resolve(&n.object, &n.name, n.sympos) {
                    Ok(()) => Check {
                        what,
                        ok: Some(true),
                        detail: "found in /proc/kallsyms".into(),
                    },
                    Err(why) => Check {
                        what,
                        ok: Some(false),
                        detail: why,
                    },
                },
            }
        };
        checks.push(check);
    }
    checks
}

/// The check that the file's klp symbols were converted: a module that
/// references external symbols and was not run through `klp post-link`
/// must not be loaded.
pub fn conversion_check(scan: &Scan) -> Option<Check> {
    let what = "external symbols".to_string();
    let n = scan.symbols.len();
    let (ok, detail) = match scan.conversion() {
        Conversion::NotNeeded => return None,
        Conversion::Converted => (
            true,
            format!("{n} klp symbols, their relocations in .klp.rela sections"),
        ),
        Conversion::NotConverted if scan.pending() => (
            false,
            format!(
                "it references {n} external symbols but was not converted: run 'klp post-link' on it after the build"
            ),
        ),
        Conversion::NotConverted => (
            false,
            format!(
                "its '{MARKER}' is not set, so its init will refuse to enable the patch: run 'klp post-link' on it after the build"
            ),
        ),
    };
    Some(Check {
        what,
        ok: Some(ok),
        detail,
    })
}

/// The external symbols of a module file, for `klp info`.
#[derive(Debug, Clone, Serialize)]
pub struct External {
    pub conversion: Conversion,
    pub symbols: Vec<ExternalSymbol>,
}

/// One external symbol, for `klp info`.
#[derive(Debug, Clone, Serialize)]
pub struct ExternalSymbol {
    /// The full `.klp.sym.*` name.
    pub symbol: String,
    /// `None` when the name does not parse (see `problem`).
    pub object: Option<String>,
    pub name: Option<String>,
    pub sympos: Option<u64>,
    /// Relocations against it (ordinary or klp ones).
    pub relocations: usize,
    /// Why the kernel could not resolve it, if it could not.
    pub problem: Option<String>,
}

impl External {
    pub fn new(scan: &Scan) -> Self {
        let symbols = scan
            .symbols
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let n = s.parsed.as_ref().ok();
                ExternalSymbol {
                    symbol: s.symbol.clone(),
                    object: n.map(|n| n.object.clone()),
                    name: n.map(|n| n.name.clone()),
                    sympos: n.map(|n| n.sympos),
                    relocations: scan.relocations_of(i),
                    problem: s.parsed.as_ref().err().cloned(),
                }
            })
            .collect();
        External {
            conversion: scan.conversion(),
            symbols,
        }
    }

    /// The lines `klp info` prints (none without external symbols).
    pub fn describe(&self) -> Vec<String> {
        let state = match self.conversion {
            Conversion::NotNeeded => return Vec::new(),
            Conversion::Converted => "converted",
            Conversion::NotConverted => "NOT converted: run 'klp post-link' on the file",
        };
        let mut lines = vec![format!(
            "external symbols: {} ({state})",
            self.symbols.len()
        )];
        for s in &self.symbols {
            let refs = format!(
                "{} relocation{}",
                s.relocations,
                if s.relocations == 1 { "" } else { "s" }
            );
            lines.push(match (&s.object, &s.name, s.sympos, &s.problem) {
                (Some(o), Some(n), Some(p), _) => format!("  {o} {n} sympos={p} ({refs})"),
                (.., Some(why)) => format!("  {} INVALID: {why} ({refs})", s.symbol),
                _ => format!("  {} ({refs})", s.symbol),
            });
        }
        lines
    }
}

/// Adds the external-symbol checks (converted; each symbol in
/// `/proc/kallsyms`) to a module's fit.
pub fn extend_fit(sys: &Sys, scan: &Scan, fit: &mut crate::fit::Fit) {
    fit.checks.extend(conversion_check(scan));
    fit.checks.extend(kallsyms_checks(sys, scan));
    fit.fits = fit.checks.iter().all(|c| c.ok != Some(false));
}

/// What `klp load` checks of the external symbols before loading `data`:
/// refuses (`Err`, the reasons) an unconverted module or a symbol the
/// kernel will not resolve; writes what it could not check to `out`.
pub fn check_before_load(
    sys: &Sys,
    data: &[u8],
    out: &mut dyn std::io::Write,
) -> Result<(), String> {
    let Some(scan) = scan(data)? else {
        return Ok(());
    };
    if let Some(c) = conversion_check(&scan) {
        if c.ok == Some(false) {
            return Err(c.detail);
        }
    }
    let mut failed = Vec::new();
    for c in kallsyms_checks(sys, &scan) {
        match c.ok {
            Some(true) => {}
            Some(false) => failed.push(format!("{}: {}", c.what, c.detail)),
            None => {
                let _ = writeln!(out, "{}: {}", c.what, c.detail);
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the kernel would not resolve its external symbols: {}",
            failed.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests;
