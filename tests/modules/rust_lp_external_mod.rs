// SPDX-License-Identifier: GPL-2.0

//! A patch of the kernel's C sample module `livepatch_shadow_mod`
//! (samples/livepatch/livepatch-shadow-mod.c) that reads that module's
//! static `dummy_list` through a klp relocation of the module object:
//! klp writes it when the module loads (before or after the patch) and
//! clears it when the module goes. The replacement of `dummy_check()`
//! checks that the dummy it is given is on `dummy_list`, then does what the
//! original does. The external symbol is declared by hand, as a stand-in
//! for the patch macro (see `common/external.rs`).

use kernel::prelude::*;

#[path = "common/klp_converted.rs"]
mod klp_converted;

module! {
    type: RustLpExternalMod,
    name: "rust_lp_external_mod",
    authors: ["rust-livepatch developers"],
    description: "rust-livepatch test: a module's static through klp relocations",
    license: "GPL",
}

#[allow(non_upper_case_globals)]
extern "C" {
    /// `static LIST_HEAD(dummy_list)` of livepatch_shadow_mod.
    #[link_name = ".klp.sym.livepatch_shadow_mod.dummy_list,0"]
    static dummy_list: kernel::bindings::list_head;
}
core::arch::global_asm!(".weak \".klp.sym.livepatch_shadow_mod.dummy_list,0\"");

#[livepatch::patch]
mod fix {
    use kernel::{
        bindings::list_head,
        ffi::{c_long, c_ulong},
        prelude::*,
    };

    /// `struct dummy` of livepatch-shadow-mod.c.
    #[repr(C)]
    pub(crate) struct Dummy {
        list: list_head,
        jiffies_expire: c_ulong,
    }

    /// The new `dummy_check()`: says whether `d` is on `dummy_list`, then
    /// `time_after(jiffies, d->jiffies_expire)` as the original.
    #[livepatch(object = "livepatch_shadow_mod")]
    unsafe extern "C" fn dummy_check(d: *mut Dummy, jiffies: c_ulong) -> bool {
        let head: *const list_head = &raw const super::dummy_list;
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

struct RustLpExternalMod;

impl kernel::Module for RustLpExternalMod {
    fn init(module: &'static ThisModule) -> Result<Self> {
        klp_converted::check()?;
        fix::PATCH.enable(module)?;
        Ok(RustLpExternalMod)
    }
}
