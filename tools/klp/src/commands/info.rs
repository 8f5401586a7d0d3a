//! `klp info FILE.ko`: what a module patches, read from the file, and
//! whether it fits the running kernel.

use super::{print_json, say, Ctx};
use crate::descriptors::Descriptors;
use crate::error::{Error, Result};
use crate::fit::{self, Fit};
use crate::klpsyms::{self, External};
use crate::kofile::KoFile;
use crate::sigcheck;
use serde::Serialize;
use std::io::Write;
use std::path::Path;

#[derive(Serialize)]
struct InfoJson<'a> {
    file: &'a Path,
    name: String,
    livepatch: bool,
    vermagic: Option<&'a str>,
    /// `None` when no descriptors were found in the file.
    patch: Option<&'a Descriptors>,
    /// Static or non-exported symbols of the patched objects it uses.
    external: Option<&'a External>,
    fits: bool,
    checks: &'a [fit::Check],
}

/// Prints the module's identity, its patch (objects, functions, sympos,
/// replace) and the fit checks. Exits 0 whenever the file could be read.
pub fn info(ctx: &Ctx, path: &Path, json: bool, out: &mut dyn Write) -> Result<()> {
    let ko = KoFile::read(path).map_err(|reason| Error::Refused {
        file: path.into(),
        reason,
    })?;
    let mut fit = fit::check(&ctx.sys, &ko);
    let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let scan = klpsyms::scan(&data).ok().flatten();
    if let Some(scan) = &scan {
        klpsyms::extend_fit(&ctx.sys, scan, &mut fit);
    }
    fit.checks.extend(sigcheck::checks_against(&ctx.sys, &data));
    fit.fits = fit.checks.iter().all(|c| c.ok != Some(false));
    let external = scan.as_ref().map(External::new);
    if json {
        return print_json(
            out,
            &InfoJson {
                file: path,
                name: ko.name(),
                livepatch: ko.is_livepatch(),
                vermagic: ko.modinfo("vermagic"),
                patch: ko.descriptors.as_ref(),
                external: external.as_ref(),
                fits: fit.fits,
                checks: &fit.checks,
            },
        );
    }
    say!(out, "file:      {}", path.display());
    say!(out, "name:      {}", ko.name());
    say!(
        out,
        "livepatch: {}",
        if ko.is_livepatch() { "yes" } else { "no" }
    );
    say!(
        out,
        "vermagic:  {}",
        ko.modinfo("vermagic").unwrap_or("(none)").trim_end()
    );
    match &ko.descriptors {
        Some(d) => print_patch(d, out),
        None => say!(
            out,
            "patches:   (no klp descriptors found in the module's data)"
        ),
    }
    for line in external.iter().flat_map(External::describe) {
        say!(out, "{line}");
    }
    print_fit(&fit, out);
    Ok(())
}

fn print_patch(d: &Descriptors, out: &mut dyn Write) {
    say!(out, "replace:   {}", if d.replace { "yes" } else { "no" });
    say!(out, "patches:");
    for o in &d.objects {
        say!(out, "  {}", o.name);
        for f in &o.functions {
            let new = f
                .replacement
                .as_deref()
                .map(|r| format!(" -> {r}"))
                .unwrap_or_default();
            say!(out, "    {} sympos={}{new}", f.name, f.sympos);
        }
    }
}

fn print_fit(fit: &Fit, out: &mut dyn Write) {
    say!(
        out,
        "fits the running kernel: {}",
        if fit.fits { "yes" } else { "no" }
    );
    for c in &fit.checks {
        let mark = match c.ok {
            Some(true) => "ok  ",
            Some(false) => "FAIL",
            None => "?   ",
        };
        say!(out, "  {mark} {}: {}", c.what, c.detail);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_ctx::{capture, ctx};
    use super::*;
    use crate::testutil::{
        klp_module, vermagic, vmlinux_fn, FakeKernel, FakeRoot, Layout, Modinfo, RELEASE,
    };

    fn sample(fake: &FakeRoot) -> std::path::PathBuf {
        let ko = klp_module(
            &Modinfo::livepatch("lp"),
            &vmlinux_fn("cmdline_proc_show"),
            true,
            Layout::C,
        );
        fake.add_file("lp.ko", &ko)
    }

    #[test]
    fn human_output() {
        let fake = FakeRoot::new();
        fake.write("proc/kallsyms", "0 T cmdline_proc_show\n");
        let file = sample(&fake);
        let k = FakeKernel::new(fake.root());
        let (r, text) = capture(|out| info(&ctx(&fake, &k), &file, false, out));
        r.unwrap();
        let expected = format!(
            "name:      lp\nlivepatch: yes\nvermagic:  {}\nreplace:   yes\npatches:\n  vmlinux\n    \
             cmdline_proc_show sympos=0 -> livepatch_cmdline_proc_show\nfits the running kernel: yes\n",
            vermagic(RELEASE).trim_end()
        );
        assert!(text.contains(&expected), "{text}");
        assert!(
            text.contains("  ok   vmlinux:cmdline_proc_show: found in /proc/kallsyms\n"),
            "{text}"
        );
    }

    #[test]
    fn json_output() {
        let fake = FakeRoot::new();
        fake.write("proc/kallsyms", "");
        let file = sample(&fake);
        let k = FakeKernel::new(fake.root());
        let (r, text) = capture(|out| info(&ctx(&fake, &k), &file, true, out));
        r.unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["name"], "lp");
        assert_eq!(v["patch"]["replace"], true);
        assert_eq!(
            v["patch"]["objects"][0]["functions"][0]["name"],
            "cmdline_proc_show"
        );
        assert_eq!(v["fits"], false, "the symbol is missing from kallsyms");
    }

    #[test]
    fn signatures_are_checked_against_the_running_kernel() {
        use crate::testutil::btf::fixture;
        use crate::testutil::declared::{int, patch_with_record, unit, vmlinux_decl};
        let fake = FakeRoot::new();
        fake.write("proc/kallsyms", "0 T do_nothing\n");
        fake.add_file("sys/kernel/btf/vmlinux", &fixture("base.btf"));
        let ko = patch_with_record(vmlinux_decl(
            "do_nothing",
            unit(),
            vec![("x", int("u32", 4, false))],
        ));
        let file = fake.add_file("lp.ko", &ko);
        let k = FakeKernel::new(fake.root());
        let (r, text) = capture(|out| info(&ctx(&fake, &k), &file, false, out));
        r.unwrap();
        assert!(text.contains("fits the running kernel: no\n"), "{text}");
        assert!(
            text.contains(
                "  FAIL signature: do_nothing: parameter 1 `x`: the replacement has `u32` (4 \
                 bytes, unsigned integer), the kernel's function has only 0 parameters\n"
            ),
            "{text}"
        );
        // A module without records (the C layout here) is said to be unchecked.
        let file = sample(&fake);
        let (r, text) = capture(|out| info(&ctx(&fake, &k), &file, false, out));
        r.unwrap();
        assert!(
            text.contains(
                "  ?    signatures: the module has no signature records (a C livepatch, or built \
                 before klp checked signatures): not checked\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn unreadable_files_are_refused() {
        let fake = FakeRoot::new();
        let k = FakeKernel::new(fake.root());
        let (r, _) = capture(|out| info(&ctx(&fake, &k), &fake.root().join("nope.ko"), false, out));
        assert_eq!(r.unwrap_err().exit_code(), 6);
    }
}
