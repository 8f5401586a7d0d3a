// SPDX-License-Identifier: GPL-2.0

//! Rust port of tools/testing/selftests/livepatch/test_modules/test_klp_shadow_vars.c:
//! exercises the shadow variable API ([`livepatch::Shadow`]) at module init
//! and logs every call, with pointers replaced by stable ids (`PTR<n>`) so
//! the log can be compared with the expected one. Not a livepatch itself.

use core::ffi::c_void;
use kernel::{
    prelude::*,
    sync::atomic::{Atomic, Relaxed},
};
use livepatch::shadow::{Destructor, Gfp, Shadow};

module! {
    type: TestKlpShadowVars,
    name: "test_klp_shadow_vars",
    authors: ["Joe Lawrence <joe.lawrence@redhat.com>"],
    description: "Livepatch test: shadow variables",
    license: "GPL",
}

/// The pointers seen so far; a pointer's id is its index. Only the
/// single-threaded module init uses it; it never allocates, so it may be
/// used from the shadow constructor (which runs under a spinlock).
const MAX_PTRS: usize = 32;
static PTRS: [Atomic<usize>; MAX_PTRS] = [const { Atomic::new(0) }; MAX_PTRS];
static NPTRS: Atomic<usize> = Atomic::new(0);

/// `ptr_id()`: the id of `ptr`, assigned on first sight.
fn ptr_id<T: ?Sized>(ptr: *const T) -> i32 {
    let addr = ptr.cast::<()>().addr();
    let n = NPTRS.load(Relaxed);
    if let Some(i) = PTRS[..n].iter().position(|p| p.load(Relaxed) == addr) {
        return i as i32;
    }
    if n == MAX_PTRS {
        return ENOMEM.to_errno();
    }
    PTRS[n].store(addr, Relaxed);
    NPTRS.store(n + 1, Relaxed);
    n as i32
}

/// The shadow value of the test: a pointer to one of the new "fields" the C
/// test pretends to add (a `char` and an `int` per object).
#[derive(Clone, Copy, PartialEq)]
struct Field(*mut c_void);

// SAFETY: the pointers are only compared and printed, never dereferenced.
unsafe impl Send for Field {}
// SAFETY: as above.
unsafe impl Sync for Field {}

const SV_ID1: u64 = 0x1234;
const SV_ID2: u64 = 0x1235;
// SAFETY: only this test module uses these ids (as the C test does), and
// only with `Field` values.
static SV1: Shadow<Field> = unsafe { Shadow::new(SV_ID1) };
// SAFETY: as for `SV1`.
static SV2: Shadow<Field> = unsafe { Shadow::new(SV_ID2) };
const NUM_OBJS: usize = 3;

/// An object to attach shadow data to (the size of the C test's).
struct TestObject {
    _sp: [usize; 3],
}

fn opt_ptr(v: Option<&Field>) -> *const Field {
    v.map_or(core::ptr::null(), core::ptr::from_ref)
}

fn shadow_get<'a>(sv: &Shadow<Field>, obj: &'a TestObject) -> Option<&'a Field> {
    let v = sv.get(obj);
    pr_info!(
        "klp_shadow_get(obj=PTR{}, id=0x{:x}) = PTR{}\n",
        ptr_id(obj),
        sv.id(),
        ptr_id(opt_ptr(v))
    );
    v
}

/// The constructor: `var` is the new shadow value, which will live at `sv`.
fn shadow_ctor(sv: *const Field, var: Field) -> Result<Field> {
    pr_info!("shadow_ctor: PTR{} -> PTR{}\n", ptr_id(sv), ptr_id(var.0));
    Ok(var)
}

fn log_alloc(func: &str, obj: &TestObject, sv: &Shadow<Field>, var: Field, v: Option<&Field>) {
    pr_info!(
        "klp_{}(obj=PTR{}, id=0x{:x}, size={:x}, gfp_flags=GFP_KERNEL), ctor=PTR{}, ctor_data=PTR{} = PTR{}\n",
        func,
        ptr_id(obj),
        sv.id(),
        core::mem::size_of::<Field>(),
        ptr_id(shadow_ctor as *const ()),
        ptr_id(var.0),
        ptr_id(opt_ptr(v))
    );
}

fn shadow_alloc<'a>(sv: &Shadow<Field>, obj: &'a TestObject, var: Field) -> Option<&'a Field> {
    let v = sv
        .alloc_with(obj, Gfp::Kernel, |_, sv| shadow_ctor(sv, var))
        .ok();
    log_alloc("shadow_alloc", obj, sv, var, v);
    v
}

fn shadow_get_or_alloc<'a>(
    sv: &Shadow<Field>,
    obj: &'a TestObject,
    var: Field,
) -> Option<&'a Field> {
    let v = sv
        .get_or_alloc_with(obj, Gfp::Kernel, |_, sv| shadow_ctor(sv, var))
        .ok();
    log_alloc("shadow_get_or_alloc", obj, sv, var, v);
    v
}

/// The destructor: logs the object and its shadow value.
struct ShadowDtor;

impl Destructor<Field> for ShadowDtor {
    fn destroy(obj: *mut c_void, data: &mut Field) {
        pr_info!(
            "shadow_dtor(obj=PTR{}, shadow_data=PTR{})\n",
            ptr_id(obj),
            ptr_id(data)
        );
    }
}

