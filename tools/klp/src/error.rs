//! Errors and the exit codes they map to.

use crate::sys::describe_errno;
use crate::wait::{Stall, WaitError};
use std::io;
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

/// Why `klp new` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum NewError {
    #[error("{0}; nothing was written")]
    BadName(String),

    #[error(
        "no BTF for module {module}: {} does not exist (the kernel shows a module's BTF while \
         it is loaded: load it, pass --btf with its .ko, or --kdir a tree that built it); \
         nothing was written",
        path.display()
    )]
    NoModuleBtf { module: String, path: PathBuf },

    #[error("{}: {source}; nothing was written", path.display())]
    Btf {
        path: PathBuf,
        source: crate::btf::BtfError,
    },

    #[error("{btf}: {reason}; nothing was written")]
    Lookup { btf: String, reason: String },

    #[error(
        "{func} is not in {btf}: the compiler may have inlined it or changed its ABI (.isra, \
         .constprop, dropped arguments), or pahole left it out, so its signature is not known; \
         {}nothing was written",
        if *in_vmlinux { "if it is in a module, pass --object MODULE; " } else { "" }
    )]
    Absent {
        func: String,
        btf: String,
        in_vmlinux: bool,
    },

    #[error(
        "{} functions named {func} in {btf} have different prototypes ({}): klp new cannot tell \
         which one you mean; nothing was written",
        prototypes.len(),
        prototypes.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
    )]
    Ambiguous {
        func: String,
        btf: String,
        prototypes: Vec<String>,
    },

    #[error(
        "{func} is variadic (`{prototype}`): a Rust replacement cannot receive its variable \
         arguments; nothing was written"
    )]
    Variadic { func: String, prototype: String },

    #[error(
        "{} already exists: nothing was written (choose another directory or --name)",
        path.display()
    )]
    Exists { path: PathBuf },
}

/// Why `klp build` did not produce checked modules.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{}: {reason}; nothing was built", dir.display())]
    NoDir { dir: PathBuf, reason: String },

    #[error(
        "{} has no Kbuild: a patch directory has a Kbuild (obj-m += NAME.o, and the include \
         of rust/livepatch/Kbuild.livepatch) and NAME.rs; klp new FUNCTION writes both; \
         nothing was built",
        dir.display()
    )]
    NoKbuild { dir: PathBuf },

    #[error(
        "RUST_LIVEPATCH={} is not a rust-livepatch checkout (no scripts/build.sh and \
         rust/livepatch/Kbuild.livepatch); nothing was built",
        dir.display()
    )]
    NotACheckout { dir: PathBuf },

    #[error(
        "klp build needs the rust-livepatch checkout (its scripts/build.sh builds the patch); \
         none found{}: set RUST_LIVEPATCH=/path/to/rust-livepatch; nothing was built",
        if tried.is_empty() { String::new() } else {
            format!(" (tried {})", tried.iter().map(|t| t.display().to_string())
                .collect::<Vec<_>>().join(", "))
        }
    )]
    NoCheckout { tried: Vec<PathBuf> },

    #[error("cannot run {}: {reason}; nothing was built", script.display())]
    Run { script: PathBuf, reason: String },

    #[error(
        "the build of {} failed ({status}; its output is above); nothing was checked or signed",
        dir.display()
    )]
    Failed { dir: PathBuf, status: String },

    #[error("the build's report is unreadable ({reason}); nothing was checked or signed")]
    Report { reason: String },

    #[error(
        "{}'s Kbuild builds no module (obj-m += NAME.o); nothing was checked or signed",
        dir.display()
    )]
    NoModules { dir: PathBuf },

    #[error("{}", signature_refusals(refused))]
    Signatures {
        refused: Vec<(PathBuf, Vec<String>)>,
    },

    #[error("cannot sign {}: {reason}", file.display())]
    Sign { file: PathBuf, reason: String },
}

