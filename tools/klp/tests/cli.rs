//! The `klp` binary end to end against a fake /sys and /proc (hidden
//! `--root`): output streams and exit codes. Only commands that need no
//! root privileges, so it runs anywhere.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn klp(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_klp"))
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .unwrap()
}

fn write(root: &Path, rel: &str, content: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, content).unwrap();
}

fn fake_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    for (f, v) in [
        ("enabled", "1\n"),
        ("transition", "0\n"),
        ("replace", "0\n"),
        ("stack_order", "1\n"),
    ] {
        write(r, &format!("sys/kernel/livepatch/lp/{f}"), v);
    }
    write(r, "sys/kernel/livepatch/lp/vmlinux/patched", "1\n");
    fs::create_dir_all(r.join("sys/kernel/livepatch/lp/vmlinux/cmdline_proc_show,1")).unwrap();
    write(r, "proc/1/task/1/comm", "init\n");
    write(r, "proc/1/task/1/patch_state", "-1\n");
    dir
}

#[test]
fn list_prints_to_stdout_and_exits_0() {
    let root = fake_root();
    let out = klp(root.path(), &["list"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "lp enabled=1 transition=0 replace=0 stack_order=1\n  vmlinux patched=1\n    cmdline_proc_show,1\n"
    );
    assert!(out.stderr.is_empty());
}

#[test]
fn status_counts_tasks() {
    let root = fake_root();
    let out = klp(root.path(), &["status"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("tasks: 1 (1 idle, 0 unpatched, 0 patched, 0 unreadable)\n"));
}

#[test]
fn errors_go_to_stderr_with_their_exit_code() {
    let root = tempfile::tempdir().unwrap();
    let out = klp(root.path(), &["list"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("klp: error: this kernel has no livepatch support"),
        "{err}"
    );

    let out = klp(root.path(), &["info", "/nonexistent.ko"]);
    assert_eq!(out.status.code(), Some(6));

    let out = klp(root.path(), &["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_documents_the_exit_codes() {
    let out = Command::new(env!("CARGO_BIN_EXE_klp"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("Exit codes:\n  0  success\n"), "{help}");
    assert!(help.contains("  5  unknown patch name\n"), "{help}");
}
