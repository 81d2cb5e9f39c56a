//! The task tools: `list_tasks` (recent tasks, filtered), `task_log` (the tail of one
//! task's log), `task_status` (one task, optionally waited for with progress) and
//! `task_cancel` (stop a running task, confirmed by the user when the policy asks).
//! Tasks of guests outside the scope are never listed: the helper drops them.
//!
//! Arguments are untrusted model output, validated in [`args`]; answers come from the
//! helper and are only rendered here: text escaped, log lines quoted as data.

pub(crate) mod args;

use crate::{
    change::{
        action::{self, Waited, poll},
        progress::Progress,
    },
    policy::grants::{grant, granted_in_scope, in_scope},
    render::{
        self,
        untrusted::{self, own_line, own_lines},
    },
    tools::{
        reply::{forward, invalid, structured, tool_error, unexpected},
        session::PveMcp,
        spec::{ToolSpec, no_note},
        tasks::args::{ListTasksArgs, TaskCancelArgs, TaskLogArgs, TaskStatusArgs},
    },
};
use pve_mcp_proto::{Payload, Request, TaskInfo, TaskRef, TaskState};
use rmcp::{
    RoleServer,
    handler::server::{
        tool::{InputResponses, RequestState, schema_for_output},
        wrapper::Parameters,
    },
    model::{CallToolResponse, CallToolResult},
    service::RequestContext,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::Serialize;
use std::{fmt::Write, time::Instant};

/// One task as listed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Task {
    pub upid: String,
    pub node: String,
    /// `qmstart`, `vzdump`, `qmsnapshot`, ...
    #[serde(rename = "type")]
    pub task_type: String,
    /// The object, usually the guest's vmid; empty for node tasks.
    pub id: String,
    pub user: String,
    /// Seconds since the Unix epoch.
    pub starttime: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endtime: Option<u64>,
    /// `running`, or the exit status: `OK`, `WARNINGS: n`, or the error.
    pub status: String,
}

/// Result of `list_tasks`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TaskList {
    /// Matching tasks in scope, before the limit.
    pub total: u32,
    pub tasks: Vec<Task>,
}

/// Result of `task_log`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TaskLog {
    pub upid: String,
    pub total_lines: u64,
    /// Number (from 1) of the first line returned.
    pub first_line: u64,
    pub lines: Vec<String>,
}

/// Result of `task_status`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TaskStatus {
    pub upid: String,
    pub node: String,
    #[serde(rename = "type")]
    pub task_type: String,
    /// `running` or `stopped`.
    pub status: String,
    /// `OK`, `WARNINGS: n` or the error, once stopped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exitstatus: Option<String>,
    pub starttime: u64,
    /// Whether the task stopped with OK or warnings.
    pub succeeded: bool,
    /// The end of the log, when it failed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub log_tail: Vec<String>,
    /// Milliseconds spent waiting (0 without `wait`).
    pub waited_ms: u64,
}

impl TaskStatus {
    fn new(t: TaskInfo, waited_ms: u64) -> Self {
        let succeeded = t.succeeded();
        let TaskInfo {
            upid,
            node,
            task_type,
            status,
            exitstatus,
            starttime,
            log_tail,
        } = t;
        Self {
            upid: upid.to_string(),
            node: node.to_string(),
            task_type: own_line(task_type),
            status: match status {
                TaskState::Running => "running".into(),
                TaskState::Stopped => "stopped".into(),
            },
            exitstatus: exitstatus.map(own_line),
            starttime,
            succeeded,
            log_tail: own_lines(log_tail),
            waited_ms,
        }
    }
}

