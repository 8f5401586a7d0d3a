use super::*;
use crate::btf::Btf;
use crate::declared::Declared;
use crate::signature::lookup;
use crate::testutil::btf::{fixture, BtfBuilder};
use crate::testutil::declared::{c_int, int, ptr, seq_file_ptr, ty, unit, vmlinux_decl, void_ptr};

const SRC: &str = "/sys/kernel/btf/vmlinux";

fn base() -> Btf {
    Btf::parse(fixture("base.btf")).unwrap()
}

fn problems(btf: &Btf, d: &Declared) -> Vec<String> {
    let v = check(d, &lookup(btf, &d.target).unwrap(), SRC);
    assert!(v.notes.is_empty(), "{:?}", v.notes);
    v.problems
}

fn cmdline(m: RustType, v: RustType, ret: RustType) -> Declared {
    vmlinux_decl("cmdline_proc_show", ret, vec![("m", m), ("_v", v)])
}

/// The problems of `cmdline_proc_show` with `m` written `m`, the rest as the
/// kernel has it, against the fixture kernel.
fn m_problems(m: RustType) -> Vec<String> {
    problems(&base(), &cmdline(m, void_ptr(), c_int()))
}

#[test]
fn the_sample_fits() {
    assert_eq!(m_problems(seq_file_ptr()), Vec::<String>::new());
    // An opaque pointer fits any pointer.
    assert_eq!(m_problems(void_ptr()), Vec::<String>::new());
    // So does a pointer whose pointee the macro could not tell.
    let mut m = seq_file_ptr();
    m.pointee_class = None;
    assert!(m_problems(m).is_empty());
}

#[test]
fn value_instead_of_pointer() {
    let d = cmdline(seq_file_ptr(), int("u32", 4, false), c_int());
    assert_eq!(
        problems(&base(), &d),
        [
            "cmdline_proc_show: parameter 2 `v`: the replacement has `u32` (4 bytes, unsigned \
          integer), the kernel has `void *` (pointer)"
        ]
    );
    let d = cmdline(seq_file_ptr(), void_ptr(), void_ptr());
    assert_eq!(
        problems(&base(), &d),
        [
            "cmdline_proc_show: return: the replacement has `*mut c_void` (pointer), the kernel \
          has `int` (4 bytes, signed integer)"
        ]
    );
}

#[test]
fn extra_and_missing_parameters() {
    let btf = base();
    let mut d = cmdline(seq_file_ptr(), void_ptr(), c_int());
    d.params.push(("flags".into(), int("u32", 4, false)));
    assert_eq!(
        problems(&btf, &d),
        [
            "cmdline_proc_show: parameter 3 `flags`: the replacement has `u32` (4 bytes, \
          unsigned integer), the kernel's function has only 2 parameters"
        ]
    );
    let d = vmlinux_decl("cmdline_proc_show", c_int(), vec![("m", seq_file_ptr())]);
    assert_eq!(
        problems(&btf, &d),
        [
            "cmdline_proc_show: parameter 2 `v`: missing from the replacement (the kernel has \
          `void *` (pointer), 2 parameters in all)"
        ]
    );
    let d = vmlinux_decl("do_nothing", unit(), vec![("x", c_int())]);
    assert_eq!(
        problems(&btf, &d),
        [
            "do_nothing: parameter 1 `x`: the replacement has `c_int` (4 bytes, signed \
          integer), the kernel's function has only 0 parameters"
        ]
    );
}

/// `many`'s parameters, each as the kernel declares it.
fn many_ok() -> Vec<(&'static str, RustType)> {
    vec![
        ("s", ptr("*const c_char", RClass::Int, 1)),
        ("p", ptr("*mut c_int", RClass::Int, 4)),
        ("n", int("c_ulong", 8, false)),
        ("c", int("i8", 1, true)),
        ("sh", int("c_short", 2, true)),
        ("uid", ty(RClass::Aggregate, false, 4, "bindings::kuid_t")),
        ("col", int("bindings::color", 4, false)),
        ("d", int("bindings::delta", 4, true)),
        ("cb", ty(RClass::FnPointer, false, 8, "bindings::show_fn")),
        ("k", ty(RClass::Aggregate, false, 8, "bindings::key")),
        ("f", ptr("*const bindings::file", RClass::Aggregate, 0)),
        ("x", ty(RClass::Float, true, 8, "f64")),
        ("gfp", int("bindings::gfp_t", 4, false)),
        (
            "tm",
            ptr("*mut bindings::seq_file_t", RClass::Aggregate, 24),
        ),
        ("pp", ptr("*mut *mut bindings::inode", RClass::Pointer, 8)),
        ("arr", ptr("*mut c_int", RClass::Int, 4)),
    ]
}

