//! Calls the policy lets run longer than the front's call timeout: a program run in a
//! guest by `agent_exec` (`[agent] timeout_secs`) and a command run on the node by
//! `execute_command` (`[commands]` and `[[command]]` timeouts). Each is waited for as
//! long as the helper says the policy in force lets it run, plus the time the helper
//! needs to answer after that, never less than the call timeout, with MCP progress
//! notifications meanwhile.
//!
//! The helper's word is trusted only for how long to wait; when it has said nothing,
//! the longest bound any policy may set is assumed.

use crate::{
    change::{engine::Engine, progress::Progress},
    helper::HelperError,
};
use pve_mcp_proto::{Capabilities, Request, Response};
use rmcp::{RoleServer, service::RequestContext};
use std::time::{Duration, Instant};

/// Work the policy bounds in time, past the call timeout if it likes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LongRun {
    /// A program in a guest, through its agent.
    AgentProgram,
    /// An allow-listed command on the node.
    Command,
}

/// The longest `timeout_secs` a policy may set, in `[agent]` as in `[commands]`.
const MAX_RUN_SECS: u64 = 3600;

/// Least time between two progress notifications.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

impl LongRun {
    /// How long the policy in force lets it run, in seconds, as the helper said (0: not
    /// said).
    fn said(self, caps: &Capabilities) -> u64 {
        match self {
            Self::AgentProgram => caps.agent_timeout_secs,
            Self::Command => caps.command_timeout_secs,
        }
    }

    /// Time the helper needs after the bound to answer: its last poll of the program
    /// (one Proxmox call), or killing the command's processes.
    fn margin(self) -> Duration {
        match self {
            Self::AgentProgram => Duration::from_secs(30),
            Self::Command => Duration::from_secs(10),
        }
    }
}

/// How long a long run may take, and how long to wait for the helper's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Wait {
    pub runs: Duration,
    pub answer: Duration,
}

impl Wait {
    /// The wait for `run` when the helper said it may run `said` seconds (0: not said)
    /// and the front's own call timeout is `call_timeout`.
    fn new(run: LongRun, said: u64, call_timeout: Duration) -> Self {
        let secs = if said > 0 { said } else { MAX_RUN_SECS };
        let runs = Duration::from_secs(secs);
        Self {
            runs,
            answer: (runs + run.margin()).max(call_timeout),
        }
    }
}

/// The wait for `run` under the policy in force.
pub(crate) async fn wait_for(engine: Engine<'_>, run: LongRun) -> Wait {
    let said = engine
        .permissions
        .current()
        .await
        .map_or(0, |caps| run.said(&caps));
    Wait::new(run, said, engine.helper.call_timeout())
}

/// Sends `request`, waiting for its answer as long as `wait` says (the call timeout
/// when `None`), with progress notifications naming `what` from the first second on.
pub(crate) async fn call(
    engine: Engine<'_>,
    request: &Request,
    wait: Option<Wait>,
    what: String,
    ctx: &RequestContext<RoleServer>,
) -> Result<Response, HelperError> {
    let Some(Wait { runs, answer }) = wait else {
        return engine.helper.call(request).await;
    };
    let started = Instant::now();
    let mut progress = Progress::new(ctx, what, runs);
    let call = engine.helper.call_within(request, answer);
    tokio::pin!(call);
    let first = tokio::time::Instant::from_std(started + PROGRESS_EVERY);
    let mut ticks = tokio::time::interval_at(first, PROGRESS_EVERY);
    loop {
        tokio::select! {
            answer = &mut call => return answer,
            _ = ticks.tick() => progress.send(started).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn waits_as_long_as_the_policy_lets_it_run_and_the_margin_never_less_than_the_call_timeout() {
        let wait = |run, said, call_timeout| {
            let w = Wait::new(run, said, call_timeout);
            (w.runs.as_secs(), w.answer.as_secs())
        };
        assert_eq!(wait(LongRun::Command, 600, MINUTE), (600, 610));
        assert_eq!(wait(LongRun::AgentProgram, 600, MINUTE), (600, 630));
        // A short bound never shortens the call timeout.
        assert_eq!(wait(LongRun::Command, 5, MINUTE), (5, 60));
        assert_eq!(wait(LongRun::Command, 5, Duration::from_secs(2)), (5, 15));
        // Not said: the longest any policy may set.
        assert_eq!(wait(LongRun::Command, 0, MINUTE), (3600, 3610));
        assert_eq!(wait(LongRun::AgentProgram, 0, MINUTE), (3600, 3630));
    }
}
