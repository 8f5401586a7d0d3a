//! The loaded livepatches, as `/sys/kernel/livepatch` shows them
//! (`Documentation/ABI/testing/sysfs-kernel-livepatch`):
//!
//! ```text
//! <patch>/{enabled,transition,force,replace,stack_order}
//! <patch>/<object>/patched                 object: "vmlinux" or a module name
//! <patch>/<object>/<function>,<sympos>/    sympos 0 is shown as 1
//! ```
//!
//! `replace` (Linux 6.11), `stack_order` (6.14) and `patched` (6.1) are
//! `None` on kernels that lack them.

use crate::error::{Error, Result};
use crate::sys::{read_flag, read_number, Sys};
use crate::transition::Transition;
use serde::Serialize;
use std::fs;
use std::path::Path;

/// One loaded livepatch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Patch {
    pub name: String,
    pub enabled: bool,
    pub transition: bool,
    pub replace: Option<bool>,
    pub stack_order: Option<i64>,
    pub objects: Vec<Object>,
}

impl Patch {
    /// Where its transition goes, or `None` when it is not in transition.
    pub fn target(&self) -> Option<Transition> {
        self.transition
            .then(|| Transition::of_enabled(self.enabled))
    }
}

/// An object (vmlinux or a module) a patch changes functions in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Object {
    pub name: String,
    pub patched: Option<bool>,
    pub functions: Vec<Function>,
}

/// A patched function: its name and position among same-named symbols.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Function {
    pub name: String,
    pub sympos: u64,
}

/// Every loaded livepatch, in stack order (then by name).
pub fn list(sys: &Sys) -> Result<Vec<Patch>> {
    sys.require_livepatch()?;
    let mut patches = Vec::new();
    for name in subdirs(&sys.livepatch_dir())? {
        // A patch can vanish between the listing and the read (disabled).
        if let Some(p) = read(sys, &name) {
            patches.push(p);
        }
    }
    patches.sort_by(|a, b| (a.stack_order, &a.name).cmp(&(b.stack_order, &b.name)));
    Ok(patches)
}

/// The names of the loaded livepatches.
pub fn names(sys: &Sys) -> Vec<String> {
    subdirs(&sys.livepatch_dir()).unwrap_or_default()
}

/// The patch `name`, or `None` when it is not (or no longer) loaded.
pub fn read(sys: &Sys, name: &str) -> Option<Patch> {
    let dir = sys.patch_dir(name);
    let enabled = read_flag(&dir.join("enabled"))?;
    let mut objects = Vec::new();
    for obj in subdirs(&dir).unwrap_or_default() {
        let odir = dir.join(&obj);
        let mut functions: Vec<Function> = subdirs(&odir)
            .unwrap_or_default()
            .iter()
            .filter_map(|f| parse_function_dir(f))
            .collect();
        functions.sort_by(|a, b| (&a.name, a.sympos).cmp(&(&b.name, b.sympos)));
        objects.push(Object {
            patched: read_flag(&odir.join("patched")),
            name: obj,
            functions,
        });
    }
    Some(Patch {
        name: name.to_string(),
        enabled,
        transition: read_flag(&dir.join("transition")).unwrap_or(false),
        replace: read_flag(&dir.join("replace")),
        stack_order: read_number(&dir.join("stack_order")),
        objects,
    })
}

/// The patch `name`, or [`Error::UnknownPatch`] (after checking that the
/// kernel has livepatch support at all).
pub fn require(sys: &Sys, name: &str) -> Result<Patch> {
    sys.require_livepatch()?;
    read(sys, name).ok_or_else(|| Error::UnknownPatch {
        name: name.to_string(),
        loaded: names(sys),
    })
}

/// `"<func>,<sympos>"` as the core names function directories.
fn parse_function_dir(dir: &str) -> Option<Function> {
    let (name, pos) = dir.rsplit_once(',')?;
    Some(Function {
        name: name.to_string(),
        sympos: pos.parse().ok()?,
    })
}

/// The names of the subdirectories of `dir`, sorted (not following
/// symlinks: sysfs objects are directories, their links are not).
fn subdirs(dir: &Path) -> Result<Vec<String>> {
    let rd = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{FakePatch, FakeRoot};

    #[test]
    fn reads_a_patch_with_all_attributes() {
        let fake = FakeRoot::new();
        fake.add_patch(
            &FakePatch::new("lp")
                .replace(true)
                .stack_order(2)
                .function("vmlinux", "cmdline_proc_show,1"),
        );
        let p = read(&fake.sys(), "lp").unwrap();
        assert_eq!(
            p,
            Patch {
                name: "lp".into(),
                enabled: true,
                transition: false,
                replace: Some(true),
                stack_order: Some(2),
                objects: vec![Object {
                    name: "vmlinux".into(),
                    patched: Some(true),
                    functions: vec![Function {
                        name: "cmdline_proc_show".into(),
                        sympos: 1
                    }],
                }],
            }
        );
    }

    #[test]
    fn attributes_an_older_kernel_lacks_are_none() {
        let fake = FakeRoot::new();
        fake.add_patch(&FakePatch::new("old").function("vmlinux", "f,1"));
        let dir = fake.sys().patch_dir("old");
        for f in ["replace", "stack_order", "vmlinux/patched"] {
            std::fs::remove_file(dir.join(f)).unwrap();
        }
        let p = read(&fake.sys(), "old").unwrap();
        assert_eq!(
            (p.replace, p.stack_order, p.objects[0].patched),
            (None, None, None)
        );
    }

    #[test]
    fn lists_in_stack_order_with_module_objects() {
        let fake = FakeRoot::new();
        fake.add_patch(
            &FakePatch::new("b_first")
                .stack_order(1)
                .function("vmlinux", "f,1"),
        );
        fake.add_patch(
            &FakePatch::new("a_second")
                .stack_order(2)
                .function("ext4", "ext4_foo,2")
                .function("vmlinux", "g,1")
                .function("vmlinux", "a,1"),
        );
        let all = list(&fake.sys()).unwrap();
        let names: Vec<_> = all.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["b_first", "a_second"]);
        let objs: Vec<_> = all[1].objects.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(objs, ["ext4", "vmlinux"]);
        assert_eq!(
            all[1].objects[0].functions,
            [Function {
                name: "ext4_foo".into(),
                sympos: 2
            }]
        );
        let fns: Vec<_> = all[1].objects[1]
            .functions
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(fns, ["a", "g"]);
    }

    #[test]
    fn unknown_patch_lists_the_loaded_ones() {
        let fake = FakeRoot::new();
        fake.add_patch(&FakePatch::new("lp"));
        let err = require(&fake.sys(), "nope").unwrap_err();
        assert_eq!(err.exit_code(), 5);
        assert!(err.to_string().contains("(loaded: lp)"), "{err}");
    }

    #[test]
    fn no_support_is_reported_before_unknown_names() {
        let fake = FakeRoot::new();
        std::fs::remove_dir(fake.sys().livepatch_dir()).unwrap();
        assert_eq!(require(&fake.sys(), "x").unwrap_err().exit_code(), 4);
        assert_eq!(list(&fake.sys()).unwrap_err().exit_code(), 4);
    }
}
