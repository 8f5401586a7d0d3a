use super::*;
use crate::commands::test_ctx::capture;
use crate::declared::RustType;
use crate::testutil::btf::write_btf_elf;
use crate::testutil::declared::{int, patch_with_record, unit, vmlinux_decl};
use std::os::unix::fs::PermissionsExt;

fn write_script(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A fake checkout whose scripts/build.sh reports the module lp.ko of the
/// directory it is given (the test puts it there) and the tree in $KDIR;
/// it records its arguments and environment in build.args.
fn checkout(root: &Path) -> PathBuf {
    let c = root.join("checkout");
    std::fs::create_dir_all(c.join("rust/livepatch")).unwrap();
    std::fs::write(c.join("rust/livepatch/Kbuild.livepatch"), "").unwrap();
    write_script(
        &c.join("scripts/build.sh"),
        "#!/bin/sh\n\
         echo \"$* KLP_BIN=$KLP_BIN KERNEL=${KERNEL:-}\" >\"$(dirname \"$0\")/../build.args\"\n\
         echo 'building (on stdout)'\n\
         [ -f \"$2/fail\" ] && exit 3\n\
         { echo \"kdir=$KDIR\"; echo \"ko=$2/lp.ko\"; } >\"$KLP_BUILD_REPORT\"\n",
    );
    c
}

/// A fake tree with the BTF fixture as vmlinux's.
fn tree(root: &Path) -> PathBuf {
    let t = root.join("kdir");
    write_btf_elf(&t.join("vmlinux"), "base.btf");
    t
}

/// A patch of `do_nothing` (`void do_nothing(void)` in the fixture) with
/// these parameters.
fn patch(params: Vec<(&str, RustType)>) -> Vec<u8> {
    patch_with_record(vmlinux_decl("do_nothing", unit(), params))
}

struct Setup {
    _root: tempfile::TempDir,
    checkout: PathBuf,
    kdir: PathBuf,
    dir: PathBuf,
}

fn setup(ko: &[u8]) -> Setup {
    let root = tempfile::tempdir().unwrap();
    let checkout = checkout(root.path());
    let kdir = tree(root.path());
    let dir = root.path().join("my patch");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("Kbuild"), "obj-m += lp.o\n").unwrap();
    std::fs::write(dir.join("lp.ko"), ko).unwrap();
    Setup {
        _root: root,
        checkout,
        kdir,
        dir,
    }
}

impl Setup {
    fn opts(&self) -> BuildOptions {
        BuildOptions {
            dir: self.dir.clone(),
            kdir: Some(self.kdir.clone()),
            ..Default::default()
        }
    }

    fn env(&self) -> BuildEnv {
        BuildEnv {
            checkout: Some(self.checkout.clone()),
            exe: Some("/usr/bin/klp-under-test".into()),
            built_from: None,
        }
    }

    /// Runs build; (result, stdout, stderr).
    fn run(&self, o: &BuildOptions) -> (Result<()>, String, String) {
        let mut log = Vec::new();
        let (r, out) = capture(|out| build(o, &self.env(), out, &mut log));
        (r, out, String::from_utf8(log).unwrap())
    }
}

#[test]
fn a_matching_patch_is_built_checked_and_printed() {
    let s = setup(&patch(vec![]));
    let (r, out, log) = s.run(&s.opts());
    r.unwrap();
    let ko = s.dir.join("lp.ko");
    assert_eq!(out, format!("{}\n", ko.display()));
    assert_eq!(
        log,
        format!(
            "{}:\n  ok   signature: do_nothing: matches {}\n",
            ko.display(),
            s.kdir.join("vmlinux").display()
        )
    );
    let args = std::fs::read_to_string(s.checkout.join("build.args")).unwrap();
    // (KERNEL comes from the caller's environment here.)
    assert!(
        args.starts_with(&format!(
            "--dir {} KLP_BIN=/usr/bin/klp-under-test KERNEL=",
            s.dir.display()
        )),
        "{args}"
    );
}