fn many(change: &[(&str, RustType)]) -> Vec<String> {
    let mut params = many_ok();
    for (name, ty) in change {
        params.iter_mut().find(|(n, _)| n == name).unwrap().1 = ty.clone();
    }
    problems(&base(), &vmlinux_decl("many", int("i64", 8, true), params))
}

#[test]
fn every_class_fits_when_declared_right() {
    assert_eq!(many(&[]), Vec::<String>::new());
    // Enums take either sign; a struct by typedef or tag name.
    assert_eq!(
        many(&[
            ("col", int("c_int", 4, true)),
            ("tm", ptr("*mut bindings::seq_file", RClass::Aggregate, 24)),
            ("cb", void_ptr()),
        ]),
        Vec::<String>::new()
    );
}

#[test]
fn width_and_signedness() {
    assert_eq!(
        many(&[("n", int("u32", 4, false))]),
        [
            "many: parameter 3 `n`: the replacement has `u32` (4 bytes, unsigned integer), the \
          kernel has `long unsigned int` (8 bytes, unsigned integer)"
        ]
    );
    assert_eq!(
        many(&[("sh", int("u16", 2, false))]),
        [
            "many: parameter 5 `sh`: the replacement has `u16` (2 bytes, unsigned integer), the \
          kernel has `short int` (2 bytes, signed integer)"
        ]
    );
    assert_eq!(
        many(&[("col", int("u64", 8, false))]),
        [
            "many: parameter 7 `col`: the replacement has `u64` (8 bytes, unsigned integer), the \
          kernel has `enum color` (4 bytes, enum)"
        ]
    );
    assert_eq!(
        many(&[("x", ty(RClass::Float, true, 4, "f32"))]),
        [
            "many: parameter 12 `x`: the replacement has `f32` (4 bytes, floating point), the \
          kernel has `double` (8 bytes, floating point)"
        ]
    );
}

#[test]
fn wrong_struct_behind_a_pointer() {
    assert_eq!(
        m_problems(ptr("*mut bindings::inode", RClass::Aggregate, 8)),
        [
            "cmdline_proc_show: parameter 1 `m`: the replacement has `*mut bindings::inode` \
          (pointer), the kernel has `struct seq_file *` (pointer); the replacement points to \
          `inode`, the kernel to `struct seq_file` (24 bytes, struct by value)"
        ]
    );
    assert_eq!(
        many(&[("f", ptr("*const bindings::inode", RClass::Aggregate, 8))]),
        [
            "many: parameter 11 `f`: the replacement has `*const bindings::inode` (pointer), \
          the kernel has `const struct file *` (pointer); the replacement points to `inode`, \
          the kernel to `const struct file` (incomplete type)"
        ]
    );
    // A pointer to a scalar of the wrong size.
    assert_eq!(
        many(&[("p", ptr("*mut u64", RClass::Int, 8))]),
        [
            "many: parameter 2 `p`: the replacement has `*mut u64` (pointer), the kernel has \
          `volatile int *` (pointer); the replacement points to 8 bytes integer, the kernel \
          to `volatile int` (4 bytes, signed integer)"
        ]
    );
    // A struct where the kernel has a pointer to pointer.
    assert_eq!(
        many(&[("pp", ptr("*mut bindings::inode", RClass::Aggregate, 8))]),
        [
            "many: parameter 15 `pp`: the replacement has `*mut bindings::inode` (pointer), the \
          kernel has `struct inode **` (pointer); the replacement points to 8 bytes struct \
          or union by value, the kernel to `struct inode *` (pointer)"
        ]
    );
}

#[test]
fn a_rust_mirror_of_a_struct_is_named_in_rust_style() {
    // The patch's own `#[repr(C)] struct SeqFile` standing for the kernel's.
    assert_eq!(
        m_problems(ptr("*mut SeqFile", RClass::Aggregate, 24)),
        Vec::<String>::new()
    );
    // Its size still counts.
    assert_eq!(
        m_problems(ptr("*mut SeqFile", RClass::Aggregate, 16)),
        [
            "cmdline_proc_show: parameter 1 `m`: the replacement has `*mut SeqFile` (pointer), \
          the kernel has `struct seq_file *` (pointer); `SeqFile` is 24 bytes in the kernel's \
          BTF but 16 bytes in the bindings the replacement was built with: was it built for \
          another kernel or configuration?"
        ]
    );
}

