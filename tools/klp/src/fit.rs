//! Whether a module file fits the running kernel, check by check.

use crate::kallsyms::Kallsyms;
use crate::kofile::KoFile;
use crate::sys::Sys;
use serde::Serialize;
use std::collections::HashSet;

/// One check: `ok` is `None` when it could not be decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub what: String,
    pub ok: Option<bool>,
    pub detail: String,
}

impl Check {
    pub(crate) fn new(
        what: impl Into<String>,
        ok: Option<bool>,
        detail: impl Into<String>,
    ) -> Self {
        Check {
            what: what.into(),
            ok,
            detail: detail.into(),
        }
    }
}

/// All checks of a module against the running kernel.
#[derive(Debug, Clone, Serialize)]
pub struct Fit {
    /// No check failed (undecided ones do not count).
    pub fits: bool,
    pub checks: Vec<Check>,
}

/// Checks `ko` against the kernel under `sys`: livepatch marking, vermagic,
/// livepatch support, not already loaded, and each target (object loaded,
/// symbol present and unambiguous in `/proc/kallsyms`).
pub fn check(sys: &Sys, ko: &KoFile) -> Fit {
    let mut checks = vec![livepatch_check(ko), vermagic_check(sys, ko)];
    checks.push(match sys.require_livepatch() {
        Ok(()) => Check::new(
            "livepatch support",
            Some(true),
            "/sys/kernel/livepatch exists",
        ),
        Err(e) => Check::new("livepatch support", Some(false), e.to_string()),
    });
    let name = ko.name();
    checks.push(if sys.module_loaded(&name) {
        Check::new(
            "not loaded",
            Some(false),
            format!("a module named {name} is already loaded"),
        )
    } else {
        Check::new(
            "not loaded",
            Some(true),
            format!("no module named {name} is loaded"),
        )
    });
    checks.extend(target_checks(sys, ko));
    Fit {
        fits: checks.iter().all(|c| c.ok != Some(false)),
        checks,
    }
}

/// The module is marked `livepatch=Y` (the kernel refuses
/// `klp_enable_patch()` from any other module).
pub fn livepatch_check(ko: &KoFile) -> Check {
    if ko.is_livepatch() {
        Check::new("livepatch", Some(true), "modinfo has livepatch=Y")
    } else {
        Check::new(
            "livepatch",
            Some(false),
            "not a livepatch: its modinfo has no livepatch=Y",
        )
    }
}

/// The module was built for the running kernel release. Only the release
/// (first word of vermagic) can be compared from user space; the kernel
/// checks the rest of the string (SMP, preempt, ...) when loading.
pub fn vermagic_check(sys: &Sys, ko: &KoFile) -> Check {
    let Some(built) = ko.vermagic_release() else {
        return Check::new("vermagic", Some(false), "the module has no vermagic");
    };
    match sys.kernel_release() {
        Ok(running) if running == built => Check::new(
            "vermagic",
            Some(true),
            format!("built for {built}, the running kernel"),
        ),
        Ok(running) => Check::new(
            "vermagic",
            Some(false),
            format!(
                "built for kernel {built} but the running kernel is {running} (vermagic mismatch)"
            ),
        ),
        Err(e) => Check::new(
            "vermagic",
            None,
            format!("cannot read the running kernel's release: {e}"),
        ),
    }
}

fn target_checks(sys: &Sys, ko: &KoFile) -> Vec<Check> {
    let Some(desc) = &ko.descriptors else {
        return vec![Check::new(
            "targets",
            None,
            "no klp descriptors found in the module's data: targets not checked",
        )];
    };
    let wanted: HashSet<&str> = desc
        .objects
        .iter()
        .flat_map(|o| o.functions.iter().map(|f| f.name.as_str()))
        .collect();
    let kallsyms = Kallsyms::read(sys, &wanted);
    let mut checks = Vec::new();
    for obj in &desc.objects {
        let loaded = obj.name == "vmlinux" || sys.module_loaded(&obj.name);
        if !loaded {
            checks.push(Check::new(
                format!("object {}", obj.name),
                Some(true),
                format!(
                    "module {} is not loaded: it will be patched when it loads",
                    obj.name
                ),
            ));
        }
        for f in &obj.functions {
            let what = format!("{}:{}", obj.name, f.name);
            checks.push(match &kallsyms {
                _ if !loaded => {
                    Check::new(what, None, format!("{} not loaded: not checked", obj.name))
                }
                None => Check::new(what, None, "/proc/kallsyms unreadable: not checked"),
                Some(k) => match k.resolve(&obj.name, &f.name, f.sympos) {
                    Ok(()) => Check::new(what, Some(true), "found in /proc/kallsyms"),
                    Err(why) => Check::new(what, Some(false), why),
                },
            });
            if let Some(check) = kallsyms
                .as_ref()
                .filter(|_| loaded)
                .and_then(|k| merged_check(k, &obj.name, &f.name, f.sympos))
            {
                checks.push(check);
            }
        }
    }
    checks
}

