use super::*;
use crate::testutil::btf::{elf_with_sections, fixture, BtfBuilder};

fn base() -> Arc<Btf> {
    Arc::new(Btf::parse(fixture("base.btf")).unwrap())
}

#[test]
fn base_fixture_types_and_names() {
    let btf = base();
    assert!(btf.base().is_none());
    assert_eq!(btf.own_ids().start, 1);
    let f = btf.funcs_named("cmdline_proc_show");
    assert_eq!(f.len(), 1);
    let proto = btf.get(f[0].target()).unwrap();
    assert_eq!(proto.kind, Kind::FuncProto);
    let (params, variadic) = btf.params(&proto);
    assert!(!variadic);
    let names: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["m", "v"]);
    // m: struct seq_file *
    let m = btf.get(params[0].1).unwrap();
    assert_eq!(m.kind, Kind::Ptr);
    let s = btf.get(m.target()).unwrap();
    assert_eq!(
        (s.kind, s.name, s.size(), s.vlen),
        (Kind::Struct, "seq_file", 24, 3)
    );
    // v: void *
    let v = btf.get(params[1].1).unwrap();
    assert_eq!((v.kind, v.target()), (Kind::Ptr, 0));
    // int
    let int = btf.get(proto.target()).unwrap();
    assert_eq!((int.kind, int.name, int.size()), (Kind::Int, "int", 4));
    let enc = int.int_encoding();
    assert!(enc.signed && !enc.bool && enc.bits == 32);
    assert!(btf.get(0).is_none(), "id 0 is void");
    assert!(btf.get(btf.len() + 1).is_none());
    assert!(btf.funcs_named("no_such_function").is_empty());
}

#[test]
fn variadic_and_typedef_chains() {
    let btf = base();
    let f = btf.funcs_named("log_msg")[0];
    let (params, variadic) = btf.params(&btf.get(f.target()).unwrap());
    assert!(variadic);
    assert_eq!(params.len(), 1);
    let f = btf.funcs_named("many")[0];
    let (params, _) = btf.params(&btf.get(f.target()).unwrap());
    let (gfp, _) = params.iter().find(|(n, _)| n == "gfp").unwrap().clone();
    assert_eq!(gfp, "gfp");
    let id = params.iter().find(|(n, _)| n == "gfp").unwrap().1;
    let (t, typedefs) = btf.strip(id);
    assert_eq!(typedefs, ["gfp_t"]);
    assert_eq!(t.unwrap().name, "unsigned int");
}

#[test]
fn split_btf_continues_the_base_ids_and_strings() {
    let base = base();
    let m = Btf::parse_split(fixture("module.btf"), base.clone()).unwrap();
    assert_eq!(m.own_ids().start, base.len() + 1);
    assert!(m.len() > base.len());
    // The module's functions are its own; vmlinux's are not.
    assert_eq!(m.funcs_named("mod_show").len(), 1);
    assert!(m.funcs_named("cmdline_proc_show").is_empty());
    assert!(base.funcs_named("mod_show").is_empty());
    // A module type refers to a base type (struct seq_file) by its id.
    let f = m.funcs_named("mod_show")[0];
    let (params, _) = m.params(&m.get(f.target()).unwrap());
    let seq = m.get(m.get(params[0].1).unwrap().target()).unwrap();
    assert!(seq.id < m.own_ids().start, "seq_file comes from the base");
    assert_eq!(seq.name, "seq_file");
    let st = m.get(m.get(params[1].1).unwrap().target()).unwrap();
    assert!(m.own_ids().contains(&st.id));
    assert_eq!((st.kind, st.name), (Kind::Struct, "mod_state"));
    // Base ids read through the split are the base's.
    assert_eq!(m.get(1).unwrap().name, base.get(1).unwrap().name);
}

#[test]
fn btf_from_an_elf_section() {
    let elf = elf_with_sections(&[(".text", &[0xc3]), (".BTF", &fixture("base.btf"))]);
    let btf = Arc::new(Btf::from_elf(&elf, None).unwrap());
    assert_eq!(btf.funcs_named("do_nothing").len(), 1);
    let ko = elf_with_sections(&[(".BTF", &fixture("module.btf"))]);
    let m = Btf::from_elf(&ko, Some(btf)).unwrap();
    assert_eq!(m.funcs_named("mod_check").len(), 1);
    let none = elf_with_sections(&[(".text", &[0xc3])]);
    assert_eq!(Btf::from_elf(&none, None).unwrap_err(), BtfError::NoSection);
    assert!(matches!(
        Btf::from_elf(b"hello", None),
        Err(BtfError::Elf(_))
    ));
}

fn tiny(big_endian: bool) -> BtfBuilder {
    let mut b = BtfBuilder::new(big_endian);
    let int = b.int("int", 4, true);
    let pint = b.ptr(int);
    let p = b.proto(int, &[("a", pint), ("", 0)]);
    b.func("f", p);
    b
}

#[test]
fn both_byte_orders() {
    for be in [false, true] {
        let btf = Btf::parse(tiny(be).bytes()).unwrap();
        let f = btf.funcs_named("f")[0];
        assert_eq!(f.linkage(), Linkage::Global);
        let (params, variadic) = btf.params(&btf.get(f.target()).unwrap());
        assert_eq!(params, [("a".to_string(), 2)], "big endian: {be}");
        assert!(variadic);
        assert_eq!(btf.get(1).unwrap().int_encoding().bits, 32);
    }
}

