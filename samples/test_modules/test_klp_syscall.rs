// SPDX-License-Identifier: GPL-2.0

//! Rust port of tools/testing/selftests/livepatch/test_modules/test_klp_syscall.c:
//! patches the getpid syscall; every task listed in `klp_pids` that calls
//! getpid through the new code is counted off, and
//! `/sys/kernel/test_klp_syscall/npids` shows how many are left.
//!
//! This port writes its own `module!` and init (the patch macro's explicit
//! mode): it needs a sysfs file and a module exit.

use kernel::{
    bindings,
    error::to_result,
    ffi::c_char,
    prelude::*,
    sync::atomic::{Atomic, Relaxed},
};

livepatch::module! {
    type: TestKlpSyscall,
    name: "test_klp_syscall",
    authors: [
        "Libor Pechacek <lpechacek@suse.cz>",
        "Nicolai Stange <nstange@suse.de>",
        "Marcos Paulo de Souza <mpdesouza@suse.com>",
    ],
    description: "Livepatch test: syscall transition",
    license: "GPL",
}

const NR_CPUS: usize = bindings::NR_CPUS as usize;

/// The pids still to be seen in the new getpid (0: seen), as `klp_pids`.
static PIDS: [Atomic<i32>; NR_CPUS] = [const { Atomic::new(0) }; NR_CPUS];
/// How many of `PIDS` were given at load time.
static NPIDS: Atomic<u32> = Atomic::new(0);
/// How many of `PIDS` are not seen yet: `npids_pending` in C.
static NPIDS_PENDING: Atomic<u32> = Atomic::new(0);

#[livepatch::patch]
mod fix {
    use super::{NPIDS, NPIDS_PENDING, PIDS};
    use kernel::{bindings, ffi::c_long, sync::atomic::Relaxed};

    #[param(description = "Array of pids to be transitioned to livepatched state.")]
    pub(super) static klp_pids: livepatch::IntArrayParam<{ super::NR_CPUS }> =
        livepatch::IntArrayParam::new();

    /// The new getpid: counts the caller off `klp_pids`, then does what
    /// getpid does. A compare-and-exchange per slot instead of C's mutex:
    /// each listed pid is still counted exactly once.
    #[cfg(target_arch = "x86_64")]
    // SAFETY: same signature as the syscall wrapper `__x64_sys_getpid()` that
    // `SYSCALL_DEFINE0(getpid)` generates (kernel/sys.c):
    // `long (const struct pt_regs *)`. BTF does not describe the generated
    // wrappers, so `klp` cannot check it: `unchecked_signature`.
    #[unsafe(livepatch(target = "__x64_sys_getpid", unchecked_signature))]
    unsafe extern "C" fn lp_sys_getpid(_regs: *const bindings::pt_regs) -> c_long {
        let current = kernel::current!();
        let pid = current.pid();
        if NPIDS_PENDING.load(Relaxed) > 0 {
            let n = NPIDS.load(Relaxed) as usize;
            if PIDS[..n]
                .iter()
                .any(|slot| slot.cmpxchg(pid, 0, Relaxed).is_ok())
            {
                NPIDS_PENDING.fetch_sub(1u32, Relaxed);
            }
        }
        current.tgid_nr_ns(None) as c_long
    }
}

/// `/sys/kernel/test_klp_syscall/npids`: the pids not seen yet.
unsafe extern "C" fn npids_show(
    _kobj: *mut bindings::kobject,
    _attr: *mut bindings::kobj_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: `buf` is the sysfs page buffer; the format is a C string whose
    // one `%u` gets an unsigned int.
    unsafe {
        bindings::sysfs_emit(buf, c"%u\n".as_ptr().cast(), NPIDS_PENDING.load(Relaxed)) as isize
    }
}

/// A `kobj_attribute` that can live in a static.
struct KobjAttribute(bindings::kobj_attribute);

// SAFETY: sysfs only reads the attribute; nothing writes it after
// construction.
unsafe impl Sync for KobjAttribute {}

/// `__ATTR_RO(npids)`.
static NPIDS_ATTR: KobjAttribute = KobjAttribute({
    // SAFETY: all-zero is a valid `kobj_attribute` to start from.
    let mut a: bindings::kobj_attribute = unsafe { core::mem::zeroed() };
    a.attr.name = c"npids".as_ptr().cast();
    a.attr.mode = 0o444;
    a.show = Some(npids_show);
    a
});

/// The module: owns `/sys/kernel/test_klp_syscall`.
///
/// # Invariants
///
/// `kobj` is a kobject created by `kobject_create_and_add()` whose reference
/// this value owns.
struct TestKlpSyscall {
    kobj: *mut bindings::kobject,
}

// SAFETY: the kobject reference may be dropped from any thread.
unsafe impl Send for TestKlpSyscall {}
// SAFETY: `&TestKlpSyscall` gives no access to the kobject.
unsafe impl Sync for TestKlpSyscall {}

impl livepatch::PatchModule for TestKlpSyscall {
    const PATCH: &'static livepatch::Patch = &fix::PATCH;

    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: `kernel_kobj` is the kernel's /sys/kernel kobject, set at
        // boot; the name is a C string.
        let kobj = unsafe {
            bindings::kobject_create_and_add(
                c"test_klp_syscall".as_ptr().cast(),
                bindings::kernel_kobj,
            )
        };
        if kobj.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: we own the reference `kobject_create_and_add()` returned.
        let this = Self { kobj };
        // SAFETY: `kobj` is valid; `NPIDS_ATTR` is a static attribute.
        to_result(unsafe {
            bindings::sysfs_create_file_ns(kobj, &raw const NPIDS_ATTR.0.attr, core::ptr::null())
        })?;

        // Save the pids to transition before the new getpid counts them off.
        let n = fix::klp_pids.len();
        for (i, slot) in PIDS.iter().enumerate().take(n) {
            slot.store(fix::klp_pids.get(i).unwrap_or(0), Relaxed);
        }
        NPIDS.store(n as u32, Relaxed);
        NPIDS_PENDING.store(n as u32, Relaxed);
        Ok(this)
    }
}

impl Drop for TestKlpSyscall {
    fn drop(&mut self) {
        // SAFETY: we own this reference (type invariant).
        unsafe { bindings::kobject_put(self.kobj) };
    }
}
