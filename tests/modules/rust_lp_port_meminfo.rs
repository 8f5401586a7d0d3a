// SPDX-License-Identifier: GPL-2.0

//! Rust port of kpatch's integration tests `data-new` and `new-globals`
//! (test/integration/*/data-new.patch, new-globals.patch in dynup/kpatch):
//! a new `meminfo_proc_show()` (fs/proc/meminfo.c) that prints every line
//! of the original plus one of its own, `RustLpReads:`, whose value is a new
//! global of the patch module (kpatch's prints `kpatch: 5` from a new
//! `static int foo = 5`; this one counts the reads, so the global is state,
//! not a constant), written by a new function of the patch.
//!
//! The original's helpers that vmlinux does not export are reached through
//! klp relocations: `seq_put_decimal_ull_width()` (of the inlined
//! `show_val_kb()`), `vm_commit_limit()`, `pcpu_nr_pages()`,
//! `arch_report_meminfo()`, and the variable `__pgtable_l5_enabled` (of
//! `VMALLOC_TOTAL`).
//!
//! A livepatch is built for one kernel: the port follows the original for
//! the test kernel's configuration and refuses to build for one whose
//! meminfo has lines it does not print.

#[cfg(any(
    CONFIG_HIGHMEM,
    not(CONFIG_MMU),
    CONFIG_SWAP,
    CONFIG_ZSWAP,
    CONFIG_SHADOW_CALL_STACK,
    CONFIG_MEMTEST,
    CONFIG_MEMORY_FAILURE,
    CONFIG_TRANSPARENT_HUGEPAGE,
    CONFIG_CMA,
    CONFIG_UNACCEPTED_MEMORY,
    CONFIG_HUGETLB_PAGE,
    CONFIG_KMSAN,
    not(CONFIG_X86_64),
))]
compile_error!(
    "rust_lp_port_meminfo ports meminfo_proc_show() for the test kernel's configuration only"
);

#[livepatch::patch(
    description = "Rust port of kpatch's data-new and new-globals tests",
    license = "GPL"
)]
mod fix {
    use kernel::{
        bindings::{self, seq_file},
        ffi::{c_char, c_int, c_long, c_uint, c_ulong, c_ulonglong, c_void},
        page::PAGE_SHIFT,
        str::CStr,
        sync::atomic::{Atomic, Relaxed},
    };

    /// The new global: how many times the new function ran.
    static READS: Atomic<u64> = Atomic::new(0);

    extern "C" {
        /// mm/util.c, exported (not declared in the kernel's bindings).
        fn vm_memory_committed() -> c_ulong;
    }

    // `seq_file` reaches a field-less bindgen struct, which the lint takes
    // for a value crossing the boundary; it only travels by pointer.
    #[allow(improper_ctypes)]
    #[symbols]
    extern "C" {
        /// fs/seq_file.c, not exported.
        fn seq_put_decimal_ull_width(
            m: *mut seq_file,
            delimiter: *const c_char,
            num: c_ulonglong,
            width: c_uint,
        );
        /// mm/util.c, not exported.
        fn vm_commit_limit() -> c_ulong;
        /// mm/percpu.c, not exported.
        fn pcpu_nr_pages() -> c_ulong;
        /// arch/x86/mm/pat/set_memory.c (the DirectMap lines), not exported.
        fn arch_report_meminfo(m: *mut seq_file);
        /// arch/x86/kernel/head64.c: 5-level paging, what
        /// `pgtable_l5_enabled()` tells; not exported.
        static __pgtable_l5_enabled: c_uint;
    }

    /// Counter `item` of one of vmlinux's vmstat arrays, as
    /// include/linux/vmstat.h reads it (never below 0).
    ///
    /// # Safety
    ///
    /// `counters` is `vm_node_stat` or `vm_zone_stat`.
    unsafe fn vmstat<const N: usize>(
        counters: *mut [bindings::atomic_long_t; N],
        item: c_uint,
    ) -> c_ulong {
        let item = item as usize;
        assert!(item < N);
        // SAFETY: by the function's contract `counters` is one of vmlinux's
        // arrays of N counters, `item` is in bounds, and every access to them
        // is atomic (`atomic_long_t`, a 64-bit counter here).
        let x = unsafe {
            let p = counters
                .cast::<bindings::atomic_long_t>()
                .add(item)
                .cast::<i64>();
            Atomic::from_ptr(p).load(Relaxed)
        };
        x.max(0) as c_ulong
    }

    /// `global_node_page_state_pages()` (include/linux/vmstat.h).
    fn node_state(item: c_uint) -> c_ulong {
        // SAFETY: vmlinux's array of NR_VM_NODE_STAT_ITEMS node counters.
        unsafe { vmstat(&raw mut bindings::vm_node_stat, item) }
    }

