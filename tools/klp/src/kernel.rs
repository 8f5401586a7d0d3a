//! The system calls `klp` makes, behind a trait so the commands can be
//! tested against a fake kernel.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;

/// Loading and removing modules, and the privilege check.
pub trait Kernel {
    /// Whether the caller may load modules and write sysfs (euid 0).
    fn is_root(&self) -> bool;
    /// `finit_module(file, params, 0)`: load the module and run its init
    /// (for a livepatch, `klp_enable_patch()` and the start of the transition).
    fn load_module(&self, file: &File, params: &str) -> io::Result<()>;
    /// `delete_module(name, O_NONBLOCK)`: fails with `EWOULDBLOCK` while the
    /// module is in use (a livepatch holds itself until disabled and freed).
    fn delete_module(&self, name: &str) -> io::Result<()>;
}

/// The real kernel.
pub struct Syscalls;

impl Kernel for Syscalls {
    fn is_root(&self) -> bool {
        // SAFETY: geteuid has no preconditions and cannot fail.
        unsafe { libc::geteuid() == 0 }
    }

    fn load_module(&self, file: &File, params: &str) -> io::Result<()> {
        let params = c_string(params)?;
        // SAFETY: a valid fd and a NUL-terminated string that outlive the call.
        let rc =
            unsafe { libc::syscall(libc::SYS_finit_module, file.as_raw_fd(), params.as_ptr(), 0) };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    fn delete_module(&self, name: &str) -> io::Result<()> {
        let name = c_string(name)?;
        // SAFETY: a NUL-terminated string that outlives the call.
        let rc = unsafe { libc::syscall(libc::SYS_delete_module, name.as_ptr(), libc::O_NONBLOCK) };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }
}

fn c_string(s: &str) -> io::Result<CString> {
    CString::new(s).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "contains a NUL byte"))
}
