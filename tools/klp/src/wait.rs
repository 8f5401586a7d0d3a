//! Waiting for a patch's transition to finish, with a progress bar of the
//! tasks that switched; past the timeout, a report of the tasks blocking it.

use crate::error::{Error, Result};
use crate::livepatch;
use crate::sys::Sys;
use crate::tasks::{self, TaskState};
use crate::transition::Transition;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::fmt::Write;
use std::time::{Duration, Instant};

/// At most this many blocking tasks get their stack in a timeout report.
const MAX_STACKS: usize = 20;

/// How long to wait and whether to draw a progress bar.
#[derive(Debug, Clone, Copy)]
pub struct WaitOptions {
    pub timeout: Duration,
    pub poll: Duration,
    /// Draw the bar on stderr (only drawn when stderr is a terminal).
    pub progress: bool,
}

impl WaitOptions {
    pub fn new(timeout: Duration, progress: bool) -> Self {
        WaitOptions {
            timeout,
            poll: Duration::from_millis(100),
            progress,
        }
    }
}

/// Waits until patch `name` reaches `target`. Fails if the transition was
/// reversed, and with [`Error::Timeout`] (listing the blocking tasks) when
/// it is still running after the timeout; the patch is left as it is.
pub fn wait(sys: &Sys, name: &str, target: Transition, opts: WaitOptions) -> Result<()> {
    let start = Instant::now();
    let bar = progress_bar(name, target, opts.progress);
    loop {
        let patch = livepatch::read(sys, name)?;
        match (target, &patch) {
            (Transition::Patched, Some(p)) if p.enabled && !p.transition => break,
            (Transition::Patched, Some(p)) if !p.enabled => {
                bar.finish_and_clear();
                return Err(Error::Failed(format!(
                    "the transition of {name} was reversed before it finished: the patch is being disabled"
                )));
            }
            (Transition::Patched, None) => {
                bar.finish_and_clear();
                return Err(Error::Failed(format!(
                    "{name} disappeared before its transition finished (it was disabled)"
                )));
            }
            (Transition::Unpatched, None) => break,
            (Transition::Unpatched, Some(p)) if !p.enabled && !p.transition => break,
            (Transition::Unpatched, Some(p)) if p.enabled && !p.transition => {
                bar.finish_and_clear();
                return Err(Error::Failed(format!(
                    "the disabling of {name} was reversed: the patch is enabled"
                )));
            }
            _ => {}
        }
        let all = tasks::all(sys);
        let in_transition = all
            .iter()
            .filter(|t| matches!(t.state, Some(TaskState::In(_))))
            .count();
        let remaining = tasks::not_switched(&all, target).len();
        bar.set_length(in_transition as u64);
        bar.set_position(in_transition.saturating_sub(remaining) as u64);
        if start.elapsed() >= opts.timeout {
            bar.finish_and_clear();
            return Err(Error::Timeout(stall_report(
                sys,
                name,
                target,
                opts.timeout,
            )));
        }
        std::thread::sleep(opts.poll);
    }
    bar.finish_and_clear();
    Ok(())
}