#[tool_router(router = task_router, vis = "pub(crate)")]
impl PveMcp {
    /// Recent Proxmox tasks (starts, stops, snapshots, backups, ...), newest first, one
    /// line each: start time, node, type, object (vmid), user, status. Filter by node,
    /// vmid, type (e.g. `qmstart`, `vzdump`, or `qm` for every VM task) and status
    /// (`running`, `ok`, `warning`, `error`). Use task_log for the log of one task.
    /// Read-only.
    #[tool(
        title = "List tasks",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<TaskList>()
    )]
    async fn list_tasks(&self, Parameters(args): Parameters<ListTasksArgs>) -> CallToolResult {
        let request = match args.into_request() {
            Ok(r) => Request::ListTasks(r),
            Err(e) => return invalid(e),
        };
        match forward(&self.helper, request).await {
            Ok(Payload::Tasks(list)) => {
                let list = TaskList {
                    total: list.total,
                    tasks: list.tasks.into_iter().map(task).collect(),
                };
                structured(&list, render_list(&list))
            }
            Ok(other) => unexpected("list_tasks", &other),
            Err(result) => result,
        }
    }

    /// The last lines of one task's log by UPID (as given by vm_action, list_tasks,
    /// ...): by default the last 100, at most 1000. Read-only.
    #[tool(
        title = "Task log",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<TaskLog>()
    )]
    async fn task_log(&self, Parameters(args): Parameters<TaskLogArgs>) -> CallToolResult {
        let request = match args.into_request() {
            Ok(r) => Request::TaskLog(r),
            Err(e) => return invalid(e),
        };
        match forward(&self.helper, request).await {
            Ok(Payload::TaskLog(l)) => {
                let l = TaskLog {
                    upid: l.upid.to_string(),
                    total_lines: l.total_lines,
                    first_line: l.first_line,
                    lines: own_lines(l.lines),
                };
                structured(&l, render_log(&l))
            }
            Ok(other) => unexpected("task_log", &other),
            Err(result) => result,
        }
    }

    /// The status of one task by UPID: running or stopped, and its exit status (with
    /// the end of the log when it failed). With `wait`, waits until it stops (up to
    /// timeout_secs, with progress notifications); a task still running then is
    /// reported as running, not cancelled. Read-only.
    #[tool(
        title = "Task status",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<TaskStatus>()
    )]
    async fn task_status(
        &self,
        Parameters(args): Parameters<TaskStatusArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let started = Instant::now();
        let (upid, wait) = match args.into_request() {
            Ok(r) => r,
            Err(e) => return invalid(e),
        };
        let request = Request::TaskStatus(TaskRef { upid: upid.clone() });
        let task = match forward(&self.helper, request).await {
            Ok(Payload::Task(t)) => t,
            Ok(other) => return unexpected("task_status", &other),
            Err(result) => return result,
        };
        let task = match wait {
            Some(limit) if task.status == TaskState::Running => {
                let what = format!("task {upid}");
                let mut progress = Progress::new(&ctx, what, limit);
                progress.send(started).await;
                match poll(self.engine(), &upid, (started, limit), &ctx, &mut progress).await {
                    Waited::Stopped(t) => t,
                    Waited::TimedOut => task,
                    Waited::Cancelled => {
                        return tool_error(format!(
                            "Cancelled: stopped waiting for task {upid}; the task itself \
                             keeps running."
                        ));
                    }
                    Waited::Failed(e) => return tool_error(e),
                }
            }
            _ => task,
        };
        let ms = if wait.is_some() {
            u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
        } else {
            0
        };
        let status = TaskStatus::new(task, ms);
        structured(&status, render_status(&status))
    }

    /// Stop a running Proxmox task by UPID (e.g. a migration, backup or download that
    /// should not go on) of a guest in scope. What the task did so far stays done: a
    /// stopped migration or clone may leave things to clean up. Reports the task's
    /// status right after the request; it may take a moment to stop (see task_status).
    #[tool(
        title = "Stop a task",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<TaskStatus>()
    )]
    async fn task_cancel(
        &self,
        Parameters(args): Parameters<TaskCancelArgs>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        let mut op = match args.into_operation() {
            Ok(op) => op,
            Err(e) => return invalid(e).into(),
        };
        let answered = action::answered(state, responses);
        match action::send(self.engine(), &mut op, answered, &ctx).await {
            Ok(Payload::Task(task)) => {
                let status = TaskStatus::new(task, 0);
                structured(&status, render_cancel(&status)).into()
            }
            Ok(other) => unexpected("task_cancel", &other).into(),
            Err(response) => response,
        }
    }
}

