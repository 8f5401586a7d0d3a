use super::super::test_ctx::{capture, ctx};
use super::*;
use crate::declared::RustType;
use crate::tasks::TaskState::In;
use crate::testutil::btf::fixture;
use crate::testutil::declared::{
    c_int, int, patch_with_record, seq_file_ptr, vmlinux_decl, void_ptr,
};
use crate::testutil::{
    klp_module, livepatch_ko, vmlinux_fn, FakeKernel, FakePatch, FakeRoot, Ko, Layout, Modinfo,
    RELEASE,
};
use crate::transition::Transition::Unpatched;

fn kernel_loading(fake: &FakeRoot, patch: FakePatch) -> FakeKernel {
    let mut k = FakeKernel::new(fake.root());
    k.loads = Some(patch);
    k
}

#[test]
fn loads_with_params_and_waits() {
    let fake = FakeRoot::new();
    let file = fake.add_file("lp.ko", &livepatch_ko("lp"));
    let k = kernel_loading(&fake, FakePatch::new("lp"));
    let params = ["a=1".to_string(), "b=x".to_string()];
    let (r, text) = capture(|out| load_file(&ctx(&fake, &k), &file, &params, false, out));
    assert_eq!(r.unwrap(), Loaded::Loaded("lp".into()));
    assert_eq!(k.calls(), ["load a=1 b=x"]);
    assert!(
        text.ends_with("lp: enabled, transition finished\n"),
        "{text}"
    );
}

/// `klp load FILE` with `fake` and `k`: the result and what it printed.
fn load(fake: &FakeRoot, k: &FakeKernel, file: &Path) -> (Result<Loaded>, String) {
    capture(|out| load_file(&ctx(fake, k), file, &[], false, out))
}

/// `klp load FILE` failing with exit code `code`: the error.
fn load_fails(fake: &FakeRoot, k: &FakeKernel, file: &Path, code: i32) -> Error {
    let err = load(fake, k, file).0.unwrap_err();
    assert_eq!(err.exit_code(), code, "{err}");
    err
}

/// Loading `ko` must be refused before any syscall, with exit code 6 and a
/// message containing `why`.
fn assert_refused(name: &str, ko: &[u8], why: &str) {
    let fake = FakeRoot::new();
    let file = fake.add_file(name, ko);
    let k = FakeKernel::new(fake.root());
    let err = load_fails(&fake, &k, &file, 6);
    assert!(err.to_string().contains(why), "{err}");
    assert!(k.calls().is_empty());
}

#[test]
fn refuses_a_module_that_is_not_a_livepatch() {
    assert_refused(
        "plain.ko",
        &Ko::new(&Modinfo::plain("plain")).bytes(),
        "not a livepatch: its modinfo has no livepatch=Y; nothing was loaded",
    );
}

#[test]
fn refuses_a_vermagic_mismatch() {
    assert_refused(
        "lp.ko",
        &klp_module(
            &Modinfo::livepatch("lp").built_for("6.1.0"),
            &vmlinux_fn("f"),
            false,
            Layout::Rust,
        ),
        &format!("built for kernel 6.1.0 but the running kernel is {RELEASE}"),
    );
}

#[test]
fn refuses_when_not_root_or_no_livepatch_support() {
    let fake = FakeRoot::new();
    let file = fake.add_file("lp.ko", &livepatch_ko("lp"));
    let mut k = FakeKernel::new(fake.root());
    k.root_user = false;
    load_fails(&fake, &k, &file, 3);
    k.root_user = true;
    std::fs::remove_dir(fake.sys().livepatch_dir()).unwrap();
    load_fails(&fake, &k, &file, 4);
    assert!(k.calls().is_empty());
}

#[test]
fn kernel_refusal_says_nothing_was_loaded() {
    let fake = FakeRoot::new();
    let file = fake.add_file("lp.ko", &livepatch_ko("lp"));
    let mut k = FakeKernel::new(fake.root());
    k.load_errno = Some(libc::EINVAL);
    let err = load_fails(&fake, &k, &file, 1);
    assert!(
        err.to_string().contains("(EINVAL); nothing was loaded"),
        "{err}"
    );
}

