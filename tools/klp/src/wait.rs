//! Waiting for a patch's transition to finish, with a progress bar of the
//! tasks that switched; past the timeout, a report of the tasks blocking it.

use crate::livepatch::{self, Patch};
use crate::sys::Sys;
use crate::tasks::{self, Task, TaskState};
use crate::transition::Transition;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::fmt;
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

/// Why a transition `klp` waited for did not finish. The patch is left as
/// it is.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    /// Waiting for patched, the patch was disabled.
    #[error(
        "the transition of {name} was reversed before it finished: the patch is being disabled"
    )]
    EnableReversed { name: String },
    /// Waiting for patched, the patch went away (disabled, then freed).
    #[error("{name} disappeared before its transition finished (it was disabled)")]
    Disappeared { name: String },
    /// Waiting for unpatched, the patch was enabled again.
    #[error("the disabling of {name} was reversed: the patch is enabled")]
    DisableReversed { name: String },
    /// Still in transition at the timeout.
    #[error("{0}")]
    Stalled(Box<Stall>),
}

/// Waits until patch `name` reaches `target`. Fails if the transition was
/// reversed, and with [`WaitError::Stalled`] (the blocking tasks) when it is
/// still running after the timeout.
pub fn wait(sys: &Sys, name: &str, target: Transition, opts: WaitOptions) -> Result<(), WaitError> {
    let start = Instant::now();
    let bar = progress_bar(name, target, opts.progress);
    let result = loop {
        if let Some(end) = ended(name, target, livepatch::read(sys, name).as_ref()) {
            break end;
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
            let stall = Stall::observe(sys, name, target, opts.timeout);
            break Err(WaitError::Stalled(Box::new(stall)));
        }
        std::thread::sleep(opts.poll);
    };
    bar.finish_and_clear();
    result
}

/// How the transition of `name` to `target` ended, as `patch` (its sysfs
/// state, `None` when gone) shows it; `None` while it runs.
fn ended(name: &str, target: Transition, patch: Option<&Patch>) -> Option<Result<(), WaitError>> {
    let name = name.to_string();
    match (target, patch) {
        (Transition::Patched, Some(p)) if p.enabled && !p.transition => Some(Ok(())),
        (Transition::Patched, Some(p)) if !p.enabled => {
            Some(Err(WaitError::EnableReversed { name }))
        }
        (Transition::Patched, None) => Some(Err(WaitError::Disappeared { name })),
        (Transition::Unpatched, None) => Some(Ok(())),
        (Transition::Unpatched, Some(p)) if !p.enabled && !p.transition => Some(Ok(())),
        (Transition::Unpatched, Some(p)) if p.enabled && !p.transition => {
            Some(Err(WaitError::DisableReversed { name }))
        }
        _ => None,
    }
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

/// A transition still running at the timeout: the state it is left in and
/// the tasks blocking it. Shown as the report the operator needs: that
/// state, the blocking tasks (pid, comm, kernel stack) and the ways forward.
#[derive(Debug)]
pub struct Stall {
    pub name: String,
    pub target: Transition,
    pub waited: Duration,
    /// The patch as left; `None` when it could not be read.
    pub patch: Option<Patch>,
    /// The tasks still in the other state.
    pub blocking: Vec<Blocker>,
}

/// A task blocking a transition.
#[derive(Debug)]
pub struct Blocker {
    pub task: Task,
    /// Its kernel stack; read for the first [`MAX_STACKS`] blockers only,
    /// `None` when not read or not readable.
    pub stack: Option<String>,
}

impl Stall {
    /// Reads the state of the transition of `name` to `target` after
    /// `waited`.
    fn observe(sys: &Sys, name: &str, target: Transition, waited: Duration) -> Self {
        let all = tasks::all(sys);
        let blocking = tasks::not_switched(&all, target)
            .into_iter()
            .enumerate()
            .map(|(i, t)| Blocker {
                stack: (i < MAX_STACKS).then(|| t.kernel_stack(sys)).flatten(),
                task: t.clone(),
            })
            .collect();
        Stall {
            name: name.to_string(),
            target,
            waited,
            patch: livepatch::read(sys, name),
            blocking,
        }
    }
}

impl fmt::Display for Stall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Stall { name, target, .. } = self;
        let state = match &self.patch {
            Some(p) => format!(
                "enabled={}, transition={}",
                p.enabled as u8, p.transition as u8
            ),
            None => "state unreadable".to_string(),
        };
        writeln!(
            f,
            "timed out after {} s: {name} is still in transition to {target} ({state}); it is left that way",
            self.waited.as_secs()
        )?;
        writeln!(f, "{} task(s) have not switched yet:", self.blocking.len())?;
        for (i, b) in self.blocking.iter().enumerate() {
            let t = &b.task;
            writeln!(f, "  pid {} tid {} comm {}", t.pid, t.tid, t.comm)?;
            if i < MAX_STACKS {
                match &b.stack {
                    Some(stack) => {
                        for l in stack.lines() {
                            writeln!(f, "      {l}")?;
                        }
                    }
                    None => writeln!(f, "      (kernel stack not readable)")?,
                }
            }
        }
        writeln!(
            f,
            "The kernel keeps retrying (and signals the remaining tasks). What you can do:"
        )?;
        writeln!(f, "  wait, then check with: klp list")?;
        let back = target.opposite();
        match target {
            Transition::Patched => writeln!(
                f,
                "  klp disable {name}    reverse the transition (back to {back})"
            )?,
            Transition::Unpatched => writeln!(
                f,
                "  echo 1 > /sys/kernel/livepatch/{name}/enabled    reverse it (back to {back})"
            )?,
        }
        write!(
            f,
            "  klp force {name}      complete it now, unchecked (klp force says which modules it pins)"
        )
    }
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
        let WaitError::Stalled(stall) = &err else {
            panic!("{err:?}")
        };
        let blocking: Vec<_> = stall.blocking.iter().map(|b| b.task.tid).collect();
        assert_eq!(blocking, [42, 43]);
        assert_eq!(stall.patch.as_ref().map(|p| p.transition), Some(true));
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
    fn only_the_first_blockers_get_their_stack() {
        let fake = FakeRoot::new();
        fake.add_patch(&FakePatch::new("lp").transition(true));
        let n = MAX_STACKS as u32 + 2;
        for pid in 1..=n {
            fake.add_task(pid, pid, "t", Some(In(Unpatched)));
            fake.write(&format!("proc/{pid}/task/{pid}/stack"), "[<0>] f+0x1/0x2\n");
        }
        let msg = wait(&fake.sys(), "lp", Patched, quick(10))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains(&format!("{n} task(s) have not switched yet")),
            "{msg}"
        );
        assert_eq!(msg.matches("comm t\n").count(), n as usize, "{msg}");
        assert_eq!(
            msg.matches("      [<0>] f+0x1/0x2\n").count(),
            MAX_STACKS,
            "{msg}"
        );
        assert!(!msg.contains("not readable"), "{msg}");
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
        assert!(matches!(err, WaitError::EnableReversed { .. }), "{err:?}");
        assert!(err.to_string().contains("reversed"), "{err}");
        let err = wait(&fake.sys(), "absent", Patched, quick(100)).unwrap_err();
        assert!(matches!(err, WaitError::Disappeared { .. }), "{err:?}");
        assert!(err.to_string().contains("disappeared"), "{err}");
        fake.add_patch(&FakePatch::new("on"));
        let err = wait(&fake.sys(), "on", Unpatched, quick(100)).unwrap_err();
        assert!(matches!(err, WaitError::DisableReversed { .. }), "{err:?}");
    }
}