/// Where a task stands after the request to stop it.
fn render_cancel(s: &TaskStatus) -> String {
    let kind = untrusted::line(&s.task_type);
    let what = format!("task {} ({kind} on {})", s.upid, s.node);
    match &s.exitstatus {
        Some(exit) => format!(
            "Asked to stop {what}: it stopped: {}.\n",
            untrusted::line(exit)
        ),
        None => format!(
            "Asked to stop {what}: it is still running and should stop shortly; check it \
             with task_status.\n"
        ),
    }
}

fn task(t: pve_mcp_proto::TaskEntry) -> Task {
    let pve_mcp_proto::TaskEntry {
        upid,
        node,
        task_type,
        id,
        user,
        starttime,
        endtime,
        status,
    } = t;
    Task {
        upid: upid.to_string(),
        node: node.to_string(),
        task_type: own_line(task_type),
        id: own_line(id),
        user: own_line(user),
        starttime,
        endtime,
        status: own_line(status.unwrap_or_else(|| "running".into())),
    }
}

/// One line per task, then how many matched.
pub fn render_list(l: &TaskList) -> String {
    if l.tasks.is_empty() {
        return "No tasks match.\n".into();
    }
    let mut out = String::new();
    for t in &l.tasks {
        let id = if t.id.is_empty() { "-" } else { &t.id };
        let took = t
            .endtime
            .map(|e| format!(" ({}s)", e.saturating_sub(t.starttime)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{}  {}  {}  {}  {}  {}{took}",
            render::utc(t.starttime),
            t.node,
            untrusted::line(&t.task_type),
            untrusted::line(id),
            untrusted::line(&t.user),
            untrusted::line(render::truncate(&t.status, 200))
        );
    }
    let _ = writeln!(
        out,
        "{} of {} matching task(s) shown; UPIDs are in the structured result.",
        l.tasks.len(),
        l.total
    );
    out
}

/// The log lines, each quoted as data: Proxmox's words, with whatever a guest or its
/// admin wrote (names, descriptions, hook script output) among them.
fn render_log(l: &TaskLog) -> String {
    let what = format!(
        "Log of task {}, lines {}-{} of {}",
        l.upid,
        l.first_line,
        (l.first_line + l.lines.len() as u64).saturating_sub(1),
        l.total_lines
    );
    let mut out = untrusted::label(&what, "the task's output");
    out.push('\n');
    for line in &l.lines {
        untrusted::quote_line(&mut out, "", render::truncate(line, 512));
    }
    out
}

fn render_status(s: &TaskStatus) -> String {
    let kind = untrusted::line(&s.task_type);
    let mut out = match (&s.exitstatus, s.status.as_str()) {
        (Some(exit), _) => format!(
            "Task {} ({kind} on {}) stopped: {}.",
            s.upid,
            s.node,
            untrusted::line(exit)
        ),
        _ => format!(
            "Task {} ({kind} on {}) is running, started {}.",
            s.upid,
            s.node,
            render::utc(s.starttime)
        ),
    };
    out.push('\n');
    render::log_tail(&s.log_tail, &mut out);
    out
}

pub const LIST_TASKS: ToolSpec = ToolSpec {
    name: "list_tasks",
    grant: None,
    listed: |caps| caps.task_list || caps.node_tasks,
    note: no_note,
};

/// One task is read by its UPID: of a guest in scope, or through the raw API.
pub const TASK_LOG: ToolSpec = ToolSpec {
    name: "task_log",
    grant: None,
    listed: |caps| in_scope(caps) || !caps.api.is_empty(),
    note: no_note,
};

pub const TASK_STATUS: ToolSpec = ToolSpec {
    name: "task_status",
    grant: None,
    listed: |caps| in_scope(caps) || !caps.api.is_empty(),
    note: no_note,
};

pub const TASK_CANCEL: ToolSpec = ToolSpec {
    name: "task_cancel",
    grant: Some("task.cancel"),
    listed: |caps| granted_in_scope(caps, "task.cancel"),
    note: |caps| Some(grant(caps, "task.cancel")),
};

#[cfg(test)]
mod tests;
