//! A kernel module file (`.ko`) read from disk: its `.modinfo` and the
//! livepatch descriptors found in its data ([`crate::descriptors`]).

use crate::descriptors::{self, Descriptors};
use object::{Object, ObjectSection};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What `klp` needs to know about a module file.
#[derive(Debug, Clone, Serialize)]
pub struct KoFile {
    pub path: PathBuf,
    /// `key=value` pairs of `.modinfo`, in file order.
    pub modinfo: Vec<(String, String)>,
    /// The klp descriptors, or `None` when none were found.
    pub descriptors: Option<Descriptors>,
}

impl KoFile {
    /// Parses `data`, the contents of `path`. The error is a reason to
    /// refuse the file, for the operator.
    pub fn parse(path: &Path, data: &[u8]) -> Result<Self, String> {
        if let Some(kind) = compression(data) {
            return Err(format!(
                "it is {kind}-compressed: decompress it first (klp reads the ELF file itself)"
            ));
        }
        let file = object::File::parse(data).map_err(|e| format!("not an ELF module: {e}"))?;
        if file.kind() != object::ObjectKind::Relocatable {
            return Err("not a kernel module: not a relocatable ELF object".into());
        }
        let modinfo = file
            .section_by_name(".modinfo")
            .ok_or("not a kernel module: no .modinfo section")?
            .data()
            .map_err(|e| format!("unreadable .modinfo: {e}"))?;
        Ok(KoFile {
            path: path.to_path_buf(),
            modinfo: parse_modinfo(modinfo),
            descriptors: descriptors::find(&file),
        })
    }

    /// Reads and parses the module at `path`.
    pub fn read(path: &Path) -> Result<Self, String> {
        let data = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
        Self::parse(path, &data)
    }

    /// The first value of modinfo `key`.
    pub fn modinfo(&self, key: &str) -> Option<&str> {
        self.modinfo
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the module declares itself a livepatch (`livepatch=Y`), which
    /// the kernel requires of any module calling `klp_enable_patch()`.
    pub fn is_livepatch(&self) -> bool {
        self.modinfo("livepatch") == Some("Y")
    }

    /// The module's name: modinfo `name`, else the file name without `.ko`
    /// and with `-` as `_` (what the kernel would call it).
    pub fn name(&self) -> String {
        if let Some(n) = self.modinfo("name") {
            return n.to_string();
        }
        let stem = self.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        stem.trim_end_matches(".ko").replace('-', "_")
    }

    /// The kernel release the module was built for: the first word of its
    /// `vermagic` (the rest lists build options: SMP, preempt, mod_unload...).
    pub fn vermagic_release(&self) -> Option<&str> {
        self.modinfo("vermagic")?.split_whitespace().next()
    }
}

fn parse_modinfo(data: &[u8]) -> Vec<(String, String)> {
    data.split(|&b| b == 0)
        .filter_map(|entry| {
            let s = std::str::from_utf8(entry).ok()?;
            let (k, v) = s.split_once('=')?;
            Some((k.to_string(), v.to_string()))
        })
        .collect()
}

fn compression(data: &[u8]) -> Option<&'static str> {
    const MAGICS: &[(&[u8], &str)] = &[
        (b"\xfd7zXZ\0", "xz"),
        (b"\x28\xb5\x2f\xfd", "zstd"),
        (b"\x1f\x8b", "gzip"),
    ];
    MAGICS
        .iter()
        .find(|(m, _)| data.starts_with(m))
        .map(|(_, k)| *k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{vermagic, RELEASE};

    #[test]
    fn modinfo_pairs() {
        let info = parse_modinfo(
            format!(
                "license=GPL\0livepatch=Y\0\0name=lp_x\0vermagic={}\0",
                vermagic(RELEASE)
            )
            .as_bytes(),
        );
        let ko = KoFile {
            path: "/m/lp-x.ko".into(),
            modinfo: info,
            descriptors: None,
        };
        assert!(ko.is_livepatch());
        assert_eq!(ko.name(), "lp_x");
        assert_eq!(ko.vermagic_release(), Some(RELEASE));
        assert_eq!(ko.modinfo("license"), Some("GPL"));
    }

    #[test]
    fn name_falls_back_to_the_file_name() {
        let ko = KoFile {
            path: "/m/my-fix.ko".into(),
            modinfo: vec![],
            descriptors: None,
        };
        assert_eq!(ko.name(), "my_fix");
        assert!(!ko.is_livepatch());
    }

    #[test]
    fn refuses_non_elf_and_compressed_files() {
        let err = KoFile::parse(Path::new("x.ko"), b"hello").unwrap_err();
        assert!(err.starts_with("not an ELF module"), "{err}");
        let err = KoFile::parse(Path::new("x.ko.xz"), b"\xfd7zXZ\0rest").unwrap_err();
        assert!(err.contains("xz-compressed"), "{err}");
    }
}