#[test]
fn a_stalled_transition_is_reported_and_left_as_is() {
    let fake = FakeRoot::new();
    fake.add_task(9, 9, "blocker", Some(In(Unpatched)));
    let file = fake.add_file("lp.ko", &livepatch_ko("lp"));
    let k = kernel_loading(&fake, FakePatch::new("lp").transition(true));
    let err = load_fails(&fake, &k, &file, 7);
    let msg = err.to_string();
    assert!(
        msg.starts_with("lp is loaded but not fully applied: timed out"),
        "{msg}"
    );
    assert!(msg.contains("pid 9 tid 9 comm blocker"), "{msg}");
    assert!(fake.sys().patch_dir("lp").exists());
}

#[test]
fn already_loaded() {
    let fake = FakeRoot::new();
    fake.add_patch(&FakePatch::new("lp"));
    let file = fake.add_file("lp.ko", &livepatch_ko("lp"));
    let k = FakeKernel::new(fake.root());
    let (r, _) = load(&fake, &k, &file);
    assert!(r
        .unwrap_err()
        .to_string()
        .contains("already loaded; nothing was done"));
    let (r, _) = capture(|out| load_file(&ctx(&fake, &k), &file, &[], true, out));
    assert_eq!(r.unwrap(), Loaded::AlreadyLoaded("lp".into()));
    assert!(k.calls().is_empty());
}

#[test]
fn load_all_goes_on_past_failures_in_name_order() {
    let fake = FakeRoot::new();
    fake.add_patch(&FakePatch::new("lp"));
    fake.add_file("d/20-lp.ko", &livepatch_ko("lp"));
    fake.add_file("d/10-plain.ko", &Ko::new(&Modinfo::plain("plain")).bytes());
    fake.add_file("d/30-new.ko", &livepatch_ko("new"));
    fake.add_file("d/README", b"not a module");
    let k = kernel_loading(&fake, FakePatch::new("new"));
    let (r, text) = capture(|out| load_all(&ctx(&fake, &k), &fake.root().join("d"), out));
    let err = r.unwrap_err();
    assert_eq!(err.exit_code(), 8);
    assert_eq!(err.to_string(), "1 of 3 modules failed to load (see above)");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("error: refusing ")
            && lines[0].contains("10-plain.ko")
            && lines[0].contains("not a livepatch"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("lp: already loaded, skipped"),
        "{text}"
    );
    // A module without signature records (synthetic, as a C one) is said
    // to be unchecked, and loads.
    assert!(
        lines[2].starts_with("signatures: the module has no signature records"),
        "{text}"
    );
    assert!(lines[3].starts_with("new: loaded from"), "{text}");
    assert_eq!(k.calls(), ["load"]);
}

#[test]
fn load_all_of_an_empty_dir_is_fine() {
    let fake = FakeRoot::new();
    std::fs::create_dir(fake.root().join("d")).unwrap();
    let k = FakeKernel::new(fake.root());
    let (r, text) = capture(|out| load_all(&ctx(&fake, &k), &fake.root().join("d"), out));
    r.unwrap();
    assert!(text.contains("nothing to load"));
}

/// `err`'s message, with the fake root shown as `<root>`.
fn message(fake: &FakeRoot, err: &Error) -> String {
    err.to_string()
        .replace(fake.root().to_str().unwrap(), "<root>")
}

#[test]
fn the_messages_of_each_failure() {
    let fake = FakeRoot::new();
    fake.add_patch(&FakePatch::new("lp"));
    let file = fake.add_file("lp.ko", &livepatch_ko("lp"));
    let k = FakeKernel::new(fake.root());
    let err = load_fails(&fake, &k, &file, 1);
    assert_eq!(
        message(&fake, &err),
        "a module named lp is already loaded; nothing was done (klp unload lp first to replace it)"
    );

    let fake = FakeRoot::new();
    fake.write("dev/kmsg", "");
    let file = fake.add_file("lp.ko", &livepatch_ko("lp"));
    let mut k = FakeKernel::new(fake.root());
    k.load_errno = Some(libc::EINVAL);
    k.load_log = Some("livepatch: symbol 'f' not found in symbol table");
    let err = load_fails(&fake, &k, &file, 1);
    assert_eq!(
        message(&fake, &err),
        "the kernel refused to load <root>/lp.ko: Invalid argument (EINVAL); nothing was loaded\n\
         kernel log:\n  livepatch: symbol 'f' not found in symbol table"
    );
}