fn progress_bar(name: &str, target: Transition, draw: bool) -> ProgressBar {
    let draw_target = if draw {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(0), draw_target);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {pos}/{len} tasks switched ({elapsed})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_message(format!("{name}: transition to {target}"));
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// What the operator needs after a timeout: the state left, the tasks
/// blocking (pid, comm, kernel stack) and the ways forward.
fn stall_report(sys: &Sys, name: &str, target: Transition, timeout: Duration) -> String {
    let mut s = String::new();
    let state = match livepatch::read(sys, name) {
        Ok(Some(p)) => format!(
            "enabled={}, transition={}",
            p.enabled as u8, p.transition as u8
        ),
        _ => "state unreadable".to_string(),
    };
    let _ = writeln!(
        s,
        "timed out after {} s: {name} is still in transition to {target} ({state}); it is left that way",
        timeout.as_secs(),
    );
    let all = tasks::all(sys);
    let blocking = tasks::not_switched(&all, target);
    let _ = writeln!(s, "{} task(s) have not switched yet:", blocking.len());
    for (i, t) in blocking.iter().enumerate() {
        let _ = writeln!(s, "  pid {} tid {} comm {}", t.pid, t.tid, t.comm);
        if i < MAX_STACKS {
            match t.kernel_stack(sys) {
                Some(stack) => stack.lines().for_each(|l| {
                    let _ = writeln!(s, "      {l}");
                }),
                None => s.push_str("      (kernel stack not readable)\n"),
            }
        }
    }
    s.push_str("The kernel keeps retrying (and signals the remaining tasks). What you can do:\n");
    match target {
        Transition::Patched => {
            let _ = writeln!(s, "  wait, then check with: klp list");
            let _ = writeln!(
                s,
                "  klp disable {name}    reverse the transition (back to unpatched)"
            );
        }
        Transition::Unpatched => {
            let _ = writeln!(s, "  wait, then check with: klp list");
            let _ = writeln!(
                s,
                "  echo 1 > /sys/kernel/livepatch/{name}/enabled    reverse it (back to patched)"
            );
        }
    }
    let _ = write!(
        s,
        "  klp force {name}      complete it now, unchecked (klp force says which modules it pins)"
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{FakePatch, FakeRoot};
    use TaskState::In;
    use Transition::{Patched, Unpatched};

    fn quick(ms: u64) -> WaitOptions {
        WaitOptions {
            timeout: Duration::from_millis(ms),
            poll: Duration::from_millis(10),
            progress: false,
        }
    }

    #[test]
    fn returns_when_the_transition_is_done() {
        let fake = FakeRoot::new();
        fake.add_patch(&FakePatch::new("lp"));
        wait(&fake.sys(), "lp", Patched, quick(1000)).unwrap();
    }

    #[test]
    fn waits_for_the_kernel_to_finish() {
        let fake = FakeRoot::new();
        fake.add_patch(&FakePatch::new("lp").transition(true));
        fake.add_task(7, 7, "sleeper", Some(In(Unpatched)));
        let root = fake.root().to_path_buf();
        let kernel = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            std::fs::write(root.join("proc/7/task/7/patch_state"), "-1\n").unwrap();
            std::fs::write(root.join("sys/kernel/livepatch/lp/transition"), "0\n").unwrap();
        });
        let t0 = Instant::now();
        wait(&fake.sys(), "lp", Patched, quick(5000)).unwrap();
        assert!(t0.elapsed() >= Duration::from_millis(100));
        kernel.join().unwrap();
    }

    #[test]
    fn timeout_lists_the_blocking_tasks_and_keeps_the_state() {
        let fake = FakeRoot::new();
        fake.add_patch(&FakePatch::new("lp").transition(true));
        fake.add_task(1, 1, "init", Some(In(Patched)));
        fake.add_task(42, 42, "stuck", Some(In(Unpatched)));
        fake.add_task(42, 43, "stuck-thread", Some(In(Unpatched)));
        fake.write(
            "proc/42/task/42/stack",
            "[<0>] msleep+0x1/0x2\n[<0>] stuck_fn+0x3/0x4\n",
        );
        let err = wait(&fake.sys(), "lp", Patched, quick(50)).unwrap_err();
        assert_eq!(err.exit_code(), 7);
        let msg = err.to_string();
        assert!(
            msg.contains("lp is still in transition to patched (enabled=1, transition=1)"),
            "{msg}"
        );
        assert!(msg.contains("2 task(s) have not switched yet"), "{msg}");
        assert!(
            msg.contains(
                "pid 42 tid 42 comm stuck\n      [<0>] msleep+0x1/0x2\n      [<0>] stuck_fn"
            ),
            "{msg}"
        );
        assert!(
            msg.contains("pid 42 tid 43 comm stuck-thread\n      (kernel stack not readable)"),
            "{msg}"
        );
        assert!(!msg.contains("comm init"), "{msg}");
        assert!(msg.contains("klp force lp"), "{msg}");
        // Nothing was changed.
        assert_eq!(fake.read("sys/kernel/livepatch/lp/transition"), "1\n");
    }

    #[test]
    fn unpatching_ends_when_the_patch_is_gone_or_disabled() {
        let fake = FakeRoot::new();
        wait(&fake.sys(), "gone", Unpatched, quick(100)).unwrap();
        fake.add_patch(&FakePatch::new("off").enabled(false));
        wait(&fake.sys(), "off", Unpatched, quick(100)).unwrap();
    }

    #[test]
    fn a_reversed_transition_is_an_error() {
        let fake = FakeRoot::new();
        fake.add_patch(&FakePatch::new("lp").enabled(false).transition(true));
        let err = wait(&fake.sys(), "lp", Patched, quick(100)).unwrap_err();
        assert!(err.to_string().contains("reversed"), "{err}");
        let err = wait(&fake.sys(), "absent", Patched, quick(100)).unwrap_err();
        assert!(err.to_string().contains("disappeared"), "{err}");
    }
}
