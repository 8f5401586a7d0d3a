//! `klp force NAME`: complete a stalled transition without checking the
//! tasks' stacks.

use super::{say, Ctx};
use crate::error::{Error, Result};
use crate::livepatch::{self, Patch};
use crate::sys::write_attr;
use crate::transition::Transition;
use crate::wait::wait;
use std::io::Write;

/// Forces the transition of `name` to complete, after printing the warning
/// to `warn` and getting `confirm()`.
pub fn force(
    ctx: &Ctx,
    name: &str,
    confirm: impl FnOnce() -> bool,
    out: &mut dyn Write,
    warn: &mut dyn Write,
) -> Result<()> {
    ctx.require_root("klp force")?;
    let patch = livepatch::require(&ctx.sys, name)?;
    let Some(target) = patch.target() else {
        return Err(Error::NotInTransition {
            name: name.to_string(),
            enabled: patch.enabled,
        });
    };
    let stuck = forced_modules(ctx, &patch, target);
    say!(
        warn,
        "WARNING: forcing marks every task as switched without checking its stack: a task still \
         running an old function may misbehave. {}. Use it only if the patch's author says the \
         patch is safe to force.",
        stuck.warning()
    );
    if !confirm() {
        return Err(Error::NotConfirmed);
    }
    let path = ctx.sys.patch_dir(name).join("force");
    write_attr(&path, "1").map_err(|source| Error::ForceRefused { path, source })?;
    wait(&ctx.sys, name, target, ctx.wait).map_err(|source| Error::ForcedUnfinished {
        name: name.to_string(),
        source,
    })?;
    say!(
        out,
        "{name}: transition forced to completion; {}",
        stuck.outcome()
    );
    Ok(())
}

/// The modules a forced transition pins until reboot: the core keeps its
/// reference to the module of every patch that a forced transition removes
/// (`klp_force_transition()` sets `forced`; `klp_free_patch_finish()` then
/// skips `module_put()`), as tasks may still run that patch's code.
enum Pinned {
    /// Forcing a transition to unpatched: this patch's module.
    Own(String),
    /// Forcing an atomic replace: the modules of the patches it replaces.
    Replaced(Vec<String>),
    /// Forcing a plain patch in: no module is pinned.
    Nothing,
    /// The kernel has no `replace` attribute (before 6.11): the modules of
    /// the other patches, if this one replaces them (and on kernels before
    /// 5.1, whose one `klp_forced` flag pins every module disabled after).
    MaybeReplaced(Vec<String>),
}

fn forced_modules(ctx: &Ctx, patch: &Patch, target: Transition) -> Pinned {
    if target == Transition::Unpatched {
        return Pinned::Own(patch.name.clone());
    }
    let others = || {
        livepatch::names(&ctx.sys)
            .into_iter()
            .filter(|n| *n != patch.name)
            .collect::<Vec<_>>()
    };
    match patch.replace {
        Some(false) => Pinned::Nothing,
        Some(true) => Pinned::Replaced(others()),
        None => Pinned::MaybeReplaced(others()),
    }
}

impl Pinned {
    /// The consequence, for the warning before forcing.
    fn warning(&self) -> String {
        match self {
            Pinned::Own(name) => format!("The module of {name} can then NEVER be removed (until reboot)"),
            Pinned::Replaced(v) if v.is_empty() => "It replaces no other patch: no module is pinned".into(),
            Pinned::Replaced(v) => format!(
                "The modules of the patches it replaces ({}) can then NEVER be removed (until reboot)",
                v.join(", ")
            ),
            Pinned::MaybeReplaced(v) if !v.is_empty() => format!(
                "If it is an atomic replace, the modules of the patches it replaces ({}) can then \
                 NEVER be removed (until reboot)",
                v.join(", ")
            ),
            // Before 5.1 one global flag kept every module disabled after a
            // forced transition.
            Pinned::MaybeReplaced(_) => "Its module stays removable once the patch is disabled (on \
                 Linux 5.1 and later; before, no patch module disabled after a force can be removed)"
                .into(),
            Pinned::Nothing => "Its module stays removable once the patch is disabled".into(),
        }
    }

    /// The consequence, once forced.
    fn outcome(&self) -> String {
        match self {
            Pinned::Own(_) => "its module can never be removed (until reboot)".into(),
            Pinned::Replaced(v) if !v.is_empty() => format!(
                "the modules of the patches it replaced ({}) can never be removed (until reboot)",
                v.join(", ")
            ),
            Pinned::MaybeReplaced(v) if !v.is_empty() => format!(
                "if it replaced other patches, their modules ({}) can never be removed (until reboot)",
                v.join(", ")
            ),
            _ => "no module is pinned".into(),
        }
    }
}

#[cfg(test)]
mod tests;
