use super::*;

#[test]
fn bindings_names() {
    let Bindings::Known(names) = Bindings::parse(
        "pub struct seq_file {\npub union key {\npub type gfp_t = ffi::c_uint;\n    pub struct \
         nested {\npub fn f();\n",
    ) else {
        panic!()
    };
    let mut names: Vec<_> = names.into_iter().collect();
    names.sort();
    assert_eq!(names, ["gfp_t", "key", "seq_file"]);
}

#[test]
fn bindings_names_without_rustfmt() {
    // bindgen's output when rustfmt is missing: items on one line.
    let Bindings::Known(names) = Bindings::parse(
        "# [repr (C)] # [derive (Copy)] pub struct seq_file { pub x : u8 , } impl Default for \
         seq_file { } pub type gfp_t = ffi :: c_uint ; pub mod m { pub type Type = u32 ; }",
    ) else {
        panic!()
    };
    let mut names: Vec<_> = names.into_iter().collect();
    names.sort();
    assert_eq!(names, ["gfp_t", "seq_file"]);
}

#[test]
fn parameter_names_rust_can_take() {
    assert_eq!(rust_ident("m", 1), "m");
    assert_eq!(rust_ident("type", 1), "r#type");
    assert_eq!(rust_ident("self", 1), "self_");
    assert_eq!(rust_ident("", 3), "arg3");
}

#[test]
fn doc_lines_wrap_at_100_columns_outside_code_spans() {
    let text = format!("{} `a b c` end", "word ".repeat(19));
    let out = doc("//! ", &text);
    assert_eq!(
        out,
        format!("//! {}\n//! `a b c` end\n", "word ".repeat(19).trim_end())
    );
    assert!(out.lines().all(|l| l.len() <= 100));
}

#[test]
fn the_patch_attribute_is_laid_out_as_rustfmt_does() {
    use crate::signature::{CType, Class, Signature};
    let sig = |name: &str| Signature {
        name: name.into(),
        params: vec![],
        ret: CType {
            c: "void".into(),
            class: Class::Void,
            size: None,
            signed: false,
            typedefs: vec![],
            tag: None,
            pointee: None,
        },
        variadic: false,
    };
    let text = |name: &str| {
        patch_source(&NewPatch {
            name: "fix",
            object: None,
            sig: &sig(name),
            btf_source: "/sys/kernel/btf/vmlinux",
            source: "?",
            bindings: &Bindings::Unknown,
        })
    };
    // 70 columns of arguments fit on the line; 71 do not.
    let f = "f".repeat(21);
    assert!(text(&f).contains(&format!(
        "\n#[livepatch::patch(description = \"Livepatch for {f}()\", license = \"GPL\")]\n"
    )));
    let g = "g".repeat(22);
    assert!(text(&g).contains(&format!(
        "\n#[livepatch::patch(\n    description = \"Livepatch for {g}()\",\n    license = \
         \"GPL\"\n)]\n"
    )));
}
