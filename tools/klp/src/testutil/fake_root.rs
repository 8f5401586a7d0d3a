//! A fake root directory with the files the kernel would show.

use super::RELEASE;
use crate::sys::Sys;
use crate::tasks::TaskState;
use std::fs;
use std::path::{Path, PathBuf};

/// A temporary root with `/sys/kernel/livepatch` and a kernel release
/// ([`RELEASE`]); removed when dropped.
pub struct FakeRoot {
    dir: tempfile::TempDir,
}

impl Default for FakeRoot {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeRoot {
    pub fn new() -> Self {
        let fake = FakeRoot {
            dir: tempfile::tempdir().unwrap(),
        };
        fs::create_dir_all(fake.sys().livepatch_dir()).unwrap();
        fake.write("proc/sys/kernel/osrelease", &format!("{RELEASE}\n"));
        fake
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn sys(&self) -> Sys {
        Sys::new(self.dir.path())
    }

    /// Writes `root/rel`, creating its directories.
    pub fn write(&self, rel: &str, content: &str) {
        write_file(self.root(), rel, content);
    }

    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.root().join(rel)).unwrap()
    }

    pub fn add_patch(&self, p: &FakePatch) {
        p.create(self.root());
    }

    /// A task; `state` `None` leaves `patch_state` out (unreadable).
    pub fn add_task(&self, pid: u32, tid: u32, comm: &str, state: Option<TaskState>) {
        let dir = format!("proc/{pid}/task/{tid}");
        self.write(&format!("{dir}/comm"), &format!("{comm}\n"));
        if let Some(s) = state {
            self.write(&format!("{dir}/patch_state"), &format!("{}\n", s.value()));
        }
    }

    /// A `.ko` file at `root/name` with `data`.
    pub fn add_file(&self, name: &str, data: &[u8]) -> PathBuf {
        let path = self.root().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, data).unwrap();
        path
    }
}

pub(crate) fn write_file(root: &Path, rel: &str, content: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

/// A loaded livepatch as sysfs shows it (and its `/sys/module` entry).
#[derive(Clone)]
pub struct FakePatch {
    pub name: String,
    enabled: bool,
    transition: bool,
    replace: bool,
    stack_order: i64,
    /// (object, "func,sympos")
    functions: Vec<(String, String)>,
}

impl FakePatch {
    /// Enabled, not in transition, no replace, stack order 1.
    pub fn new(name: &str) -> Self {
        FakePatch {
            name: name.into(),
            enabled: true,
            transition: false,
            replace: false,
            stack_order: 1,
            functions: Vec::new(),
        }
    }
    pub fn enabled(mut self, v: bool) -> Self {
        self.enabled = v;
        self
    }
    pub fn transition(mut self, v: bool) -> Self {
        self.transition = v;
        self
    }
    pub fn replace(mut self, v: bool) -> Self {
        self.replace = v;
        self
    }
    pub fn stack_order(mut self, v: i64) -> Self {
        self.stack_order = v;
        self
    }
    pub fn function(mut self, object: &str, func_dir: &str) -> Self {
        self.functions.push((object.into(), func_dir.into()));
        self
    }

    pub(crate) fn create(&self, root: &Path) {
        let d = format!("sys/kernel/livepatch/{}", self.name);
        let flag = |b: bool| if b { "1\n" } else { "0\n" };
        write_file(root, &format!("{d}/enabled"), flag(self.enabled));
        write_file(root, &format!("{d}/transition"), flag(self.transition));
        write_file(root, &format!("{d}/force"), "");
        write_file(root, &format!("{d}/replace"), flag(self.replace));
        write_file(
            root,
            &format!("{d}/stack_order"),
            &format!("{}\n", self.stack_order),
        );
        for (obj, func) in &self.functions {
            write_file(root, &format!("{d}/{obj}/patched"), flag(self.enabled));
            fs::create_dir_all(root.join(format!("{d}/{obj}/{func}"))).unwrap();
        }
        let m = format!("sys/module/{}", self.name);
        write_file(root, &format!("{m}/taint"), "K\n");
        write_file(root, &format!("{m}/refcnt"), "0\n");
        write_file(root, &format!("{m}/initstate"), "live\n");
    }
}
