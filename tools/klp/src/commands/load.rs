//! `klp load FILE.ko [param=value...]` and `klp load --all DIR`.

use super::{say, Ctx};
use crate::error::{Error, Result};
use crate::fit::{livepatch_check, vermagic_check};
use crate::kmsg::KmsgCursor;
use crate::kofile::KoFile;
use crate::transition::Transition;
use crate::wait::{wait, WaitError};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// What `load_file` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Loaded {
    /// Loaded, and its transition finished.
    Loaded(String),
    /// A module of that name was already loaded (only with `skip_loaded`).
    AlreadyLoaded(String),
}

/// Checks the module (a livepatch, built for this kernel), loads it with
/// `params` and waits for the transition. With `skip_loaded`, a module
/// already loaded under the same name is not an error.
pub fn load_file(
    ctx: &Ctx,
    path: &Path,
    params: &[String],
    skip_loaded: bool,
    out: &mut dyn Write,
) -> Result<Loaded> {
    ctx.require_root("klp load")?;
    ctx.sys.require_livepatch()?;
    let refused = |reason: String| Error::Refused {
        file: path.to_path_buf(),
        reason,
    };
    // One descriptor for both the checks and finit_module: what was checked
    // is what is loaded (the kernel reads the file from offset 0).
    let mut file = File::open(path).map_err(|e| refused(format!("cannot open it: {e}")))?;
    let mut data = Vec::new();
    file.read_to_end(&mut data)
        .map_err(|e| refused(format!("cannot read it: {e}")))?;
    let ko = KoFile::parse(path, &data).map_err(refused)?;
    for check in [livepatch_check(&ko), vermagic_check(&ctx.sys, &ko)] {
        if check.ok != Some(true) {
            return Err(refused(check.detail));
        }
    }
    crate::klpsyms::check_before_load(&ctx.sys, &data, out).map_err(refused)?;

    let name = ko.name();
    if ctx.sys.module_loaded(&name) || ctx.sys.patch_dir(&name).exists() {
        if skip_loaded {
            return Ok(Loaded::AlreadyLoaded(name));
        }
        return Err(Error::AlreadyLoaded { name });
    }
    crate::sigcheck::check_before_load(&ctx.sys, &data, out).map_err(refused)?;

    let mut log = KmsgCursor::at_end(&ctx.sys);
    if let Err(source) = ctx.kernel.load_module(&file, &params.join(" ")) {
        return Err(Error::LoadRefused {
            file: path.to_path_buf(),
            source,
            log: log.new_messages(),
        });
    }
    say!(
        out,
        "{name}: loaded from {}, transition to patched started",
        path.display()
    );
    wait(&ctx.sys, &name, Transition::Patched, ctx.wait).map_err(|e| match e {
        WaitError::Stalled(stall) => Error::LoadTimeout { stall },
        source => Error::LoadUndone {
            name: name.clone(),
            source,
        },
    })?;
    say!(out, "{name}: enabled, transition finished");
    Ok(Loaded::Loaded(name))
}

/// Loads every `*.ko` of `dir` in name order (name them `10-...`, `20-...`
/// to choose the stack order), skipping those already loaded. Goes on past
/// a module that fails; stops at a transition that does not finish (the
/// next patch would stack on a half-applied one).
pub fn load_all(ctx: &Ctx, dir: &Path, out: &mut dyn Write) -> Result<()> {
    ctx.require_root("klp load --all")?;
    ctx.sys.require_livepatch()?;
    let files = modules_in(dir)?;
    if files.is_empty() {
        say!(out, "no *.ko in {}: nothing to load", dir.display());
    }
    let mut failed = 0;
    for (i, file) in files.iter().enumerate() {
        match load_file(ctx, file, &[], true, out) {
            Ok(Loaded::Loaded(_)) => {}
            Ok(Loaded::AlreadyLoaded(name)) => {
                say!(out, "{name}: already loaded, skipped ({})", file.display());
            }
            Err(e @ Error::LoadTimeout { .. }) => {
                let rest: Vec<String> = files[i + 1..]
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect();
                if !rest.is_empty() {
                    say!(out, "not attempted after this timeout: {}", rest.join(", "));
                }
                return Err(e);
            }
            Err(e) => {
                failed += 1;
                say!(out, "error: {e}");
            }
        }
    }
    if failed > 0 {
        return Err(Error::Partial {
            failed,
            total: files.len(),
        });
    }
    Ok(())
}

fn modules_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ko") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests;