    /// `global_zone_page_state()` (include/linux/vmstat.h).
    fn zone_state(item: c_uint) -> c_ulong {
        // SAFETY: vmlinux's array of NR_VM_ZONE_STAT_ITEMS zone counters.
        unsafe { vmstat(&raw mut bindings::vm_zone_stat, item) }
    }

    /// `show_val_kb()` of fs/proc/meminfo.c (inlined there).
    ///
    /// # Safety
    ///
    /// `m` is a `seq_file` being shown.
    unsafe fn show_val_kb(m: *mut seq_file, s: &CStr, num: c_ulong) {
        // SAFETY: `m` is being shown (the caller's promise); `s` is a C
        // string; klp resolved `seq_put_decimal_ull_width` at load.
        unsafe {
            seq_put_decimal_ull_width(
                m,
                s.as_ptr().cast(),
                (num << (PAGE_SHIFT - 10)) as c_ulonglong,
                8,
            );
            bindings::seq_write(m, c" kB\n".as_ptr().cast(), 4);
        }
    }

    /// The new function (kpatch's `new-globals` adds one to meminfo): counts
    /// this read in the new global and prints the count.
    ///
    /// # Safety
    ///
    /// `m` is a `seq_file` being shown.
    #[inline(never)]
    unsafe fn show_reads(m: *mut seq_file) {
        let reads = READS.fetch_add(1, Relaxed) + 1;
        // SAFETY: `m` is being shown; the format is a C string whose one
        // `%8llu` gets an unsigned long long.
        unsafe { bindings::seq_printf(m, c"RustLpReads:    %8llu\n".as_ptr().cast(), reads) };
    }

