//! `klp status`: how many tasks are in each patch state, and the
//! transition in progress with the tasks it waits for.

use super::{print_json, say, Ctx};
use crate::error::Result;
use crate::livepatch;
use crate::tasks::{self, Summary, Task};
use crate::transition::Transition;
use serde::Serialize;
use std::io::Write;

/// The transition in progress.
#[derive(Serialize)]
struct InProgress<'a> {
    patch: String,
    target: Transition,
    not_switched: Vec<&'a Task>,
}

#[derive(Serialize)]
struct StatusJson<'a> {
    summary: &'a Summary,
    transition: Option<InProgress<'a>>,
    tasks: &'a [Task],
}

/// Prints the per-task summary; `all` lists every task.
pub fn status(ctx: &Ctx, all: bool, json: bool, out: &mut dyn Write) -> Result<()> {
    let patches = livepatch::list(&ctx.sys)?;
    let tasks = tasks::all(&ctx.sys);
    let summary = Summary::of(&tasks);
    let transition = patches.iter().find_map(|p| {
        let target = p.target()?;
        Some(InProgress {
            patch: p.name.clone(),
            target,
            not_switched: tasks::not_switched(&tasks, target),
        })
    });
    if json {
        return print_json(
            out,
            &StatusJson {
                summary: &summary,
                transition,
                tasks: &tasks,
            },
        );
    }
    say!(
        out,
        "tasks: {} ({} idle, {} unpatched, {} patched, {} unreadable)",
        summary.total,
        summary.idle,
        summary.unpatched,
        summary.patched,
        summary.unreadable
    );
    if summary.unreadable > 0 {
        say!(out, "  (patch_state is readable by root only)");
    }
    match &transition {
        None => say!(out, "no transition in progress"),
        Some(t) => {
            say!(
                out,
                "transition: {} to {}, {} task(s) not switched yet:",
                t.patch,
                t.target,
                t.not_switched.len()
            );
            for task in &t.not_switched {
                say!(
                    out,
                    "  pid {} tid {} comm {}",
                    task.pid,
                    task.tid,
                    task.comm
                );
            }
        }
    }
    if all {
        for t in &tasks {
            let state = t.state.map_or("?".to_string(), |s| s.value().to_string());
            say!(out, "{:>7} {:>7} {:>2} {}", t.pid, t.tid, state, t.comm);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_ctx::{capture, ctx};
    use super::*;
    use crate::tasks::TaskState::{Idle, In};
    use crate::testutil::{FakeKernel, FakePatch, FakeRoot};
    use Transition::{Patched, Unpatched};

    #[test]
    fn idle_system() {
        let fake = FakeRoot::new();
        fake.add_task(1, 1, "init", Some(Idle));
        fake.add_task(2, 2, "kthreadd", Some(Idle));
        let k = FakeKernel::new(fake.root());
        let (r, text) = capture(|out| status(&ctx(&fake, &k), false, false, out));
        r.unwrap();
        assert_eq!(
            text,
            "tasks: 2 (2 idle, 0 unpatched, 0 patched, 0 unreadable)\nno transition in progress\n"
        );
    }

    #[test]
    fn transition_in_progress() {
        let fake = FakeRoot::new();
        fake.add_patch(&FakePatch::new("lp").transition(true));
        fake.add_task(1, 1, "init", Some(In(Patched)));
        fake.add_task(5, 5, "slow", Some(In(Unpatched)));
        fake.add_task(6, 6, "hidden", None);
        let k = FakeKernel::new(fake.root());
        let (r, text) = capture(|out| status(&ctx(&fake, &k), true, false, out));
        r.unwrap();
        assert!(
            text.contains("tasks: 3 (0 idle, 1 unpatched, 1 patched, 1 unreadable)\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "transition: lp to patched, 1 task(s) not switched yet:\n  pid 5 tid 5 comm slow\n"
            ),
            "{text}"
        );
        assert!(text.contains("      6       6  ? hidden\n"), "{text}");
        let (_, text) = capture(|out| status(&ctx(&fake, &k), false, true, out));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["transition"]["patch"], "lp");
        assert_eq!(v["transition"]["not_switched"][0]["pid"], 5);
        assert_eq!(v["summary"]["patched"], 1);
        assert_eq!(v["transition"]["target"], "patched");
        assert_eq!(v["tasks"][0]["state"], 1);
        assert_eq!(v["tasks"][2]["state"], serde_json::Value::Null);
    }

    #[test]
    fn a_disabling_in_progress() {
        let fake = FakeRoot::new();
        fake.add_patch(&FakePatch::new("lp").enabled(false).transition(true));
        fake.add_task(1, 1, "init", Some(In(Unpatched)));
        fake.add_task(5, 5, "slow", Some(In(Patched)));
        fake.add_task(7, 7, "idle", Some(Idle));
        let k = FakeKernel::new(fake.root());
        let (r, text) = capture(|out| status(&ctx(&fake, &k), true, false, out));
        r.unwrap();
        assert!(
            text.contains(
                "transition: lp to unpatched, 1 task(s) not switched yet:\n  pid 5 tid 5 comm slow\n"
            ),
            "{text}"
        );
        assert!(
            text.ends_with(
                "      1       1  0 init\n      5       5  1 slow\n      7       7 -1 idle\n"
            ),
            "{text}"
        );
        let (_, text) = capture(|out| status(&ctx(&fake, &k), false, true, out));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["transition"]["target"], "unpatched");
        assert_eq!(v["transition"]["not_switched"][0]["state"], 1);
        assert_eq!(v["tasks"][2]["state"], -1);
    }
}
