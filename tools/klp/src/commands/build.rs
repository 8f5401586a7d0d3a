//! `klp build [DIR]`: build a patch directory (a `Kbuild` and its `.rs`
//! files, anywhere on disk) against a kernel tree, check every module's
//! replacements against the tree's BTF, sign the modules if asked, and
//! print their paths.
//!
//! The build itself is the rust-livepatch checkout's `scripts/build.sh
//! --dir DIR`: the one place that resolves the kernel tree (the test kernel,
//! `KDIR`, or a `KERNEL` flavour) and its toolchain, builds the shared
//! crate and runs `klp post-link`. It tells which tree it used and which
//! modules it built through a report file (`KLP_BUILD_REPORT`).

use super::say;
use crate::error::{BuildError, Error, Result};
use crate::modsign;
use crate::sigcheck::{self, TreeBtf};
use crate::tree::Tree;
use std::collections::HashMap;
use std::io::Write;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What `klp build` was asked.
#[derive(Debug, Default, Clone)]
pub struct BuildOptions {
    /// The patch directory.
    pub dir: PathBuf,
    /// `--kdir`: the kernel build tree (else `KDIR` from the environment,
    /// else the checkout's default, the test kernel).
    pub kdir: Option<PathBuf>,
    /// `--kernel`: a kernel flavour of the checkout (`test`, `debug`, ...).
    pub kernel: Option<String>,
    /// `--vmlinux-btf`: vmlinux's BTF when the tree has no `vmlinux`.
    pub vmlinux_btf: Option<PathBuf>,
    /// `--btf-module NAME=PATH`: a target module's BTF the tree lacks.
    pub btf_modules: Vec<(String, PathBuf)>,
    /// `--sign KEY CERT`.
    pub sign: Option<(PathBuf, PathBuf)>,
    /// More `make` arguments (`V=1`).
    pub make_args: Vec<String>,
}

/// Where `klp build` finds the rust-livepatch checkout.
#[derive(Debug, Default, Clone)]
pub struct BuildEnv {
    /// `RUST_LIVEPATCH` from the environment.
    pub checkout: Option<PathBuf>,
    /// This program (`KLP_BIN` of the build, for post-link).
    pub exe: Option<PathBuf>,
    /// The checkout this klp was built from, if it still exists.
    pub built_from: Option<PathBuf>,
}

impl BuildEnv {
    /// The environment of this process.
    pub fn current() -> BuildEnv {
        BuildEnv {
            checkout: std::env::var_os("RUST_LIVEPATCH").map(PathBuf::from),
            exe: std::env::current_exe().ok(),
            built_from: Some(PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))),
        }
    }
}

/// Whether `dir` is a rust-livepatch checkout.
fn is_checkout(dir: &Path) -> bool {
    dir.join("scripts/build.sh").is_file() && dir.join("rust/livepatch/Kbuild.livepatch").is_file()
}

/// The checkout: `RUST_LIVEPATCH` if set (and it must be one), else the one
/// this klp lives in (`<checkout>/target/release/klp`), else the one it was
/// built from.
pub fn find_checkout(env: &BuildEnv) -> std::result::Result<PathBuf, BuildError> {
    if let Some(dir) = &env.checkout {
        return if is_checkout(dir) {
            Ok(dir.clone())
        } else {
            Err(BuildError::NotACheckout { dir: dir.clone() })
        };
    }
    let beside = env.exe.as_deref().and_then(|exe| {
        let profile = exe.parent()?;
        let target = profile.parent()?;
        (target.file_name()? == "target").then(|| target.parent())?
    });
    let mut tried = Vec::new();
    for dir in beside.into_iter().chain(env.built_from.as_deref()) {
        if is_checkout(dir) {
            return Ok(dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf()));
        }
        tried.push(dir.to_path_buf());
    }
    Err(BuildError::NoCheckout { tried })
}

/// What the build reported: the tree and the modules.
#[derive(Debug, PartialEq, Eq)]
pub struct Report {
    pub kdir: PathBuf,
    pub modules: Vec<PathBuf>,
}

/// Parses the `KLP_BUILD_REPORT` file (`kdir=PATH`, `ko=PATH` lines).
pub fn parse_report(text: &str) -> std::result::Result<Report, String> {
    let mut kdir = None;
    let mut modules = Vec::new();
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("kdir=") {
            kdir = Some(PathBuf::from(v));
        } else if let Some(v) = line.strip_prefix("ko=") {
            modules.push(PathBuf::from(v));
        } else if !line.is_empty() {
            return Err(format!("unexpected line `{line}`"));
        }
    }
    Ok(Report {
        kdir: kdir.ok_or("no kdir= line")?,
        modules,
    })
}