#[test]
fn a_mismatch_fails_the_build_and_removes_the_module() {
    let s = setup(&patch(vec![("x", int("u32", 4, false))]));
    let (r, out, _) = s.run(&s.opts());
    let e = r.unwrap_err();
    assert_eq!(e.exit_code(), 1);
    let ko = s.dir.join("lp.ko");
    assert_eq!(
        e.to_string(),
        format!(
            "refusing {} (removed): its replacements' signatures do not match the kernel's \
             BTF:\n  do_nothing: parameter 1 `x`: the replacement has `u32` (4 bytes, unsigned \
             integer), the kernel's function has only 0 parameters\ndeclare each replacement \
             with its target's exact C signature (klp new FUNCTION writes it from BTF); nothing \
             was signed",
            ko.display()
        )
    );
    assert_eq!(out, "");
    assert!(!ko.exists());
}

#[test]
fn build_failures_and_missing_pieces() {
    let s = setup(&patch(vec![]));
    std::fs::write(s.dir.join("fail"), "").unwrap();
    let (r, out, _) = s.run(&s.opts());
    assert_eq!(
        r.unwrap_err().to_string(),
        format!(
            "the build of {} failed (exit 3; its output is above); nothing was checked or signed",
            s.dir.display()
        )
    );
    assert_eq!(out, "");
    std::fs::remove_file(s.dir.join("Kbuild")).unwrap();
    let (r, _, _) = s.run(&s.opts());
    assert!(r
        .unwrap_err()
        .to_string()
        .ends_with(" has no Kbuild: a patch directory has a Kbuild (obj-m += NAME.o, and the include of rust/livepatch/Kbuild.livepatch) and NAME.rs; klp new FUNCTION writes both; nothing was built"));
    let o = BuildOptions {
        dir: s.dir.join("nope"),
        ..s.opts()
    };
    let (r, _, _) = s.run(&o);
    assert!(r.unwrap_err().to_string().ends_with("; nothing was built"));
}

#[test]
fn the_kernel_flavour_is_passed_on() {
    let s = setup(&patch(vec![]));
    let o = BuildOptions {
        kernel: Some("debug".into()),
        kdir: None,
        ..s.opts()
    };
    // The stub reports $KDIR, which --kernel clears: the report is refused,
    // but the script saw KERNEL.
    let _ = s.run(&o);
    let args = std::fs::read_to_string(s.checkout.join("build.args")).unwrap();
    assert!(args.ends_with(" KERNEL=debug\n"), "{args}");
}

#[test]
fn the_checkout_is_found() {
    let root = tempfile::tempdir().unwrap();
    let c = checkout(root.path());
    // RUST_LIVEPATCH wins, and must be a checkout.
    let env = BuildEnv {
        checkout: Some(root.path().to_path_buf()),
        exe: Some(c.join("target/release/klp")),
        built_from: Some(c.clone()),
    };
    assert_eq!(
        find_checkout(&env).unwrap_err().to_string(),
        format!(
            "RUST_LIVEPATCH={} is not a rust-livepatch checkout (no scripts/build.sh and \
             rust/livepatch/Kbuild.livepatch); nothing was built",
            root.path().display()
        )
    );
    // Beside the binary: <checkout>/target/release/klp.
    let env = BuildEnv {
        checkout: None,
        exe: Some(c.join("target/release/klp")),
        built_from: None,
    };
    assert_eq!(find_checkout(&env).unwrap(), c.canonicalize().unwrap());
    // Installed elsewhere: the checkout it was built from.
    let env = BuildEnv {
        checkout: None,
        exe: Some("/usr/local/sbin/klp".into()),
        built_from: Some(c.clone()),
    };
    assert_eq!(find_checkout(&env).unwrap(), c.canonicalize().unwrap());
    let env = BuildEnv {
        checkout: None,
        exe: Some("/usr/local/sbin/klp".into()),
        built_from: Some(root.path().join("gone")),
    };
    assert_eq!(
        find_checkout(&env).unwrap_err().to_string(),
        format!(
            "klp build needs the rust-livepatch checkout (its scripts/build.sh builds the \
             patch); none found (tried {}): set RUST_LIVEPATCH=/path/to/rust-livepatch; nothing \
             was built",
            root.path().join("gone").display()
        )
    );
}

