// SPDX-License-Identifier: GPL-2.0

//! Checks on the strings that end up in the descriptors, against the limits
//! the livepatch core enforces at `klp_enable_patch()` time, so that they fail
//! the build instead of `insmod`.

use syn::LitStr;

/// The object name meaning "the kernel image itself" (`klp_object.name == NULL`).
pub(crate) const VMLINUX: &str = "vmlinux";

/// The Rust crates linked into vmlinux (rust/Makefile): a Rust target
/// named by a path into one of them is in vmlinux.
pub(crate) const VMLINUX_CRATES: &[&str] = &[
    "kernel",
    "core",
    "alloc",
    "compiler_builtins",
    "ffi",
    "pin_init",
    "bindings",
    "uapi",
    "build_error",
    "zerocopy",
];

/// `KSYM_NAME_LEN` (include/linux/kallsyms.h): `klp_init_func()` rejects an
/// `old_name` whose length is not below it.
pub(crate) const KSYM_NAME_LEN: usize = 512;

/// `MODULE_NAME_LEN` on 64-bit (`64 - sizeof(unsigned long)`): `klp_init_object()`
/// rejects a module object name whose length is not below it.
pub(crate) const MODULE_NAME_LEN: usize = 56;

/// Licenses `license_is_gpl_compatible()` (include/linux/license.h) accepts.
pub(crate) const GPL_LICENSES: &[&str] = &[
    "GPL",
    "GPL v2",
    "GPL and additional rights",
    "Dual BSD/GPL",
    "Dual MIT/GPL",
    "Dual MPL/GPL",
];

fn err(lit: &LitStr, msg: String) -> syn::Error {
    syn::Error::new(lit.span(), msg)
}

/// A C symbol name: what `target` names.
pub(crate) fn check_symbol_name(lit: &LitStr) -> syn::Result<()> {
    let name = lit.value();
    if name.is_empty() {
        return Err(err(lit, "the target symbol name is empty".into()));
    }
    if name.len() >= KSYM_NAME_LEN {
        return Err(err(
            lit,
            format!(
                "target symbol name is {} bytes long; the livepatch core accepts at most {} \
                 (KSYM_NAME_LEN - 1)",
                name.len(),
                KSYM_NAME_LEN - 1
            ),
        ));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_graphic())) {
        return Err(err(
            lit,
            format!("target symbol name contains {c:?}, which no kernel symbol has"),
        ));
    }
    Ok(())
}

/// The name of a symbol reached through a klp relocation: the core parses
/// `.klp.sym.<object>.<name>,<sympos>` with `"%55[^.].%511[^,],%lu"`
/// (`klp_resolve_symbols()`), so the name cannot hold `,`.
pub(crate) fn check_klp_symbol_name(lit: &LitStr) -> syn::Result<()> {
    check_symbol_name(lit)?;
    if lit.value().contains(',') {
        return Err(err(
            lit,
            "a symbol reached through a klp relocation cannot contain `,` (the kernel reads \
             `.klp.sym.<object>.<name>,<sympos>` up to the first `,`)"
                .into(),
        ));
    }
    Ok(())
}

/// A kernel module name, as the core compares it with `struct module::name`.
pub(crate) fn check_module_name(lit: &LitStr, what: &str) -> syn::Result<()> {
    let name = lit.value();
    if name.is_empty() {
        return Err(err(lit, format!("the {what} is empty")));
    }
    if name.len() >= MODULE_NAME_LEN {
        return Err(err(
            lit,
            format!(
                "{what} `{name}` is {} bytes long; module names have at most {} \
                 (MODULE_NAME_LEN - 1)",
                name.len(),
                MODULE_NAME_LEN - 1
            ),
        ));
    }
    if name.contains('-') {
        return Err(err(
            lit,
            format!(
                "{what} `{name}`: the kernel turns `-` into `_` in module names, so this would \
                 never match; write \"{}\"",
                name.replace('-', "_")
            ),
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return Err(err(
            lit,
            format!("{what} `{name}` contains {c:?}: use letters, digits and `_`"),
        ));
    }
    Ok(())
}

/// A modinfo value (author, description): a C string.
pub(crate) fn check_modinfo_value(lit: &LitStr) -> syn::Result<()> {
    if lit.value().contains('\0') {
        return Err(err(lit, "modinfo strings cannot contain NUL".into()));
    }
    Ok(())
}

/// The module license: livepatches call GPL-only exports.
pub(crate) fn check_license(lit: &LitStr) -> syn::Result<()> {
    if GPL_LICENSES.contains(&lit.value().as_str()) {
        return Ok(());
    }
    Err(err(
        lit,
        format!(
            "license {:?} is not GPL-compatible: livepatch modules use GPL-only symbols \
             (klp_enable_patch); use one of {}",
            lit.value(),
            GPL_LICENSES
                .iter()
                .map(|l| format!("{l:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> LitStr {
        LitStr::new(s, proc_macro2::Span::call_site())
    }

    #[test]
    fn symbol_names() {
        assert!(check_symbol_name(&lit("cmdline_proc_show")).is_ok());
        assert!(check_symbol_name(&lit("__x64_sys_getpid")).is_ok());
        assert!(check_symbol_name(&lit("")).is_err());
        assert!(check_symbol_name(&lit("has space")).is_err());
        assert!(check_symbol_name(&lit(&"a".repeat(KSYM_NAME_LEN - 1))).is_ok());
        let e = check_symbol_name(&lit(&"a".repeat(KSYM_NAME_LEN))).unwrap_err();
        assert!(e.to_string().contains("at most 511"), "{e}");
    }

    #[test]
    fn module_names() {
        assert!(check_module_name(&lit("test_klp_livepatch"), "object").is_ok());
        let e = check_module_name(&lit("test-klp"), "object").unwrap_err();
        assert!(e.to_string().contains("\"test_klp\""), "{e}");
        assert!(check_module_name(&lit(&"m".repeat(55)), "object").is_ok());
        assert!(check_module_name(&lit(&"m".repeat(56)), "object").is_err());
        assert!(check_module_name(&lit("a/b"), "object").is_err());
        assert!(check_module_name(&lit(""), "object").is_err());
    }

    #[test]
    fn licenses() {
        assert!(check_license(&lit("GPL")).is_ok());
        assert!(check_license(&lit("Dual MIT/GPL")).is_ok());
        let e = check_license(&lit("MIT")).unwrap_err();
        assert!(e.to_string().contains("not GPL-compatible"), "{e}");
    }
}
