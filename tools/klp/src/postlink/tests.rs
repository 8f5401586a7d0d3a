use super::*;
use crate::klpsyms::{scan, KLP_RELA_FLAGS};
use crate::testutil::{Decl, In, KlpKo, MarkerAt, Ref};
use object::read::elf::ElfFile64;
use object::ObjectSection as _;

const FOO: &str = ".klp.sym.vmlinux.foo,0";
const BAR: &str = ".klp.sym.vmlinux.bar,2";
const EXT: &str = ".klp.sym.ext4.ext4_thing,0";

fn converted(ko: &KlpKo) -> (Vec<u8>, Summary) {
    match convert(&ko.bytes()) {
        Ok(Outcome::Converted { data, summary }) => (data, summary),
        other => panic!("not converted: {other:?}"),
    }
}

fn refused(ko: &KlpKo) -> String {
    match convert(&ko.bytes()) {
        Err(e) => e,
        Ok(o) => panic!("accepted: {o:?}"),
    }
}

/// A section's header fields and its relocations (offset, symbol name,
/// type, addend).
struct Sec {
    flags: u64,
    link: String,
    info: String,
    relocs: Vec<(u64, String, u32, i64)>,
}

fn section(data: &[u8], name: &str) -> Option<Sec> {
    let f = ElfFile64::<Endianness>::parse(data).unwrap();
    let e = f.endian();
    let table = f.elf_section_table();
    let (index, sh) = table
        .enumerate()
        .find(|(_, s)| table.section_name(e, s).unwrap() == name.as_bytes())?;
    let name_of = |i: u32| {
        let s = table.section(object::SectionIndex(i as usize)).unwrap();
        String::from_utf8(table.section_name(e, s).unwrap().to_vec()).unwrap()
    };
    let symbols = f.elf_symbol_table();
    let relocs = match sh.rela(e, data).unwrap() {
        Some((relas, _)) => relas
            .iter()
            .map(|r| {
                let sym = symbols
                    .symbol(object::SymbolIndex(r.r_sym(e, false) as usize))
                    .unwrap();
                let name = String::from_utf8(symbols.symbol_name(e, sym).unwrap().to_vec());
                (
                    r.r_offset(e),
                    name.unwrap(),
                    r.r_type(e, false).0,
                    r.r_addend(e),
                )
            })
            .collect(),
        None => vec![],
    };
    let _ = index;
    Some(Sec {
        flags: sh.sh_flags(e).0,
        link: name_of(sh.sh_link(e)),
        info: name_of(sh.sh_info(e)),
        relocs,
    })
}

/// (st_shndx, binding) of symbol `name`.
fn symbol(data: &[u8], name: &str) -> (u16, u8) {
    let f = ElfFile64::<Endianness>::parse(data).unwrap();
    let e = f.endian();
    let t = f.elf_symbol_table();
    let s = t
        .iter()
        .find(|s| t.symbol_name(e, s).unwrap() == name.as_bytes())
        .unwrap();
    (s.st_shndx(e).0, s.st_bind().0)
}

fn marker(data: &[u8]) -> Option<u8> {
    scan(data).unwrap().unwrap().markers[0].value
}

