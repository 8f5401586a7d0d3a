//! `klp list`: the loaded patches.

use super::{print_json, say, Ctx};
use crate::error::Result;
use crate::livepatch::{self, Patch};
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
struct ListJson<'a> {
    patches: &'a [Patch],
}

/// Prints every loaded patch (stack order) with its objects and functions.
pub fn list(ctx: &Ctx, json: bool, out: &mut dyn Write) -> Result<()> {
    let patches = livepatch::list(&ctx.sys)?;
    if json {
        return print_json(out, &ListJson { patches: &patches });
    }
    if patches.is_empty() {
        say!(out, "no livepatch is loaded");
    }
    for p in &patches {
        say!(out, "{}", patch_line(p));
        for o in &p.objects {
            match o.patched {
                Some(patched) => say!(out, "  {} patched={}", o.name, patched as u8),
                None => say!(out, "  {}", o.name),
            }
            for f in &o.functions {
                say!(out, "    {},{}", f.name, f.sympos);
            }
        }
    }
    Ok(())
}

/// `name enabled=1 transition=0 [replace=0] [stack_order=1]`: the attributes
/// this kernel has.
fn patch_line(p: &Patch) -> String {
    let mut s = format!(
        "{} enabled={} transition={}",
        p.name, p.enabled as u8, p.transition as u8
    );
    if let Some(r) = p.replace {
        s.push_str(&format!(" replace={}", r as u8));
    }
    if let Some(o) = p.stack_order {
        s.push_str(&format!(" stack_order={o}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::super::test_ctx::{capture, ctx};
    use super::*;
    use crate::testutil::{FakeKernel, FakePatch, FakeRoot};

    fn fake() -> FakeRoot {
        let fake = FakeRoot::new();
        fake.add_patch(
            &FakePatch::new("lp_b")
                .stack_order(2)
                .replace(true)
                .function("vmlinux", "f,1"),
        );
        fake.add_patch(
            &FakePatch::new("lp_a")
                .function("vmlinux", "cmdline_proc_show,1")
                .function("ext4", "g,2"),
        );
        fake
    }

    #[test]
    fn human_output() {
        let fake = fake();
        let k = FakeKernel::new(fake.root());
        let (r, text) = capture(|out| list(&ctx(&fake, &k), false, out));
        r.unwrap();
        assert_eq!(
            text,
            "lp_a enabled=1 transition=0 replace=0 stack_order=1\n\
             \x20 ext4 patched=1\n    g,2\n\
             \x20 vmlinux patched=1\n    cmdline_proc_show,1\n\
             lp_b enabled=1 transition=0 replace=1 stack_order=2\n\
             \x20 vmlinux patched=1\n    f,1\n"
        );
    }

    #[test]
    fn json_output() {
        let fake = fake();
        let k = FakeKernel::new(fake.root());
        let (r, text) = capture(|out| list(&ctx(&fake, &k), true, out));
        r.unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let p = &v["patches"][1];
        assert_eq!(p["name"], "lp_b");
        assert_eq!(p["enabled"], true);
        assert_eq!(p["replace"], true);
        assert_eq!(p["stack_order"], 2);
        assert_eq!(p["objects"][0]["name"], "vmlinux");
        assert_eq!(
            p["objects"][0]["functions"][0],
            serde_json::json!({"name": "f", "sympos": 1})
        );
    }

    #[test]
    fn empty_and_missing_attributes() {
        let fake = FakeRoot::new();
        let k = FakeKernel::new(fake.root());
        let (_, text) = capture(|out| list(&ctx(&fake, &k), false, out));
        assert_eq!(text, "no livepatch is loaded\n");
        fake.add_patch(&FakePatch::new("old"));
        std::fs::remove_file(fake.sys().patch_dir("old").join("replace")).unwrap();
        let (_, text) = capture(|out| list(&ctx(&fake, &k), false, out));
        assert_eq!(text, "old enabled=1 transition=0 stack_order=1\n");
    }
}
