use super::*;
use crate::testutil::btf::{fixture, BtfBuilder};
use std::sync::Arc;

fn base() -> Arc<Btf> {
    Arc::new(Btf::parse(fixture("base.btf")).unwrap())
}

fn found(btf: &Btf, name: &str) -> Signature {
    match lookup(btf, name).unwrap() {
        Lookup::Found(s) => s,
        other => panic!("{name}: {other:?}"),
    }
}

/// `name: C (description) [pointee names]` for each parameter and the return.
fn summary(sig: &Signature) -> Vec<String> {
    let one = |what: &str, t: &CType| {
        let mut s = format!("{what}: {t}");
        if let Some(p) = &t.pointee {
            s += &format!(" -> {p} {:?}", p.names().collect::<Vec<_>>());
        }
        if matches!(t.class, Class::Struct | Class::Union | Class::Enum) {
            s += &format!(" {:?}", t.names().collect::<Vec<_>>());
        }
        s
    };
    let mut v: Vec<String> = sig.params.iter().map(|p| one(&p.name, &p.ty)).collect();
    v.push(one("return", &sig.ret));
    v
}

#[test]
fn struct_pointer_and_void_pointer() {
    let sig = found(&base(), "cmdline_proc_show");
    assert_eq!(
        sig.prototype(),
        "int cmdline_proc_show(struct seq_file *m, void *v)"
    );
    assert_eq!(
        summary(&sig),
        [
            "m: `struct seq_file *` (pointer) -> `struct seq_file` (24 bytes, struct by value) [\"seq_file\"]",
            "v: `void *` (pointer) -> `void` (void) []",
            "return: `int` (4 bytes, signed integer)",
        ]
    );
    assert!(!sig.variadic);
}

#[test]
fn void_bool_and_u8() {
    let btf = base();
    let sig = found(&btf, "do_nothing");
    assert_eq!(sig.prototype(), "void do_nothing(void)");
    assert_eq!(sig.ret.class, Class::Void);
    assert_eq!(sig.ret.size, None);
    let sig = found(&btf, "flag_set");
    assert_eq!(sig.prototype(), "_Bool flag_set(_Bool on, u8 mask)");
    assert_eq!(
        summary(&sig),
        [
            "on: `_Bool` (1 byte, bool)",
            "mask: `u8` (1 byte, unsigned integer)",
            "return: `_Bool` (1 byte, bool)",
        ]
    );
}

#[test]
fn every_class() {
    let sig = found(&base(), "many");
    assert_eq!(
        sig.prototype(),
        "long long int many(const char *s, volatile int *p, long unsigned int n, \
         signed char c, short int sh, kuid_t uid, enum color col, enum delta d, show_fn cb, \
         union key k, const struct file *f, double x, gfp_t gfp, seq_file_t *tm, \
         struct inode **pp, int *arr)"
    );
    assert_eq!(
        summary(&sig),
        [
            "s: `const char *` (pointer) -> `const char` (1 byte, unsigned integer) []",
            "p: `volatile int *` (pointer) -> `volatile int` (4 bytes, signed integer) []",
            "n: `long unsigned int` (8 bytes, unsigned integer)",
            "c: `signed char` (1 byte, signed integer)",
            "sh: `short int` (2 bytes, signed integer)",
            "uid: `kuid_t` (4 bytes, struct by value) [\"kuid_t\"]",
            "col: `enum color` (4 bytes, enum) [\"color\"]",
            "d: `enum delta` (4 bytes, enum) [\"delta\"]",
            "cb: `show_fn` (function pointer)",
            "k: `union key` (8 bytes, union by value) [\"key\"]",
            "f: `const struct file *` (pointer) -> `const struct file` (incomplete type) [\"file\"]",
            "x: `double` (8 bytes, floating point)",
            "gfp: `gfp_t` (4 bytes, unsigned integer)",
            "tm: `seq_file_t *` (pointer) -> `seq_file_t` (24 bytes, struct by value) [\"seq_file_t\", \"seq_file\"]",
            "pp: `struct inode **` (pointer) -> `struct inode *` (pointer) []",
            "arr: `int *` (pointer) -> `int` (4 bytes, signed integer) []",
            "return: `long long int` (8 bytes, signed integer)",
        ]
    );
    let cb = &sig.params[8].ty;
    assert_eq!(cb.typedefs, ["show_fn"]);
    assert!(cb.pointee.is_none());
    let pp = sig.params[14].ty.pointee.as_ref().unwrap();
    assert_eq!(pp.pointee.as_ref().unwrap().tag.as_deref(), Some("inode"));
    // enum delta has a negative value: a signed enum; color does not.
    assert!(sig.params[7].ty.signed);
    assert!(!sig.params[6].ty.signed);
}

