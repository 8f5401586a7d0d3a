// SPDX-License-Identifier: GPL-2.0

//! Rust port of kpatch's integration test `new-function`
//! (test/integration/*/new-function.patch in dynup/kpatch): `n_tty_write()`
//! (drivers/tty/n_tty.c) becomes a call of a new function that holds its
//! body. Here the new function is Rust: `n_tty_write()` of Linux 7.2.13,
//! line for line, with the static helpers of n_tty.c that the compiler kept
//! as functions, `process_echoes()` and `do_output_char()`, called through
//! klp relocations, and the ones it inlined into `n_tty_write()`,
//! `process_output_block()` and `process_output()`, ported too. The only
//! difference a user can see: the writes are counted, and the count is
//! logged when the module goes.
//!
//! Every write to a terminal goes through `n_tty_write()`: the guest's
//! serial ports, the kernel test harness's own results, and the pseudo
//! terminal the QEMU test reads back (tests.d/65-ports.sh).
//!
//! `struct tty_struct` is opaque in the kernel's Rust bindings and `struct
//! n_tty_data` is private to n_tty.c: both come from `rust_lp_port_tty.h`
//! through bindgen, and the copy of `n_tty_data` is checked against
//! vmlinux's BTF when this builds (tests/modules/Kbuild).

#[livepatch::patch(
    description = "Rust port of kpatch's new-function test (n_tty_write)",
    license = "GPL",
    exit = goodbye
)]
mod fix {
    use kernel::{
        bindings::{self, file, iov_iter, kiocb, wait_queue_entry},
        ffi::{c_int, c_long, c_uint, c_ulong, c_void},
        prelude::*,
        sync::atomic::{Atomic, Relaxed},
    };

