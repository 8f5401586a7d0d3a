use super::*;
use crate::commands::test_ctx::capture;
use crate::testutil::btf::{write_btf_elf, BtfBuilder};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
}

/// A root with the fixtures as /sys/kernel/btf/{vmlinux,testmod}.
fn root() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let btf = root.path().join("sys/kernel/btf");
    std::fs::create_dir_all(&btf).unwrap();
    std::fs::copy(fixture("btf/base.btf"), btf.join("vmlinux")).unwrap();
    std::fs::copy(fixture("btf/module.btf"), btf.join("testmod")).unwrap();
    root
}

fn opts(function: &str, dir: &Path) -> NewOptions {
    NewOptions {
        function: function.into(),
        dir: Some(dir.to_path_buf()),
        ..Default::default()
    }
}

fn run(root: &Path, o: &NewOptions) -> (Result<()>, String) {
    capture(|out| new(root, o, out))
}

/// Runs `o`, which must succeed: what it printed and the `fix_FUNCTION.rs`
/// it wrote.
fn written(root: &Path, o: &NewOptions) -> (String, String) {
    let (r, text) = run(root, o);
    r.unwrap();
    let rs = o
        .dir
        .as_ref()
        .unwrap()
        .join(format!("fix_{}.rs", o.function));
    (text, std::fs::read_to_string(rs).unwrap())
}

/// Generates `o`'s patch and compares it with tests/fixtures/new/<file>
/// (KLP_BLESS=1 rewrites the golden file).
fn golden(o: &NewOptions, file: &str) {
    let root = root();
    let dir = root.path().join("out");
    let o = NewOptions {
        dir: Some(dir.clone()),
        ..o.clone()
    };
    let (r, text) = run(root.path(), &o);
    r.unwrap();
    let name = o.name.clone().unwrap_or(format!("fix_{}", o.function));
    assert_eq!(
        text,
        format!(
            "{}\nwrote {d}/Kbuild\nwrote {d}/{name}.rs\nnext: write the fix in {d}/{name}.rs \
             (it does not build until you do), then: klp build {d}\n",
            text.lines().next().unwrap(),
            d = dir.display()
        )
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("Kbuild")).unwrap(),
        format!(
            "# SPDX-License-Identifier: GPL-2.0\nobj-m += {name}.o\n\ninclude \
             $(RUST_LIVEPATCH)/rust/livepatch/Kbuild.livepatch\n"
        )
    );
    let got = std::fs::read_to_string(dir.join(format!("{name}.rs"))).unwrap();
    let path = fixture(&format!("new/{file}"));
    if std::env::var_os("KLP_BLESS").is_some() {
        std::fs::write(&path, &got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(got, want, "{} (KLP_BLESS=1 to rewrite it)", path.display());
}

#[test]
fn a_struct_by_pointer() {
    golden(
        &opts("cmdline_proc_show", Path::new("")),
        "fix_cmdline_proc_show.rs",
    );
}

#[test]
fn a_void_return() {
    golden(&opts("do_nothing", Path::new("")), "fix_do_nothing.rs");
}

#[test]
fn bool_and_u8() {
    golden(&opts("flag_set", Path::new("")), "fix_flag_set.rs");
}

#[test]
fn a_module_function() {
    let o = NewOptions {
        object: Some("testmod".into()),
        name: Some("testmod_fix".into()),
        ..opts("mod_check", Path::new(""))
    };
    golden(&o, "testmod_fix.rs");
}

#[test]
fn every_class() {
    golden(&opts("many", Path::new("")), "fix_many.rs");
}

#[test]
fn types_bindgen_does_not_have_become_opaque_pointers() {
    let root = root();
    let kdir = root.path().join("kdir");
    std::fs::create_dir_all(kdir.join("rust/bindings")).unwrap();
    std::fs::write(
        kdir.join("rust/bindings/bindings_generated.rs"),
        "pub struct seq_file {\n    pub buf: *mut u8,\n}\npub type gfp_t = ffi::c_uint;\n",
    )
    .unwrap();
    let dir = root.path().join("out");
    let o = NewOptions {
        kdir: Some(kdir),
        ..opts("get_seq", &dir)
    };
    let (_, text) = written(root.path(), &o);
    assert!(
        text.contains(
            "    /// `inode` is `struct inode *`, a type `kernel::bindings` does not have.\n\
             \x20   /// `pos` is `loff_t *`.\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "    unsafe extern \"C\" fn get_seq(inode: *mut c_void, pos: *mut i64) -> *mut \
             bindings::seq_file {\n"
        ),
        "{text}"
    );
}

#[test]
fn absent_ambiguous_and_variadic_functions_write_nothing() {
    let root = root();
    let dir = root.path().join("out");
    let (r, _) = run(root.path(), &opts("show_val_kb", &dir));
    assert_eq!(
        r.unwrap_err().to_string(),
        "show_val_kb is not in /sys/kernel/btf/vmlinux: the compiler may have inlined it or \
         changed its ABI (.isra, .constprop, dropped arguments), or pahole left it out, so its \
         signature is not known; if it is in a module, pass --object MODULE; nothing was \
         written"
    );
    let (r, _) = run(root.path(), &opts("log_msg", &dir));
    assert_eq!(
        r.unwrap_err().to_string(),
        "log_msg is variadic (`int log_msg(const char *fmt, ...)`): a Rust replacement cannot \
         receive its variable arguments; nothing was written"
    );
    let mut b = BtfBuilder::new(false);
    let i = b.int("int", 4, true);
    let p1 = b.proto(i, &[]);
    let p2 = b.proto(i, &[("a", i)]);
    b.func("dup", p1);
    b.func("dup", p2);
    let dup = root.path().join("dup.btf");
    std::fs::write(&dup, b.bytes()).unwrap();
    let o = NewOptions {
        btf: Some(dup.clone()),
        ..opts("dup", &dir)
    };
    let (r, _) = run(root.path(), &o);
    assert_eq!(
        r.unwrap_err().to_string(),
        format!(
            "2 functions named dup in {} have different prototypes (`int dup(void)`, `int \
             dup(int a)`): klp new cannot tell which one you mean; nothing was written",
            dup.display()
        )
    );
    assert!(!dir.exists());
}

#[test]
fn existing_files_are_not_overwritten() {
    let root = root();
    let dir = root.path().join("out");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("fix_do_nothing.rs"), "mine").unwrap();
    let (r, _) = run(root.path(), &opts("do_nothing", &dir));
    let e = r.unwrap_err().to_string();
    assert!(e.ends_with("fix_do_nothing.rs already exists: nothing was written (choose another directory or --name)"), "{e}");
    assert_eq!(
        std::fs::read_to_string(dir.join("fix_do_nothing.rs")).unwrap(),
        "mine"
    );
    assert!(!dir.join("Kbuild").exists());
}

