//! The command line.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Operate Linux kernel livepatches: list, load, disable, unload, force,
/// inspect a module file, per-task state.
#[derive(Debug, Parser)]
#[command(name = "klp", version, after_help = crate::error::exit_codes_help())]
pub struct Cli {
    /// Read and write the kernel interfaces under this directory instead of
    /// / (tests; system calls still go to the running kernel).
    #[arg(long, global = true, hide = true, default_value = "/")]
    pub root: PathBuf,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Every loaded patch: enabled, transition, replace, stack_order, its
    /// objects (patched) and functions.
    List {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Load a livepatch module and wait for its transition; refuses a module
    /// that is not a livepatch or not built for the running kernel.
    Load(LoadArgs),
    /// Disable a patch (back to the original functions) and wait; the
    /// module stays loaded.
    Disable {
        name: String,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Disable a patch, wait, and remove its module.
    Unload {
        name: String,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Complete a stalled transition now, without checking the tasks'
    /// stacks. The modules of the patches it removes stay until reboot.
    Force {
        name: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// What a module file patches, read from the file, and whether it fits
    /// the running kernel.
    Info {
        file: PathBuf,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Write a patch directory (Kbuild and NAME.rs) for replacing FUNCTION,
    /// with its exact signature from the kernel's BTF.
    New(NewArgs),
    /// Build a patch directory (a Kbuild and its .rs files) against a kernel
    /// tree, check its replacements' signatures against the tree's BTF, sign
    /// the modules if asked; prints the .ko paths.
    Build(BuildArgs),
    /// After a livepatch module's final link: move the relocations against
    /// its external symbols (`.klp.sym.<object>.<name>,<sympos>`) into klp
    /// relocation sections the kernel applies; in place, refuses what the
    /// kernel could not apply. A file without such symbols is left as it is.
    PostLink {
        #[arg(required = true, value_name = "FILE.ko")]
        files: Vec<PathBuf>,
    },
    /// Per-task patch state summary and the transition in progress.
    Status {
        /// List every task with its state.
        #[arg(long)]
        all: bool,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["file", "all"]))]
pub struct LoadArgs {
    /// The module file (.ko).
    pub file: Option<PathBuf>,
    /// Module parameters, `param=value`.
    #[arg(requires = "file")]
    pub params: Vec<String>,
    /// Load every *.ko of DIR in name order (skipping loaded ones), e.g. at
    /// boot; goes on past a failed module.
    #[arg(long, value_name = "DIR", conflicts_with = "file")]
    pub all: Option<PathBuf>,
    #[command(flatten)]
    pub wait: WaitArgs,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The C function to replace.
    pub function: String,
    /// The directory to write (default: ./NAME).
    pub dir: Option<PathBuf>,
    /// The module FUNCTION is in (default: vmlinux).
    #[arg(long, value_name = "MODULE")]
    pub object: Option<String>,
    /// The module to generate (default: fix_FUNCTION).
    #[arg(long)]
    pub name: Option<String>,
    /// BTF to read FUNCTION's signature from: raw BTF or an ELF file with
    /// .BTF (default: /sys/kernel/btf/vmlinux, or /sys/kernel/btf/MODULE).
    #[arg(long, value_name = "PATH")]
    pub btf: Option<PathBuf>,
    /// vmlinux's BTF, the base of a module's (default:
    /// /sys/kernel/btf/vmlinux).
    #[arg(long, value_name = "PATH")]
    pub vmlinux_btf: Option<PathBuf>,
    /// A kernel build tree: its generated Rust bindings say which types
    /// kernel::bindings has (others become opaque pointers), and its BTF
    /// (vmlinux, MODULE's .ko) is read unless --btf/--vmlinux-btf say
    /// otherwise.
    #[arg(long, value_name = "DIR")]
    pub kdir: Option<PathBuf>,
    /// A kernel source tree to find FUNCTION's definition in (file:line).
    #[arg(long, value_name = "DIR")]
    pub source: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The patch directory (default: the current directory).
    pub dir: Option<PathBuf>,
    /// The kernel build tree (default: $KDIR, else the rust-livepatch
    /// checkout's test kernel).
    #[arg(long, value_name = "DIR")]
    pub kdir: Option<PathBuf>,
    /// A kernel the rust-livepatch checkout knows: test, debug, or a
    /// flavour of its scripts/lib/kernel-NAME.sh.
    #[arg(long, value_name = "NAME", conflicts_with = "kdir")]
    pub kernel: Option<String>,
    /// vmlinux's BTF, when the tree has no vmlinux: a vmlinux with .BTF, or
    /// raw BTF (a copy of /sys/kernel/btf/vmlinux).
    #[arg(long, value_name = "PATH")]
    pub vmlinux_btf: Option<PathBuf>,
    /// The BTF of a module the patch targets that the tree did not build:
    /// its .ko, or raw BTF (a copy of /sys/kernel/btf/NAME). Repeatable.
    #[arg(long = "btf-module", value_name = "NAME=PATH", value_parser = parse_btf_module)]
    pub btf_modules: Vec<(String, PathBuf)>,
    /// Sign the modules with KEY and CERT, using the tree's
    /// scripts/sign-file and its CONFIG_MODULE_SIG_HASH.
    #[arg(long, num_args = 2, value_names = ["KEY", "CERT"])]
    pub sign: Option<Vec<PathBuf>>,
    /// More make arguments, after `--` (e.g. V=1).
    #[arg(last = true, value_name = "MAKE_ARGS")]
    pub make_args: Vec<String>,
}

/// `NAME=PATH` of `--btf-module`.
fn parse_btf_module(s: &str) -> Result<(String, PathBuf), String> {
    match s.split_once('=') {
        Some((name, path)) if !name.is_empty() && !path.is_empty() => {
            Ok((name.to_string(), PathBuf::from(path)))
        }
        _ => Err(format!(
            "`{s}`: expected NAME=PATH (the module's name, its .ko or BTF file)"
        )),
    }
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Seconds to wait for the transition before reporting the tasks that
    /// block it.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub timeout: u64,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::RELEASE;
    use clap::CommandFactory;

    #[test]
    fn the_cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn load_takes_a_file_and_params_or_all() {
        let cli =
            Cli::try_parse_from(["klp", "load", "a.ko", "x=1", "y=2", "--timeout", "5"]).unwrap();
        let Command::Load(a) = cli.command else {
            panic!()
        };
        assert_eq!(a.file.unwrap(), PathBuf::from("a.ko"));
        assert_eq!(a.params, ["x=1", "y=2"]);
        assert_eq!(a.wait.timeout, 5);
        let cli = Cli::try_parse_from(["klp", "load", "--all", "/d"]).unwrap();
        let Command::Load(a) = cli.command else {
            panic!()
        };
        assert_eq!(a.all.unwrap(), PathBuf::from("/d"));
        assert!(Cli::try_parse_from(["klp", "load"]).is_err());
        assert!(Cli::try_parse_from(["klp", "load", "a.ko", "--all", "/d"]).is_err());
    }

    #[test]
    fn the_systemd_unit_runs_a_valid_command() {
        let unit = include_str!("../klp-load-all.service");
        let exec = unit
            .lines()
            .find_map(|l| l.strip_prefix("ExecStart="))
            .unwrap();
        let cli = Cli::try_parse_from(exec.split_whitespace().map(|w| w.replace("%v", RELEASE)))
            .unwrap_or_else(|e| panic!("{exec}: {e}"));
        let Command::Load(a) = cli.command else {
            panic!("{exec}: not a load")
        };
        assert_eq!(
            a.all.unwrap(),
            PathBuf::from(format!("/var/lib/klp/{RELEASE}"))
        );
        assert!(a.wait.no_progress);
    }

    #[test]
    fn new_takes_a_function_and_options() {
        let cli = Cli::try_parse_from([
            "klp", "new", "mod_fn", "dir", "--object", "m", "--btf", "m.ko",
        ])
        .unwrap();
        let Command::New(a) = cli.command else {
            panic!()
        };
        assert_eq!(a.function, "mod_fn");
        assert_eq!(a.dir.unwrap(), PathBuf::from("dir"));
        assert_eq!(a.object.as_deref(), Some("m"));
        assert_eq!(a.btf.unwrap(), PathBuf::from("m.ko"));
        assert!(Cli::try_parse_from(["klp", "new"]).is_err());
    }

    #[test]
    fn build_takes_a_dir_and_options() {
        let cli = Cli::try_parse_from([
            "klp",
            "build",
            "d",
            "--kdir",
            "/k",
            "--btf-module",
            "m=/m.ko",
            "--sign",
            "key.pem",
            "key.x509",
            "--",
            "V=1",
        ])
        .unwrap();
        let Command::Build(a) = cli.command else {
            panic!()
        };
        assert_eq!(a.dir.unwrap(), PathBuf::from("d"));
        assert_eq!(a.kdir.unwrap(), PathBuf::from("/k"));
        assert_eq!(a.btf_modules, [("m".to_string(), PathBuf::from("/m.ko"))]);
        assert_eq!(
            a.sign.unwrap(),
            [PathBuf::from("key.pem"), PathBuf::from("key.x509")]
        );
        assert_eq!(a.make_args, ["V=1"]);
        let cli = Cli::try_parse_from(["klp", "build"]).unwrap();
        let Command::Build(a) = cli.command else {
            panic!()
        };
        assert!(a.dir.is_none() && a.sign.is_none() && a.btf_modules.is_empty());
        for bad in [
            &["klp", "build", "--btf-module", "m"][..],
            &["klp", "build", "--sign", "key.pem"],
            &["klp", "build", "--kdir", "/k", "--kernel", "test"],
        ] {
            assert_eq!(
                Cli::try_parse_from(bad).unwrap_err().exit_code(),
                2,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn usage_errors_exit_2() {
        let e = Cli::try_parse_from(["klp", "frobnicate"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }
}