    /// fs/proc/meminfo.c's `meminfo_proc_show()` for the test kernel's
    /// configuration, with the new line after the CMA lines' place (where
    /// kpatch's data-new puts its own).
    // SAFETY: same signature as `meminfo_proc_show()` in fs/proc/meminfo.c:
    // `int (struct seq_file *, void *)`.
    #[unsafe(livepatch)]
    unsafe extern "C" fn meminfo_proc_show(m: *mut seq_file, _v: *mut c_void) -> c_int {
        // Named one by one: a glob import of `bindings` here would shadow
        // the `#[symbols]` declarations of the same names (`pcpu_nr_pages`
        // and `__pgtable_l5_enabled` are declared in the kernel's headers
        // too), making them ordinary references that modpost refuses.
        use bindings::{
            node_stat_item_NR_ACTIVE_ANON as ACTIVE_ANON,
            node_stat_item_NR_ACTIVE_FILE as ACTIVE_FILE,
            node_stat_item_NR_ANON_MAPPED as ANON_MAPPED,
            node_stat_item_NR_BALLOON_PAGES as BALLOON_PAGES,
            node_stat_item_NR_FILE_DIRTY as FILE_DIRTY,
            node_stat_item_NR_FILE_MAPPED as FILE_MAPPED,
            node_stat_item_NR_FILE_PAGES as FILE_PAGES, node_stat_item_NR_GPU_ACTIVE as GPU_ACTIVE,
            node_stat_item_NR_GPU_RECLAIM as GPU_RECLAIM,
            node_stat_item_NR_INACTIVE_ANON as INACTIVE_ANON,
            node_stat_item_NR_INACTIVE_FILE as INACTIVE_FILE,
            node_stat_item_NR_KERNEL_MISC_RECLAIMABLE as KERNEL_MISC_RECLAIMABLE,
            node_stat_item_NR_KERNEL_STACK_KB as KERNEL_STACK_KB,
            node_stat_item_NR_PAGETABLE as PAGETABLE,
            node_stat_item_NR_SECONDARY_PAGETABLE as SECONDARY_PAGETABLE,
            node_stat_item_NR_SLAB_RECLAIMABLE_B as SLAB_RECLAIMABLE_B,
            node_stat_item_NR_SLAB_UNRECLAIMABLE_B as SLAB_UNRECLAIMABLE_B,
            node_stat_item_NR_UNEVICTABLE as UNEVICTABLE, node_stat_item_NR_VMALLOC as VMALLOC,
            node_stat_item_NR_WRITEBACK as WRITEBACK, zone_stat_item_NR_MLOCK as MLOCK,
        };
        // SAFETY: all-zero is a valid `struct sysinfo`, which si_meminfo()
        // fills; `si_swapinfo()` is, without SWAP, the zeroing of the swap
        // fields.
        let mut i: bindings::sysinfo = unsafe { core::mem::zeroed() };
        // SAFETY: `i` is a valid `struct sysinfo` to fill.
        unsafe { bindings::si_meminfo(&mut i) };
        // SAFETY: no precondition.
        let committed = unsafe { vm_memory_committed() };

        // total_swapcache_pages() is 0 without SWAP.
        let cached = (node_state(FILE_PAGES) as c_long - i.bufferram as c_long).max(0);
        // SAFETY: no precondition.
        let available = unsafe { bindings::si_mem_available() };
        let sreclaimable = node_state(SLAB_RECLAIMABLE_B);
        let sunreclaim = node_state(SLAB_UNRECLAIMABLE_B);
        // SAFETY: klp resolved the symbols at load; they have no
        // precondition; `__pgtable_l5_enabled` is set at boot and then
        // read-only (`__ro_after_init`).
        let (commit_limit, percpu, l5) = unsafe {
            (
                vm_commit_limit(),
                pcpu_nr_pages(),
                __pgtable_l5_enabled != 0,
            )
        };
        // VMALLOC_END - VMALLOC_START (arch/x86/include/asm/pgtable_64_types.h).
        let vmalloc_total: c_ulong = ((if l5 { 12800 } else { 32 }) << 40) - 1;

        let show = |s: &CStr, v: c_ulong| {
            // SAFETY: `m` is the `seq_file` of a /proc/meminfo read in
            // progress, as the original gets it.
            unsafe { show_val_kb(m, s, v) }
        };
        show(c"MemTotal:       ", i.totalram);
        show(c"MemFree:        ", i.freeram);
        show(c"MemAvailable:   ", available as c_ulong);
        show(c"Buffers:        ", i.bufferram);
        show(c"Cached:         ", cached as c_ulong);
        show(c"SwapCached:     ", 0);
        show(
            c"Active:         ",
            node_state(ACTIVE_ANON) + node_state(ACTIVE_FILE),
        );
        show(
            c"Inactive:       ",
            node_state(INACTIVE_ANON) + node_state(INACTIVE_FILE),
        );
        show(c"Active(anon):   ", node_state(ACTIVE_ANON));
        show(c"Inactive(anon): ", node_state(INACTIVE_ANON));
        show(c"Active(file):   ", node_state(ACTIVE_FILE));
        show(c"Inactive(file): ", node_state(INACTIVE_FILE));
        show(c"Unevictable:    ", node_state(UNEVICTABLE));
        show(c"Mlocked:        ", zone_state(MLOCK));
        show(c"SwapTotal:      ", i.totalswap);
        show(c"SwapFree:       ", i.freeswap);
        show(c"Dirty:          ", node_state(FILE_DIRTY));
        show(c"Writeback:      ", node_state(WRITEBACK));
        show(c"AnonPages:      ", node_state(ANON_MAPPED));
        show(c"Mapped:         ", node_state(FILE_MAPPED));
        show(c"Shmem:          ", i.sharedram);
        show(
            c"KReclaimable:   ",
            sreclaimable + node_state(KERNEL_MISC_RECLAIMABLE),
        );
        show(c"Slab:           ", sreclaimable + sunreclaim);
        show(c"SReclaimable:   ", sreclaimable);
        show(c"SUnreclaim:     ", sunreclaim);
        // SAFETY: as in `show`; the format is a C string whose one `%8lu`
        // gets an unsigned long.
        unsafe {
            bindings::seq_printf(
                m,
                c"KernelStack:    %8lu kB\n".as_ptr().cast(),
                node_state(KERNEL_STACK_KB),
            )
        };
        show(c"PageTables:     ", node_state(PAGETABLE));
        show(c"SecPageTables:  ", node_state(SECONDARY_PAGETABLE));
        show(c"NFS_Unstable:   ", 0);
        show(c"Bounce:         ", 0);
        show(c"WritebackTmp:   ", 0);
        show(c"CommitLimit:    ", commit_limit);
        show(c"Committed_AS:   ", committed);
        // SAFETY: as for KernelStack.
        unsafe {
            bindings::seq_printf(
                m,
                c"VmallocTotal:   %8lu kB\n".as_ptr().cast(),
                vmalloc_total >> 10,
            )
        };
        show(c"VmallocUsed:    ", node_state(VMALLOC));
        show(c"VmallocChunk:   ", 0);
        show(c"Percpu:         ", percpu);
        // SAFETY: as in `show`.
        unsafe { show_reads(m) };
        show(c"Balloon:        ", node_state(BALLOON_PAGES));
        show(c"GPUActive:      ", node_state(GPU_ACTIVE));
        show(c"GPUReclaim:     ", node_state(GPU_RECLAIM));
        // SAFETY: as in `show`; klp resolved the symbol at load.
        unsafe { arch_report_meminfo(m) };
        0
    }
}
