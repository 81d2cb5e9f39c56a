//! The warm status calls again with every process on one processor: the benchmark
//! (with the simulator's threads), the helper and the front. A call through pve-mcp
//! wakes a process six times (client, front, helper, simulator and back), a direct GET
//! twice; where processors are virtual, a wake-up that crosses to another, idle one
//! costs the waker and the woken far more than one that stays. These rows show what
//! the pipeline's own work costs without the crossings; the targets are judged on the
//! rows measured as the system places the processes.

use super::{Floor, mcp::FrontCmd, measure, measure::Case, report::ToolRow};
use crate::stack::{Stack, StackOptions, workspace_bin};
use nix::{
    sched::{CpuSet, sched_getaffinity, sched_setaffinity},
    unistd::Pid,
};

/// How the call of each row measured on one processor ends.
pub const SUFFIX: &str = ", on one CPU";

/// What the calling thread may run on before it was pinned, restored when dropped.
pub(super) struct Pinned {
    before: CpuSet,
}

/// The processors the calling thread may run on.
pub(super) fn allowed() -> nix::Result<Vec<usize>> {
    let set = sched_getaffinity(Pid::from_raw(0))?;
    Ok((0..CpuSet::count())
        .filter(|&cpu| set.is_set(cpu).unwrap_or(false))
        .collect())
}

impl Pinned {
    /// Pins the calling thread, and with it every thread and process it starts from
    /// now on, to the first processor it may run on; `None` when it may run on one only.
    fn to_first() -> anyhow::Result<Option<Pinned>> {
        match allowed()?[..] {
            [first, _, ..] => Ok(Some(Pinned::to(first)?)),
            _ => Ok(None),
        }
    }

    /// Pins the calling thread (and what it starts from now on) to processor `cpu`.
    pub(super) fn to(cpu: usize) -> nix::Result<Pinned> {
        let this = Pid::from_raw(0);
        let before = sched_getaffinity(this)?;
        let mut one = CpuSet::new();
        one.set(cpu)?;
        sched_setaffinity(this, &one)?;
        Ok(Pinned { before })
    }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        let _ = sched_setaffinity(Pid::from_raw(0), &self.before);
    }
}

/// `cases` measured as [`measure::tools`] does, on a stack of its own started on one
/// processor; each row's call ends in `, on one CPU`. Nothing when this process may
/// run on one processor only (the rows measured already are those).
pub fn rows(
    stack_opts: StackOptions,
    cases: &[Case],
    rounds: usize,
) -> anyhow::Result<Vec<ToolRow>> {
    let Some(_pinned) = Pinned::to_first()? else {
        return Ok(Vec::new());
    };
    let stack = Stack::start(stack_opts)?;
    let (bin, log) = (workspace_bin("mcp-front"), stack.dir().join("front.log"));
    let front = FrontCmd {
        bin: &bin,
        socket: &stack.socket,
        log: &log,
        log_filter: "warn",
    };
    let floor = Floor::new(&stack.sim)?;
    let mut rows = measure::tools(&stack, &front, &floor, cases, rounds)?;
    for row in &mut rows {
        row.call.push_str(SUFFIX);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn processors(set: &CpuSet) -> Vec<usize> {
        (0..CpuSet::count())
            .filter(|&cpu| set.is_set(cpu).unwrap_or(false))
            .collect()
    }

    #[test]
    fn pinned_the_thread_and_what_it_starts_run_on_its_first_processor_until_dropped() {
        let this = Pid::from_raw(0);
        let before = sched_getaffinity(this).unwrap();
        let allowed = processors(&before);
        let Some(pinned) = Pinned::to_first().unwrap() else {
            assert_eq!(allowed.len(), 1, "not pinned although more were allowed");
            return;
        };
        assert_eq!(processors(&sched_getaffinity(this).unwrap()), [allowed[0]]);
        let started =
            std::thread::spawn(|| processors(&sched_getaffinity(Pid::from_raw(0)).unwrap()));
        assert_eq!(started.join().unwrap(), [allowed[0]]);
        drop(pinned);
        assert_eq!(processors(&sched_getaffinity(this).unwrap()), allowed);
    }
}