    /// The tty structs, from rust_lp_port_tty.h.
    #[allow(
        dead_code,
        non_camel_case_types,
        non_snake_case,
        non_upper_case_globals,
        improper_ctypes,
        unreachable_pub,
        unsafe_op_in_unsafe_fn,
        clippy::all
    )]
    pub(crate) mod tty {
        #[allow(unused_imports)]
        use kernel::bindings::*;

        /// What the tty structs only point to, opaque.
        macro_rules! opaque {
            ($($name:ident),*) => {
                $(#[repr(C)] pub struct $name { _unused: [u8; 0] })*
            };
        }
        opaque!(
            tty_driver,
            tty_port,
            tty_ldisc,
            serial_struct,
            serial_icounter_struct
        );

        include!(concat!(
            env!("RUST_LP_PORT_TTY_GEN"),
            "/rust_lp_port_tty_bindings.rs"
        ));
        include!(concat!(
            env!("RUST_LP_PORT_TTY_GEN"),
            "/rust_lp_port_tty_layout.rs"
        ));
    }
    use tty::{n_tty_data, tty_struct};

    /// Writes through the new `n_tty_write()`: the new global.
    static WRITES: Atomic<u64> = Atomic::new(0);

    #[allow(improper_ctypes)]
    extern "C" {
        /// drivers/tty/tty_jobctrl.c, exported (declared in the private
        /// drivers/tty/tty.h).
        fn tty_check_change(tty: *mut tty_struct) -> c_int;
    }

    #[allow(improper_ctypes)]
    #[symbols]
    extern "C" {
        /// `static void process_echoes(struct tty_struct *)` (n_tty.c).
        fn process_echoes(tty: *mut tty_struct);
        /// `static int do_output_char(u8 c, struct tty_struct *, int space)`
        /// (n_tty.c).
        fn do_output_char(c: u8, tty: *mut tty_struct, space: c_int) -> c_int;
        /// drivers/tty/tty_io.c, not exported: only its address is used.
        fn redirected_tty_write(iocb: *mut kiocb, iter: *mut iov_iter) -> isize;
    }

    /// `MAX_SCHEDULE_TIMEOUT` (include/linux/sched.h).
    const MAX_SCHEDULE_TIMEOUT: c_long = c_long::MAX;
    /// `_C`, the control class of `_ctype` (include/linux/ctype.h).
    const CTYPE_CNTRL: u8 = 0x08;

    extern "C" {
        /// lib/ctype.c: the classes of the 256 byte values.
        static _ctype: [u8; 256];
    }

    /// `iscntrl()` (include/linux/ctype.h).
    fn iscntrl(c: u8) -> bool {
        // SAFETY: `_ctype` is a constant table of 256 entries.
        unsafe { _ctype[c as usize] & CTYPE_CNTRL != 0 }
    }

    /// The termios flags of `tty` (its `O_*()`, `L_*()`, `I_*()` macros).
    ///
    /// # Safety
    ///
    /// `tty` is a live tty whose `termios_rwsem` the caller holds, or the
    /// flags may be read racily as C does (`L_TOSTOP()` before the lock).
    unsafe fn oflag(tty: *mut tty_struct, f: c_uint) -> bool {
        // SAFETY: the caller's promise.
        unsafe { (*tty).termios.c_oflag & f != 0 }
    }

    /// `is_continuation()` (n_tty.c).
    ///
    /// # Safety
    ///
    /// As for `oflag()`.
    unsafe fn is_continuation(c: u8, tty: *mut tty_struct) -> bool {
        // SAFETY: the caller's promise.
        unsafe { (*tty).termios.c_iflag & tty::IUTF8 != 0 && (c & 0xc0) == 0x80 }
    }

    /// `guard(mutex)(&ldata->output_lock)`: the lock held while it lives.
    struct OutputLock(*mut bindings::mutex);

    impl OutputLock {
        /// # Safety
        ///
        /// `ldata` is the `n_tty_data` of a live N_TTY tty.
        unsafe fn lock(ldata: *mut n_tty_data) -> Self {
            // SAFETY: `output_lock` is an initialized mutex of `ldata` (the
            // caller's promise; n_tty_open() initialized it).
            let lock = unsafe { &raw mut (*ldata).output_lock };
            // SAFETY: as above; we may sleep (n_tty_write() does).
            unsafe { bindings::mutex_lock(lock) };
            Self(lock)
        }
    }

    impl Drop for OutputLock {
        fn drop(&mut self) {
            // SAFETY: locked by `lock()`, by this task.
            unsafe { bindings::mutex_unlock(self.0) };
        }
    }

    /// `process_output()` (n_tty.c, inlined into `n_tty_write()` there).
    ///
    /// # Safety
    ///
    /// `tty` is an N_TTY tty whose `termios_rwsem` the caller holds.
    unsafe fn process_output(c: u8, tty: *mut tty_struct) -> c_int {
        // SAFETY: the caller's promise: `disc_data` is its `n_tty_data`.
        let _guard = unsafe { OutputLock::lock((*tty).disc_data.cast()) };
        // SAFETY: `output_lock` is held, as do_output_char() requires; klp
        // resolved it when the module loaded.
        if unsafe { do_output_char(c, tty, tty::tty_write_room(tty) as c_int) } < 0 {
            return -1;
        }
        0
    }

    /// `process_output_block()` (n_tty.c, inlined into `n_tty_write()`
    /// there).
    ///
    /// # Safety
    ///
    /// As for `process_output()`; `buf` is valid for `nr` bytes.
    unsafe fn process_output_block(tty: *mut tty_struct, buf: *const u8, nr: c_uint) -> isize {
        // SAFETY: the caller's promise.
        let ldata: *mut n_tty_data = unsafe { (*tty).disc_data.cast() };
        // SAFETY: as in `process_output()`.
        let _guard = unsafe { OutputLock::lock(ldata) };
        // SAFETY: the tty is live.
        let space = unsafe { tty::tty_write_room(tty) };
        if space == 0 {
            return 0;
        }
        let nr = nr.min(space);
        let mut i: c_uint = 0;
        // SAFETY: in the loop below, `buf` is valid for `nr` bytes; `column` and
        // `canon_column` are protected by `output_lock`, held; termios by
        // `termios_rwsem`, held by the caller.
        unsafe {
            while i < nr {
                let c = *buf.add(i as usize);
                match c {
                    b'\n' => {
                        if oflag(tty, tty::ONLRET) {
                            (*ldata).column = 0;
                        }
                        if oflag(tty, tty::ONLCR) {
                            break;
                        }
                        (*ldata).canon_column = (*ldata).column;
                    }
                    b'\r' => {
                        if oflag(tty, tty::ONOCR) && (*ldata).column == 0 {
                            break;
                        }
                        if oflag(tty, tty::OCRNL) {
                            break;
                        }
                        (*ldata).column = 0;
                        (*ldata).canon_column = 0;
                    }
                    b'\t' => break,
                    8 => {
                        if (*ldata).column > 0 {
                            (*ldata).column -= 1;
                        }
                    }
                    _ => {
                        if !iscntrl(c) {
                            if oflag(tty, tty::OLCUC) {
                                break;
                            }
                            if !is_continuation(c, tty) {
                                (*ldata).column += 1;
                            }
                        }
                    }
                }
                i += 1;
            }
        }
        // SAFETY: the driver's write method, as n_tty.c calls it, under
        // `output_lock`, with `i <= nr` bytes of `buf`.
        unsafe {
            let write = (*(*tty).ops).write.unwrap_unchecked();
            write(tty, buf, i as usize)
        }
    }

    /// The new function (kpatch's `kpatch_n_tty_write()`): `n_tty_write()`
    /// of Linux 7.2.13.
    ///
    /// # Safety
    ///
    /// The arguments of an `n_tty_write()` call (tty_write() holds the
    /// tty's write lock and an ldisc reference).
    #[inline(never)]
    unsafe fn rust_n_tty_write(
        tty: *mut tty_struct,
        file: *mut file,
        buf: *const u8,
        mut nr: usize,
    ) -> isize {
        let mut b = buf;
        let mut retval: isize = 0;
        WRITES.fetch_add(1, Relaxed);

        // Job control check -- must be done at start (POSIX.1 7.1.1.4).
        // SAFETY: `tty` and `file` are live (the caller's promise); the
        // address of `redirected_tty_write` is only compared.
        // C reads `L_TOSTOP()` before taking `termios_rwsem`: so does this,
        // as a volatile read.
        unsafe {
            let lflag = core::ptr::read_volatile(&raw const (*tty).termios.c_lflag);
            let write_iter = (*(*file).f_op).write_iter.map(|f| f as usize);
            if lflag & tty::TOSTOP != 0
                && write_iter != Some(redirected_tty_write as *const () as usize)
            {
                retval = tty_check_change(tty) as isize;
                if retval != 0 {
                    return retval;
                }
            }
        }

        // SAFETY: `termios_rwsem` is the tty's; released on every path
        // below (`up_read` at the end, and around the sleep).
        unsafe { bindings::down_read(&raw mut (*tty).termios_rwsem) };

        // Write out any echoed characters that are still pending.
        // SAFETY: `termios_rwsem` is held, as n_tty_write() holds it; klp
        // resolved `process_echoes` when the module loaded.
        unsafe { process_echoes(tty) };

        // DEFINE_WAIT_FUNC(wait, woken_wake_function): on this stack until
        // remove_wait_queue() below.
        // SAFETY: all-zero is a valid `wait_queue_entry` to fill.
        let mut wait: wait_queue_entry = unsafe { core::mem::zeroed() };
        wait.private = kernel::current!().as_ptr().cast::<c_void>();
        wait.func = Some(bindings::woken_wake_function);
        let entry = &raw mut wait.entry;
        wait.entry.next = entry;
        wait.entry.prev = entry;
        let wait = &raw mut wait;
        // SAFETY: `write_wait` is the tty's wait queue; `wait` stays where
        // it is until removed.
        unsafe { bindings::add_wait_queue(&raw mut (*tty).write_wait, wait) };

        // SAFETY: in the loop below, `termios_rwsem` is held except across
        // wait_woken(), as in C; `b..b + nr` stays within the caller's
        // buffer; the ops are the driver's.
        unsafe {
            'break_out: loop {
                if bindings::signal_pending(bindings::get_current()) != 0 {
                    retval = -(bindings::ERESTARTSYS as isize);
                    break;
                }
                let link = (*tty).link;
                if tty::tty_hung_up_p(file) != 0
                    || (!link.is_null() && core::ptr::read_volatile(&raw const (*link).count) == 0)
                {
                    retval = -(bindings::EIO as isize);
                    break;
                }
                if oflag(tty, tty::OPOST) {
                    while nr > 0 {
                        let num = process_output_block(tty, b, nr as c_uint);
                        if num < 0 {
                            if num == -(bindings::EAGAIN as isize) {
                                break;
                            }
                            retval = num;
                            break 'break_out;
                        }
                        b = b.add(num as usize);
                        nr -= num as usize;
                        if nr == 0 {
                            break;
                        }
                        if process_output(*b, tty) < 0 {
                            break;
                        }
                        b = b.add(1);
                        nr -= 1;
                    }
                    if let Some(flush_chars) = (*(*tty).ops).flush_chars {
                        flush_chars(tty);
                    }
                } else {
                    let ldata: *mut n_tty_data = (*tty).disc_data.cast();
                    while nr > 0 {
                        let num = {
                            let _guard = OutputLock::lock(ldata);
                            let write = (*(*tty).ops).write.unwrap_unchecked();
                            write(tty, b, nr)
                        };
                        if num < 0 {
                            retval = num;
                            break 'break_out;
                        }
                        if num == 0 {
                            break;
                        }
                        b = b.add(num as usize);
                        nr -= num as usize;
                    }
                }
                if nr == 0 {
                    break;
                }
                // tty_io_nonblock()
                let flags = Atomic::from_ptr(&raw mut (*tty).flags).load(Relaxed);
                if (*file).f_flags & bindings::O_NONBLOCK != 0
                    || flags & (1 << tty::tty_struct_flags_TTY_LDISC_CHANGING) != 0
                {
                    retval = -(bindings::EAGAIN as isize);
                    break;
                }
                bindings::up_read(&raw mut (*tty).termios_rwsem);

                bindings::wait_woken(wait, bindings::TASK_INTERRUPTIBLE, MAX_SCHEDULE_TIMEOUT);

                bindings::down_read(&raw mut (*tty).termios_rwsem);
            }
            bindings::remove_wait_queue(&raw mut (*tty).write_wait, wait);
            if nr != 0 && !(*tty).fasync.is_null() {
                bindings::set_bit(
                    tty::tty_struct_flags_TTY_DO_WRITE_WAKEUP as c_ulong,
                    &raw mut (*tty).flags,
                );
            }
            bindings::up_read(&raw mut (*tty).termios_rwsem);
        }

        let written = (b as usize - buf as usize) as isize;
        if written != 0 {
            written
        } else {
            retval
        }
    }

    /// The new `n_tty_write()`: a call of the new function, as kpatch's.
    // SAFETY: same signature as `n_tty_write()` in drivers/tty/n_tty.c:
    // `ssize_t (struct tty_struct *, struct file *, const u8 *, size_t)`.
    #[unsafe(livepatch)]
    unsafe extern "C" fn n_tty_write(
        tty: *mut tty_struct,
        file: *mut file,
        buf: *const u8,
        nr: usize,
    ) -> isize {
        // SAFETY: the kernel calls this with the arguments of an
        // n_tty_write() call.
        unsafe { rust_n_tty_write(tty, file, buf, nr) }
    }

    /// Module exit: how many writes the new function did.
    pub(crate) fn goodbye() {
        pr_info!(
            "{} writes through the new n_tty_write()\n",
            WRITES.load(Relaxed)
        );
    }
}