#[test]
fn a_module_without_btf() {
    let root = root();
    let o = NewOptions {
        object: Some("nfsd".into()),
        ..opts("nfsd_open", &root.path().join("out"))
    };
    let e = run(root.path(), &o).0.unwrap_err().to_string();
    assert!(e.starts_with("no BTF for module nfsd: "), "{e}");
    assert!(e.contains("sys/kernel/btf/nfsd does not exist (the kernel shows a module's BTF while it is loaded: load it, pass --btf with its .ko, or --kdir a tree that built it); nothing was written"), "{e}");
}

#[test]
fn btf_from_elf_files() {
    let root = root();
    let vmlinux = root.path().join("vmlinux");
    write_btf_elf(&vmlinux, "base.btf");
    let ko = root.path().join("testmod.ko");
    write_btf_elf(&ko, "module.btf");
    let dir = root.path().join("out");
    let o = NewOptions {
        object: Some("testmod".into()),
        btf: Some(ko.clone()),
        vmlinux_btf: Some(vmlinux),
        ..opts("mod_show", &dir)
    };
    let (text, rs) = written(root.path(), &o);
    assert!(text.starts_with("int mod_show(struct seq_file *m, struct mod_state *st)\n"));
    assert!(rs.contains(&format!("from {}:", ko.display())), "{rs}");
    assert!(
        rs.contains("    #[unsafe(livepatch(object = \"testmod\"))]\n"),
        "{rs}"
    );
}