#[test]
fn moves_calls_reads_and_pointers_into_klp_sections() {
    let ko = KlpKo::with_refs(vec![Ref::call(FOO), Ref::read(BAR), Ref::pointer(FOO)]);
    let before = ko.bytes();
    let (after, summary) = converted(&ko);

    let text = section(&after, ".klp.rela.vmlinux..text").expect("text klp section");
    assert_eq!(text.flags, KLP_RELA_FLAGS);
    assert_eq!(
        text.flags, 0x0010_0042,
        "SHF_ALLOC|SHF_INFO_LINK|SHF_RELA_LIVEPATCH"
    );
    assert_eq!(text.link, ".symtab");
    assert_eq!(text.info, ".text");
    let r = &text.relocs;
    assert_eq!(r.len(), 2);
    assert_eq!((r[0].1.as_str(), r[0].2, r[0].3), (FOO, 4, -4), "PLT32");
    assert_eq!((r[1].1.as_str(), r[1].2, r[1].3), (BAR, 2, -4), "PC32");
    let data = section(&after, ".klp.rela.vmlinux..data").expect("data klp section");
    assert_eq!(data.info, ".data");
    assert_eq!(data.relocs.len(), 1);
    assert_eq!((data.relocs[0].1.as_str(), data.relocs[0].2), (FOO, 1));

    // The ordinary sections keep everything else, nothing against klp symbols.
    let rela_text = section(&after, ".rela.text").map(|s| s.relocs);
    assert!(rela_text.unwrap_or_default().is_empty());
    let rela_data = section(&after, ".rela.data").unwrap().relocs;
    let before_data = section(&before, ".rela.data").unwrap().relocs;
    assert_eq!(rela_data.len(), before_data.len() - 1);
    assert!(rela_data.iter().all(|r| !r.1.starts_with(".klp.sym.")));

    for s in [FOO, BAR] {
        assert_eq!(
            symbol(&after, s),
            (0xff20, 2),
            "{s}: SHN_LIVEPATCH, still WEAK"
        );
    }
    assert_eq!(marker(&before), Some(0));
    assert_eq!(marker(&after), Some(1));
    let desc = |d: &[u8]| descriptors::find(&object::File::parse(d).unwrap());
    assert_eq!(desc(&before), desc(&after));
    assert!(desc(&after).is_some());

    assert_eq!(summary.describe(), "3 relocations for objects vmlinux (3) moved to 2 .klp.rela sections, 2 symbols marked SHN_LIVEPATCH, marker set");
}

#[test]
fn one_section_per_object_and_target_section() {
    let ko = KlpKo {
        objects: vec!["vmlinux".into(), "ext4".into()],
        refs: vec![
            Ref::call(FOO),
            Ref::call(EXT),
            Ref::read(EXT),
            Ref::pointer(EXT),
        ],
        ..Default::default()
    };
    let (after, summary) = converted(&ko);
    let names = |o: &str, s: &str| format!(".klp.rela.{o}.{s}");
    assert_eq!(
        summary.sections,
        [
            names("ext4", ".text"),
            names("ext4", ".data"),
            names("vmlinux", ".text")
        ]
    );
    assert_eq!(
        section(&after, &names("ext4", ".text"))
            .unwrap()
            .relocs
            .len(),
        2
    );
    assert_eq!(
        section(&after, &names("ext4", ".data"))
            .unwrap()
            .relocs
            .len(),
        1
    );
    assert_eq!(
        section(&after, &names("vmlinux", ".text"))
            .unwrap()
            .relocs
            .len(),
        1
    );
    assert_eq!(
        summary.relocations,
        BTreeMap::from([("ext4".to_string(), 3), ("vmlinux".to_string(), 1)])
    );
}

#[test]
fn converting_twice_changes_nothing() {
    let ko = KlpKo::with_refs(vec![Ref::call(FOO), Ref::pointer(BAR)]);
    let (once, _) = converted(&ko);
    match convert(&once) {
        Ok(Outcome::AlreadyConverted {
            symbols,
            relocations,
        }) => assert_eq!((symbols, relocations), (2, 2)),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        scan(&once).unwrap().unwrap().conversion(),
        Conversion::Converted
    );
}

/// A module converted by another tool (kpatch, objtool's klp post-link):
/// klp symbols and sections, no marker.
pub(crate) fn converted_without_marker(refs: Vec<Ref>) -> Vec<u8> {
    let data = KlpKo {
        marker: None,
        ..KlpKo::with_refs(refs)
    }
    .bytes();
    rewrite(&data, &scan(&data).unwrap().unwrap()).unwrap().0
}