#[test]
fn reports() {
    assert_eq!(
        parse_report("kdir=/k\nko=/d/a.ko\nko=/d/b.ko\n"),
        Ok(Report {
            kdir: "/k".into(),
            modules: vec!["/d/a.ko".into(), "/d/b.ko".into()],
        })
    );
    assert_eq!(parse_report("ko=/d/a.ko\n"), Err("no kdir= line".into()));
    assert_eq!(
        parse_report("kdir=/k\nwhat\n"),
        Err("unexpected line `what`".into())
    );
}

/// A tree whose sign-file appends a fake signature of the hash's name and
/// records its arguments.
fn signing_tree(root: &Path) -> Tree {
    let t = tree(root);
    std::fs::write(t.join(".config"), "CONFIG_MODULE_SIG_HASH=\"sha512\"\n").unwrap();
    write_script(
        &t.join("scripts/sign-file"),
        "#!/bin/sh\n\
         echo \"$*\" >>\"$(dirname \"$0\")/sign.args\"\n\
         printf '%s' \"$1\" >>\"$4\"\n\
         printf '\\000\\000\\002\\000\\000\\000\\000\\000\\000\\000\\000\\006' >>\"$4\"\n\
         printf '~Module signature appended~\\n' >>\"$4\"\n",
    );
    std::fs::write(root.join("key.pem"), "").unwrap();
    std::fs::write(root.join("key.x509"), "").unwrap();
    Tree::new(t)
}

#[test]
fn signing_replaces_a_previous_signature() {
    let root = tempfile::tempdir().unwrap();
    let t = signing_tree(root.path());
    let ko = root.path().join("lp.ko");
    std::fs::write(&ko, b"module").unwrap();
    let (key, cert) = (root.path().join("key.pem"), root.path().join("key.x509"));
    sign(&t, &key, &cert, &ko).unwrap();
    let once = std::fs::read(&ko).unwrap();
    assert!(once.starts_with(b"modulesha512\0"), "{once:?}");
    sign(&t, &key, &cert, &ko).unwrap();
    assert_eq!(std::fs::read(&ko).unwrap(), once, "one signature, not two");
    let args = std::fs::read_to_string(t.dir.join("scripts/sign.args")).unwrap();
    assert_eq!(
        args.lines().next().unwrap(),
        format!(
            "sha512 {} {} {}",
            key.display(),
            cert.display(),
            ko.display()
        )
    );
    // A key that is not there.
    let e = sign(&t, &root.path().join("nokey.pem"), &cert, &ko).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "cannot sign {}: the key {} does not exist",
            ko.display(),
            root.path().join("nokey.pem").display()
        )
    );
    // A tree without sign-file.
    let bare = Tree::new(root.path().join("bare"));
    let e = sign(&bare, &key, &cert, &ko).unwrap_err().to_string();
    assert!(
        e.ends_with(
            "scripts/sign-file does not exist (the tree was built without CONFIG_MODULE_SIG?)"
        ),
        "{e}"
    );
}

#[test]
fn build_signs_what_it_checked() {
    let s = setup(&patch(vec![]));
    let t = signing_tree(s._root.path());
    let o = BuildOptions {
        sign: Some((
            s._root.path().join("key.pem"),
            s._root.path().join("key.x509"),
        )),
        ..s.opts()
    };
    let (r, _, log) = s.run(&o);
    r.unwrap();
    assert!(
        log.ends_with(&format!(
            "{}: signed with {}\n",
            s.dir.join("lp.ko").display(),
            s._root.path().join("key.pem").display()
        )),
        "{log}"
    );
    assert!(std::fs::read(s.dir.join("lp.ko"))
        .unwrap()
        .ends_with(modsign::MAGIC));
    assert!(t.dir.join("scripts/sign.args").exists());
}