#[test]
fn the_message_of_a_stalled_load() {
    let fake = FakeRoot::new();
    fake.add_task(9, 9, "blocker", Some(In(Unpatched)));
    let file = fake.add_file("lp.ko", &livepatch_ko("lp"));
    let k = kernel_loading(&fake, FakePatch::new("lp").transition(true));
    let (r, _) = load(&fake, &k, &file);
    assert_eq!(
        r.unwrap_err().to_string(),
        "lp is loaded but not fully applied: timed out after 0 s: lp is still in transition to \
         patched (enabled=1, transition=1); it is left that way\n\
         1 task(s) have not switched yet:\n\
         \x20 pid 9 tid 9 comm blocker\n\
         \x20     (kernel stack not readable)\n\
         The kernel keeps retrying (and signals the remaining tasks). What you can do:\n\
         \x20 wait, then check with: klp list\n\
         \x20 klp disable lp    reverse the transition (back to unpatched)\n\
         \x20 klp force lp      complete it now, unchecked (klp force says which modules it pins)"
    );
}

#[test]
fn a_transition_undone_during_the_load() {
    let fake = FakeRoot::new();
    let file = fake.add_file("lp.ko", &livepatch_ko("lp"));
    let k = kernel_loading(&fake, FakePatch::new("lp").enabled(false).transition(true));
    let err = load_fails(&fake, &k, &file, 1);
    assert_eq!(
        err.to_string(),
        "lp was loaded but the transition of lp was reversed before it finished: the patch is \
         being disabled"
    );

    // The fake kernel creates no patch: it is gone at once.
    let fake = FakeRoot::new();
    let file = fake.add_file("lp.ko", &livepatch_ko("lp"));
    let k = FakeKernel::new(fake.root());
    let err = load_fails(&fake, &k, &file, 1);
    assert_eq!(
        err.to_string(),
        "lp was loaded but lp disappeared before its transition finished (it was disabled)"
    );
}

/// A livepatch of vmlinux's `cmdline_proc_show` whose record declares `v`
/// as `v`; the kernel (the BTF fixture) has `void *`.
fn cmdline_patch(v: RustType) -> Vec<u8> {
    patch_with_record(vmlinux_decl(
        "cmdline_proc_show",
        c_int(),
        vec![("m", seq_file_ptr()), ("v", v)],
    ))
}

fn with_kernel_btf(fake: &FakeRoot) {
    fake.add_file("sys/kernel/btf/vmlinux", &fixture("base.btf"));
}

#[test]
fn refuses_a_signature_the_running_kernel_does_not_have() {
    let fake = FakeRoot::new();
    with_kernel_btf(&fake);
    let file = fake.add_file("lp.ko", &cmdline_patch(int("u64", 8, false)));
    let k = FakeKernel::new(fake.root());
    let err = load_fails(&fake, &k, &file, 6);
    assert_eq!(
        err.to_string(),
        format!(
            "refusing {}: a replacement's signature does not match the running kernel's BTF: \
             cmdline_proc_show: parameter 2 `v`: the replacement has `u64` (8 bytes, unsigned \
             integer), the kernel has `void *` (pointer); nothing was loaded",
            file.display()
        )
    );
    assert!(k.calls().is_empty());
}

#[test]
fn loads_a_matching_signature_and_says_what_it_could_not_check() {
    let fake = FakeRoot::new();
    with_kernel_btf(&fake);
    let file = fake.add_file("lp.ko", &cmdline_patch(void_ptr()));
    let k = kernel_loading(&fake, FakePatch::new("lp"));
    let (r, text) = load(&fake, &k, &file);
    assert_eq!(r.unwrap(), Loaded::Loaded("lp".into()));
    assert!(!text.contains("signature"), "{text}");
    // Without BTF in the kernel: loaded, with a line saying so.
    let fake = FakeRoot::new();
    let file = fake.add_file("lp.ko", &cmdline_patch(void_ptr()));
    let k = kernel_loading(&fake, FakePatch::new("lp"));
    let (r, text) = load(&fake, &k, &file);
    assert_eq!(r.unwrap(), Loaded::Loaded("lp".into()));
    assert!(
        text.starts_with(
            "signature: cmdline_proc_show: not checked: the running kernel has no BTF \
             (/sys/kernel/btf/vmlinux: CONFIG_DEBUG_INFO_BTF)\n"
        ),
        "{text}"
    );
}
