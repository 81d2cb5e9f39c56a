//! Sending a change (asking the user first when the policy wants a confirmation) and
//! following its Proxmox task until it stops, the wait ends or the client cancels,
//! with MCP progress notifications while waiting; and `vm_action`, the snapshot
//! changes and `backup_start`, which answer with an [`ActionResult`].
//!
//! The task's UPID is never lost: every outcome after the start, including errors
//! while polling, names it so the model can check the task later.

use crate::{
    change::{
        confirm::{self, Asked},
        engine::Engine,
        long_call::{self, LongRun},
        operation::{ActionPlan, Operation},
        outcome::{ActionOutcome, ActionResult, action_what, render_action},
        progress::Progress,
    },
    helper::describe,
    tools::{
        args::ArgError,
        reply::{
            call, helper_error_text, invalid, structured, tool_error, unexpected, unexpected_text,
        },
    },
};
use pve_mcp_proto::{
    ErrorKind, Payload, Request, Response, TaskInfo, TaskRef, TaskState, Upid, VmId,
};
use rmcp::{
    RoleServer,
    model::{CallToolResponse, CallToolResult, InputResponses},
    service::RequestContext,
};
use std::time::{Duration, Instant};

/// Pause between two task polls, by time spent waiting: quick at first, so a task of
/// a second or two is reported within a tenth of a second of its end, then slower.
fn poll_interval(waited: Duration) -> Duration {
    match waited.as_secs() {
        0..2 => Duration::from_millis(100),
        2..10 => Duration::from_millis(250),
        10..30 => Duration::from_millis(500),
        _ => Duration::from_secs(1),
    }
}

/// How waiting for the task ended.
pub(crate) enum Waited {
    Stopped(TaskInfo),
    TimedOut,
    Cancelled,
    /// The task's status could not be read; the text says why.
    Failed(String),
}

/// Runs the operation of `plan` (or reports its invalid arguments) and, if asked, waits
/// for its task. `state` and `responses` are those of a 2026-07-28 confirmation round
/// trip, when this call answers one.
pub async fn perform(
    engine: Engine<'_>,
    plan: Result<ActionPlan, ArgError>,
    state: Option<String>,
    responses: Option<InputResponses>,
    ctx: &RequestContext<RoleServer>,
) -> CallToolResponse {
    let plan = match plan {
        Ok(plan) => plan,
        Err(e) => return invalid(e).into(),
    };
    let started = Instant::now();
    let ActionPlan {
        mut request,
        wait,
        dry_run,
    } = plan;
    if dry_run {
        return super::plan::plan_operation(engine, &request).await.into();
    }
    let task = match send(engine, &mut request, answered(state, responses), ctx).await {
        Ok(Payload::Task(task)) => task,
        Ok(other) => return unexpected(request.request().op(), &other).into(),
        Err(response) => return response,
    };
    finish_task(engine, &request, task, wait, started, ctx)
        .await
        .into()
}

/// The request state and answers of a 2026-07-28 confirmation round trip, if this call
/// carries one.
pub(crate) fn answered(
    state: Option<String>,
    responses: Option<InputResponses>,
) -> Option<(String, InputResponses)> {
    state.map(|state| (state, responses.unwrap_or_default()))
}

/// Sends `op` and returns the helper's answer. When the helper wants the user's
/// confirmation, asks for it (or checks the answer of a 2026-07-28 round trip,
/// `answered`) and sends it again confirmed. A refusal, a "no", a question for the
/// client to ask, or a cancellation is returned as the tool's response.
pub(crate) async fn send(
    engine: Engine<'_>,
    op: &mut Operation,
    answered: Option<(String, InputResponses)>,
    ctx: &RequestContext<RoleServer>,
) -> Result<Payload, CallToolResponse> {
    if let Some((state, responses)) = answered {
        match engine.confirmations.resume(&state, &responses, op) {
            Ok(()) => op.set_confirmed(true),
            Err(result) => return Err(result.into()),
        }
    }
    let wait = match op {
        Operation::AgentExec(_) => Some(long_call::wait_for(engine, LongRun::AgentProgram).await),
        _ => None,
    };
    loop {
        let request = op.request();
        let call = long_call::call(engine, &request, wait, op.phrase(), ctx);
        let sent = tokio::select! {
            _ = ctx.ct.cancelled() => return Err(cancelled_before_start(op).into()),
            sent = call => sent,
        };
        match sent {
            // The policy makes every change a plan ([changes] plans_only).
            Ok(Response::Ok(Payload::Plan(p))) => {
                return Err(super::plan::answer(p, &op.phrase()).into());
            }
            Ok(Response::Ok(payload)) => return Ok(payload),
            Ok(Response::Err(e))
                if e.kind == ErrorKind::ConfirmationRequired
                    && op.confirmable()
                    && !op.confirmed() =>
            {
                match confirm::ask(engine.helper, engine.confirmations, op, &e, ctx).await {
                    Asked::Yes => op.set_confirmed(true),
                    Asked::No(result) => return Err(result.into()),
                    Asked::Later(input) => return Err(input.into()),
                }
            }
            Ok(Response::Err(e)) => return Err(tool_error(describe(&e)).into()),
            Err(e) => return Err(tool_error(helper_error_text(&e)).into()),
        }
    }
}

