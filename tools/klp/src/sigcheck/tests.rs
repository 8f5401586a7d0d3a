use super::*;
use crate::declared::{Declared, RustType};
use crate::testutil::btf::{fixture, write_btf_elf};
use crate::testutil::declared::{c_int, int, seq_file_ptr, vmlinux_decl, void_ptr};
use crate::testutil::FakeRoot;

/// `cmdline_proc_show` with `v` of type `v` (the kernel's is `void *`).
fn cmdline(v: RustType) -> Declared {
    vmlinux_decl(
        "cmdline_proc_show",
        c_int(),
        vec![("m", seq_file_ptr()), ("v", v)],
    )
}

/// `testmod`'s `mod_show(struct seq_file *m, struct mod_state *st)`.
fn mod_show() -> Declared {
    Declared {
        object: "testmod".into(),
        ..vmlinux_decl(
            "mod_show",
            c_int(),
            vec![("m", void_ptr()), ("st", void_ptr())],
        )
    }
}

fn records(declared: Vec<Declared>) -> Records {
    Records {
        declared,
        skipped: vec![],
    }
}

fn lines(checks: &[Check]) -> Vec<String> {
    checks
        .iter()
        .map(|c| {
            let mark = match c.ok {
                Some(true) => "ok",
                Some(false) => "FAIL",
                None => "?",
            };
            format!("{mark} {}: {}", c.what, c.detail)
        })
        .collect()
}

/// A fake root whose kernel has the fixtures' BTF; `testmod` loaded or not.
fn sys_root(testmod_loaded: bool) -> FakeRoot {
    let fake = FakeRoot::new();
    let btf = fake.root().join("sys/kernel/btf");
    std::fs::create_dir_all(&btf).unwrap();
    std::fs::write(btf.join("vmlinux"), fixture("base.btf")).unwrap();
    if testmod_loaded {
        std::fs::write(btf.join("testmod"), fixture("module.btf")).unwrap();
        fake.write("sys/module/testmod/refcnt", "0\n");
    }
    fake
}

#[test]
fn the_running_kernel_matching_and_mismatching() {
    let fake = sys_root(true);
    let sys = fake.sys();
    let good = cmdline(void_ptr());
    let bad = cmdline(int("u64", 8, false));
    let r = records(vec![good, mod_show(), bad]);
    let checks = check(Some(&r), &mut SysBtf::new(&sys));
    assert_eq!(
        lines(&checks),
        [
            "ok signature: cmdline_proc_show: matches /sys/kernel/btf/vmlinux",
            "ok signature: testmod:mod_show: matches /sys/kernel/btf/testmod",
            "FAIL signature: cmdline_proc_show: parameter 2 `v`: the replacement has `u64` (8 \
             bytes, unsigned integer), the kernel has `void *` (pointer)",
        ]
    );
    assert_eq!(problems(&checks).len(), 1);
}

#[test]
fn a_module_that_is_not_loaded_is_not_checked() {
    let fake = sys_root(false);
    let sys = fake.sys();
    let checks = check(Some(&records(vec![mod_show()])), &mut SysBtf::new(&sys));
    assert_eq!(
        lines(&checks),
        [
            "? signature: testmod:mod_show: not checked: module testmod is not loaded, so the \
             kernel has no BTF of it (/sys/kernel/btf/testmod appears when it loads; klp build \
             checks it against the build tree's)"
        ]
    );
    // Loaded without BTF.
    fake.write("sys/module/testmod/refcnt", "0\n");
    let checks = check(Some(&records(vec![mod_show()])), &mut SysBtf::new(&sys));
    assert_eq!(
        lines(&checks),
        [
            "? signature: testmod:mod_show: not checked: module testmod is loaded but has no \
             BTF (/sys/kernel/btf/testmod: built without CONFIG_DEBUG_INFO_BTF_MODULES?)"
        ]
    );
    assert!(problems(&checks).is_empty());
}

