use super::super::test_ctx::{capture, ctx};
use super::*;
use crate::tasks::TaskState::In;
use crate::testutil::{FakeKernel, FakePatch, FakeRoot};
use crate::transition::Transition::Unpatched;
use std::time::Duration;

#[test]
fn unknown_name_and_not_root() {
    let fake = FakeRoot::new();
    fake.add_patch(&FakePatch::new("stuck").transition(true));
    let mut k = FakeKernel::new(fake.root());
    let (r, _) = capture(|out| force(&ctx(&fake, &k), "nope", || true, out, &mut Vec::new()));
    let err = r.unwrap_err();
    assert_eq!(err.exit_code(), 5);
    assert!(err.to_string().contains("(loaded: stuck)"), "{err}");
    k.root_user = false;
    let (r, _) = capture(|out| force(&ctx(&fake, &k), "stuck", || true, out, &mut Vec::new()));
    assert_eq!(r.unwrap_err().exit_code(), 3);
    assert_eq!(fake.read("sys/kernel/livepatch/stuck/force"), "");
}

#[test]
fn force_needs_a_transition_and_a_confirmation() {
    let fake = FakeRoot::new();
    fake.add_patch(&FakePatch::new("idle"));
    fake.add_patch(&FakePatch::new("stuck").transition(true));
    let k = FakeKernel::new(fake.root());
    let (r, _) = capture(|out| force(&ctx(&fake, &k), "idle", || true, out, &mut Vec::new()));
    assert!(r.unwrap_err().to_string().contains("not in transition"));
    assert_eq!(fake.read("sys/kernel/livepatch/idle/force"), "");

    let mut warn = Vec::new();
    let (r, _) = capture(|out| force(&ctx(&fake, &k), "stuck", || false, out, &mut warn));
    assert!(r.unwrap_err().to_string().contains("not confirmed"));
    assert!(String::from_utf8(warn)
        .unwrap()
        .contains("Its module stays removable once the patch is disabled"));
    assert_eq!(fake.read("sys/kernel/livepatch/stuck/force"), "");
}

/// What `klp force` warns is pinned, as `klp_force_transition()` decides;
/// `no_replace_attr`: a kernel before 6.11, without `replace` in sysfs.
fn force_warning(patch: FakePatch, other: Option<&str>, no_replace_attr: bool) -> String {
    let fake = FakeRoot::new();
    fake.add_patch(&patch);
    if let Some(o) = other {
        fake.add_patch(&FakePatch::new(o));
    }
    if no_replace_attr {
        for p in livepatch::names(&fake.sys()) {
            std::fs::remove_file(
                fake.root()
                    .join(format!("sys/kernel/livepatch/{p}/replace")),
            )
            .unwrap();
        }
    }
    let k = FakeKernel::new(fake.root());
    let mut warn = Vec::new();
    let (r, _) = capture(|out| force(&ctx(&fake, &k), "stuck", || false, out, &mut warn));
    assert!(r.unwrap_err().to_string().contains("not confirmed"));
    String::from_utf8(warn).unwrap()
}

#[test]
fn force_says_which_modules_it_pins() {
    // Forcing a patch out: tasks may still run its code.
    let w = force_warning(
        FakePatch::new("stuck").transition(true).enabled(false),
        None,
        false,
    );
    assert!(
        w.contains("The module of stuck can then NEVER be removed"),
        "{w}"
    );
    // Forcing an atomic replace in: the replaced patches' code.
    let w = force_warning(
        FakePatch::new("stuck").transition(true).replace(true),
        Some("old"),
        false,
    );
    assert!(
        w.contains("The modules of the patches it replaces (old) can then NEVER be removed"),
        "{w}"
    );
    // Forcing a plain patch in pins nothing, even with other patches loaded.
    let w = force_warning(FakePatch::new("stuck").transition(true), Some("old"), false);
    assert!(w.contains("Its module stays removable"), "{w}");
    assert!(!w.contains("NEVER"), "{w}");
    // Without the `replace` attribute it cannot tell: it says both.
    let w = force_warning(FakePatch::new("stuck").transition(true), Some("old"), true);
    assert!(
        w.contains("If it is an atomic replace, the modules of the patches it replaces (old)"),
        "{w}"
    );
    let w = force_warning(FakePatch::new("stuck").transition(true), None, true);
    assert!(w.contains("(on Linux 5.1 and later; before,"), "{w}");
}