#[test]
fn pointer_return_and_typedef_pointee() {
    let sig = found(&base(), "get_seq");
    assert_eq!(
        sig.prototype(),
        "struct seq_file *get_seq(struct inode *inode, loff_t *pos)"
    );
    let pos = sig.params[1].ty.pointee.as_ref().unwrap();
    assert_eq!(
        (pos.class, pos.size, pos.signed),
        (Class::Int, Some(8), true)
    );
    assert_eq!(pos.typedefs, ["loff_t"]);
}

#[test]
fn variadic() {
    let sig = found(&base(), "log_msg");
    assert!(sig.variadic);
    assert_eq!(sig.prototype(), "int log_msg(const char *fmt, ...)");
}

#[test]
fn module_functions_from_split_btf() {
    let m = Btf::parse_split(fixture("module.btf"), base()).unwrap();
    let sig = found(&m, "mod_show");
    assert_eq!(
        sig.prototype(),
        "int mod_show(struct seq_file *m, struct mod_state *st)"
    );
    let sig = found(&m, "mod_check");
    assert_eq!(
        sig.prototype(),
        "_Bool mod_check(const struct mod_state *st, unsigned int flags)"
    );
    // A vmlinux function is not the module's.
    assert_eq!(lookup(&m, "cmdline_proc_show").unwrap(), Lookup::Absent);
}

#[test]
fn absent_and_ambiguous() {
    assert_eq!(lookup(&base(), "no_such").unwrap(), Lookup::Absent);
    let mut b = BtfBuilder::new(false);
    let int = b.int("int", 4, true);
    let long = b.int("long", 8, true);
    let p1 = b.proto(int, &[("a", int)]);
    let p2 = b.proto(long, &[("a", long), ("b", long)]);
    b.func("dup", p1);
    b.func("dup", p2);
    b.func("same", p1);
    b.func("same", p1);
    let btf = Btf::parse(b.bytes()).unwrap();
    let Lookup::Ambiguous(sigs) = lookup(&btf, "dup").unwrap() else {
        panic!()
    };
    let protos: Vec<String> = sigs.iter().map(Signature::prototype).collect();
    assert_eq!(protos, ["int dup(int a)", "long dup(long a, long b)"]);
    // Two FUNCs with one prototype are one signature.
    assert!(matches!(lookup(&btf, "same").unwrap(), Lookup::Found(_)));
}

#[test]
fn corrupt_references_are_errors() {
    let mut b = BtfBuilder::new(false);
    let int = b.int("int", 4, true);
    let p = b.proto(int, &[("a", 99)]);
    b.func("bad_param", p);
    b.func("no_proto", int);
    let btf = Btf::parse(b.bytes()).unwrap();
    let e = lookup(&btf, "bad_param").unwrap_err();
    assert_eq!(e, "corrupt BTF: type id 99 does not exist");
    let e = lookup(&btf, "no_proto").unwrap_err();
    assert!(e.contains("has no FUNC_PROTO"), "{e}");
}

#[test]
fn real_cmdline_proc_show() {
    let Ok(data) = std::fs::read("/sys/kernel/btf/vmlinux") else {
        eprintln!("skipped: no /sys/kernel/btf/vmlinux on this machine");
        return;
    };
    let btf = Btf::parse(data).unwrap();
    let sig = found(&btf, "cmdline_proc_show");
    assert_eq!(
        sig.prototype(),
        "int cmdline_proc_show(struct seq_file *m, void *v)"
    );
    // Every function of the real kernel resolves.
    let mut n = 0;
    for id in 1..=btf.len() {
        let t = btf.get(id).unwrap();
        if t.kind == crate::btf::Kind::Func {
            signature(&btf, &t).unwrap_or_else(|e| panic!("{}: {e}", t.name));
            n += 1;
        }
    }
    assert!(n > 1000);
}
