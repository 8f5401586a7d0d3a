//! Per-task livepatch state, from `/proc/<pid>/task/<tid>/patch_state`:
//! -1 no transition in progress, 0 unpatched, 1 patched. During a
//! transition every task goes from the old state to the target one; those
//! still in the old state block it.

use crate::sys::{read_trimmed, Sys};
use crate::transition::{NotAState, Transition};
use serde::{Serialize, Serializer};
use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A task's `patch_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// -1 (`KLP_TRANSITION_IDLE`): no transition in progress.
    Idle,
    /// During a transition: the state the task is in.
    In(Transition),
}

impl TaskState {
    /// The value the kernel shows: -1, 0 or 1.
    pub fn value(self) -> i32 {
        match self {
            TaskState::Idle => -1,
            TaskState::In(t) => t.value(),
        }
    }
}

impl FromStr for TaskState {
    type Err = NotAState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "-1" => Ok(TaskState::Idle),
            _ => s.parse().map(TaskState::In),
        }
    }
}

/// As the kernel shows it (`klp status --json`: -1, 0 or 1).
impl Serialize for TaskState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(self.value())
    }
}

/// One task (thread) of the system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    pub pid: u32,
    pub tid: u32,
    pub comm: String,
    /// `None` when `patch_state` cannot be read (not root, task gone).
    pub state: Option<TaskState>,
}

impl Task {
    /// The task's kernel stack (`/proc/<pid>/task/<tid>/stack`, root only),
    /// or `None` when it cannot be read.
    pub fn kernel_stack(&self, sys: &Sys) -> Option<String> {
        read_trimmed(&task_dir(sys, self.pid, self.tid).join("stack")).ok()
    }
}

/// Counts of tasks per state.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub total: usize,
    pub idle: usize,
    pub unpatched: usize,
    pub patched: usize,
    pub unreadable: usize,
}

impl Summary {
    /// Counts the states of `tasks`.
    pub fn of(tasks: &[Task]) -> Self {
        let mut s = Summary {
            total: tasks.len(),
            ..Default::default()
        };
        for t in tasks {
            match t.state {
                Some(TaskState::Idle) => s.idle += 1,
                Some(TaskState::In(Transition::Unpatched)) => s.unpatched += 1,
                Some(TaskState::In(Transition::Patched)) => s.patched += 1,
                None => s.unreadable += 1,
            }
        }
        s
    }
}

/// Every task /proc shows (threads included), sorted by pid then tid.
/// Tasks that exit while being read are skipped.
pub fn all(sys: &Sys) -> Vec<Task> {
    let mut tasks = Vec::new();
    for pid in numeric_entries(&sys.proc_dir()) {
        for tid in numeric_entries(&sys.proc_dir().join(pid.to_string()).join("task")) {
            let dir = task_dir(sys, pid, tid);
            let Ok(comm) = read_trimmed(&dir.join("comm")) else {
                continue;
            };
            let state = read_trimmed(&dir.join("patch_state"))
                .ok()
                .and_then(|s| s.parse().ok());
            tasks.push(Task {
                pid,
                tid,
                comm,
                state,
            });
        }
    }
    tasks.sort_by_key(|t| (t.pid, t.tid));
    tasks
}

/// The tasks that have not yet reached `target` during a transition to it
/// (those still in the other state).
pub fn not_switched(tasks: &[Task], target: Transition) -> Vec<&Task> {
    let from = Some(TaskState::In(target.opposite()));
    tasks.iter().filter(|t| t.state == from).collect()
}

fn task_dir(sys: &Sys, pid: u32, tid: u32) -> PathBuf {
    sys.proc_dir()
        .join(pid.to_string())
        .join("task")
        .join(tid.to_string())
}

fn numeric_entries(dir: &Path) -> Vec<u32> {
    let Ok(rd) = fs::read_dir(dir) else {
        return Vec::new();
    };
    rd.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::FakeRoot;
    use TaskState::{Idle, In};
    use Transition::{Patched, Unpatched};

    #[test]
    fn reads_threads_and_states() {
        let fake = FakeRoot::new();
        fake.add_task(1, 1, "init", Some(Idle));
        fake.add_task(20, 20, "worker", Some(In(Unpatched)));
        fake.add_task(20, 21, "worker-t", Some(In(Patched)));
        fake.add_task(30, 30, "secret", None);
        fake.write("proc/self/task/x/comm", "not a pid\n");
        let tasks = all(&fake.sys());
        let ids: Vec<_> = tasks
            .iter()
            .map(|t| (t.pid, t.tid, t.comm.as_str(), t.state))
            .collect();
        assert_eq!(
            ids,
            [
                (1, 1, "init", Some(Idle)),
                (20, 20, "worker", Some(In(Unpatched))),
                (20, 21, "worker-t", Some(In(Patched))),
                (30, 30, "secret", None)
            ]
        );
        assert_eq!(
            Summary::of(&tasks),
            Summary {
                total: 4,
                idle: 1,
                unpatched: 1,
                patched: 1,
                unreadable: 1
            }
        );
    }

    #[test]
    fn blockers_are_the_tasks_in_the_old_state() {
        let fake = FakeRoot::new();
        fake.add_task(5, 5, "a", Some(In(Unpatched)));
        fake.add_task(6, 6, "b", Some(In(Patched)));
        let tasks = all(&fake.sys());
        assert_eq!(not_switched(&tasks, Patched)[0].comm, "a");
        assert_eq!(not_switched(&tasks, Unpatched)[0].comm, "b");
    }

    #[test]
    fn kernel_stack_when_readable() {
        let fake = FakeRoot::new();
        fake.add_task(5, 5, "a", Some(In(Unpatched)));
        fake.write("proc/5/task/5/stack", "[<0>] do_sys_poll+0x1/0x2\n");
        let t = &all(&fake.sys())[0];
        assert_eq!(
            t.kernel_stack(&fake.sys()).unwrap(),
            "[<0>] do_sys_poll+0x1/0x2"
        );
        std::fs::remove_file(fake.sys().path("proc/5/task/5/stack")).unwrap();
        assert_eq!(t.kernel_stack(&fake.sys()), None);
    }
}
