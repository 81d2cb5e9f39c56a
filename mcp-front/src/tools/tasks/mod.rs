//! The task tools: `list_tasks` (recent tasks, filtered), `task_log` (the tail of one
//! task's log), `task_status` (one task, optionally waited for with progress) and
//! `task_cancel` (stop a running task, confirmed by the user when the policy asks).
//! Tasks of guests outside the scope are never listed: the helper drops them.
//!
//! Arguments are untrusted model output, validated in [`args`]; answers come from the
//! helper and are only rendered ([`output`]): text escaped, log lines quoted as data.

pub(crate) mod args;

pub(crate) mod output;

use crate::mcp::described::{self, Parameters};
use crate::{
    change::{
        action::{self, Waited, poll},
        plan,
        progress::Progress,
    },
    policy::grants::{grant, granted_in_scope, in_scope},
    render::untrusted::own_lines,
    tools::{
        reply::{forward, invalid, structured, tool_error, unexpected},
        session::PveMcp,
        spec::{ToolSpec, no_note},
        tasks::args::{ListTasksArgs, TaskCancelArgs, TaskLogArgs, TaskStatusArgs},
    },
};
use output::{
    TaskList, TaskLog, TaskStatus, render_cancel, render_list, render_log, render_status, task,
};
use pve_mcp_proto::{Operation, Payload, Request, TaskRef, TaskState};
use rmcp::{
    RoleServer,
    handler::server::tool::{InputResponses, RequestState},
    model::{CallToolResponse, CallToolResult},
    service::RequestContext,
    tool, tool_router,
};
use std::time::Instant;

#[tool_router(router = task_router, vis = "pub(crate)")]
impl PveMcp {
    /// Recent Proxmox tasks, newest first, one line each: start, node, type, vmid,
    /// user, status. Read-only.
    #[tool(
        title = "List tasks",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = described::output::<TaskList>()
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

    /// The last lines of one task's log. Read-only.
    #[tool(
        title = "Task log",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = described::output::<TaskLog>()
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

    /// One task's status: running or stopped, its exit status (and log's end when it
    /// failed); with `wait`, once it stops. Read-only.
    #[tool(
        title = "Task status",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = described::output::<TaskStatus>()
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

    /// Stop a guest's running task (e.g. a migration or backup); what it did stays
    /// done and may need cleaning up.
    #[tool(
        title = "Stop a task",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = described::output::<TaskStatus>()
    )]
    async fn task_cancel(
        &self,
        Parameters(args): Parameters<TaskCancelArgs>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        let dry_run = args.dry_run == Some(true);
        let mut op = match args.into_operation() {
            Ok(op) => op,
            Err(e) => return invalid(e).into(),
        };
        if dry_run {
            return plan::plan_operation(self.engine(), &op).await.into();
        }
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
    grant: Some(Operation::TaskCancel),
    listed: |caps| granted_in_scope(caps, Operation::TaskCancel),
    note: |caps| Some(grant(caps, Operation::TaskCancel)),
};

#[cfg(test)]
mod tests;
