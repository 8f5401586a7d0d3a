//! The kernel's file interfaces (sysfs, procfs, /dev/kmsg) under a root
//! directory: `/` on a real machine, a fake tree in tests.

use crate::error::{Error, Result};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Paths of the kernel interfaces `klp` reads and writes, under `root`.
#[derive(Debug, Clone)]
pub struct Sys {
    root: PathBuf,
}

impl Sys {
    /// The interfaces under `root` (`/` for the running system).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Sys { root: root.into() }
    }

    /// `root/rel`.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel.trim_start_matches('/'))
    }

    /// `/sys/kernel/livepatch`.
    pub fn livepatch_dir(&self) -> PathBuf {
        self.path("sys/kernel/livepatch")
    }

    /// `/sys/kernel/livepatch/<name>`.
    pub fn patch_dir(&self, name: &str) -> PathBuf {
        self.livepatch_dir().join(name)
    }

    /// `/sys/module/<name>`.
    pub fn module_dir(&self, name: &str) -> PathBuf {
        self.path("sys/module").join(name)
    }

    /// `/proc`.
    pub fn proc_dir(&self) -> PathBuf {
        self.path("proc")
    }

    /// Fails with [`Error::NoLivepatchSupport`] unless `/sys/kernel/livepatch` exists.
    pub fn require_livepatch(&self) -> Result<()> {
        let path = self.livepatch_dir();
        if path.is_dir() {
            Ok(())
        } else {
            Err(Error::NoLivepatchSupport { path })
        }
    }

    /// The running kernel's release (`uname -r`), from `/proc/sys/kernel/osrelease`.
    pub fn kernel_release(&self) -> Result<String> {
        let path = self.path("proc/sys/kernel/osrelease");
        read_trimmed(&path).map_err(|e| Error::io(path, e))
    }

    /// Whether a module named `name` is loaded (`/sys/module/<name>` with a
    /// `refcnt` or `initstate`: built-in modules have a directory too).
    pub fn module_loaded(&self, name: &str) -> bool {
        let dir = self.module_dir(name);
        dir.join("initstate").exists() || dir.join("refcnt").exists()
    }

    /// Whether loaded module `name` is a livepatch: the kernel taints it with
    /// `K` (TAINT_LIVEPATCH) when its modinfo says `livepatch=Y`.
    pub fn module_is_livepatch(&self, name: &str) -> bool {
        read_trimmed(&self.module_dir(name).join("taint")).is_ok_and(|t| t.contains('K'))
    }
}

/// The contents of a (sysfs/procfs) file without the trailing newline.
pub fn read_trimmed(path: &Path) -> io::Result<String> {
    Ok(fs::read_to_string(path)?.trim_end_matches('\n').to_string())
}

/// An optional boolean attribute (`0`/`1`): `None` when the file does not
/// exist (an older kernel) or cannot be parsed.
pub fn read_flag(path: &Path) -> Option<bool> {
    read_number(path).map(|n| n != 0)
}

/// An optional integer attribute.
pub fn read_number(path: &Path) -> Option<i64> {
    read_trimmed(path).ok()?.trim().parse().ok()
}

/// Writes `value` to a sysfs attribute (one `write`, as `echo` does).
pub fn write_attr(path: &Path, value: &str) -> io::Result<()> {
    use std::io::Write;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)?;
    f.write_all(value.as_bytes())
}

/// A human description of an errno from the kernel, with the cases the
/// livepatch interfaces use.
pub fn describe_errno(e: &io::Error) -> String {
    let text = e.to_string();
    match e.raw_os_error() {
        // "Invalid argument (os error 22)" -> "Invalid argument (EINVAL)"
        Some(code) => format!(
            "{} ({})",
            text.split(" (os error").next().unwrap_or(&text),
            errno_name(code)
        ),
        None => text,
    }
}

fn errno_name(code: i32) -> &'static str {
    match code {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::EIO => "EIO",
        libc::ENOEXEC => "ENOEXEC",
        libc::EAGAIN => "EAGAIN",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EFAULT => "EFAULT",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::ENODEV => "ENODEV",
        libc::EINVAL => "EINVAL",
        libc::ENOSPC => "ENOSPC",
        libc::ENOSYS => "ENOSYS",
        libc::EKEYREJECTED => "EKEYREJECTED",
        _ => "errno",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::FakeRoot;

    #[test]
    fn paths_are_under_the_root() {
        let sys = Sys::new("/tmp/x");
        assert_eq!(
            sys.patch_dir("p"),
            PathBuf::from("/tmp/x/sys/kernel/livepatch/p")
        );
        assert_eq!(sys.path("/proc/1"), PathBuf::from("/tmp/x/proc/1"));
    }

    #[test]
    fn livepatch_support_is_the_sysfs_directory() {
        let fake = FakeRoot::new();
        assert!(fake.sys().require_livepatch().is_ok());
        std::fs::remove_dir(fake.sys().livepatch_dir()).unwrap();
        let err = fake.sys().require_livepatch().unwrap_err();
        assert_eq!(err.exit_code(), 4);
        assert!(
            err.to_string()
                .contains("/sys/kernel/livepatch does not exist"),
            "{err}"
        );
    }

    #[test]
    fn flags_and_numbers() {
        let fake = FakeRoot::new();
        fake.write("a", "1\n");
        fake.write("b", "0\n");
        fake.write("c", "junk\n");
        let sys = fake.sys();
        assert_eq!(read_flag(&sys.path("a")), Some(true));
        assert_eq!(read_flag(&sys.path("b")), Some(false));
        assert_eq!(read_flag(&sys.path("c")), None);
        assert_eq!(read_flag(&sys.path("missing")), None);
    }

    #[test]
    fn livepatch_modules_are_tainted_k() {
        let fake = FakeRoot::new();
        fake.write("sys/module/lp/taint", "K\n");
        fake.write("sys/module/lp/refcnt", "0\n");
        fake.write("sys/module/plain/taint", "O\n");
        fake.write("sys/module/plain/initstate", "live\n");
        fake.write("sys/module/builtin/parameters/x", "1\n");
        let sys = fake.sys();
        assert!(sys.module_is_livepatch("lp"));
        assert!(!sys.module_is_livepatch("plain"));
        assert!(sys.module_loaded("plain"));
        assert!(!sys.module_loaded("builtin"));
        assert!(!sys.module_loaded("absent"));
    }

    #[test]
    fn errno_descriptions_name_the_errno() {
        let e = io::Error::from_raw_os_error(libc::EBUSY);
        assert!(
            describe_errno(&e).ends_with("(EBUSY)"),
            "{}",
            describe_errno(&e)
        );
    }
}
