//! The warm status calls again with every process on one processor: the benchmark
//! (with the simulator's threads), the helper and the front. A call through pve-mcp
//! wakes a process six times (client, front, helper, simulator and back), a direct GET
//! twice; where processors are virtual, a wake-up that crosses to another, idle one
//! costs the waker and the woken far more than one that stays. These rows show what
//! the pipeline's own work costs without the crossings; the targets are judged on the
//! rows measured as the system places the processes.

use super::{Floor, mcp::FrontCmd, measure, measure::Case, pin::Pinned, report::ToolRow};
use crate::stack::{Stack, StackOptions, workspace_bin};

/// How the call of each row measured on one processor ends.
pub const SUFFIX: &str = ", on one CPU";

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