/// # Safety
///
/// No reference to `obj`'s value of `sv` may be used afterwards.
unsafe fn shadow_free(sv: &Shadow<Field>, obj: &TestObject) {
    // SAFETY: the caller's guarantee.
    unsafe { sv.free_with::<_, ShadowDtor>(obj) };
    let dtor = <ShadowDtor as Destructor<Field>>::destroy as *const ();
    pr_info!(
        "klp_shadow_free(obj=PTR{}, id=0x{:x}, dtor=PTR{})\n",
        ptr_id(obj),
        sv.id(),
        ptr_id(dtor)
    );
}

/// # Safety
///
/// No reference to a value of `sv` may be used afterwards.
unsafe fn shadow_free_all(sv: &Shadow<Field>) {
    // SAFETY: the caller's guarantee. `Field` needs no drop, so no
    // destructor is passed: the log shows the null one.
    unsafe { sv.free_all() };
    pr_info!(
        "klp_shadow_free_all(id=0x{:x}, dtor=PTR{})\n",
        sv.id(),
        ptr_id(core::ptr::null::<()>())
    );
}

fn expected(sv: &Field, var: Field) {
    pr_info!(
        "  got expected PTR{} -> PTR{} result\n",
        ptr_id(sv),
        ptr_id(var.0)
    );
}

/// The C test's init: six passes over three objects and two ids.
fn run(objs: &[TestObject; NUM_OBJS]) -> Result {
    let mut nfields1 = [0u8; NUM_OBJS];
    let mut nfields2 = [0i32; NUM_OBJS];
    let mut pnfields1 = [Field(core::ptr::null_mut()); NUM_OBJS];
    let mut pnfields2 = [Field(core::ptr::null_mut()); NUM_OBJS];
    let mut sv1: [Option<&Field>; NUM_OBJS] = [None; NUM_OBJS];
    let mut sv2: [Option<&Field>; NUM_OBJS] = [None; NUM_OBJS];

    ptr_id(core::ptr::null::<()>());

    // With an empty shadow variable hash table, expect not to find any matches.
    if shadow_get(&SV1, &objs[0]).is_none() {
        pr_info!("  got expected NULL result\n");
    }

    // pass 1: init & alloc a char+int pair of svars for each objs
    for i in 0..NUM_OBJS {
        pnfields1[i] = Field((&raw mut nfields1[i]).cast());
        ptr_id(pnfields1[i].0);
        sv1[i] = if i % 2 == 1 {
            shadow_alloc(&SV1, &objs[i], pnfields1[i])
        } else {
            shadow_get_or_alloc(&SV1, &objs[i], pnfields1[i])
        };
        sv1[i].ok_or(ENOMEM)?;
        pnfields2[i] = Field((&raw mut nfields2[i]).cast());
        ptr_id(pnfields2[i].0);
        sv2[i] = shadow_alloc(&SV2, &objs[i], pnfields2[i]);
        sv2[i].ok_or(ENOMEM)?;
    }

    // pass 2: verify we find allocated svars and where they point to
    for i in 0..NUM_OBJS {
        for (sv, svs, pn) in [(&SV1, &sv1, &pnfields1), (&SV2, &sv2, &pnfields2)] {
            let found = shadow_get(sv, &objs[i]).ok_or(EINVAL)?;
            if svs[i].is_some_and(|s| core::ptr::eq(found, s) && *s == pn[i]) {
                expected(found, pn[i]);
            }
        }
    }

    // pass 3: verify that 'get_or_alloc' returns already allocated svars
    for i in 0..NUM_OBJS {
        let pndup = Field((&raw mut nfields1[i]).cast());
        ptr_id(pndup.0);
        let found = shadow_get_or_alloc(&SV1, &objs[i], pndup).ok_or(EINVAL)?;
        if sv1[i].is_some_and(|s| core::ptr::eq(found, s) && *s == pnfields1[i]) {
            expected(found, pnfields1[i]);
        }
    }

    // pass 4: free <objs[*], SV_ID1> pairs of svars, verify removal
    for obj in objs {
        // SAFETY: the references to these values (`sv1`) are not used again.
        unsafe { shadow_free(&SV1, obj) };
        if shadow_get(&SV1, obj).is_none() {
            pr_info!("  got expected NULL result\n");
        }
    }

    // pass 5: check we still find <objs[*], SV_ID2> svar pairs
    for i in 0..NUM_OBJS {
        let found = shadow_get(&SV2, &objs[i]).ok_or(EINVAL)?;
        if sv2[i].is_some_and(|s| core::ptr::eq(found, s) && *s == pnfields2[i]) {
            expected(found, pnfields2[i]);
        }
    }

    // pass 6: free all the <objs[*], SV_ID2> svar pairs too.
    // SAFETY: the references to these values (`sv2`) are not used again.
    unsafe { shadow_free_all(&SV2) };
    for obj in objs {
        if shadow_get(&SV2, obj).is_none() {
            pr_info!("  got expected NULL result\n");
        }
    }
    Ok(())
}

struct TestKlpShadowVars;

impl kernel::Module for TestKlpShadowVars {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let objs = [const { TestObject { _sp: [0; 3] } }; NUM_OBJS];
        let ret = run(&objs);
        if ret.is_err() {
            // SAFETY: `run` returned: none of its references is used again.
            unsafe {
                shadow_free_all(&SV1);
                shadow_free_all(&SV2);
            }
        }
        ret.map(|()| TestKlpShadowVars)
    }
}