#[test]
fn no_records_no_btf_and_absent_targets() {
    let fake = FakeRoot::new();
    let sys = fake.sys();
    assert_eq!(
        lines(&check(None, &mut SysBtf::new(&sys))),
        [
            "? signatures: the module has no signature records (a C livepatch, or built before \
             klp checked signatures): not checked"
        ]
    );
    let r = records(vec![cmdline(void_ptr())]);
    assert_eq!(
        lines(&check(Some(&r), &mut SysBtf::new(&sys))),
        [
            "? signature: cmdline_proc_show: not checked: the running kernel has no BTF \
             (/sys/kernel/btf/vmlinux: CONFIG_DEBUG_INFO_BTF)"
        ]
    );
    // A target BTF does not have: refused, unless the replacement asks.
    let fake = sys_root(false);
    let sys = fake.sys();
    let mut d = cmdline(void_ptr());
    d.target = "show_val_kb".into();
    let checks = check(Some(&records(vec![d.clone()])), &mut SysBtf::new(&sys));
    assert_eq!(
        problems(&checks),
        [format!(
            "show_val_kb: not in /sys/kernel/btf/vmlinux: the compiler may have inlined it or \
             changed its ABI (.isra, .constprop, dropped arguments), or pahole left it out; its \
             signature cannot be checked; {}",
            compare::OVERRIDE_HINT
        )]
    );
    d.unchecked = true;
    let checks = check(Some(&records(vec![d])), &mut SysBtf::new(&sys));
    assert!(problems(&checks).is_empty());
    assert_eq!(checks[0].ok, None);
    assert!(checks[0]
        .detail
        .ends_with("(unchecked, as the replacement asks)"));
}

/// A tree with the fixtures: vmlinux with .BTF, testmod.ko listed in
/// modules.order.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_btf_elf(&d.join("vmlinux"), "base.btf");
    write_btf_elf(&d.join("drivers/testmod.ko"), "module.btf");
    std::fs::write(d.join("modules.order"), "drivers/testmod.o\n").unwrap();
    dir
}

#[test]
fn a_build_tree() {
    let dir = tree();
    let d = dir.path();
    let mut bad = mod_show();
    bad.params.pop();
    let r = records(vec![cmdline(void_ptr()), bad]);
    let mut src = TreeBtf::new(Tree::new(d), None, HashMap::new());
    assert_eq!(
        lines(&check(Some(&r), &mut src)),
        [
            format!(
                "ok signature: cmdline_proc_show: matches {}",
                d.join("vmlinux").display()
            ),
            "FAIL signature: testmod:mod_show: parameter 2 `st`: missing from the replacement \
             (the kernel has `struct mod_state *` (pointer), 2 parameters in all)"
                .to_string(),
        ]
    );
    // A module the tree did not build; then given by the user.
    std::fs::remove_file(d.join("modules.order")).unwrap();
    let r = records(vec![mod_show()]);
    let mut src = TreeBtf::new(Tree::new(d), None, HashMap::new());
    assert_eq!(
        lines(&check(Some(&r), &mut src)),
        [format!(
            "? signature: testmod:mod_show: not checked: module testmod is not built in {} (not \
             in its modules.order): pass --btf-module testmod=PATH (its .ko, or a copy of \
             /sys/kernel/btf/testmod); otherwise klp load checks it where testmod is loaded",
            d.display()
        )]
    );
    let given = HashMap::from([("testmod".to_string(), d.join("drivers/testmod.ko"))]);
    let mut src = TreeBtf::new(Tree::new(d), None, given);
    assert_eq!(check(Some(&r), &mut src)[0].ok, Some(true));
}

#[test]
fn a_tree_without_vmlinux() {
    let dir = tempfile::tempdir().unwrap();
    let r = records(vec![cmdline(void_ptr())]);
    let mut src = TreeBtf::new(Tree::new(dir.path()), None, HashMap::new());
    assert_eq!(
        lines(&check(Some(&r), &mut src)),
        [format!(
            "? signature: cmdline_proc_show: not checked: the tree has no vmlinux ({}): pass \
             --vmlinux-btf PATH (a vmlinux with .BTF, or a copy of /sys/kernel/btf/vmlinux from \
             a machine running this kernel); klp load checks it against the running kernel",
            dir.path().join("vmlinux").display()
        )]
    );
    // Raw BTF given for it.
    let raw = dir.path().join("vmlinux.btf");
    std::fs::write(&raw, fixture("base.btf")).unwrap();
    let mut src = TreeBtf::new(Tree::new(dir.path()), Some(raw), HashMap::new());
    assert_eq!(check(Some(&r), &mut src)[0].ok, Some(true));
}
