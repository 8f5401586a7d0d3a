//! A module's signature records ([`crate::declared`]) checked against BTF:
//! the running kernel's (`/sys/kernel/btf`, for `klp info` and `klp load`)
//! or a build tree's (`klp build`). Each replacement's target is looked up
//! in the BTF of its object (vmlinux, or the module it patches) and
//! compared ([`crate::compare`]).
//!
//! What cannot be checked (no BTF for the object: a module that is not
//! loaded, a kernel or tree without BTF) is reported as undecided, never as
//! a pass; a module without records (a C livepatch, or one built before the
//! records existed) too.

use crate::btf::Btf;
use crate::compare;
use crate::declared::{self, Declared, Records};
use crate::fit::Check;
use crate::signature::{lookup, Lookup};
use crate::sys::Sys;
use crate::tree::Tree;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// What the checks are called in `klp info`.
const WHAT: &str = "signature";

/// Where the BTF of each object comes from.
pub trait BtfSource {
    /// The BTF of `object` (`vmlinux` or a module name) and how messages
    /// name it; `Err`: why there is none, saying what to do about it.
    fn btf(&mut self, object: &str) -> Result<(Arc<Btf>, String), String>;
}

/// Reads the records of an ELF module; `Ok(None)` when it has none.
pub fn records(data: &[u8]) -> Result<Option<Records>, String> {
    let file = object::File::parse(data).map_err(|e| format!("not an ELF file: {e}"))?;
    declared::read(&file)
}

/// The checks of `records` (`None`: the module has none) against `src`:
/// per replacement, `ok` if it matches, one failed check per mismatch,
/// undecided when its object's BTF is not available or the replacement
/// asked not to be checked.
pub fn check(records: Option<&Records>, src: &mut dyn BtfSource) -> Vec<Check> {
    let Some(records) = records else {
        return vec![Check::new(
            "signatures",
            None,
            "the module has no signature records (a C livepatch, or built before klp checked \
             signatures): not checked",
        )];
    };
    let mut checks: Vec<Check> = records
        .skipped
        .iter()
        .map(|s| Check::new("signatures", None, s.clone()))
        .collect();
    for d in &records.declared {
        let label = d.label();
        let (found, source) = match target(d, src) {
            Ok(found) => found,
            Err(why) => {
                checks.push(Check::new(
                    WHAT,
                    None,
                    format!("{label}: not checked: {why}"),
                ));
                continue;
            }
        };
        let verdict = compare::check(d, &found, &source);
        for p in &verdict.problems {
            checks.push(Check::new(WHAT, Some(false), p.clone()));
        }
        for n in &verdict.notes {
            checks.push(Check::new(WHAT, None, n.clone()));
        }
        if verdict.problems.is_empty() && verdict.notes.is_empty() {
            checks.push(Check::new(
                WHAT,
                Some(true),
                format!("{label}: matches {source}"),
            ));
        }
    }
    checks
}

/// `d`'s target in the BTF of its object, and how messages name that BTF;
/// `Err`: why it cannot be checked.
fn target(d: &Declared, src: &mut dyn BtfSource) -> Result<(Lookup, String), String> {
    let (btf, source) = src.btf(&d.object)?;
    let found = lookup(&btf, &d.target).map_err(|why| format!("{source}: {why}"))?;
    Ok((found, source))
}

/// The checks of module file `data` against the running kernel (`klp
/// info`); unreadable records are a failed check.
pub fn checks_against(sys: &Sys, data: &[u8]) -> Vec<Check> {
    match records(data) {
        Ok(r) => check(r.as_ref(), &mut SysBtf::new(sys)),
        Err(e) => vec![Check::new("signatures", Some(false), e)],
    }
}

/// What `klp load` checks of the signatures before loading `data`: refuses
/// (`Err`, the reasons) a replacement that does not match the running
/// kernel's BTF, or unreadable records; writes what it could not check to
/// `out`.
pub fn check_before_load(
    sys: &Sys,
    data: &[u8],
    out: &mut dyn std::io::Write,
) -> Result<(), String> {
    let checks = checks_against(sys, data);
    let failed = problems(&checks);
    if !failed.is_empty() {
        return Err(format!(
            "{} not match the running kernel's BTF: {}",
            if failed.len() == 1 {
                "a replacement's signature does"
            } else {
                "replacements' signatures do"
            },
            failed.join("; ")
        ));
    }
    for c in checks.iter().filter(|c| c.ok.is_none()) {
        let _ = writeln!(out, "{}: {}", c.what, c.detail);
    }
    Ok(())
}

/// The failed checks' messages; empty when none failed.
pub fn problems(checks: &[Check]) -> Vec<String> {
    checks
        .iter()
        .filter(|c| c.ok == Some(false))
        .map(|c| c.detail.clone())
        .collect()
}

