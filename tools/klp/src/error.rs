//! Errors and the exit codes they map to.

use std::path::PathBuf;

/// The exit codes of `klp`, with what they mean (also printed by `--help`).
pub const EXIT_CODES: &[(i32, &str)] = &[
    (0, "success"),
    (1, "the action failed (the kernel refused it, an I/O error, a wrong state); the message says what was done"),
    (2, "usage error (unknown command or option)"),
    (3, "not run as root (load, disable, unload, force)"),
    (4, "no livepatch support: /sys/kernel/livepatch is absent"),
    (5, "unknown patch name"),
    (6, "module refused before loading: not a livepatch, wrong vermagic, unreadable"),
    (7, "a transition did not finish within --timeout; the patch is left as reported"),
    (8, "load --all: some modules failed to load (the others were loaded)"),
];

/// The `--help` paragraph listing [`EXIT_CODES`].
pub fn exit_codes_help() -> String {
    let mut s = String::from("Exit codes:\n");
    for (code, what) in EXIT_CODES {
        s.push_str(&format!("  {code}  {what}\n"));
    }
    s
}

/// Every way a `klp` command fails. The message of each variant is what the
/// operator reads: it says what was done and what was not.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{action} needs root (CAP_SYS_MODULE and write access to sysfs); nothing was done")]
    NotRoot { action: &'static str },

    #[error("this kernel has no livepatch support: {} does not exist (CONFIG_LIVEPATCH)", path.display())]
    NoLivepatchSupport { path: PathBuf },

    #[error("no livepatch named '{name}' is loaded{}", loaded_hint(loaded))]
    UnknownPatch { name: String, loaded: Vec<String> },

    #[error("refusing {}: {reason}; nothing was loaded", file.display())]
    Refused { file: PathBuf, reason: String },

    #[error("{0}")]
    Timeout(String),

    #[error("{0}")]
    Failed(String),

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{failed} of {total} modules failed to load (see above)")]
    Partial { failed: usize, total: usize },
}

fn loaded_hint(loaded: &[String]) -> String {
    if loaded.is_empty() {
        " (none is loaded)".into()
    } else {
        format!(" (loaded: {})", loaded.join(", "))
    }
}

impl Error {
    /// The process exit code for this error (see [`EXIT_CODES`]).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Failed(_) | Error::Io { .. } => 1,
            Error::NotRoot { .. } => 3,
            Error::NoLivepatchSupport { .. } => 4,
            Error::UnknownPatch { .. } => 5,
            Error::Refused { .. } => 6,
            Error::Timeout(_) => 7,
            Error::Partial { .. } => 8,
        }
    }

    /// An [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_a_documented_code() {
        let errors = [
            Error::Failed(String::new()),
            Error::NotRoot { action: "x" },
            Error::NoLivepatchSupport { path: "/x".into() },
            Error::UnknownPatch {
                name: "x".into(),
                loaded: vec![],
            },
            Error::Refused {
                file: "x".into(),
                reason: "x".into(),
            },
            Error::Timeout(String::new()),
            Error::Partial {
                failed: 1,
                total: 2,
            },
        ];
        for e in errors {
            assert!(EXIT_CODES.iter().any(|(c, _)| *c == e.exit_code()), "{e:?}");
        }
    }

    #[test]
    fn unknown_patch_names_the_loaded_ones() {
        let e = Error::UnknownPatch {
            name: "a".into(),
            loaded: vec!["b".into(), "c".into()],
        };
        assert_eq!(
            e.to_string(),
            "no livepatch named 'a' is loaded (loaded: b, c)"
        );
        let e = Error::UnknownPatch {
            name: "a".into(),
            loaded: vec![],
        };
        assert_eq!(
            e.to_string(),
            "no livepatch named 'a' is loaded (none is loaded)"
        );
    }

    #[test]
    fn help_lists_every_code() {
        let help = exit_codes_help();
        for (code, what) in EXIT_CODES {
            assert!(help.contains(&format!("  {code}  {what}")));
        }
    }
}