/// A target whose code the compiler merged with other Rust functions (LLVM
/// gives identical functions one body and several symbols): its one ftrace
/// site is theirs too, so the patch would redirect every one of them. Only
/// decided where the addresses are visible (root); nothing to say for a
/// target that is alone at its address.
fn merged_check(k: &Kallsyms, object: &str, name: &str, sympos: u64) -> Option<Check> {
    let others = k.merged_with(object, name, sympos)?;
    if others.is_empty() {
        return None;
    }
    const SHOWN: usize = 3;
    let mut list = others
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if others.len() > SHOWN {
        list.push_str(&format!(" and {} more", others.len() - SHOWN));
    }
    Some(Check::new(
        format!("{object}:{name} not merged"),
        Some(false),
        format!(
            "{name} shares its code (its address in /proc/kallsyms) with {} other Rust \
             function(s) of {object}, merged by the compiler: {list}; patching it redirects \
             all of them: patch its callers instead",
            others.len()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{
        klp_module, vmlinux_fn, FakePatch, FakeRoot, KoFunc, KoObject, Layout, Modinfo, RELEASE,
    };

    fn ko(modinfo: &Modinfo, objects: &[KoObject]) -> KoFile {
        KoFile::parse(
            "/x/lp.ko".as_ref(),
            &klp_module(modinfo, objects, false, Layout::Rust),
        )
        .unwrap()
    }

    fn get<'a>(fit: &'a Fit, what: &str) -> &'a Check {
        fit.checks
            .iter()
            .find(|c| c.what == what)
            .unwrap_or_else(|| panic!("no check {what}: {fit:?}"))
    }

    #[test]
    fn a_fitting_module() {
        let fake = FakeRoot::new();
        fake.write("proc/kallsyms", "0 T cmdline_proc_show\n");
        let fit = check(
            &fake.sys(),
            &ko(&Modinfo::livepatch("lp"), &vmlinux_fn("cmdline_proc_show")),
        );
        assert!(fit.fits, "{fit:?}");
        assert_eq!(get(&fit, "vmlinux:cmdline_proc_show").ok, Some(true));
        assert_eq!(get(&fit, "vermagic").ok, Some(true));
    }

    #[test]
    fn wrong_release_missing_symbol_already_loaded() {
        let fake = FakeRoot::new();
        fake.write("proc/sys/kernel/osrelease", "6.12.0\n");
        fake.write("proc/kallsyms", "0 T something_else\n");
        fake.add_patch(&FakePatch::new("lp"));
        let fit = check(
            &fake.sys(),
            &ko(&Modinfo::livepatch("lp"), &vmlinux_fn("gone_fn")),
        );
        assert!(!fit.fits);
        assert_eq!(
            get(&fit, "vermagic").detail,
            format!(
                "built for kernel {RELEASE} but the running kernel is 6.12.0 (vermagic mismatch)"
            )
        );
        assert_eq!(get(&fit, "vmlinux:gone_fn").ok, Some(false));
        assert_eq!(get(&fit, "not loaded").ok, Some(false));
    }

    #[test]
    fn a_target_merged_with_other_rust_functions() {
        let fake = FakeRoot::new();
        let target = "_RNvCs1_6kernel1a";
        fake.write(
            "proc/kallsyms",
            "ffffffff81000010 T _RNvCs1_6kernel1a\n\
             ffffffff81000010 T _RNvCs1_6kernel1b\n\
             ffffffff81000010 T _RNvCs1_6kernel1c\n\
             ffffffff81000020 T cmdline_proc_show\n\
             ffffffff81000020 T __split_text_start\n",
        );
        let fit = check(
            &fake.sys(),
            &ko(&Modinfo::livepatch("lp"), &vmlinux_fn(target)),
        );
        assert!(!fit.fits, "{fit:?}");
        assert_eq!(get(&fit, &format!("vmlinux:{target}")).ok, Some(true));
        let merged = get(&fit, &format!("vmlinux:{target} not merged"));
        assert_eq!(merged.ok, Some(false));
        assert!(
            merged.detail.contains(
                "with 2 other Rust function(s) of vmlinux, merged by the compiler: \
                 _RNvCs1_6kernel1b, _RNvCs1_6kernel1c; patching it redirects all of them"
            ),
            "{merged:?}"
        );
        // A C function at the address of a section marker is not merged code.
        let fit = check(
            &fake.sys(),
            &ko(&Modinfo::livepatch("lp"), &vmlinux_fn("cmdline_proc_show")),
        );
        assert!(fit.fits, "{fit:?}");
    }

    #[test]
    fn not_a_livepatch() {
        let fake = FakeRoot::new();
        let fit = check(&fake.sys(), &ko(&Modinfo::plain("plain"), &[]));
        assert_eq!(get(&fit, "livepatch").ok, Some(false));
        assert_eq!(get(&fit, "targets").ok, None);
        assert!(!fit.fits);
    }

    #[test]
    fn unloaded_target_module_is_not_an_error() {
        let fake = FakeRoot::new();
        fake.write("proc/kallsyms", "");
        let objects = [KoObject::module("ext4", vec![KoFunc::new("f")])];
        let fit = check(&fake.sys(), &ko(&Modinfo::livepatch("lp"), &objects));
        assert!(fit.fits, "{fit:?}");
        assert_eq!(get(&fit, "object ext4").ok, Some(true));
        assert_eq!(get(&fit, "ext4:f").ok, None);
    }
}