#[test]
fn unknown_kinds_are_skipped_with_a_layout_section_and_refused_without() {
    let build = |layout: bool| {
        let mut b = BtfBuilder::new(false);
        if layout {
            // Kinds 0..=20; kind 20 has 8 bytes after btf_type, 4 per vlen.
            let mut l = vec![(0, 0); 21];
            l[20] = (8, 4);
            b = b.layout(l);
        }
        b.raw("future", 20, 2, 0, &[7, 7, 1, 2]);
        let int = b.int("int", 4, true);
        let p = b.proto(int, &[]);
        b.func("after_it", p);
        b.bytes()
    };
    let btf = Btf::parse(build(true)).unwrap();
    assert_eq!(btf.get(1).unwrap().kind, Kind::Unknown(20));
    assert_eq!(btf.funcs_named("after_it")[0].id, 4);
    let err = Btf::parse(build(false)).unwrap_err();
    assert_eq!(err, BtfError::UnknownKind { id: 1, kind: 20 });
    assert!(err.to_string().contains("update klp"), "{err}");
}

#[test]
fn corrupt_input_is_an_error_not_a_panic() {
    assert_eq!(
        Btf::parse(vec![]).unwrap_err(),
        BtfError::Truncated("no header")
    );
    assert_eq!(
        Btf::parse(b"ELF\0abcd".to_vec()).unwrap_err(),
        BtfError::Magic(0x4c45)
    );
    let good = tiny(false).bytes();
    let mut v2 = good.clone();
    v2[2] = 2;
    assert_eq!(Btf::parse(v2).unwrap_err(), BtfError::Version(2));
    // Every truncation of a valid file fails cleanly (or, cut inside the
    // strings, still parses).
    for n in 0..good.len() {
        let _ = Btf::parse(good[..n].to_vec());
    }
    // A type section longer than the data.
    let mut long = good.clone();
    long[12] = 0xff;
    assert!(matches!(Btf::parse(long), Err(BtfError::Corrupt(_))));
    // A vlen that runs past the type section.
    let mut b = BtfBuilder::new(false);
    b.raw("", 13, 1000, 0, &[]);
    assert_eq!(
        Btf::parse(b.bytes()).unwrap_err(),
        BtfError::Truncated("type section")
    );
}

/// The running kernel's own BTF, when this machine has it.
fn system_btf() -> Option<Arc<Btf>> {
    let data = std::fs::read("/sys/kernel/btf/vmlinux").ok()?;
    Some(Arc::new(Btf::parse(data).expect("/sys/kernel/btf/vmlinux")))
}

#[test]
fn real_vmlinux_btf() {
    let Some(btf) = system_btf() else {
        eprintln!("skipped: no /sys/kernel/btf/vmlinux on this machine");
        return;
    };
    assert!(btf.len() > 10_000, "{} types", btf.len());
    let f = btf.funcs_named("cmdline_proc_show");
    assert_eq!(f.len(), 1, "fs/proc/cmdline.c");
    let (params, variadic) = btf.params(&btf.get(f[0].target()).unwrap());
    assert!(!variadic);
    assert_eq!(params.len(), 2);
    let (m, _) = btf.strip(btf.get(params[0].1).unwrap().target());
    assert_eq!(m.unwrap().name, "seq_file");
    // Every type of the real file decodes and every FUNC has a FUNC_PROTO.
    let mut funcs = 0;
    for id in 1..=btf.len() {
        let t = btf.get(id).unwrap();
        if t.kind == Kind::Func {
            funcs += 1;
            assert_eq!(
                btf.get(t.target()).unwrap().kind,
                Kind::FuncProto,
                "{}",
                t.name
            );
        }
    }
    assert!(funcs > 1000, "{funcs} functions");
}

#[test]
fn real_module_btf() {
    let Some(base) = system_btf() else {
        eprintln!("skipped: no /sys/kernel/btf/vmlinux on this machine");
        return;
    };
    let modules: Vec<_> = std::fs::read_dir("/sys/kernel/btf")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name() != "vmlinux")
        .take(5)
        .collect();
    if modules.is_empty() {
        eprintln!("skipped: no module BTF in /sys/kernel/btf");
    }
    for m in modules {
        let data = std::fs::read(m.path()).unwrap();
        let btf = Btf::parse_split(data, base.clone()).unwrap();
        assert_eq!(btf.own_ids().start, base.len() + 1);
        for id in btf.own_ids() {
            assert!(btf.get(id).is_some());
        }
    }
}

#[test]
fn an_out_of_tree_module_has_its_own_distilled_base() {
    // The module's `.BTF` is split over `.BTF.base`, not over the base
    // passed in (which here has nothing in common with it).
    let elf = elf_with_sections(&[
        (".BTF.base", &fixture("base.btf")),
        (".BTF", &fixture("module.btf")),
    ]);
    let mut other = BtfBuilder::new(false);
    other.int("int", 4, true);
    let other = Arc::new(Btf::parse(other.bytes()).unwrap());
    let m = Btf::from_bytes(elf, Some(other)).unwrap();
    let f = m.funcs_named("mod_show")[0];
    let (params, _) = m.params(&m.get(f.target()).unwrap());
    let seq = m.get(m.get(params[0].1).unwrap().target()).unwrap();
    assert_eq!(seq.name, "seq_file");
    // Raw BTF is read as it is.
    let raw = Btf::from_bytes(fixture("module.btf"), Some(base())).unwrap();
    assert_eq!(raw.funcs_named("mod_show").len(), 1);
}