fn signature_refusals(refused: &[(PathBuf, Vec<String>)]) -> String {
    let mut s = String::new();
    for (file, problems) in refused {
        s += &format!(
            "refusing {} (removed): its replacements' signatures do not match the kernel's BTF:\n",
            file.display()
        );
        for p in problems {
            s += &format!("  {p}\n");
        }
    }
    s + "declare each replacement with its target's exact C signature (klp new FUNCTION writes \
         it from BTF); nothing was signed"
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

    /// `klp new`.
    #[error(transparent)]
    New(#[from] NewError),

    /// `klp build`.
    #[error(transparent)]
    Build(#[from] BuildError),

    /// `klp post-link`: files it refused to convert, and why (each is left
    /// unchanged).
    #[error("{}", post_link_refusals(refused))]
    PostLinkRefused { refused: Vec<(PathBuf, String)> },

    /// `klp load`: a module of that name is loaded already.
    #[error("a module named {name} is already loaded; nothing was done (klp unload {name} first to replace it)")]
    AlreadyLoaded { name: String },

    /// `klp load`: `finit_module` failed; `log` is what the kernel logged
    /// meanwhile (the last [`MAX_LOG_LINES`] are shown).
    #[error(
        "the kernel refused to load {}: {}; nothing was loaded{}",
        file.display(),
        describe_errno(source),
        quote_log(log)
    )]
    LoadRefused {
        file: PathBuf,
        source: io::Error,
        log: Vec<String>,
    },

    /// `klp load`: loaded, but its transition to patched is still running.
    #[error("{} is loaded but not fully applied: {stall}", stall.name)]
    LoadTimeout { stall: Box<Stall> },

    /// `klp load`: loaded, but its transition was undone.
    #[error("{name} was loaded but {source}")]
    LoadUndone { name: String, source: WaitError },

    /// `klp disable`/`unload`: the write of 0 to `enabled` failed.
    #[error(
        "cannot disable {name}: writing 0 to {} failed: {}{}; {name} is still enabled",
        path.display(),
        describe_errno(source),
        busy_hint(source)
    )]
    DisableRefused {
        name: String,
        path: PathBuf,
        source: io::Error,
    },

    /// `klp disable`/`unload`: disabled, but its transition to unpatched is
    /// still running.
    #[error("{} is being disabled but not yet: {stall}", stall.name)]
    DisableTimeout { stall: Box<Stall> },

    /// A transition went another way than the one waited for.
    #[error(transparent)]
    Undone(WaitError),

    /// `klp unload`: the patch is disabled, `delete_module` failed.
    #[error(
        "{name} is disabled but its module could not be removed: {}. If its transition was \
         forced it can never be removed; otherwise retry: klp unload {name}",
        describe_errno(source)
    )]
    RemoveFailed { name: String, source: io::Error },

    /// `klp force` on a patch not in transition.
    #[error(
        "{name} is not in transition (enabled={}): force only completes a transition in \
         progress; nothing was done",
        *enabled as u8
    )]
    NotInTransition { name: String, enabled: bool },

    /// `klp force` without a confirmation.
    #[error("not confirmed (use --yes); nothing was done")]
    NotConfirmed,

    /// `klp force`: the write of 1 to `force` failed.
    #[error(
        "writing 1 to {} failed: {}; nothing was done",
        path.display(),
        describe_errno(source)
    )]
    ForceRefused { path: PathBuf, source: io::Error },

    /// `klp force`: forced, but the transition still did not finish.
    #[error("{name} was forced, but: {source}")]
    ForcedUnfinished { name: String, source: WaitError },

    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },

    #[error("JSON output: {0}")]
    Json(#[from] serde_json::Error),

    #[error("{failed} of {total} modules failed to load (see above)")]
    Partial { failed: usize, total: usize },
}