#[test]
fn a_struct_where_the_kernel_has_void_pointer() {
    let d = cmdline(seq_file_ptr(), seq_file_ptr(), c_int());
    assert_eq!(
        problems(&base(), &d),
        [
            "cmdline_proc_show: parameter 2 `v`: the replacement has `*mut bindings::seq_file` \
          (pointer), the kernel has `void *` (pointer); declare it `*mut c_void` and cast it \
          where you use it"
        ]
    );
    // A byte pointer is fine for `void *`.
    let d = cmdline(seq_file_ptr(), ptr("*mut u8", RClass::Int, 1), c_int());
    assert!(problems(&base(), &d).is_empty());
}

#[test]
fn struct_layout_differs_from_the_bindings() {
    assert_eq!(
        m_problems(ptr("*mut bindings::seq_file", RClass::Aggregate, 32)),
        [
            "cmdline_proc_show: parameter 1 `m`: the replacement has `*mut bindings::seq_file` \
          (pointer), the kernel has `struct seq_file *` (pointer); `seq_file` is 24 bytes in \
          the kernel's BTF but 32 bytes in the bindings the replacement was built with: was \
          it built for another kernel or configuration?"
        ]
    );
    // An opaque bindgen type (size 0) is not compared.
    assert!(m_problems(ptr("*mut bindings::seq_file", RClass::Aggregate, 0)).is_empty());
    assert_eq!(
        many(&[("uid", ty(RClass::Aggregate, false, 8, "bindings::kuid_t"))]),
        [
            "many: parameter 6 `uid`: the replacement has `bindings::kuid_t` (8 bytes, struct or \
          union by value), the kernel has `kuid_t` (4 bytes, struct by value); the same type \
          has another size in the bindings the replacement was built with: was it built for \
          another kernel or configuration?"
        ]
    );
    assert_eq!(
        many(&[("uid", int("u32", 4, false))]),
        [
            "many: parameter 6 `uid`: the replacement has `u32` (4 bytes, unsigned integer), the \
          kernel has `kuid_t` (4 bytes, struct by value)"
        ]
    );
    assert_eq!(
        many(&[("k", ty(RClass::Aggregate, false, 8, "bindings::other"))]),
        [
            "many: parameter 10 `k`: the replacement has `bindings::other` (8 bytes, struct or \
          union by value), the kernel has `union key` (8 bytes, union by value)"
        ]
    );
}

#[test]
fn function_pointers() {
    assert_eq!(
        many(&[("cb", int("usize", 8, false))]),
        [
            "many: parameter 9 `cb`: the replacement has `usize` (8 bytes, unsigned integer), the \
          kernel has `show_fn` (function pointer)"
        ]
    );
    assert_eq!(
        many(&[(
            "s",
            ty(RClass::FnPointer, false, 8, "unsafe extern \"C\" fn()")
        )]),
        [
            "many: parameter 1 `s`: the replacement has `unsafe extern \"C\" fn()` (function \
          pointer), the kernel has `const char *` (pointer)"
        ]
    );
}

#[test]
fn return_types() {
    let btf = base();
    let d = vmlinux_decl("do_nothing", c_int(), vec![]);
    assert_eq!(
        problems(&btf, &d),
        [
            "do_nothing: return: the replacement has `c_int` (4 bytes, signed integer), the \
          kernel has `void` (void)"
        ]
    );
    let d = cmdline(seq_file_ptr(), void_ptr(), unit());
    assert_eq!(
        problems(&btf, &d),
        [
            "cmdline_proc_show: return: the replacement has `()` (void), the kernel has `int` (4 \
          bytes, signed integer)"
        ]
    );
    let d = vmlinux_decl("do_nothing", unit(), vec![]);
    assert!(problems(&btf, &d).is_empty());
}

#[test]
fn bool_and_u8() {
    let btf = base();
    let b = ty(RClass::Bool, false, 1, "bool");
    let u8_ = int("u8", 1, false);
    let d = vmlinux_decl(
        "flag_set",
        b.clone(),
        vec![("on", b.clone()), ("mask", u8_.clone())],
    );
    assert!(problems(&btf, &d).is_empty());
    // A C bool read as u8: fine. A C u8 read as bool: not.
    let d = vmlinux_decl(
        "flag_set",
        b.clone(),
        vec![("on", u8_.clone()), ("mask", b.clone())],
    );
    assert_eq!(
        problems(&btf, &d),
        [
            "flag_set: parameter 2 `mask`: the replacement has `bool` (1 byte, bool), the kernel \
          has `u8` (1 byte, unsigned integer); the kernel may pass a value other than 0 or 1, \
          which is undefined behaviour in a Rust `bool`"
        ]
    );
    let d = vmlinux_decl(
        "flag_set",
        u8_.clone(),
        vec![("on", b.clone()), ("mask", u8_)],
    );
    assert_eq!(
        problems(&btf, &d),
        [
            "flag_set: return: the replacement has `u8` (1 byte, unsigned integer), the kernel \
          has `_Bool` (1 byte, bool); the kernel reads a `bool`, which must be 0 or 1: return \
          `bool`"
        ]
    );
}

