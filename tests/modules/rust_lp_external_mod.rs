// SPDX-License-Identifier: GPL-2.0

//! A patch of `livepatch_shadow_mod` (samples/livepatch) that reads the
//! module's static `dummy_list` through a klp relocation of the module
//! object: the kernel writes it when the module loads (before or after the
//! patch) and clears it when the module goes.

#[livepatch::patch(
    description = "rust-livepatch test: a module's static through klp relocations",
    license = "GPL"
)]
mod fix {
    use kernel::{
        bindings::list_head,
        ffi::{c_long, c_ulong},
        prelude::*,
    };

    #[symbols(object = "livepatch_shadow_mod")]
    extern "C" {
        /// `static LIST_HEAD(dummy_list)` of livepatch-shadow-mod.c.
        static dummy_list: list_head;
    }

    /// `struct dummy` of livepatch-shadow-mod.c.
    #[repr(C)]
    pub(crate) struct Dummy {
        list: list_head,
        jiffies_expire: c_ulong,
    }

    /// The new `dummy_check()`: says whether `d` is on `dummy_list`, then
    /// `time_after(jiffies, d->jiffies_expire)` as the original.
    // SAFETY: same signature as `dummy_check()` in
    // samples/livepatch/livepatch-shadow-mod.c:
    // `bool (struct dummy *, unsigned long)`.
    #[unsafe(livepatch(object = "livepatch_shadow_mod"))]
    unsafe extern "C" fn dummy_check(d: *mut Dummy, jiffies: c_ulong) -> bool {
        let head: *const list_head = &raw const dummy_list;
        let mut entries = 0;
        let mut found = false;
        // SAFETY: the only caller, cleanup_work_func(), holds
        // dummy_list_mutex while it calls this, and `head` is the module's
        // list (klp resolved it when the module loaded); `d` is one of its
        // entries, whose `list` is the first field.
        unsafe {
            let mut p = (*head).next;
            while p.cast_const() != head {
                found |= p == d.cast();
                entries += 1;
                p = (*p).next;
            }
        }
        pr_info!(
            "dummy_check: dummy {} dummy_list ({} entries)\n",
            if found { "found on" } else { "NOT on" },
            entries
        );
        // SAFETY: `d` is a live dummy (see above).
        let expire = unsafe { (*d).jiffies_expire };
        (expire.wrapping_sub(jiffies) as c_long) < 0
    }
}
