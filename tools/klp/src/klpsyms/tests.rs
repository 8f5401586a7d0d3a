use super::*;
use crate::postlink::{convert, Outcome};
use crate::testutil::{FakeRoot, KlpKo, Ref};

fn name(object: &str, name: &str, sympos: u64) -> KlpSymName {
    KlpSymName {
        object: object.into(),
        name: name.into(),
        sympos,
    }
}

#[test]
fn parses_as_the_kernel_does() {
    assert_eq!(
        KlpSymName::parse(".klp.sym.vmlinux.saved_command_line,0"),
        Ok(name("vmlinux", "saved_command_line", 0))
    );
    // The symbol name may hold dots (static functions the compiler cloned).
    assert_eq!(
        KlpSymName::parse(".klp.sym.ext4.ext4_attr_show.isra.0,3"),
        Ok(name("ext4", "ext4_attr_show.isra.0", 3))
    );
    assert_eq!(
        KlpSymName::parse(".klp.sym.vmlinux.x,007"),
        Ok(name("vmlinux", "x", 7))
    );
    let n = name("nf_conntrack", "hash", 2);
    assert_eq!(KlpSymName::parse(&n.symbol()), Ok(n));
}

#[test]
fn refuses_what_the_kernel_cannot_resolve() {
    let long_object = format!(".klp.sym.{}.f,0", "m".repeat(56));
    let ok_object = format!(".klp.sym.{}.f,0", "m".repeat(55));
    let long_name = format!(".klp.sym.vmlinux.{},0", "f".repeat(512));
    let ok_name = format!(".klp.sym.vmlinux.{},0", "f".repeat(511));
    assert!(KlpSymName::parse(&ok_object).is_ok());
    assert!(KlpSymName::parse(&ok_name).is_ok());
    for (sym, why) in [
        ("foo", "does not start with .klp.sym."),
        (".klp.sym.vmlinux", "no '.' ends the object name"),
        (".klp.sym..foo,0", "the object name is empty"),
        (long_object.as_str(), "longer than 55"),
        (
            ".klp.sym.my-mod.f,0",
            "contains '-': the kernel names modules with '_' ('my_mod')",
        ),
        (".klp.sym.my,mod.f,0", "contains ','"),
        (".klp.sym.vmlinux.foo", "no ',<sympos>'"),
        (".klp.sym.vmlinux.,0", "the symbol name is empty"),
        (long_name.as_str(), "longer than 511"),
        (".klp.sym.vmlinux.a b,0", "contains ' '"),
        (".klp.sym.vmlinux.foo,", "'' is not a decimal number"),
        (".klp.sym.vmlinux.foo,-1", "'-1' is not a decimal number"),
        (".klp.sym.vmlinux.foo,0x1", "'0x1' is not a decimal number"),
        (".klp.sym.vmlinux.foo,99999999999999999999", "too large"),
    ] {
        let e = KlpSymName::parse(sym).unwrap_err();
        assert!(e.contains(why), "{sym}: {e}");
    }
}

fn scanned(data: &[u8]) -> Scan {
    scan(data).unwrap().unwrap()
}

#[test]
fn scan_tells_the_conversion_state() {
    let ko = KlpKo::with_refs(vec![
        Ref::call(".klp.sym.vmlinux.foo,0"),
        Ref::pointer(".klp.sym.vmlinux.foo,0"),
        Ref::read(".klp.sym.vmlinux.bar,2"),
    ]);
    let before = scanned(&ko.bytes());
    assert_eq!(before.conversion(), Conversion::NotConverted);
    assert_eq!(before.symbols.len(), 2);
    assert_eq!(before.relocations_of(0), 2);
    assert_eq!(before.sites.len(), 3);
    assert!(before.sites.iter().all(|s| s.zero == Some(true)));
    let Ok(Outcome::Converted { data, .. }) = convert(&ko.bytes()) else {
        panic!()
    };
    let after = scanned(&data);
    assert_eq!(after.conversion(), Conversion::Converted);
    assert!(after.sites.is_empty());
    assert_eq!(after.relocations_of(0), 2, "counted in the klp sections");
    assert_eq!(after.relocations_of(1), 1);
    let names: Vec<_> = after.names().cloned().collect();
    assert_eq!(
        names,
        [name("vmlinux", "foo", 0), name("vmlinux", "bar", 2)]
    );

    let plain = scanned(&crate::testutil::Ko::new(&crate::testutil::Modinfo::plain("x")).bytes());
    assert_eq!(plain.conversion(), Conversion::NotNeeded);
    assert!(conversion_check(&plain).is_none());
    assert_eq!(conversion_check(&before).unwrap().ok, Some(false));
    assert_eq!(conversion_check(&after).unwrap().ok, Some(true));
}