/// Builds, checks, signs; the module paths go to `out`, the build's output
/// and the checks to `log`.
pub fn build(
    o: &BuildOptions,
    env: &BuildEnv,
    out: &mut dyn Write,
    log: &mut dyn Write,
) -> Result<()> {
    let dir = o.dir.canonicalize().map_err(|e| BuildError::NoDir {
        dir: o.dir.clone(),
        reason: e.to_string(),
    })?;
    if !dir.join("Kbuild").is_file() && !dir.join("Makefile").is_file() {
        return Err(BuildError::NoKbuild { dir }.into());
    }
    let checkout = find_checkout(env)?;
    let report = run_build(&checkout, &dir, o, env)?;
    if report.modules.is_empty() {
        return Err(BuildError::NoModules { dir }.into());
    }

    let modules: HashMap<String, PathBuf> = o.btf_modules.iter().cloned().collect();
    let mut src = TreeBtf::new(Tree::new(&report.kdir), o.vmlinux_btf.clone(), modules);
    let mut refused = Vec::new();
    for ko in &report.modules {
        let data = std::fs::read(ko).map_err(|e| Error::io(ko, e))?;
        let checks = match sigcheck::records(&data) {
            Ok(r) => sigcheck::check(r.as_ref(), &mut src),
            Err(e) => vec![crate::fit::Check::new("signatures", Some(false), e)],
        };
        say!(log, "{}:", ko.display());
        for c in &checks {
            let mark = match c.ok {
                Some(true) => "ok  ",
                Some(false) => "FAIL",
                None => "?   ",
            };
            say!(log, "  {mark} {}: {}", c.what, c.detail);
        }
        let problems = sigcheck::problems(&checks);
        if !problems.is_empty() {
            // Not left where it could be loaded by mistake.
            std::fs::remove_file(ko).map_err(|e| Error::io(ko, e))?;
            refused.push((ko.clone(), problems));
        }
    }
    if !refused.is_empty() {
        return Err(BuildError::Signatures { refused }.into());
    }
    if let Some((key, cert)) = &o.sign {
        let tree = Tree::new(&report.kdir);
        for ko in &report.modules {
            sign(&tree, key, cert, ko)?;
            say!(log, "{}: signed with {}", ko.display(), key.display());
        }
    }
    for ko in &report.modules {
        say!(out, "{}", ko.display());
    }
    Ok(())
}

/// Runs `scripts/build.sh --dir DIR` of `checkout`, its output on this
/// process's stderr; returns its report.
fn run_build(
    checkout: &Path,
    dir: &Path,
    o: &BuildOptions,
    env: &BuildEnv,
) -> std::result::Result<Report, BuildError> {
    let report_path = dir.join(".klp-build.report");
    let _ = std::fs::remove_file(&report_path);
    let script = checkout.join("scripts/build.sh");
    let mut cmd = Command::new(&script);
    cmd.arg("--dir")
        .arg(dir)
        .args(&o.make_args)
        .env("KLP_BUILD_REPORT", &report_path);
    if let Some(exe) = &env.exe {
        cmd.env("KLP_BIN", exe);
    }
    if let Some(kdir) = &o.kdir {
        cmd.env(
            "KDIR",
            std::path::absolute(kdir).unwrap_or_else(|_| kdir.clone()),
        );
    }
    if let Some(kernel) = &o.kernel {
        cmd.env("KERNEL", kernel);
        if o.kdir.is_none() {
            cmd.env_remove("KDIR");
        }
    }
    // The build's own output is a log, not klp's result: stderr.
    if let Ok(err) = std::io::stderr().as_fd().try_clone_to_owned() {
        cmd.stdout(Stdio::from(err));
    }
    let status = cmd.status().map_err(|e| BuildError::Run {
        script: script.clone(),
        reason: e.to_string(),
    })?;
    if !status.success() {
        let _ = std::fs::remove_file(&report_path);
        return Err(BuildError::Failed {
            dir: dir.to_path_buf(),
            status: status
                .code()
                .map_or_else(|| "killed by a signal".into(), |c| format!("exit {c}")),
        });
    }
    let text = std::fs::read_to_string(&report_path).map_err(|e| BuildError::Report {
        reason: format!("{}: {e}", report_path.display()),
    })?;
    let _ = std::fs::remove_file(&report_path);
    parse_report(&text).map_err(|reason| BuildError::Report { reason })
}

/// Signs `ko` in place with the tree's `scripts/sign-file`, replacing a
/// signature it already has.
pub fn sign(tree: &Tree, key: &Path, cert: &Path, ko: &Path) -> Result<()> {
    let fail = |reason: String| BuildError::Sign {
        file: ko.to_path_buf(),
        reason,
    };
    let sign_file = tree.sign_file();
    if !sign_file.is_file() {
        return Err(fail(format!(
            "{} does not exist (the tree was built without CONFIG_MODULE_SIG?)",
            sign_file.display()
        ))
        .into());
    }
    for (what, path) in [("key", key), ("certificate", cert)] {
        if !path.is_file() {
            return Err(fail(format!("the {what} {} does not exist", path.display())).into());
        }
    }
    let data = std::fs::read(ko).map_err(|e| Error::io(ko, e))?;
    if let Some(len) = modsign::unsigned_len(&data).map_err(&fail)? {
        std::fs::write(ko, &data[..len]).map_err(|e| Error::io(ko, e))?;
    }
    let hash = tree
        .config("CONFIG_MODULE_SIG_HASH")
        .unwrap_or_else(|| "sha256".into());
    let output = Command::new(&sign_file)
        .arg(&hash)
        .arg(key)
        .arg(cert)
        .arg(ko)
        .output()
        .map_err(|e| fail(format!("cannot run {}: {e}", sign_file.display())))?;
    if !output.status.success() {
        return Err(fail(format!(
            "{} failed: {}",
            sign_file.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
        .into());
    }
    let signed = std::fs::read(ko).map_err(|e| Error::io(ko, e))?;
    if !signed.ends_with(modsign::MAGIC) {
        return Err(fail(format!("{} appended no signature", sign_file.display())).into());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
