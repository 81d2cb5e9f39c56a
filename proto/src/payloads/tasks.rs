//! Answers about Proxmox tasks: a task's state, lists of tasks, a log's tail.

use crate::values::{NodeName, Upid};
use serde::{Deserialize, Serialize};

/// Run state of a Proxmox task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskState {
    Running,
    Stopped,
}

/// A Proxmox task: started by an action, or looked up by UPID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskInfo {
    pub upid: Upid,
    pub node: NodeName,
    pub task_type: String,
    pub status: TaskState,
    /// `OK`, `WARNINGS: n`, or the error message, once stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exitstatus: Option<String>,
    pub starttime: u64,
    /// The last lines of the task log, when it failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log_tail: Vec<String>,
}

impl TaskInfo {
    /// Whether the task stopped with `OK` (or only warnings).
    pub fn succeeded(&self) -> bool {
        self.status == TaskState::Stopped
            && self
                .exitstatus
                .as_deref()
                .is_some_and(|s| s == "OK" || s.starts_with("WARNINGS"))
    }
}

/// Recent tasks, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskList {
    /// Tasks that matched, in scope, before the limit.
    pub total: u32,
    pub tasks: Vec<TaskEntry>,
}

/// One task as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskEntry {
    pub upid: Upid,
    pub node: NodeName,
    pub task_type: String,
    /// The object: a vmid for guest tasks, often empty otherwise.
    pub id: String,
    pub user: String,
    pub starttime: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endtime: Option<u64>,
    /// The exit status (`OK`, `WARNINGS: n`, the error) once stopped; absent while running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// The last lines of a task's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskLogTail {
    pub upid: Upid,
    /// Lines in the whole log.
    pub total_lines: u64,
    /// Number (1-based) of the first line returned.
    pub first_line: u64,
    pub lines: Vec<String>,
}
