//! `klp new FUNCTION`: a patch directory for replacing FUNCTION, with its
//! exact signature from the kernel's BTF (the text itself is
//! [`crate::scaffold`]'s).

use super::say;
use crate::btf::{Btf, BtfError};
use crate::error::{Error, NewError, Result};
use crate::scaffold::{self, Bindings, NewPatch};
use crate::signature::{lookup, Lookup};
use crate::tree::Tree;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What `klp new` was asked.
#[derive(Debug, Default, Clone)]
pub struct NewOptions {
    pub function: String,
    /// The module the function is in; `None`: vmlinux.
    pub object: Option<String>,
    /// The directory to write; default `./<name>`.
    pub dir: Option<PathBuf>,
    /// The module name; default `fix_<function>`.
    pub name: Option<String>,
    /// The target's BTF (raw, or an ELF with `.BTF`); default
    /// `/sys/kernel/btf/vmlinux` or `/sys/kernel/btf/<object>`.
    pub btf: Option<PathBuf>,
    /// vmlinux's BTF, the base of a module's; default
    /// `/sys/kernel/btf/vmlinux`.
    pub vmlinux_btf: Option<PathBuf>,
    /// A kernel build tree whose `rust/bindings/bindings_generated.rs` says
    /// which types `kernel::bindings` has.
    pub kdir: Option<PathBuf>,
    /// A kernel source tree to find the original's definition in.
    pub source: Option<PathBuf>,
}

/// Where BTF has no line information, what `klp new` says.
pub const NO_SOURCE: &str = "not known (BTF has no line information; the debug info of \
    vmlinux has it: `gdb -batch -ex 'info line FUNC' vmlinux`, or pass `--source` with the \
    kernel's source tree to `klp new`)";

/// Writes the patch directory; `root` is `/` (or a test tree) for the
/// default `/sys/kernel/btf` paths.
pub fn new(root: &Path, o: &NewOptions, out: &mut dyn Write) -> Result<()> {
    let func = &o.function;
    let name = o
        .name
        .clone()
        .unwrap_or_else(|| scaffold::default_name(func));
    scaffold::check_name(&name).map_err(NewError::BadName)?;
    // Where each BTF comes from: the option, else the tree given with
    // --kdir (the patch is built against it), else the running kernel.
    // Messages and the generated comment name the running kernel's files as
    // on the machine (`/sys/kernel/btf/...`), not under the test root.
    let tree = o.kdir.as_ref().map(Tree::new);
    let sys_btf = |file: &str| {
        (
            root.join("sys/kernel/btf").join(file),
            format!("/sys/kernel/btf/{file}"),
        )
    };
    let given = |p: &PathBuf| (p.clone(), p.display().to_string());
    let (vmlinux_path, vmlinux_shown) = match (&o.vmlinux_btf, &tree) {
        (Some(p), _) => given(p),
        (None, Some(t)) if t.vmlinux().is_file() => given(&t.vmlinux()),
        _ => sys_btf("vmlinux"),
    };
    let (btf, where_) = match &o.object {
        None => {
            let (path, shown) = match &o.btf {
                Some(p) => given(p),
                None => (vmlinux_path, vmlinux_shown),
            };
            (read_btf(&path, None)?, shown)
        }
        Some(module) => {
            let in_tree = tree.as_ref().and_then(|t| t.module_ko(module));
            let (path, shown) = match (&o.btf, &in_tree) {
                (Some(p), _) | (None, Some(p)) => given(p),
                (None, None) => sys_btf(module),
            };
            if !path.exists() && o.btf.is_none() {
                return Err(NewError::NoModuleBtf {
                    module: module.clone(),
                    path,
                }
                .into());
            }
            let base = Arc::new(read_btf(&vmlinux_path, None)?);
            (read_btf(&path, Some(base))?, shown)
        }
    };
    let found = lookup(&btf, func).map_err(|reason| NewError::Lookup {
        btf: where_.clone(),
        reason,
    })?;
    let sig = match found {
        Lookup::Found(sig) => sig,
        Lookup::Absent => {
            return Err(NewError::Absent {
                func: func.clone(),
                btf: where_,
                in_vmlinux: o.object.is_none(),
            }
            .into())
        }
        Lookup::Ambiguous(sigs) => {
            return Err(NewError::Ambiguous {
                func: func.clone(),
                btf: where_,
                prototypes: sigs.iter().map(|s| s.prototype()).collect(),
            }
            .into())
        }
    };
    if sig.variadic {
        return Err(NewError::Variadic {
            func: func.clone(),
            prototype: sig.prototype(),
        }
        .into());
    }
    let bindings = match &o.kdir {
        Some(kdir) => {
            let path = kdir.join("rust/bindings/bindings_generated.rs");
            let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            Bindings::parse(&text)
        }
        None => Bindings::Unknown,
    };
    let source = match &o.source {
        Some(tree) => describe_definitions(tree, &find_definitions(tree, func)),
        None => NO_SOURCE.replace("FUNC", func),
    };
    let text = scaffold::patch_source(&NewPatch {
        name: &name,
        object: o.object.as_deref(),
        sig: &sig,
        btf_source: &where_,
        source: &source,
        bindings: &bindings,
    });

    let dir = o.dir.clone().unwrap_or_else(|| PathBuf::from(&name));
    let kbuild_path = dir.join("Kbuild");
    let rs_path = dir.join(format!("{name}.rs"));
    for p in [&kbuild_path, &rs_path] {
        if p.exists() {
            return Err(NewError::Exists { path: p.clone() }.into());
        }
    }
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    std::fs::write(&kbuild_path, scaffold::kbuild(&name))
        .map_err(|e| Error::io(&kbuild_path, e))?;
    std::fs::write(&rs_path, text).map_err(|e| Error::io(&rs_path, e))?;
    say!(out, "{}", sig.prototype());
    say!(out, "wrote {}", kbuild_path.display());
    say!(out, "wrote {}", rs_path.display());
    say!(
        out,
        "next: write the fix in {} (it does not build until you do), then: klp build {}",
        rs_path.display(),
        dir.display()
    );
    Ok(())
}