#[test]
fn variadic_targets_are_refused() {
    let d = vmlinux_decl(
        "log_msg",
        c_int(),
        vec![("fmt", ptr("*const c_char", RClass::Int, 1))],
    );
    assert_eq!(
        problems(&base(), &d),
        [
            "log_msg: the kernel's function is variadic (`int log_msg(const char *fmt, ...)`): a \
          Rust replacement cannot receive its variable arguments"
        ]
    );
}

#[test]
fn absent_targets_are_refused_unless_unchecked() {
    let btf = base();
    let mut d = vmlinux_decl("show_val_kb", unit(), vec![]);
    let v = check(&d, &lookup(&btf, "show_val_kb").unwrap(), SRC);
    assert_eq!(
        v.problems,
        [
            "show_val_kb: not in /sys/kernel/btf/vmlinux: the compiler may have inlined it or \
          changed its ABI (.isra, .constprop, dropped arguments), or pahole left it out; its \
          signature cannot be checked; if you checked the signature by hand, mark the \
          replacement `unchecked_signature`"
        ]
    );
    d.unchecked = true;
    let v = check(&d, &lookup(&btf, "show_val_kb").unwrap(), SRC);
    assert!(v.fits());
    assert_eq!(
        v.notes,
        [
            "show_val_kb: not in /sys/kernel/btf/vmlinux: the compiler may have inlined it or \
          changed its ABI (.isra, .constprop, dropped arguments), or pahole left it out; its \
          signature cannot be checked (unchecked, as the replacement asks)"
        ]
    );
    // Unchecked does not hide a mismatch with a prototype BTF has.
    let mut d = cmdline(seq_file_ptr(), int("u32", 4, false), c_int());
    d.unchecked = true;
    assert_eq!(problems(&btf, &d).len(), 1);
}

#[test]
fn ambiguous_targets_are_refused_unless_unchecked() {
    let mut b = BtfBuilder::new(false);
    let i = b.int("int", 4, true);
    let l = b.int("long", 8, true);
    let p1 = b.proto(i, &[("a", i)]);
    let p2 = b.proto(l, &[("a", l), ("b", l)]);
    b.func("dup", p1);
    b.func("dup", p2);
    let btf = Btf::parse(b.bytes()).unwrap();
    let mut d = vmlinux_decl("dup", c_int(), vec![("a", c_int())]);
    d.sympos = 2;
    d.object = "mod".into();
    let v = check(&d, &lookup(&btf, "dup").unwrap(), "/sys/kernel/btf/mod");
    assert_eq!(
        v.problems,
        [
            "mod:dup: 2 functions of that name in /sys/kernel/btf/mod have different prototypes \
          (`int dup(int a)`, `long dup(long a, long b)`); BTF does not say which one is \
          sympos 2; the replacement matches `int dup(int a)`: if you checked the signature \
          by hand, mark the replacement `unchecked_signature`"
        ]
    );
    let d2 = vmlinux_decl("dup", unit(), vec![]);
    let v = check(&d2, &lookup(&btf, "dup").unwrap(), SRC);
    assert!(v.problems[0].ends_with("; the replacement matches none of them"));
    d.unchecked = true;
    let v = check(&d, &lookup(&btf, "dup").unwrap(), "/sys/kernel/btf/mod");
    assert!(v.fits());
    assert_eq!(v.notes.len(), 1);
}

#[test]
fn against_the_real_kernel() {
    let Ok(data) = std::fs::read(SRC) else {
        eprintln!("skipped: no {SRC} on this machine");
        return;
    };
    let btf = Btf::parse(data).unwrap();
    let d = cmdline(
        ptr("*mut bindings::seq_file", RClass::Aggregate, 0),
        void_ptr(),
        c_int(),
    );
    assert_eq!(problems(&btf, &d), Vec::<String>::new());
    let m = ptr("*mut bindings::seq_file", RClass::Aggregate, 0);
    let d = cmdline(m, int("u32", 4, false), c_int());
    assert_eq!(
        problems(&btf, &d),
        [
            "cmdline_proc_show: parameter 2 `v`: the replacement has `u32` (4 bytes, unsigned \
          integer), the kernel has `void *` (pointer)"
        ]
    );
}