#[test]
fn force_writes_1() {
    let fake = FakeRoot::new();
    fake.add_patch(&FakePatch::new("stuck").transition(true));
    let k = FakeKernel::new(fake.root());
    let root = fake.root().to_path_buf();
    // The "kernel" completes the transition once force is written.
    let kernel = std::thread::spawn(move || {
        let d = root.join("sys/kernel/livepatch/stuck");
        while std::fs::read_to_string(d.join("force")).unwrap() != "1" {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::fs::write(d.join("transition"), "0\n").unwrap();
    });
    let (r, text) = capture(|out| force(&ctx(&fake, &k), "stuck", || true, out, &mut Vec::new()));
    kernel.join().unwrap();
    r.unwrap();
    assert!(
        text.contains("stuck: transition forced to completion; no module is pinned"),
        "{text}"
    );
}

#[test]
fn the_messages_of_a_refused_force() {
    let fake = FakeRoot::new();
    fake.add_patch(&FakePatch::new("idle"));
    fake.add_patch(&FakePatch::new("stuck").transition(true));
    let k = FakeKernel::new(fake.root());
    let (r, _) = capture(|out| force(&ctx(&fake, &k), "idle", || true, out, &mut Vec::new()));
    let err = r.unwrap_err();
    assert_eq!(err.exit_code(), 1);
    assert_eq!(
        err.to_string(),
        "idle is not in transition (enabled=1): force only completes a transition in progress; \
         nothing was done"
    );
    let (r, _) = capture(|out| force(&ctx(&fake, &k), "stuck", || false, out, &mut Vec::new()));
    let err = r.unwrap_err();
    assert_eq!(err.exit_code(), 1);
    assert_eq!(
        err.to_string(),
        "not confirmed (use --yes); nothing was done"
    );

    // A directory instead of the attribute: the write fails (EISDIR).
    let force_attr = fake.sys().patch_dir("stuck").join("force");
    std::fs::remove_file(&force_attr).unwrap();
    std::fs::create_dir(&force_attr).unwrap();
    let (r, _) = capture(|out| force(&ctx(&fake, &k), "stuck", || true, out, &mut Vec::new()));
    let err = r.unwrap_err();
    assert_eq!(err.exit_code(), 1);
    assert_eq!(
        err.to_string(),
        format!(
            "writing 1 to {} failed: Is a directory (errno); nothing was done",
            force_attr.display()
        )
    );
}

#[test]
fn a_forced_transition_that_still_does_not_finish() {
    // The fake kernel ignores the force: the transition stays.
    let fake = FakeRoot::new();
    fake.add_patch(&FakePatch::new("stuck").transition(true));
    fake.add_task(3, 3, "busy", Some(In(Unpatched)));
    let k = FakeKernel::new(fake.root());
    let (r, _) = capture(|out| force(&ctx(&fake, &k), "stuck", || true, out, &mut Vec::new()));
    let err = r.unwrap_err();
    assert_eq!(
        err.exit_code(),
        1,
        "a force that does not finish is a failure"
    );
    assert_eq!(
        err.to_string(),
        "stuck was forced, but: timed out after 0 s: stuck is still in transition to patched \
         (enabled=1, transition=1); it is left that way\n\
         1 task(s) have not switched yet:\n\
         \x20 pid 3 tid 3 comm busy\n\
         \x20     (kernel stack not readable)\n\
         The kernel keeps retrying (and signals the remaining tasks). What you can do:\n\
         \x20 wait, then check with: klp list\n\
         \x20 klp disable stuck    reverse the transition (back to unpatched)\n\
         \x20 klp force stuck      complete it now, unchecked (klp force says which modules it pins)"
    );
}
