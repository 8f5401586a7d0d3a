//! The two patch states, `KLP_TRANSITION_UNPATCHED` (0) and
//! `KLP_TRANSITION_PATCHED` (1) in `include/linux/livepatch.h`: where a
//! transition goes, and where each task is while one runs (its
//! `/proc/<pid>/task/<tid>/patch_state`; -1, idle, outside a transition).

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// A patch state: the target of a transition, or the state of a task during
/// one. Shown as `patched` / `unpatched`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transition {
    /// The original functions (disabling goes there; then the kernel frees
    /// the patch and removes its sysfs directory).
    Unpatched,
    /// The patch's functions (enabling goes there).
    Patched,
}

impl Transition {
    /// Where a patch in transition goes: its `enabled` attribute is already
    /// the target (1 while enabling, 0 while disabling).
    pub fn of_enabled(enabled: bool) -> Self {
        if enabled {
            Transition::Patched
        } else {
            Transition::Unpatched
        }
    }

    /// The other state: the one tasks leave during a transition to `self`.
    pub fn opposite(self) -> Self {
        match self {
            Transition::Patched => Transition::Unpatched,
            Transition::Unpatched => Transition::Patched,
        }
    }

    /// The `KLP_TRANSITION_*` value the kernel shows.
    pub fn value(self) -> i32 {
        match self {
            Transition::Unpatched => 0,
            Transition::Patched => 1,
        }
    }
}

impl fmt::Display for Transition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transition::Unpatched => "unpatched",
            Transition::Patched => "patched",
        })
    }
}

/// A value the kernel shows for a patch state is not 0 or 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a patch state: '{0}' (0 unpatched, 1 patched)")]
pub struct NotAState(pub String);

/// Parses the kernel's value: a task's `patch_state` during a transition,
/// or a patch's `enabled` while it is in transition (`0`, `1`, surrounding
/// whitespace allowed).
impl FromStr for Transition {
    type Err = NotAState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "0" => Ok(Transition::Unpatched),
            "1" => Ok(Transition::Patched),
            _ => Err(NotAState(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_values_and_names() {
        for t in [Transition::Unpatched, Transition::Patched] {
            assert_eq!(t.value().to_string().parse(), Ok(t));
            assert_eq!(t.opposite().opposite(), t);
            assert_ne!(t.opposite(), t);
        }
        assert_eq!("1\n".parse(), Ok(Transition::Patched));
        assert_eq!(Transition::Patched.to_string(), "patched");
        assert_eq!(Transition::Unpatched.to_string(), "unpatched");
        assert_eq!(
            serde_json::to_string(&Transition::Unpatched).unwrap(),
            "\"unpatched\""
        );
        assert!("-1".parse::<Transition>().is_err());
        assert!("patched".parse::<Transition>().is_err());
    }

    #[test]
    fn enabled_is_the_target() {
        assert_eq!(Transition::of_enabled(true), Transition::Patched);
        assert_eq!(Transition::of_enabled(false), Transition::Unpatched);
    }
}