/// The running kernel's BTF: `/sys/kernel/btf/vmlinux`, and
/// `/sys/kernel/btf/<module>` for a loaded module.
pub struct SysBtf<'a> {
    sys: &'a Sys,
    vmlinux: Option<Result<Arc<Btf>, String>>,
}

impl<'a> SysBtf<'a> {
    pub fn new(sys: &'a Sys) -> Self {
        SysBtf { sys, vmlinux: None }
    }

    fn vmlinux(&mut self) -> Result<Arc<Btf>, String> {
        let sys = self.sys;
        self.vmlinux
            .get_or_insert_with(|| {
                let path = sys.path("sys/kernel/btf/vmlinux");
                match std::fs::read(&path) {
                    Ok(data) => Btf::parse(data)
                        .map(Arc::new)
                        .map_err(|e| format!("/sys/kernel/btf/vmlinux: {e}")),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        Err("the running kernel has no BTF (/sys/kernel/btf/vmlinux: \
                         CONFIG_DEBUG_INFO_BTF)"
                            .into())
                    }
                    Err(e) => Err(format!("cannot read /sys/kernel/btf/vmlinux: {e}")),
                }
            })
            .clone()
    }
}

impl BtfSource for SysBtf<'_> {
    fn btf(&mut self, object: &str) -> Result<(Arc<Btf>, String), String> {
        let vmlinux = self.vmlinux()?;
        let shown = format!("/sys/kernel/btf/{object}");
        if object == "vmlinux" {
            return Ok((vmlinux, shown));
        }
        if !self.sys.module_loaded(object) {
            return Err(format!(
                "module {object} is not loaded, so the kernel has no BTF of it ({shown} \
                 appears when it loads; klp build checks it against the build tree's)"
            ));
        }
        let data = std::fs::read(self.sys.path(&shown)).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!(
                "module {object} is loaded but has no BTF ({shown}: built without \
                 CONFIG_DEBUG_INFO_BTF_MODULES?)"
            ),
            _ => format!("cannot read {shown}: {e}"),
        })?;
        let btf = Btf::parse_split(data, vmlinux).map_err(|e| format!("{shown}: {e}"))?;
        Ok((Arc::new(btf), shown))
    }
}

/// A build tree's BTF: its `vmlinux` (or another file given for it), and
/// the `.ko` of each module, found in the tree or given by the user.
pub struct TreeBtf {
    tree: Tree,
    /// `--vmlinux-btf`, if given: raw BTF or an ELF file with `.BTF`.
    vmlinux_path: Option<PathBuf>,
    /// `--btf-module NAME=PATH`.
    modules: HashMap<String, PathBuf>,
    vmlinux: Option<Result<Arc<Btf>, String>>,
}

impl TreeBtf {
    pub fn new(tree: Tree, vmlinux: Option<PathBuf>, modules: HashMap<String, PathBuf>) -> Self {
        TreeBtf {
            tree,
            vmlinux_path: vmlinux,
            modules,
            vmlinux: None,
        }
    }

    fn vmlinux(&mut self) -> Result<(Arc<Btf>, String), String> {
        let path = self
            .vmlinux_path
            .clone()
            .unwrap_or_else(|| self.tree.vmlinux());
        let shown = path.display().to_string();
        let given = self.vmlinux_path.is_some();
        let btf = self
            .vmlinux
            .get_or_insert_with(|| match std::fs::read(&path) {
                Ok(data) => Btf::from_bytes(data, None)
                    .map(Arc::new)
                    .map_err(|e| format!("{shown}: {e}")),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !given => Err(format!(
                    "the tree has no vmlinux ({shown}): pass --vmlinux-btf PATH (a vmlinux \
                     with .BTF, or a copy of /sys/kernel/btf/vmlinux from a machine running \
                     this kernel); klp load checks it against the running kernel"
                )),
                Err(e) => Err(format!("cannot read {shown}: {e}")),
            })
            .clone()?;
        Ok((btf, shown))
    }
}

impl BtfSource for TreeBtf {
    fn btf(&mut self, object: &str) -> Result<(Arc<Btf>, String), String> {
        let (vmlinux, shown) = self.vmlinux()?;
        if object == "vmlinux" {
            return Ok((vmlinux, shown));
        }
        let ko = match self.modules.get(object) {
            Some(p) => p.clone(),
            None => self.tree.module_ko(object).ok_or_else(|| {
                format!(
                    "module {object} is not built in {} (not in its modules.order): pass \
                     --btf-module {object}=PATH (its .ko, or a copy of /sys/kernel/btf/{object}); \
                     otherwise klp load checks it where {object} is loaded",
                    self.tree.dir.display()
                )
            })?,
        };
        let shown = ko.display().to_string();
        let data = std::fs::read(&ko).map_err(|e| format!("cannot read {shown}: {e}"))?;
        let btf = Btf::from_bytes(data, Some(vmlinux)).map_err(|e| format!("{shown}: {e}"))?;
        Ok((Arc::new(btf), shown))
    }
}

#[cfg(test)]
mod tests;