#[test]
fn modules_converted_by_other_tools_are_left_alone() {
    let c = converted_without_marker(vec![Ref::call(FOO), Ref::read(BAR)]);
    assert_eq!(
        scan(&c).unwrap().unwrap().conversion(),
        Conversion::Converted
    );
    match convert(&c) {
        Ok(Outcome::AlreadyConverted {
            symbols,
            relocations,
        }) => assert_eq!((symbols, relocations), (2, 2)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn files_without_klp_symbols_are_left_alone() {
    let plain = crate::testutil::Ko::new(&crate::testutil::Modinfo::plain("plain")).bytes();
    assert!(matches!(convert(&plain), Ok(Outcome::NothingToDo)));
    let no_marker = KlpKo {
        marker: None,
        ..Default::default()
    };
    assert!(matches!(
        convert(&no_marker.bytes()),
        Ok(Outcome::NothingToDo)
    ));
    // Not an ELF file at all.
    assert!(convert(b"hello").is_err());
}

#[test]
fn refuses_rust_targets_compiled_into_the_patch() {
    // An #[inline] Rust target named by path: the macro's `sym` operand
    // made the compiler define a copy in the patch.
    let target = "_RNvMNtCs1234_6kernel5errorNtB2_5Error4name";
    let copied = KlpKo {
        target: target.into(),
        defines: vec![target.into()],
        marker: None,
        ..Default::default()
    };
    let e = refused(&copied);
    assert!(
        e.contains(&format!(
            "the target {target} of vmlinux is compiled into this patch"
        )),
        "{e}"
    );
    assert!(e.contains("#[inline(never)]"), "{e}");
    // Not defined here: nothing to do.
    let fine = KlpKo {
        defines: vec![],
        ..copied.clone()
    };
    assert!(matches!(convert(&fine.bytes()), Ok(Outcome::NothingToDo)));
    // A C target defined in the patch (klp-build's modules carry the new
    // function under the old name): left alone.
    let c = KlpKo {
        defines: vec!["cmdline_proc_show".into()],
        marker: None,
        ..Default::default()
    };
    assert!(matches!(convert(&c.bytes()), Ok(Outcome::NothingToDo)));
}

#[test]
fn a_marker_without_symbols_is_set() {
    // A patch whose declared external symbols are all unused: the compiler
    // emits no symbol, but the init still checks the marker.
    let (after, summary) = converted(&KlpKo::default());
    assert_eq!(marker(&after), Some(1));
    assert_eq!(summary.relocations.len(), 0);
}

#[test]
fn references_from_unallocated_sections_stay() {
    let ko = KlpKo::with_refs(vec![Ref::call(FOO), Ref::pointer(FOO).at(In::Debug)]);
    let (after, summary) = converted(&ko);
    assert_eq!(summary.relocations["vmlinux"], 1);
    let debug = section(&after, ".rela.debug_info").unwrap().relocs;
    assert_eq!(debug.len(), 1, "the loader never applies them");
}

#[test]
fn vmlinux_references_from_init_sections_are_fine() {
    let (after, _) = converted(&KlpKo::with_refs(vec![Ref::call(FOO).at(In::InitText)]));
    assert_eq!(
        section(&after, ".klp.rela.vmlinux..init.text")
            .unwrap()
            .info,
        ".init.text"
    );
}

#[test]
fn keeps_sections_the_builder_does_not_know() {
    // clang's address-significance table, which ld.lld -r keeps in a .ko.
    let ko = KlpKo {
        addrsig: true,
        ..KlpKo::with_refs(vec![Ref::call(FOO)])
    };
    let (after, _) = converted(&ko);
    let f = ElfFile64::<Endianness>::parse(&*after).unwrap();
    let s = f.section_by_name(".llvm_addrsig").unwrap();
    assert_eq!(s.elf_section_header().sh_type(f.endian()).0, 0x6fff_4c03);
    assert_eq!(s.data().unwrap(), [1, 2]);
}

#[test]
fn refuses_relocation_types_the_kernel_does_not_apply() {
    let e = refused(&KlpKo::with_refs(vec![
        Ref::read(FOO).with_type(elf::R_X86_64_GOTPCREL.0)
    ]));
    assert!(
        e.contains(
            "is R_X86_64_GOTPCREL, which the kernel's apply_relocate_add (x86_64) does not handle"
        ),
        "{e}"
    );
    let e = refused(&KlpKo::with_refs(vec![
        Ref::pointer(FOO).with_type(elf::R_X86_64_32.0)
    ]));
    assert!(e.contains("R_X86_64_32: no kernel address fits"), "{e}");
    for t in [elf::R_X86_64_32S, elf::R_X86_64_PC64] {
        converted(&KlpKo::with_refs(vec![Ref::pointer(FOO).with_type(t.0)]));
    }
}

#[test]
fn refuses_names_the_kernel_would_reject() {
    for (name, why) in [
        (".klp.sym.vmlinux.foo", "no ',<sympos>'"),
        (
            ".klp.sym.vmlinux.foo,",
            "the sympos '' is not a decimal number",
        ),
        (
            ".klp.sym.vmlinux.foo,1x",
            "the sympos '1x' is not a decimal number",
        ),
        (".klp.sym.vmlinux.foo,1,2", "the sympos '1,2' is not"),
        (".klp.sym.vmlinux", "no '.' ends the object name"),
        (".klp.sym.my-mod.foo,0", "contains '-'"),
    ] {
        let e = refused(&KlpKo::with_refs(vec![Ref::call(name)]));
        assert!(e.contains(&format!("symbol '{name}': ")), "{e}");
        assert!(e.contains(why), "{name}: {e}");
    }
}

#[test]
fn refuses_a_module_object_the_patch_does_not_declare() {
    let e = refused(&KlpKo::with_refs(vec![Ref::call(EXT)]));
    assert!(
        e.contains("references symbols of module ext4 but the patch has no klp_object named ext4"),
        "{e}"
    );
    let e = refused(&KlpKo {
        descriptors: false,
        ..KlpKo::with_refs(vec![Ref::call(EXT)])
    });
    assert!(e.contains("no klp descriptors were found"), "{e}");
    // vmlinux needs no klp_object: the loader applies its sections.
    converted(&KlpKo {
        descriptors: false,
        ..KlpKo::with_refs(vec![Ref::call(FOO)])
    });
}

#[test]
fn refuses_symbols_that_are_not_weak_undefined() {
    let e = refused(&KlpKo {
        decl: Decl::GlobalUndefined,
        ..KlpKo::with_refs(vec![Ref::call(FOO)])
    });
    assert!(
        e.contains(&format!(
            "symbol '{FOO}' is GLOBAL undefined: a klp symbol must be a WEAK undefined reference"
        )),
        "{e}"
    );
    let e = refused(&KlpKo {
        decl: Decl::Defined,
        ..KlpKo::with_refs(vec![Ref::call(FOO)])
    });
    assert!(e.contains("is GLOBAL defined in .text"), "{e}");
}

#[test]
fn refuses_a_missing_or_misplaced_marker() {
    let refs = vec![Ref::call(FOO)];
    let e = refused(&KlpKo {
        marker: None,
        ..KlpKo::with_refs(refs.clone())
    });
    assert!(
        e.contains("has no '__rust_livepatch_klp_converted' marker"),
        "{e}"
    );
    for at in [MarkerAt::Bss, MarkerAt::Rodata] {
        let e = refused(&KlpKo {
            marker: Some(at),
            ..KlpKo::with_refs(refs.clone())
        });
        assert!(e.contains("not initialised writable data"), "{at:?}: {e}");
    }
    let e = refused(&KlpKo {
        marker_size: 4,
        ..KlpKo::with_refs(refs.clone())
    });
    assert!(e.contains("is 4 bytes, not 1"), "{e}");
    let e = refused(&KlpKo {
        marker_value: 7,
        ..KlpKo::with_refs(refs)
    });
    assert!(e.contains("holds Some(7)"), "{e}");
}

#[test]
fn refuses_nonzero_sites_and_module_relocations_in_init_code() {
    let e = refused(&KlpKo::with_refs(vec![Ref::call(FOO).dirty()]));
    assert!(e.contains("the bytes at the site are not zero"), "{e}");
    let e = refused(&KlpKo {
        objects: vec!["vmlinux".into(), "ext4".into()],
        ..KlpKo::with_refs(vec![Ref::call(EXT).at(In::InitText)])
    });
    assert!(
        e.contains(".init.text is freed after the patch's init"),
        "{e}"
    );
}

#[test]
fn refuses_other_architectures() {
    let e = refused(&KlpKo {
        machine: object::Architecture::Aarch64,
        ..KlpKo::with_refs(vec![Ref::call(FOO).with_type(elf::R_AARCH64_CALL26.0)])
    });
    assert!(e.contains("not x86_64"), "{e}");
    // One without klp symbols is none of post-link's business.
    let plain = KlpKo {
        machine: object::Architecture::Aarch64,
        marker: None,
        ..Default::default()
    };
    assert!(matches!(convert(&plain.bytes()), Ok(Outcome::NothingToDo)));
}

#[test]
fn lists_every_problem_at_once() {
    let e = refused(&KlpKo {
        marker: None,
        ..KlpKo::with_refs(vec![
            Ref::call(".klp.sym.vmlinux.foo"),
            Ref::read(FOO).with_type(elf::R_X86_64_GOTPCREL.0),
        ])
    });
    assert_eq!(e.lines().count(), 3, "{e}");
}

#[test]
fn check_rewrite_notices_any_other_change() {
    let ko = KlpKo::with_refs(vec![Ref::call(FOO)]);
    let before = ko.bytes();
    let (after, _) = converted(&ko);
    let s = scan(&before).unwrap().unwrap();
    check_rewrite(&before, &after, &s).unwrap();

    // A changed byte in .modinfo.
    let f = object::File::parse(&*after).unwrap();
    let (off, _) = f.section_by_name(".modinfo").unwrap().file_range().unwrap();
    let mut tampered = after.clone();
    tampered[off as usize] ^= 1;
    let e = check_rewrite(&before, &tampered, &s).unwrap_err();
    assert!(e.contains("(.modinfo) changed"), "{e}");

    // Not converting a symbol.
    let mut s2 = s.clone();
    s2.symbols[0].state = SymState::Livepatch;
    assert!(check_rewrite(&before, &after, &s2)
        .unwrap_err()
        .contains("symbol"));
    // The marker not set.
    assert!(check_rewrite(&before, &before, &s).is_err());
}

#[test]
fn a_refused_file_is_left_untouched_and_a_converted_one_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.ko");
    let bad_bytes = KlpKo::with_refs(vec![Ref::call(FOO).dirty()]).bytes();
    std::fs::write(&bad, &bad_bytes).unwrap();
    assert!(post_link_file(&bad).is_err());
    assert_eq!(std::fs::read(&bad).unwrap(), bad_bytes);

    let good = dir.path().join("good.ko");
    std::fs::write(&good, KlpKo::with_refs(vec![Ref::call(FOO)]).bytes()).unwrap();
    let line = post_link_file(&good).unwrap();
    assert!(
        line.starts_with("1 relocations for objects vmlinux (1)"),
        "{line}"
    );
    let once = std::fs::read(&good).unwrap();
    assert_eq!(marker(&once), Some(1));
    let line = post_link_file(&good).unwrap();
    assert!(
        line.starts_with("already converted (1 klp relocations against 1 symbols)"),
        "{line}"
    );
    assert_eq!(std::fs::read(&good).unwrap(), once);
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");

    // Through a symbolic link: the file it points to is converted.
    let real = dir.path().join("real.ko");
    std::fs::write(&real, KlpKo::with_refs(vec![Ref::call(FOO)]).bytes()).unwrap();
    let link = dir.path().join("link.ko");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    post_link_file(&link).unwrap();
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(marker(&std::fs::read(&real).unwrap()), Some(1));
}