#[test]
fn bad_names_are_refused() {
    let root = root();
    for (name, why) in [
        ("a-b", "letters, digits and `_`, not starting with a digit"),
        ("9fix", "letters, digits and `_`, not starting with a digit"),
        ("", "1 to 55 characters"),
    ] {
        let o = NewOptions {
            name: Some(name.into()),
            ..opts("do_nothing", &root.path().join("out"))
        };
        let e = run(root.path(), &o).0.unwrap_err().to_string();
        assert_eq!(
            e,
            format!("module name `{name}`: {why}; nothing was written")
        );
    }
    let long = "f".repeat(80);
    assert_eq!(scaffold::default_name(&long).len(), 55);
}

#[test]
fn definitions_found_in_a_source_tree() {
    let tree = tempfile::tempdir().unwrap();
    let fs = tree.path().join("fs/proc");
    std::fs::create_dir_all(&fs).unwrap();
    std::fs::write(
        fs.join("cmdline.c"),
        "// SPDX\n#include <x.h>\n\nstatic int cmdline_proc_show(struct seq_file *m, void *v)\n\
         {\n\treturn 0;\n}\n",
    )
    .unwrap();
    std::fs::write(
        fs.join("other.c"),
        "int cmdline_proc_show(struct seq_file *m, void *v);\n\
         static int f(void)\n{\n\treturn cmdline_proc_show(0, 0);\n}\n\
         int x = my_cmdline_proc_show(1);\n\
         static int\ncmdline_proc_show(struct seq_file *m,\n\t\t  void *v)\n{\n}\n",
    )
    .unwrap();
    std::fs::write(fs.join("h.h"), "int cmdline_proc_show(int a)\n{\n}\n").unwrap();
    let found = find_definitions(tree.path(), "cmdline_proc_show");
    assert_eq!(
        found,
        [
            (PathBuf::from("fs/proc/cmdline.c"), 4),
            (PathBuf::from("fs/proc/other.c"), 8)
        ]
    );
    assert_eq!(
        describe_definitions(tree.path(), &found),
        "fs/proc/cmdline.c:4, fs/proc/other.c:8 (found by searching the source: check it)"
    );
    assert_eq!(
        describe_definitions(tree.path(), &[]),
        format!(
            "no definition found in {} (searched the .c files)",
            tree.path().display()
        )
    );
    // Through the command: the comment says where.
    let root = root();
    let dir = root.path().join("out");
    let o = NewOptions {
        source: Some(tree.path().to_path_buf()),
        ..opts("cmdline_proc_show", &dir)
    };
    let (_, rs) = written(root.path(), &o);
    assert!(
        rs.contains("//! Source: fs/proc/cmdline.c:4, fs/proc/other.c:8 (found by searching"),
        "{rs}"
    );
}

#[test]
fn btf_from_the_build_tree() {
    // --kdir: the tree's vmlinux and the module's .ko (modules.order), not
    // the running kernel's (which has no testmod here).
    let root = root();
    let kdir = root.path().join("kdir");
    write_btf_elf(&kdir.join("vmlinux"), "base.btf");
    let ko = kdir.join("drivers/test-mod.ko");
    write_btf_elf(&ko, "module.btf");
    std::fs::write(kdir.join("modules.order"), "drivers/test-mod.o\n").unwrap();
    std::fs::create_dir_all(kdir.join("rust/bindings")).unwrap();
    std::fs::write(kdir.join("rust/bindings/bindings_generated.rs"), "").unwrap();
    std::fs::remove_file(root.path().join("sys/kernel/btf/testmod")).unwrap();
    let dir = root.path().join("out");
    let o = NewOptions {
        object: Some("test_mod".into()),
        kdir: Some(kdir.clone()),
        ..opts("mod_show", &dir)
    };
    let (text, rs) = written(root.path(), &o);
    assert!(text.starts_with("int mod_show(struct seq_file *m, struct mod_state *st)\n"));
    assert!(rs.contains(&format!("BTF ({})", ko.display())), "{rs}");
    // vmlinux's function, from the tree's vmlinux.
    let dir = root.path().join("out2");
    let o = NewOptions {
        kdir: Some(kdir.clone()),
        ..opts("do_nothing", &dir)
    };
    let (_, rs) = written(root.path(), &o);
    assert!(
        rs.contains(&format!("from {}:", kdir.join("vmlinux").display())),
        "{rs}"
    );
}
