// SPDX-License-Identifier: GPL-2.0

//! Rust port of kpatch's integration test `syscall`
//! (test/integration/*/syscall.patch in dynup/kpatch): `newuname` copies the
//! caller's `utsname` under the non-exported `uts_sem`, appends a suffix to
//! the system name (kpatch's appends `.kpatch`), and calls the non-exported
//! `override_release()` of kernel/sys.c and does what its
//! `override_architecture()` does (`i686` for a PER_LINUX32 task), as the
//! original does. `uname -s`
//! then shows `Linux.rust_lp_port_syscall`.

// `utsname()` is `&current->nsproxy->uts_ns->name`, and `struct
// uts_namespace` (include/linux/uts_namespace.h) is opaque to Rust: the port
// relies on `name` being its first member, which `__randomize_layout` keeps
// only without RANDSTRUCT.
#[cfg(CONFIG_RANDSTRUCT)]
compile_error!(
    "rust_lp_port_syscall reads struct uts_namespace's first member: not with RANDSTRUCT"
);

#[livepatch::patch(description = "Rust port of kpatch's syscall test", license = "GPL")]
mod fix {
    use kernel::{
        bindings,
        ffi::{c_char, c_int, c_long, c_uint},
        prelude::*,
        uaccess::{UserPtr, UserSlice},
    };

    /// `COMPAT_UTS_MACHINE` (arch/x86/include/asm/compat.h, defined on
    /// x86-64 whatever the configuration): `sizeof("i686\0\0")` bytes.
    const COMPAT_UTS_MACHINE: &[u8] = b"i686\0\0\0";

    /// `PER_LINUX32` and `PER_MASK` (include/uapi/linux/personality.h).
    const PER_LINUX32: c_uint = 0x0008;
    const PER_MASK: c_uint = 0x00ff;

    /// Appended to the system name (`uname -s`).
    const SUFFIX: &[u8] = b".rust_lp_port_syscall";

    /// `__NEW_UTS_LEN + 1` (include/uapi/linux/utsname.h).
    const FIELD: usize = 65;

    /// `struct new_utsname` (include/uapi/linux/utsname.h): the user ABI.
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct NewUtsname {
        sysname: [u8; FIELD],
        nodename: [u8; FIELD],
        release: [u8; FIELD],
        version: [u8; FIELD],
        machine: [u8; FIELD],
        domainname: [u8; FIELD],
    }

    impl NewUtsname {
        fn as_bytes(&self) -> &[u8] {
            // SAFETY: six byte arrays, `repr(C)`: no padding, every byte
            // initialized.
            unsafe {
                core::slice::from_raw_parts(
                    (self as *const Self).cast(),
                    core::mem::size_of::<Self>(),
                )
            }
        }
    }

    /// `strcat(tmp.sysname, SUFFIX)`, cut to fit as `strlcat` would.
    fn append_suffix(sysname: &mut [u8; FIELD]) {
        let len = sysname.iter().position(|&b| b == 0).unwrap_or(FIELD - 1);
        let n = SUFFIX.len().min(FIELD - 1 - len);
        sysname[len..len + n].copy_from_slice(&SUFFIX[..n]);
        sysname[len + n] = 0;
    }

    #[symbols]
    extern "C" {
        /// `DECLARE_RWSEM(uts_sem)` (kernel/sys.c), not exported.
        static mut uts_sem: bindings::rw_semaphore;
        /// `static int override_release(char __user *release, size_t len)`
        /// (kernel/sys.c).
        fn override_release(release: *mut c_char, len: usize) -> c_int;
    }

    /// `SYSCALL_DEFINE1(newuname, struct new_utsname __user *, name)` of
    /// kernel/sys.c, with the suffix.
    // SAFETY: same signature as the syscall wrapper `__x64_sys_newuname()`
    // that `SYSCALL_DEFINE1(newuname, ...)` generates (kernel/sys.c,
    // arch/x86/include/asm/syscall_wrapper.h): `long (const struct pt_regs *)`.
    #[cfg(target_arch = "x86_64")]
    #[unsafe(livepatch(target = "__x64_sys_newuname"))]
    unsafe extern "C" fn newuname(regs: *const bindings::pt_regs) -> c_long {
        // SAFETY: the syscall entry passes the caller's saved registers; the
        // first argument is in `di`.
        let name = unsafe { (*regs).di } as usize;
        // SAFETY: `uts_sem` was resolved by klp when the module loaded; it
        // is the semaphore kernel/sys.c takes around `utsname()` reads.
        unsafe { bindings::down_read(&raw mut uts_sem) };
        // SAFETY: the current task's `nsproxy` is valid while it runs, and
        // so is its UTS namespace; `name` is the namespace's first member
        // (see the `compile_error!` at the top); `uts_sem` is held, so no
        // sethostname() writes it meanwhile.
        let mut tmp: NewUtsname = unsafe {
            let task = kernel::current!().as_ptr();
            let uts_ns = (*(*task).nsproxy).uts_ns;
            *uts_ns.cast::<NewUtsname>()
        };
        // SAFETY: taken above.
        unsafe { bindings::up_read(&raw mut uts_sem) };
        append_suffix(&mut tmp.sysname);
        let mut writer =
            UserSlice::new(UserPtr::from_addr(name), core::mem::size_of::<NewUtsname>()).writer();
        if writer.write_slice(tmp.as_bytes()).is_err() {
            return EFAULT.to_errno() as c_long;
        }
        let release = name + core::mem::offset_of!(NewUtsname, release);
        // SAFETY: as the original: `release` is the user's `name->release`,
        // `FIELD` bytes long; override_release() only writes it with
        // copy_to_user().
        if unsafe { override_release(release as *mut c_char, FIELD) } != 0 {
            return EFAULT.to_errno() as c_long;
        }
        // `override_architecture(name)` (kernel/sys.c): a task with the
        // PER_LINUX32 personality (`setarch i686`) sees COMPAT_UTS_MACHINE.
        // SAFETY: the current task is valid while it runs; only it changes
        // its own personality.
        let personality = unsafe { (*kernel::current!().as_ptr()).personality };
        if personality & PER_MASK == PER_LINUX32 {
            let machine = name + core::mem::offset_of!(NewUtsname, machine);
            let mut writer =
                UserSlice::new(UserPtr::from_addr(machine), COMPAT_UTS_MACHINE.len()).writer();
            if writer.write_slice(COMPAT_UTS_MACHINE).is_err() {
                return EFAULT.to_errno() as c_long;
            }
        }
        0
    }
}
