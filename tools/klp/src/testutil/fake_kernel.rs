//! A fake kernel: records the system calls and applies their effect to a
//! fake root.

use super::fake_root::FakePatch;
use crate::kernel::Kernel;
use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;

/// Loading succeeds and creates `loads` in sysfs, unless `load_errno` is
/// set; deleting removes the module unless `delete_errno` is set.
pub struct FakeKernel {
    root: PathBuf,
    pub root_user: bool,
    pub loads: Option<FakePatch>,
    pub load_errno: Option<i32>,
    /// A message loading logs (appended to `/dev/kmsg` as one record).
    pub load_log: Option<&'static str>,
    pub delete_errno: Option<i32>,
    /// "load <params>" / "delete <name>", in call order.
    pub calls: RefCell<Vec<String>>,
}

impl FakeKernel {
    pub fn new(root: &std::path::Path) -> Self {
        FakeKernel {
            root: root.to_path_buf(),
            root_user: true,
            loads: None,
            load_errno: None,
            load_log: None,
            delete_errno: None,
            calls: RefCell::new(Vec::new()),
        }
    }

    pub fn calls(&self) -> Vec<String> {
        self.calls.borrow().clone()
    }
}

impl Kernel for FakeKernel {
    fn is_root(&self) -> bool {
        self.root_user
    }

    fn load_module(&self, _file: &File, params: &str) -> io::Result<()> {
        self.calls
            .borrow_mut()
            .push(format!("load {params}").trim_end().to_string());
        if let Some(msg) = self.load_log {
            let mut kmsg = std::fs::OpenOptions::new()
                .append(true)
                .open(self.root.join("dev/kmsg"))
                .unwrap();
            writeln!(kmsg, "3,1,1,-;{msg}").unwrap();
        }
        if let Some(e) = self.load_errno {
            return Err(io::Error::from_raw_os_error(e));
        }
        if let Some(p) = &self.loads {
            p.create(&self.root);
        }
        Ok(())
    }

    fn delete_module(&self, name: &str) -> io::Result<()> {
        self.calls.borrow_mut().push(format!("delete {name}"));
        if let Some(e) = self.delete_errno {
            return Err(io::Error::from_raw_os_error(e));
        }
        let _ = std::fs::remove_dir_all(self.root.join("sys/module").join(name));
        let _ = std::fs::remove_dir_all(self.root.join("sys/kernel/livepatch").join(name));
        Ok(())
    }
}
