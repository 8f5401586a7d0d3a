use super::*;
use crate::testutil::btf::{elf_with_sections, fixture};
use crate::testutil::declared::{c_int, int, seq_file_ptr, ty, unit, vmlinux_decl, void_ptr};

/// The records of tests/fixtures/signatures/emit.rs, as its comments say.
fn emitted() -> Vec<Declared> {
    vec![
        vmlinux_decl(
            "cmdline_proc_show",
            c_int(),
            vec![("m", seq_file_ptr()), ("_v", void_ptr())],
        ),
        Declared {
            object: "mod".into(),
            sympos: 2,
            replacement: "fix".into(),
            unchecked: true,
            ..vmlinux_decl(
                "mod_fn",
                unit(),
                vec![
                    ("uid", ty(RClass::Aggregate, false, 4, "bindings::kuid_t")),
                    ("gfp", int("bindings::gfp_t", 4, false)),
                    ("on", ty(RClass::Bool, false, 1, "bool")),
                    (
                        "cb",
                        ty(
                            RClass::FnPointer,
                            false,
                            8,
                            "Option<unsafe extern \"C\" fn(*mut bindings::inode) -> c_int>",
                        ),
                    ),
                ],
            )
        },
    ]
}

/// The format is what `global_asm!` can emit: the reference emitter,
/// compiled by the host's rustc, reads back as documented.
#[test]
fn records_emitted_by_global_asm_read_back() {
    if !cfg!(target_arch = "x86_64") {
        eprintln!("skipped: the reference emitter is x86-64 assembly");
        return;
    }
    let src = format!(
        "{}/tests/fixtures/signatures/emit.rs",
        env!("CARGO_MANIFEST_DIR")
    );
    let dir = tempfile::tempdir().unwrap();
    let obj = dir.path().join("emit.o");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let status = std::process::Command::new(&rustc)
        .args(["--edition=2021", "--crate-type=lib", "--emit=obj", "-o"])
        .arg(&obj)
        .arg(&src)
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!("{rustc} {src}: {s}"),
        Err(e) => {
            eprintln!("skipped: cannot run {rustc}: {e}");
            return;
        }
    }
    let data = std::fs::read(&obj).unwrap();
    let file = object::File::parse(&*data).unwrap();
    let section = file.section_by_name(SECTION).unwrap();
    let object::SectionFlags::Elf { sh_flags, .. } = section.flags() else {
        panic!("not ELF")
    };
    assert_eq!(
        sh_flags.0 & object::elf::SHF_ALLOC.0,
        0,
        "not allocated: the kernel does not load it"
    );
    let records = read(&file).unwrap().unwrap();
    assert_eq!(records.skipped, Vec::<String>::new());
    assert_eq!(records.declared, emitted());
    // And the writer produces the same bytes.
    assert_eq!(write(&emitted(), false), section.data().unwrap());
    // End to end: the emitted record of the sample's signature fits the
    // fixture kernel's BTF (whose struct seq_file is 24 bytes too).
    let btf = crate::btf::Btf::parse(fixture("base.btf")).unwrap();
    let d = &records.declared[0];
    let found = crate::signature::lookup(&btf, &d.target).unwrap();
    assert_eq!(
        crate::compare::check(d, &found, "base.btf"),
        Default::default()
    );
}

#[test]
fn round_trip_in_both_byte_orders() {
    for be in [false, true] {
        let bytes = write(&emitted(), be);
        let r = parse(&bytes, be).unwrap();
        assert_eq!(r.declared, emitted());
    }
}

#[test]
fn no_section_is_none() {
    let elf = elf_with_sections(&[(".text", &[0xc3])]);
    let file = object::File::parse(&*elf).unwrap();
    assert_eq!(read(&file).unwrap(), None);
    let elf = elf_with_sections(&[(SECTION, &write(&emitted()[..1], false))]);
    let file = object::File::parse(&*elf).unwrap();
    assert_eq!(read(&file).unwrap().unwrap().declared, emitted()[..1]);
}

#[test]
fn another_version_is_skipped_whole() {
    let mut bytes = write(&emitted()[..1], false);
    let first_len = bytes.len();
    bytes[4] = 2;
    bytes.extend(write(&emitted()[1..], false));
    let r = parse(&bytes, false).unwrap();
    assert_eq!(r.declared, emitted()[1..]);
    assert_eq!(
        r.skipped,
        ["record at offset 0 has version 2; this klp reads version 1: update klp"]
    );
    assert!(first_len > 12);
}

#[test]
fn damaged_records_are_errors() {
    let good = write(&emitted(), false);
    let mut bad = good.clone();
    bad[0] = b'X';
    assert_eq!(
        parse(&bad, false).unwrap_err(),
        ".note.rust_livepatch.signatures: record at offset 0: bad magic (expected \"RLPS\")"
    );
    // A length past the end.
    let mut bad = good.clone();
    bad[8..12].copy_from_slice(&10_000u32.to_le_bytes());
    assert!(parse(&bad, false)
        .unwrap_err()
        .ends_with("body of 10000 bytes runs past the section"));
    // More parameters announced than written.
    let mut bad = good.clone();
    bad[6] = 3;
    assert!(parse(&bad, false)
        .unwrap_err()
        .contains("record at offset 0"));
    // Fewer: bytes left over.
    let mut bad = good.clone();
    bad[6] = 1;
    assert!(parse(&bad, false)
        .unwrap_err()
        .contains("bytes left after the last parameter"));
    // Every truncation fails cleanly.
    for n in 1..good.len() {
        if n == write(&emitted()[..1], false).len() {
            continue; // a whole first record
        }
        assert!(parse(&good[..n], false).is_err(), "cut at {n}");
    }
    // An unknown class.
    let mut bad = good.clone();
    let at = 12 + "vmlinux\0cmdline_proc_show\0".len() + 4 + "cmdline_proc_show\0".len();
    bad[at] = 9;
    assert!(parse(&bad, false)
        .unwrap_err()
        .ends_with("unknown type class 9"));
}
