//! A kernel build tree (`KDIR`) as `klp` reads it: its `vmlinux`, its
//! modules (listed in `modules.order`), its `.config`, its `sign-file`.

use std::path::{Path, PathBuf};

/// A kernel build tree.
#[derive(Debug, Clone)]
pub struct Tree {
    pub dir: PathBuf,
}

impl Tree {
    pub fn new(dir: impl Into<PathBuf>) -> Tree {
        Tree { dir: dir.into() }
    }

    /// `KDIR/vmlinux`, whose `.BTF` section is the kernel's BTF.
    pub fn vmlinux(&self) -> PathBuf {
        self.dir.join("vmlinux")
    }

    /// The `.ko` of module `name` built in the tree, found through
    /// `modules.order` (`samples/livepatch/livepatch-shadow-mod.o` is module
    /// `livepatch_shadow_mod`); `None` when the tree did not build it.
    pub fn module_ko(&self, name: &str) -> Option<PathBuf> {
        let order = std::fs::read_to_string(self.dir.join("modules.order")).ok()?;
        order.lines().find_map(|line| {
            let line = line.trim();
            let stem = line.strip_suffix(".o").or(line.strip_suffix(".ko"))?;
            let ko = self.dir.join(format!("{stem}.ko"));
            (module_name(&ko) == name && ko.is_file()).then_some(ko)
        })
    }

    /// The value of `key` in `KDIR/.config`, quotes removed.
    pub fn config(&self, key: &str) -> Option<String> {
        let text = std::fs::read_to_string(self.dir.join(".config")).ok()?;
        text.lines().find_map(|l| {
            let v = l.strip_prefix(key)?.strip_prefix('=')?;
            Some(v.trim_matches('"').to_string())
        })
    }

    /// The tree's module signing program (a host program Kbuild builds).
    pub fn sign_file(&self) -> PathBuf {
        self.dir.join("scripts/sign-file")
    }
}

/// The name the kernel gives the module in `path`: its file name without
/// `.ko`, `-` read as `_`.
pub fn module_name(path: &Path) -> String {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy())
        .unwrap_or_default();
    file.strip_suffix(".ko").unwrap_or(&file).replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_are_found_through_modules_order() {
        let dir = tempfile::tempdir().unwrap();
        let t = Tree::new(dir.path());
        assert_eq!(
            t.module_ko("livepatch_shadow_mod"),
            None,
            "no modules.order"
        );
        std::fs::create_dir_all(dir.path().join("samples/livepatch")).unwrap();
        std::fs::write(
            dir.path().join("modules.order"),
            "samples/livepatch/livepatch-sample.o\nsamples/livepatch/livepatch-shadow-mod.o\n\
             kernel/old-style.ko\n",
        )
        .unwrap();
        assert_eq!(
            t.module_ko("livepatch_shadow_mod"),
            None,
            "listed, not built"
        );
        let ko = dir.path().join("samples/livepatch/livepatch-shadow-mod.ko");
        std::fs::write(&ko, "").unwrap();
        assert_eq!(t.module_ko("livepatch_shadow_mod"), Some(ko));
        assert_eq!(
            t.module_ko("livepatch-shadow-mod"),
            None,
            "a module name has no '-'"
        );
        std::fs::create_dir_all(dir.path().join("kernel")).unwrap();
        let old = dir.path().join("kernel/old-style.ko");
        std::fs::write(&old, "").unwrap();
        assert_eq!(t.module_ko("old_style"), Some(old));
    }

    #[test]
    fn config_values() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".config"),
            "CONFIG_MODULE_SIG=y\nCONFIG_MODULE_SIG_HASH=\"sha256\"\n# CONFIG_X is not set\n",
        )
        .unwrap();
        let t = Tree::new(dir.path());
        assert_eq!(
            t.config("CONFIG_MODULE_SIG_HASH").as_deref(),
            Some("sha256")
        );
        assert_eq!(t.config("CONFIG_MODULE_SIG").as_deref(), Some("y"));
        assert_eq!(t.config("CONFIG_MODULE"), None);
        assert_eq!(t.config("CONFIG_X"), None);
    }
}
