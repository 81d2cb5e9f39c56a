//! `vm_action`: start a guest action, then poll its Proxmox task until it stops, the wait
//! ends or the client cancels, sending MCP progress notifications while waiting.
//!
//! The task's UPID is never lost: every outcome, including errors while polling, names it
//! so the model can check the task later.

use crate::{
    args::ActionPlan,
    helper_client::HelperClient,
    output::{ActionOutcome, ActionResult},
    render,
    tools::{call, forward, structured, tool_error, unexpected, unexpected_text},
};
use pve_mcp_proto::{Payload, Request, TaskInfo, TaskRef, TaskState, Upid};
use rmcp::{
    RoleServer,
    model::{CallToolResult, ProgressNotificationParam, ProgressToken},
    service::RequestContext,
};
use std::time::{Duration, Instant};

const FIRST_POLL: Duration = Duration::from_millis(200);
const MAX_POLL: Duration = Duration::from_secs(1);

/// How waiting for the task ended.
enum Waited {
    Stopped(TaskInfo),
    TimedOut,
    Cancelled,
    /// The task's status could not be read; the text says why.
    Failed(String),
}

/// Runs the action of `plan` and, if asked, waits for its task.
pub async fn perform(
    helper: &HelperClient,
    plan: ActionPlan,
    ctx: &RequestContext<RoleServer>,
) -> CallToolResult {
    let started = Instant::now();
    let ActionPlan { request, wait } = plan;
    let task = match forward(helper, Request::GuestAction(request.clone())).await {
        Ok(Payload::Task(task)) => task,
        Ok(other) => return unexpected("guest_action", &other),
        Err(result) => return result,
    };
    let mut result = ActionResult {
        vmid: request.vmid.get(),
        action: request.action.to_string(),
        outcome: ActionOutcome::Started,
        upid: task.upid.to_string(),
        node: task.node.to_string(),
        exitstatus: None,
        elapsed_ms: 0,
        log_tail: Vec::new(),
    };
    let waited = match wait {
        None => return finish(result, started),
        Some(_) if task.status == TaskState::Stopped => Waited::Stopped(task),
        Some(limit) => {
            let progress = Progress::new(ctx, &result, limit);
            progress.send(started).await;
            poll(helper, &task.upid, (started, limit), ctx, &progress).await
        }
    };
    match waited {
        Waited::Stopped(task) => {
            result.outcome = if task.succeeded() {
                ActionOutcome::Succeeded
            } else {
                ActionOutcome::Failed
            };
            result.exitstatus = task.exitstatus;
            result.log_tail = task.log_tail;
        }
        Waited::TimedOut => result.outcome = ActionOutcome::StillRunning,
        Waited::Cancelled => {
            return tool_error(format!(
                "Cancelled: stopped waiting for task {}; the task itself keeps running.",
                result.upid
            ));
        }
        Waited::Failed(error) => {
            return tool_error(format!(
                "{error}\nThe action was started as task {} on node {}; its outcome is \
                 unknown: check it with proxmox_api GET /nodes/{}/tasks/{}/status.",
                result.upid, result.node, result.node, result.upid
            ));
        }
    }
    finish(result, started)
}

fn finish(mut result: ActionResult, started: Instant) -> CallToolResult {
    result.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let mut out = structured(&result, render::action(&result));
    if result.outcome == ActionOutcome::Failed {
        out.is_error = Some(true);
    }
    out
}

/// Polls the task with a growing interval until it stops, `deadline` passes or the
/// request is cancelled.
async fn poll(
    helper: &HelperClient,
    upid: &Upid,
    (started, limit): (Instant, Duration),
    ctx: &RequestContext<RoleServer>,
    progress: &Progress<'_>,
) -> Waited {
    let deadline = started + limit;
    let mut delay = FIRST_POLL;
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Waited::TimedOut;
        }
        tokio::select! {
            _ = ctx.ct.cancelled() => return Waited::Cancelled,
            _ = tokio::time::sleep(delay.min(deadline - now)) => {}
        }
        let request = Request::TaskStatus(TaskRef { upid: upid.clone() });
        let answer = tokio::select! {
            _ = ctx.ct.cancelled() => return Waited::Cancelled,
            answer = call(helper, request) => answer,
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
        delay = (delay * 3 / 2).min(MAX_POLL);
    }
}

/// Progress notifications for one wait; silent when the client sent no progress token.
struct Progress<'a> {
    ctx: &'a RequestContext<RoleServer>,
    token: Option<ProgressToken>,
    what: String,
    total: Duration,
}

impl<'a> Progress<'a> {
    fn new(ctx: &'a RequestContext<RoleServer>, r: &ActionResult, total: Duration) -> Self {
        Self {
            ctx,
            token: ctx.meta.get_progress_token(),
            what: format!("\"{}\" on guest {} (task {})", r.action, r.vmid, r.upid),
            total,
        }
    }

    async fn send(&self, since: Instant) {
        let Some(token) = &self.token else { return };
        let secs = since.elapsed().as_secs_f64();
        let param = ProgressNotificationParam::new(token.clone(), secs)
            .with_total(self.total.as_secs_f64())
            .with_message(format!("{}: running for {secs:.1} s", self.what));
        if let Err(e) = self.ctx.peer.notify_progress(param).await {
            tracing::debug!(error = %e, "progress notification not sent");
        }
    }
}
