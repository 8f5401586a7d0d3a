use super::*;
use crate::testutil::{klp_module, livepatch_ko, Ko, KoFunc, KoObject, Layout, Modinfo};

fn parse(data: &[u8]) -> Option<Descriptors> {
    find(&object::File::parse(data).unwrap())
}

fn func(name: &str, sympos: u64, replacement: &str) -> FuncDesc {
    FuncDesc {
        name: name.into(),
        sympos,
        replacement: Some(replacement.into()),
    }
}

fn sample_objects() -> Vec<KoObject> {
    vec![
        KoObject::vmlinux(vec![
            KoFunc::new("cmdline_proc_show"),
            KoFunc::new("meminfo_proc_show"),
        ]),
        KoObject::module(
            "ext4",
            vec![KoFunc::new("ext4_fill_super")
                .sympos(2)
                .replacement("fixed_fill_super")],
        ),
    ]
}

fn expected(replace: bool) -> Descriptors {
    Descriptors {
        replace,
        objects: vec![
            ObjectDesc {
                name: "vmlinux".into(),
                functions: vec![
                    func("cmdline_proc_show", 0, "livepatch_cmdline_proc_show"),
                    func("meminfo_proc_show", 0, "livepatch_meminfo_proc_show"),
                ],
            },
            ObjectDesc {
                name: "ext4".into(),
                functions: vec![func("ext4_fill_super", 2, "fixed_fill_super")],
            },
        ],
    }
}

#[test]
fn reads_the_c_layout() {
    let ko = klp_module(
        &Modinfo::livepatch("lp"),
        &sample_objects(),
        true,
        Layout::C,
    );
    assert_eq!(parse(&ko), Some(expected(true)));
}

#[test]
fn reads_the_rust_layout() {
    let ko = klp_module(
        &Modinfo::livepatch("lp"),
        &sample_objects(),
        false,
        Layout::Rust,
    );
    assert_eq!(parse(&ko), Some(expected(false)));
}

#[test]
fn a_single_function_patch() {
    let d = parse(&livepatch_ko("lp")).unwrap();
    assert_eq!(
        d.objects,
        [ObjectDesc {
            name: "vmlinux".into(),
            functions: vec![func("f", 0, "livepatch_f")]
        }]
    );
}

#[test]
fn a_module_without_tables_has_none() {
    assert_eq!(parse(&Ko::new(&Modinfo::plain("plain")).bytes()), None);
}

#[test]
fn objects_without_functions() {
    // livepatch-callbacks-demo.c: objects with callbacks and an empty funcs array.
    let objects = [
        KoObject::vmlinux(vec![]),
        KoObject::module(
            "busymod",
            vec![KoFunc::new("work").replacement("patched_work")],
        ),
    ];
    for layout in [Layout::C, Layout::Rust] {
        let modinfo = Modinfo::livepatch("lp");
        let d = parse(&klp_module(&modinfo, &objects, false, layout)).unwrap();
        assert_eq!(
            d.objects,
            [
                ObjectDesc {
                    name: "vmlinux".into(),
                    functions: vec![]
                },
                ObjectDesc {
                    name: "busymod".into(),
                    functions: vec![func("work", 0, "patched_work")]
                },
            ]
        );
    }
}

#[test]
fn a_pointer_to_this_module_alone_is_not_a_patch() {
    let mut ko = Ko::new(&Modinfo::plain("plain"));
    ko.this_module_pointer_at_data_start();
    assert_eq!(parse(&ko.bytes()), None);
}
