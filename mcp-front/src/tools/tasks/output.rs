//! What the task tools answer: a list of tasks, one task's log or status, as structured
//! content (the tools' output schemas) and as compact text.
//!
//! Answers come from the helper; Proxmox's text is escaped on the way in, and log
//! lines (whatever the task printed) quoted as data.

use crate::render::{
    self,
    untrusted::{self, own_line, own_lines},
};
use pve_mcp_proto::{TaskInfo, TaskState};
use schemars::JsonSchema;
use serde::Serialize;
use std::fmt::Write;

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
    pub(crate) fn new(t: TaskInfo, waited_ms: u64) -> Self {
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

/// Where a task stands after the request to stop it.
pub(crate) fn render_cancel(s: &TaskStatus) -> String {
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

pub(crate) fn task(t: pve_mcp_proto::TaskEntry) -> Task {
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
pub(crate) fn render_log(l: &TaskLog) -> String {
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

pub(crate) fn render_status(s: &TaskStatus) -> String {
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