/// Reads raw BTF or an ELF file's `.BTF`.
fn read_btf(path: &Path, base: Option<Arc<Btf>>) -> Result<Btf> {
    let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let fail = |source: BtfError| NewError::Btf {
        path: path.to_path_buf(),
        source,
    };
    Ok(Btf::from_bytes(data, base).map_err(fail)?)
}

/// At most this many definitions are listed.
const MAX_DEFINITIONS: usize = 5;

/// Lines of `tree`'s `.c` files that look like the definition of `func`: a
/// line at column 0 (kernel style) naming `func(`, not a declaration (`;`)
/// nor a macro. A heuristic: the comment says so.
pub fn find_definitions(tree: &Path, func: &str) -> Vec<(PathBuf, usize)> {
    let mut found = Vec::new();
    let mut stack = vec![tree.to_path_buf()];
    let needle = format!("{func}(");
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries.into_iter().rev() {
            let path = e.path();
            let Ok(kind) = e.file_type() else { continue };
            if kind.is_dir() {
                if !e.file_name().to_string_lossy().starts_with('.') {
                    stack.push(path);
                }
                continue;
            }
            if path.extension().is_none_or(|x| x != "c") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            if !text.contains(&needle) {
                continue;
            }
            for (i, line) in text.lines().enumerate() {
                if is_definition(line, &needle) {
                    let rel = path.strip_prefix(tree).unwrap_or(&path).to_path_buf();
                    found.push((rel, i + 1));
                }
            }
        }
    }
    found.sort();
    found
}

fn is_definition(line: &str, needle: &str) -> bool {
    let Some(at) = line.find(needle) else {
        return false;
    };
    let before = &line[..at];
    let starts_code = line.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    let word_start = !before.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
    let trimmed = line.trim_end();
    starts_code
        && word_start
        && !before.contains(['=', '(', '"'])
        && !trimmed.ends_with(';')
        && !before.starts_with("return")
}

fn describe_definitions(tree: &Path, found: &[(PathBuf, usize)]) -> String {
    match found.len() {
        0 => format!(
            "no definition found in {} (searched the .c files)",
            tree.display()
        ),
        n => {
            let mut list: Vec<String> = found
                .iter()
                .take(MAX_DEFINITIONS)
                .map(|(p, l)| format!("{}:{l}", p.display()))
                .collect();
            if n > MAX_DEFINITIONS {
                list.push(format!("and {} more", n - MAX_DEFINITIONS));
            }
            format!(
                "{} (found by searching the source: check it)",
                list.join(", ")
            )
        }
    }
}

#[cfg(test)]
mod tests;