fn cancelled_before_start(request: &Operation) -> CallToolResult {
    let check = match request {
        Operation::Power(_)
        | Operation::Template(_)
        | Operation::Configure(_)
        | Operation::Resize(_)
        | Operation::Migrate(_)
        | Operation::Delete(_) => "check the guest with vm_status",
        Operation::DiskMove(_) => "check the guest's disks with guest_config",
        Operation::Firewall(_) => "check the guest's rules with firewall",
        Operation::SnapshotCreate(_)
        | Operation::SnapshotRollback(_)
        | Operation::SnapshotDelete(_) => "check the guest's snapshots with snapshot_list",
        Operation::Backup(_)
        | Operation::Create(_)
        | Operation::Clone(_)
        | Operation::Restore(_)
        | Operation::VolumeDelete(_)
        | Operation::Download(_)
        | Operation::TaskCancel(_)
        | Operation::AgentExec(_) => "check the recent tasks with list_tasks",
    };
    tool_error(format!(
        "Cancelled: the request to {} was withdrawn before Proxmox confirmed it; it may \
         still have been carried out: {check}.",
        request.phrase()
    ))
}

/// How a started task stands when this call stops following it.
#[derive(Debug)]
pub(crate) struct Followed {
    pub outcome: ActionOutcome,
    pub exitstatus: Option<String>,
    pub log_tail: Vec<String>,
}

/// Follows the started `task` until it stops or `wait` ends (not at all when `wait` is
/// `None`), with progress notifications naming `what`. A wait that was cancelled or
/// could not read the task's status is an error result naming the task.
pub(crate) async fn follow(
    engine: Engine<'_>,
    task: TaskInfo,
    wait: Option<Duration>,
    started: Instant,
    what: &str,
    ctx: &RequestContext<RoleServer>,
) -> Result<Followed, CallToolResult> {
    let (upid, node) = (task.upid.clone(), task.node.clone());
    let waited = match wait {
        None => {
            return Ok(Followed {
                outcome: ActionOutcome::Started,
                exitstatus: None,
                log_tail: Vec::new(),
            });
        }
        Some(_) if task.status == TaskState::Stopped => Waited::Stopped(task),
        Some(limit) => {
            let mut progress = Progress::new(ctx, format!("{what} (task {upid})"), limit);
            progress.send(started).await;
            poll(engine, &upid, (started, limit), ctx, &mut progress).await
        }
    };
    match waited {
        Waited::Stopped(task) => Ok(Followed {
            outcome: if task.succeeded() {
                ActionOutcome::Succeeded
            } else {
                ActionOutcome::Failed
            },
            exitstatus: task.exitstatus,
            log_tail: task.log_tail,
        }),
        Waited::TimedOut => Ok(Followed {
            outcome: ActionOutcome::StillRunning,
            exitstatus: None,
            log_tail: Vec::new(),
        }),
        Waited::Cancelled => Err(tool_error(format!(
            "Cancelled: stopped waiting for task {upid}; the task itself keeps running."
        ))),
        Waited::Failed(error) => Err(tool_error(format!(
            "{error}\nThe action was started as task {upid} on node {node}; its outcome is \
             unknown: check it with proxmox_api GET /nodes/{node}/tasks/{upid}/status."
        ))),
    }
}

/// Milliseconds since `started`.
pub(crate) fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Waits for the started `task` (unless `wait` is `None`) and renders the outcome.
async fn finish_task(
    engine: Engine<'_>,
    request: &Operation,
    task: TaskInfo,
    wait: Option<Duration>,
    started: Instant,
    ctx: &RequestContext<RoleServer>,
) -> CallToolResult {
    let mut result = ActionResult {
        vmid: request.guest().map_or(0, VmId::get),
        action: request.name().to_string(),
        snapshot: request.snapshot().map(ToString::to_string),
        outcome: ActionOutcome::Started,
        upid: task.upid.to_string(),
        node: task.node.to_string(),
        exitstatus: None,
        elapsed_ms: 0,
        log_tail: Vec::new(),
    };
    let what = action_what(&result);
    match follow(engine, task, wait, started, &what, ctx).await {
        Ok(followed) => {
            result.outcome = followed.outcome;
            result.exitstatus = followed.exitstatus;
            result.log_tail = followed.log_tail;
        }
        Err(error) => return error,
    }
    result.elapsed_ms = elapsed_ms(started);
    let mut out = structured(&result, render_action(&result));
    if result.outcome == ActionOutcome::Failed {
        out.is_error = Some(true);
    }
    out
}

/// Polls the task until it stops, the wait ends or the request is cancelled.
pub(crate) async fn poll(
    engine: Engine<'_>,
    upid: &Upid,
    (started, limit): (Instant, Duration),
    ctx: &RequestContext<RoleServer>,
    progress: &mut Progress<'_>,
) -> Waited {
    let deadline = started + limit;
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Waited::TimedOut;
        }
        let delay = poll_interval(now - started).min(deadline - now);
        tokio::select! {
            _ = ctx.ct.cancelled() => return Waited::Cancelled,
            _ = tokio::time::sleep(delay) => {}
        }
        let request = Request::TaskStatus(TaskRef { upid: upid.clone() });
        let answer = tokio::select! {
            _ = ctx.ct.cancelled() => return Waited::Cancelled,
            answer = call(engine.helper, request) => answer,
        };
        match answer {
            Ok(Payload::Task(task)) if task.status == TaskState::Stopped => {
                return Waited::Stopped(task);
            }
            Ok(Payload::Task(_)) => {}
            Ok(other) => return Waited::Failed(unexpected_text("task_status", &other)),
            Err(error) => return Waited::Failed(error),
        }
        progress.send(started).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_quickly_at_first_then_slower() {
        let ms = |s: f64| poll_interval(Duration::from_secs_f64(s)).as_millis();
        assert_eq!(ms(0.0), 100);
        assert_eq!(ms(1.9), 100);
        assert_eq!(ms(5.0), 250);
        assert_eq!(ms(20.0), 500);
        assert_eq!(ms(600.0), 1000);
    }
}
