//! `klp disable NAME`, `klp unload NAME`.

use super::{say, Ctx};
use crate::error::{Error, Result};
use crate::livepatch::{self, Patch};
use crate::sys::write_attr;
use crate::transition::Transition;
use crate::wait::{wait, WaitError, WaitOptions};
use std::io::Write;
use std::time::{Duration, Instant};

/// Disables patch `name` and waits until every task runs the original
/// functions again. The module stays loaded.
pub fn disable(ctx: &Ctx, name: &str, out: &mut dyn Write) -> Result<()> {
    ctx.require_root("klp disable")?;
    let patch = livepatch::require(&ctx.sys, name)?;
    disable_and_wait(ctx, &patch)?;
    say!(out, "{name}: disabled (original functions restored); its module is still loaded (klp unload {name} removes it)");
    Ok(())
}

/// Disables patch `name` (if it still is enabled), waits, and removes its
/// module. A livepatch module already disabled is just removed.
pub fn unload(ctx: &Ctx, name: &str, out: &mut dyn Write) -> Result<()> {
    ctx.require_root("klp unload")?;
    ctx.sys.require_livepatch()?;
    match livepatch::read(&ctx.sys, name) {
        Some(patch) => {
            disable_and_wait(ctx, &patch)?;
            say!(out, "{name}: disabled (original functions restored)");
        }
        None if ctx.sys.module_loaded(name) && ctx.sys.module_is_livepatch(name) => {}
        None => {
            return Err(Error::UnknownPatch {
                name: name.into(),
                loaded: livepatch::names(&ctx.sys),
            })
        }
    }
    remove_module(ctx, name)?;
    say!(out, "{name}: module removed");
    Ok(())
}

/// Starts disabling `patch` (unless it is being disabled already) and waits
/// for the transition.
fn disable_and_wait(ctx: &Ctx, patch: &Patch) -> Result<()> {
    let name = &patch.name;
    if patch.enabled {
        // During a transition to patched this reverses it.
        let path = ctx.sys.patch_dir(name).join("enabled");
        write_attr(&path, "0").map_err(|source| Error::DisableRefused {
            name: name.clone(),
            path,
            source,
        })?;
    }
    wait(&ctx.sys, name, Transition::Unpatched, ctx.wait).map_err(|e| match e {
        WaitError::Stalled(stall) => Error::DisableTimeout { stall },
        other => Error::Undone(other),
    })
}

/// `delete_module`, retried while the module is still busy: the core drops
/// its reference to the module only after freeing the patch.
fn remove_module(ctx: &Ctx, name: &str) -> Result<()> {
    let opts: WaitOptions = ctx.wait;
    let start = Instant::now();
    loop {
        match ctx.kernel.delete_module(name) {
            Ok(()) => return Ok(()),
            Err(e) if is_busy(&e) && start.elapsed() < opts.timeout.max(Duration::from_secs(1)) => {
                std::thread::sleep(opts.poll);
            }
            Err(source) => {
                return Err(Error::RemoveFailed {
                    name: name.to_string(),
                    source,
                })
            }
        }
    }
}

fn is_busy(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EAGAIN | libc::EBUSY))
}

#[cfg(test)]
mod tests;
