//! `klp info`, `klp load` and `klp post-link` on modules with external
//! symbols (`.klp.sym.*`).

use super::test_ctx::{capture, ctx};
use super::*;
use crate::postlink::{convert, Outcome};
use crate::testutil::{FakeKernel, FakePatch, FakeRoot, KlpKo, Ref};
use std::path::PathBuf;

const CMDLINE: &str = ".klp.sym.vmlinux.saved_command_line,0";
const EXT: &str = ".klp.sym.ext4.ext4_thing,0";

fn sample() -> KlpKo {
    KlpKo {
        objects: vec!["vmlinux".into(), "ext4".into()],
        ..KlpKo::with_refs(vec![Ref::read(CMDLINE), Ref::call(EXT), Ref::call(EXT)])
    }
}

fn converted_bytes(ko: &KlpKo) -> Vec<u8> {
    match convert(&ko.bytes()) {
        Ok(Outcome::Converted { data, .. }) => data,
        other => panic!("{other:?}"),
    }
}

fn kernel_with_symbols() -> FakeRoot {
    let fake = FakeRoot::new();
    fake.write(
        "proc/kallsyms",
        "ffffffff81000000 T cmdline_proc_show\n\
         ffffffff81000100 D saved_command_line\n\
         ffffffff81000200 t dup\n\
         ffffffff81000300 t dup\n",
    );
    fake
}

#[test]
fn info_lists_external_symbols_and_the_conversion() {
    let fake = kernel_with_symbols();
    let k = FakeKernel::new(fake.root());
    let file = fake.add_file("lp.ko", &converted_bytes(&sample()));
    let (r, text) = capture(|out| info(&ctx(&fake, &k), &file, false, out));
    r.unwrap();
    let expected = "external symbols: 2 (converted)\n  vmlinux saved_command_line sympos=0 (1 relocation)\n  ext4 ext4_thing sympos=0 (2 relocations)\n";
    assert!(text.contains(expected), "{text}");
    assert!(
        text.contains(
            "  ok   external symbols: 2 klp symbols, their relocations in .klp.rela sections\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("  ok   external vmlinux:saved_command_line,0: found in /proc/kallsyms\n"),
        "{text}"
    );
    assert!(text.contains("  ?    external ext4:ext4_thing,0: module ext4 is not loaded: checked by the kernel when it loads\n"), "{text}");
    assert!(text.contains("fits the running kernel: yes"), "{text}");

    let (r, text) = capture(|out| info(&ctx(&fake, &k), &file, true, out));
    r.unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["external"]["conversion"], "converted");
    let s = &v["external"]["symbols"][1];
    assert_eq!(s["symbol"], EXT);
    assert_eq!(s["object"], "ext4");
    assert_eq!(s["name"], "ext4_thing");
    assert_eq!(s["sympos"], 0);
    assert_eq!(s["relocations"], 2);
}

#[test]
fn info_says_an_unconverted_file_does_not_fit() {
    let fake = kernel_with_symbols();
    let k = FakeKernel::new(fake.root());
    let file = fake.add_file("lp.ko", &sample().bytes());
    let (r, text) = capture(|out| info(&ctx(&fake, &k), &file, false, out));
    r.unwrap();
    assert!(
        text.contains("external symbols: 2 (NOT converted: run 'klp post-link' on the file)"),
        "{text}"
    );
    assert!(
        text.contains(
            "  FAIL external symbols: it references 2 external symbols but was not converted"
        ),
        "{text}"
    );
    assert!(text.contains("fits the running kernel: no"), "{text}");
    let (_, text) = capture(|out| info(&ctx(&fake, &k), &file, true, out));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["external"]["conversion"], "not_converted");
    assert_eq!(v["fits"], false);
}

#[test]
fn info_of_a_module_without_external_symbols() {
    let fake = kernel_with_symbols();
    let k = FakeKernel::new(fake.root());
    let file = fake.add_file(
        "lp.ko",
        &KlpKo {
            marker: None,
            ..Default::default()
        }
        .bytes(),
    );
    let (r, text) = capture(|out| info(&ctx(&fake, &k), &file, false, out));
    r.unwrap();
    assert!(!text.contains("external"), "{text}");
    let (_, text) = capture(|out| info(&ctx(&fake, &k), &file, true, out));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["external"]["conversion"], "not_needed");
}

/// Loads `ko`; returns the result, the output and the system calls made.
fn load(fake: &FakeRoot, ko: &[u8]) -> (Result<Loaded>, String, Vec<String>) {
    let file = fake.add_file("lp.ko", ko);
    let mut k = FakeKernel::new(fake.root());
    k.loads = Some(FakePatch::new("lp"));
    let (r, text) = capture(|out| load_file(&ctx(fake, &k), &file, &[], false, out));
    (r, text, k.calls())
}