fn post_link_refusals(refused: &[(PathBuf, String)]) -> String {
    refused
        .iter()
        .map(|(file, why)| {
            format!(
                "refusing to convert {} (left unchanged):\n  {}",
                file.display(),
                why.replace('\n', "\n  ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn loaded_hint(loaded: &[String]) -> String {
    if loaded.is_empty() {
        " (none is loaded)".into()
    } else {
        format!(" (loaded: {})", loaded.join(", "))
    }
}

/// At most this many kernel log lines are quoted when a load fails.
const MAX_LOG_LINES: usize = 20;

/// The last kernel log lines after a refused load, each on its own line.
fn quote_log(lines: &[String]) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let start = lines.len().saturating_sub(MAX_LOG_LINES);
    let mut s = String::from("\nkernel log:");
    for l in &lines[start..] {
        s.push_str("\n  ");
        s.push_str(l);
    }
    s
}

/// What `EBUSY` on `enabled` means: the core allows one transition at a time.
fn busy_hint(e: &io::Error) -> &'static str {
    if e.raw_os_error() == Some(libc::EBUSY) {
        " (another patch is in transition: see klp status)"
    } else {
        ""
    }
}

impl Error {
    /// The process exit code for this error (see [`EXIT_CODES`]).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::AlreadyLoaded { .. }
            | Error::LoadRefused { .. }
            | Error::LoadUndone { .. }
            | Error::DisableRefused { .. }
            | Error::Undone(_)
            | Error::RemoveFailed { .. }
            | Error::NotInTransition { .. }
            | Error::NotConfirmed
            | Error::ForceRefused { .. }
            | Error::ForcedUnfinished { .. }
            | Error::Io { .. }
            | Error::New(_)
            | Error::Build(_)
            | Error::PostLinkRefused { .. }
            | Error::Json(_) => 1,
            Error::NotRoot { .. } => 3,
            Error::NoLivepatchSupport { .. } => 4,
            Error::UnknownPatch { .. } => 5,
            Error::Refused { .. } => 6,
            Error::LoadTimeout { .. } | Error::DisableTimeout { .. } => 7,
            Error::Partial { .. } => 8,
        }
    }

    /// An [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
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
    use crate::transition::Transition;

    fn errno(code: i32) -> io::Error {
        io::Error::from_raw_os_error(code)
    }

    fn stall() -> Box<Stall> {
        Box::new(Stall {
            name: "lp".into(),
            target: Transition::Patched,
            waited: std::time::Duration::from_secs(3),
            patch: None,
            blocking: vec![],
        })
    }

    fn undone() -> WaitError {
        WaitError::Disappeared { name: "lp".into() }
    }

    /// One of each variant, with the exit code it must have.
    fn every_variant() -> Vec<(Error, i32)> {
        let json = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        vec![
            (Error::NotRoot { action: "x" }, 3),
            (Error::NoLivepatchSupport { path: "/x".into() }, 4),
            (
                Error::UnknownPatch {
                    name: "x".into(),
                    loaded: vec![],
                },
                5,
            ),
            (
                Error::Refused {
                    file: "x".into(),
                    reason: "x".into(),
                },
                6,
            ),
            (Error::AlreadyLoaded { name: "lp".into() }, 1),
            (
                Error::LoadRefused {
                    file: "lp.ko".into(),
                    source: errno(libc::EINVAL),
                    log: vec![],
                },
                1,
            ),
            (Error::LoadTimeout { stall: stall() }, 7),
            (
                Error::LoadUndone {
                    name: "lp".into(),
                    source: undone(),
                },
                1,
            ),
            (
                Error::DisableRefused {
                    name: "lp".into(),
                    path: "enabled".into(),
                    source: errno(libc::EPERM),
                },
                1,
            ),
            (Error::DisableTimeout { stall: stall() }, 7),
            (Error::Undone(undone()), 1),
            (
                Error::RemoveFailed {
                    name: "lp".into(),
                    source: errno(libc::EBUSY),
                },
                1,
            ),
            (
                Error::NotInTransition {
                    name: "lp".into(),
                    enabled: true,
                },
                1,
            ),
            (Error::NotConfirmed, 1),
            (
                Error::ForceRefused {
                    path: "force".into(),
                    source: errno(libc::EINVAL),
                },
                1,
            ),
            (
                Error::ForcedUnfinished {
                    name: "lp".into(),
                    source: WaitError::Stalled(stall()),
                },
                1,
            ),
            (Error::io("/x", errno(libc::ENOENT)), 1),
            (Error::Json(json), 1),
            (
                Error::Partial {
                    failed: 1,
                    total: 2,
                },
                8,
            ),
        ]
    }

    #[test]
    fn every_variant_has_its_documented_code() {
        for (e, code) in every_variant() {
            assert_eq!(e.exit_code(), code, "{e:?}");
            assert!(EXIT_CODES.iter().any(|(c, _)| *c == code), "{e:?}");
        }
    }

    #[test]
    fn refused_writes_name_the_errno() {
        let e = Error::DisableRefused {
            name: "lp".into(),
            path: "/sys/kernel/livepatch/lp/enabled".into(),
            source: errno(libc::EBUSY),
        };
        assert_eq!(
            e.to_string(),
            "cannot disable lp: writing 0 to /sys/kernel/livepatch/lp/enabled failed: Device or \
             resource busy (EBUSY) (another patch is in transition: see klp status); lp is still \
             enabled"
        );
        let e = Error::DisableRefused {
            name: "lp".into(),
            path: "/sys/kernel/livepatch/lp/enabled".into(),
            source: errno(libc::EPERM),
        };
        assert_eq!(
            e.to_string(),
            "cannot disable lp: writing 0 to /sys/kernel/livepatch/lp/enabled failed: Operation \
             not permitted (EPERM); lp is still enabled"
        );
        let e = Error::ForceRefused {
            path: "/sys/kernel/livepatch/lp/force".into(),
            source: errno(libc::EINVAL),
        };
        assert_eq!(
            e.to_string(),
            "writing 1 to /sys/kernel/livepatch/lp/force failed: Invalid argument (EINVAL); \
             nothing was done"
        );
    }

    #[test]
    fn a_refused_load_quotes_the_kernel_log() {
        let e = Error::LoadRefused {
            file: "/m/lp.ko".into(),
            source: errno(libc::ENOENT),
            log: vec!["livepatch: a".into(), "livepatch: b".into()],
        };
        assert_eq!(
            e.to_string(),
            "the kernel refused to load /m/lp.ko: No such file or directory (ENOENT); nothing was \
             loaded\nkernel log:\n  livepatch: a\n  livepatch: b"
        );
        let e = Error::LoadRefused {
            file: "/m/lp.ko".into(),
            source: errno(libc::ENOENT),
            log: (1..=25).map(|i| format!("line {i}")).collect(),
        };
        let text = e.to_string();
        let quoted: Vec<_> = text.lines().skip_while(|l| *l != "kernel log:").collect();
        assert_eq!(quoted.len(), 1 + MAX_LOG_LINES, "{text}");
        assert_eq!(quoted[1], "  line 6");
        assert_eq!(quoted[MAX_LOG_LINES], "  line 25");
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