#[test]
fn a_marker_at_zero_is_not_converted_even_without_symbols() {
    // Declared external symbols that the compiler dropped: no .klp.sym
    // symbol, but the init still checks the marker.
    let s = scanned(&KlpKo::default().bytes());
    assert_eq!(s.conversion(), Conversion::NotConverted);
    let c = conversion_check(&s).unwrap();
    assert_eq!(c.ok, Some(false));
    assert!(
        c.detail
            .contains("'__rust_livepatch_klp_converted' is not set, so its init will refuse"),
        "{}",
        c.detail
    );
    let Ok(Outcome::Converted { data, .. }) = convert(&KlpKo::default().bytes()) else {
        panic!()
    };
    assert_eq!(scanned(&data).conversion(), Conversion::NotNeeded);
}

#[test]
fn a_marker_left_at_zero_is_not_converted() {
    let ko = KlpKo::with_refs(vec![Ref::call(".klp.sym.vmlinux.foo,0")]);
    let Ok(Outcome::Converted { mut data, .. }) = convert(&ko.bytes()) else {
        panic!()
    };
    let m = &scanned(&data).markers[0];
    let f = object::File::parse(&*data).unwrap();
    use object::{Object, ObjectSection};
    let (off, _) = f
        .section_by_index(object::SectionIndex(m.section.unwrap()))
        .unwrap()
        .file_range()
        .unwrap();
    let at = (off + m.offset) as usize;
    assert_eq!(data[at], 1);
    data[at] = 0;
    assert_eq!(scanned(&data).conversion(), Conversion::NotConverted);
}

fn checks(fake: &FakeRoot, refs: &[&str]) -> Vec<Check> {
    let ko = KlpKo {
        objects: vec!["vmlinux".into(), "ext4".into(), "absent".into()],
        ..KlpKo::with_refs(refs.iter().map(|s| Ref::call(s)).collect())
    };
    kallsyms_checks(&fake.sys(), &scanned(&ko.bytes()))
}

#[test]
fn kallsyms_checks_resolve_as_the_core() {
    let fake = FakeRoot::new();
    fake.write(
        "proc/kallsyms",
        "ffffffff81000000 d saved_command_line\n\
         ffffffff81000010 t dup\n\
         ffffffff81000020 t dup\n\
         ffffffffa0000000 t ext4_thing\t[ext4]\n\
         ffffffffa0000010 t dup\t[ext4]\n",
    );
    fake.write("sys/module/ext4/initstate", "live\n");
    let c = checks(
        &fake,
        &[
            ".klp.sym.vmlinux.saved_command_line,0",
            ".klp.sym.vmlinux.dup,0",
            ".klp.sym.vmlinux.dup,2",
            ".klp.sym.vmlinux.dup,3",
            ".klp.sym.vmlinux.nope,0",
            ".klp.sym.ext4.ext4_thing,0",
            ".klp.sym.ext4.dup,0",
            ".klp.sym.ext4.saved_command_line,0",
            ".klp.sym.absent.whatever,0",
        ],
    );
    let summary: Vec<(String, Option<bool>, String)> =
        c.into_iter().map(|c| (c.what, c.ok, c.detail)).collect();
    let expect = |what: &str, ok: Option<bool>, detail: &str| {
        assert!(
            summary
                .iter()
                .any(|(w, o, d)| w == what && *o == ok && d.contains(detail)),
            "{what} {ok:?} {detail}: {summary:#?}"
        );
    };
    expect("external vmlinux:saved_command_line,0", Some(true), "found");
    expect(
        "external vmlinux:dup,0",
        Some(false),
        "dup occurs 2 times in vmlinux: ambiguous without a sympos",
    );
    expect("external vmlinux:dup,2", Some(true), "found");
    expect(
        "external vmlinux:dup,3",
        Some(false),
        "dup occurs 2 times in vmlinux, sympos is 3",
    );
    expect(
        "external vmlinux:nope,0",
        Some(false),
        "nope is not in vmlinux's symbols",
    );
    expect("external ext4:ext4_thing,0", Some(true), "found");
    expect("external ext4:dup,0", Some(true), "found");
    expect(
        "external ext4:saved_command_line,0",
        Some(false),
        "not in ext4's symbols",
    );
    expect(
        "external absent:whatever,0",
        None,
        "module absent is not loaded: checked by the kernel when it loads",
    );
    assert_eq!(summary.len(), 9);
}

#[test]
fn kallsyms_unreadable_is_undecided() {
    let fake = FakeRoot::new();
    let c = checks(&fake, &[".klp.sym.vmlinux.foo,0"]);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].ok, None);
    assert!(c[0].detail.contains("unreadable"));
}

#[test]
fn x86_64_relocations_the_kernel_applies() {
    for (t, size) in [(1, 8), (2, 4), (4, 4), (10, 4), (11, 4), (24, 8)] {
        assert_eq!(x86_64_reloc_size(t), Some(size), "{t}");
    }
    for t in [0, 3, 9, 41, 42] {
        assert_eq!(x86_64_reloc_size(t), None, "{t}");
    }
    assert_eq!(x86_64_reloc_name(42), "R_X86_64_REX_GOTPCRELX");
    assert_eq!(x86_64_reloc_name(200), "relocation type 200");
}