#[test]
fn load_refuses_an_unconverted_module() {
    let fake = kernel_with_symbols();
    let (r, _, calls) = load(&fake, &sample().bytes());
    let e = r.unwrap_err();
    assert_eq!(e.exit_code(), 6);
    assert!(e.to_string().contains("it references 2 external symbols but was not converted: run 'klp post-link' on it after the build; nothing was loaded"), "{e}");
    assert!(calls.is_empty());
}

#[test]
fn load_refuses_symbols_the_kernel_would_not_resolve() {
    for (symbol, why) in [
        (
            ".klp.sym.vmlinux.nope,0",
            "external vmlinux:nope,0: nope is not in vmlinux's symbols",
        ),
        (
            ".klp.sym.vmlinux.dup,0",
            "dup occurs 2 times in vmlinux: ambiguous without a sympos",
        ),
        (
            ".klp.sym.vmlinux.dup,3",
            "dup occurs 2 times in vmlinux, sympos is 3",
        ),
    ] {
        let fake = kernel_with_symbols();
        let ko = KlpKo::with_refs(vec![Ref::call(symbol)]);
        let (r, _, calls) = load(&fake, &converted_bytes(&ko));
        let e = r.unwrap_err();
        assert_eq!(e.exit_code(), 6, "{symbol}");
        assert!(e.to_string().contains(why), "{symbol}: {e}");
        assert!(calls.is_empty(), "{symbol}");
    }
}

#[test]
fn load_checks_loaded_modules_and_defers_the_others() {
    let fake = kernel_with_symbols();
    let (r, text, calls) = load(&fake, &converted_bytes(&sample()));
    assert_eq!(r.unwrap(), Loaded::Loaded("lp".into()));
    assert!(text.starts_with("external ext4:ext4_thing,0: module ext4 is not loaded: checked by the kernel when it loads\n"), "{text}");
    assert_eq!(calls, ["load"]);

    // ext4 loaded without the symbol: refused.
    let fake = kernel_with_symbols();
    fake.write("sys/module/ext4/initstate", "live\n");
    let (r, _, calls) = load(&fake, &converted_bytes(&sample()));
    let e = r.unwrap_err();
    assert!(
        e.to_string()
            .contains("external ext4:ext4_thing,0: ext4_thing is not in ext4's symbols"),
        "{e}"
    );
    assert!(calls.is_empty());

    // ... and with it: loaded.
    let mut kallsyms = fake.read("proc/kallsyms");
    kallsyms.push_str("ffffffffa0000000 t ext4_thing\t[ext4]\n");
    fake.write("proc/kallsyms", &kallsyms);
    let (r, text, _) = load(&fake, &converted_bytes(&sample()));
    assert_eq!(r.unwrap(), Loaded::Loaded("lp".into()));
    assert!(!text.contains("external"), "{text}");
}

#[test]
fn load_and_info_accept_modules_converted_by_other_tools() {
    let fake = kernel_with_symbols();
    let c = crate::postlink::tests::converted_without_marker(vec![Ref::read(CMDLINE)]);
    let k = FakeKernel::new(fake.root());
    let file = fake.add_file("c.ko", &c);
    let (r, text) = capture(|out| info(&ctx(&fake, &k), &file, false, out));
    r.unwrap();
    assert!(text.contains("external symbols: 1 (converted)\n"), "{text}");
    let (r, _, calls) = load(&fake, &c);
    assert_eq!(r.unwrap(), Loaded::Loaded("lp".into()));
    assert_eq!(calls, ["load"]);
}

#[test]
fn post_link_goes_on_past_a_refused_file_and_fails_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, data: &[u8]| -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, data).unwrap();
        p
    };
    let bad_bytes = KlpKo::with_refs(vec![Ref::call(".klp.sym.vmlinux.foo")]).bytes();
    let files = [
        write("a.ko", &KlpKo::with_refs(vec![Ref::call(CMDLINE)]).bytes()),
        write("b.ko", &bad_bytes),
        write(
            "c.ko",
            &crate::testutil::Ko::new(&crate::testutil::Modinfo::plain("c")).bytes(),
        ),
    ];
    let (r, text) = capture(|out| post_link(&files, out));
    let a = files[0].display();
    let c = files[2].display();
    assert_eq!(
        text,
        format!("{a}: 1 relocations for objects vmlinux (1) moved to 1 .klp.rela sections, 1 symbols marked SHN_LIVEPATCH, marker set\n{c}: no external symbols, unchanged\n")
    );
    let e = r.unwrap_err();
    assert_eq!(e.exit_code(), 1);
    let msg = e.to_string();
    assert!(msg.starts_with(&format!("refusing to convert {} (left unchanged):\n  symbol '.klp.sym.vmlinux.foo': no ',<sympos>'", files[1].display())), "{msg}");
    assert_eq!(std::fs::read(&files[1]).unwrap(), bad_bytes);

    let (r, text) = capture(|out| post_link(&files[..1], out));
    r.unwrap();
    assert!(text.contains("already converted"), "{text}");
}
