use super::super::test_ctx::{capture, ctx};
use super::*;
use crate::tasks::TaskState::In;
use crate::testutil::{FakeKernel, FakePatch, FakeRoot};
use crate::transition::Transition::Patched;

#[test]
fn disable_writes_0_and_waits() {
    let fake = FakeRoot::new();
    fake.add_patch(&FakePatch::new("lp"));
    // The fake kernel "finishes" at once: enabled=0, transition=0.
    let k = FakeKernel::new(fake.root());
    let (r, text) = capture(|out| disable(&ctx(&fake, &k), "lp", out));
    r.unwrap();
    assert_eq!(fake.read("sys/kernel/livepatch/lp/enabled"), "0");
    assert!(text.starts_with("lp: disabled"), "{text}");
    assert!(k.calls().is_empty(), "disable must not remove the module");
}

#[test]
fn unknown_names_and_not_root() {
    let fake = FakeRoot::new();
    fake.add_patch(&FakePatch::new("lp"));
    let mut k = FakeKernel::new(fake.root());
    for f in [disable, unload] {
        let (r, _) = capture(|out| f(&ctx(&fake, &k), "nope", out));
        let err = r.unwrap_err();
        assert_eq!(err.exit_code(), 5);
        assert!(err.to_string().contains("(loaded: lp)"), "{err}");
    }
    k.root_user = false;
    let (r, _) = capture(|out| disable(&ctx(&fake, &k), "lp", out));
    assert_eq!(r.unwrap_err().exit_code(), 3);
    assert_eq!(fake.read("sys/kernel/livepatch/lp/enabled"), "1\n");
}

#[test]
fn a_stalled_disable_is_reported() {
    let fake = FakeRoot::new();
    fake.add_patch(&FakePatch::new("lp").enabled(false).transition(true));
    fake.add_task(3, 3, "busy", Some(In(Patched)));
    let k = FakeKernel::new(fake.root());
    let (r, _) = capture(|out| unload(&ctx(&fake, &k), "lp", out));
    let err = r.unwrap_err();
    assert_eq!(err.exit_code(), 7);
    assert!(
        err.to_string()
            .starts_with("lp is being disabled but not yet: timed out"),
        "{err}"
    );
    assert!(err.to_string().contains("comm busy"), "{err}");
    assert!(k.calls().is_empty(), "nothing removed while in transition");
}

#[test]
fn unload_disables_then_removes() {
    let fake = FakeRoot::new();
    fake.add_patch(&FakePatch::new("lp"));
    let k = FakeKernel::new(fake.root());
    let (r, text) = capture(|out| unload(&ctx(&fake, &k), "lp", out));
    r.unwrap();
    assert_eq!(k.calls(), ["delete lp"]);
    assert_eq!(
        text,
        "lp: disabled (original functions restored)\nlp: module removed\n"
    );
    assert!(!fake.sys().module_dir("lp").exists());
}

#[test]
fn unload_of_an_already_disabled_livepatch_module() {
    let fake = FakeRoot::new();
    fake.write("sys/module/lp/taint", "K\n");
    fake.write("sys/module/lp/refcnt", "0\n");
    fake.write("sys/module/plain/taint", "\n");
    fake.write("sys/module/plain/refcnt", "0\n");
    let k = FakeKernel::new(fake.root());
    let (r, _) = capture(|out| unload(&ctx(&fake, &k), "lp", out));
    r.unwrap();
    let (r, _) = capture(|out| unload(&ctx(&fake, &k), "plain", out));
    assert_eq!(
        r.unwrap_err().exit_code(),
        5,
        "klp unload must not remove ordinary modules"
    );
    assert_eq!(k.calls(), ["delete lp"]);
}

#[test]
fn unload_says_what_it_left_when_removal_fails() {
    let fake = FakeRoot::new();
    fake.add_patch(&FakePatch::new("lp"));
    let mut k = FakeKernel::new(fake.root());
    k.delete_errno = Some(libc::EPERM);
    let (r, text) = capture(|out| unload(&ctx(&fake, &k), "lp", out));
    let err = r.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("lp is disabled but its module could not be removed"),
        "{err}"
    );
    assert!(text.contains("lp: disabled"), "{text}");
}

#[test]
fn the_message_of_a_stalled_disable() {
    let fake = FakeRoot::new();
    fake.add_patch(&FakePatch::new("lp").enabled(false).transition(true));
    fake.add_task(3, 3, "busy", Some(In(Patched)));
    fake.write("proc/3/task/3/stack", "[<0>] a+0x1/0x2\n[<0>] b+0x3/0x4\n");
    let k = FakeKernel::new(fake.root());
    let (r, _) = capture(|out| disable(&ctx(&fake, &k), "lp", out));
    assert_eq!(
        r.unwrap_err().to_string(),
        "lp is being disabled but not yet: timed out after 0 s: lp is still in transition to \
         unpatched (enabled=0, transition=1); it is left that way\n\
         1 task(s) have not switched yet:\n\
         \x20 pid 3 tid 3 comm busy\n\
         \x20     [<0>] a+0x1/0x2\n\
         \x20     [<0>] b+0x3/0x4\n\
         The kernel keeps retrying (and signals the remaining tasks). What you can do:\n\
         \x20 wait, then check with: klp list\n\
         \x20 echo 1 > /sys/kernel/livepatch/lp/enabled    reverse it (back to patched)\n\
         \x20 klp force lp      complete it now, unchecked (klp force says which modules it pins)"
    );
}

#[test]
fn a_disable_reversed_by_the_operator() {
    let fake = FakeRoot::new();
    fake.add_patch(&FakePatch::new("lp").enabled(false).transition(true));
    let k = FakeKernel::new(fake.root());
    let root = fake.root().to_path_buf();
    // Someone writes 1 to enabled: the transition goes back to patched.
    // (The two files are written well apart, so that no poll reads the old
    // enabled with the new transition, a completed disable; the wait is
    // long enough for that under load.)
    let operator = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        let d = root.join("sys/kernel/livepatch/lp");
        std::fs::write(d.join("enabled"), "1\n").unwrap();
        std::thread::sleep(Duration::from_millis(200));
        std::fs::write(d.join("transition"), "0\n").unwrap();
    });
    let mut c = ctx(&fake, &k);
    c.wait.timeout = Duration::from_secs(10);
    let (r, _) = capture(|out| disable(&c, "lp", out));
    operator.join().unwrap();
    let err = r.unwrap_err();
    assert_eq!(err.exit_code(), 1);
    assert_eq!(
        err.to_string(),
        "the disabling of lp was reversed: the patch is enabled"
    );
}

#[test]
fn the_message_when_the_module_stays() {
    let fake = FakeRoot::new();
    fake.add_patch(&FakePatch::new("lp"));
    let mut k = FakeKernel::new(fake.root());
    k.delete_errno = Some(libc::EPERM);
    let (r, _) = capture(|out| unload(&ctx(&fake, &k), "lp", out));
    let err = r.unwrap_err();
    assert_eq!(err.exit_code(), 1);
    assert_eq!(
        err.to_string(),
        "lp is disabled but its module could not be removed: Operation not permitted (EPERM). \
         If its transition was forced it can never be removed; otherwise retry: klp unload lp"
    );
}
