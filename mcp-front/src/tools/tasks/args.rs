//! Arguments of the task tools (`list_tasks`, `task_log`, `task_status`,
//! `task_cancel`), with their JSON Schemas and conversion into typed requests.
//! Untrusted model output: serde refuses unknown fields, the proto newtypes every bad
//! value, naming the rule.

use crate::{
    change::operation::Operation,
    tools::args::{ArgError, at, node, vmid, wait_for},
};
use pve_mcp_proto::{
    PageLimit, TaskCancel, TaskLogQuery, TaskQuery, TaskStatusFilter, TaskTypeFilter, Upid,
};
use schemars::JsonSchema;
use serde::Deserialize;
use std::time::Duration;

/// Status of a listed task.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatusArg {
    Running,
    Ok,
    Warning,
    Error,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListTasksArgs {
    /// Only this node's.
    #[schemars(length(min = 1, max = 63))]
    pub node: Option<String>,
    /// Only this guest's.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: Option<u64>,
    /// Only types containing this, e.g. `qmstart`, `vzdump`, `qm` (VM tasks).
    #[serde(rename = "type")]
    #[schemars(length(min = 1, max = 32))]
    pub task_type: Option<String>,
    /// Only tasks in this state.
    pub status: Option<TaskStatusArg>,
    /// At most this many.
    #[schemars(range(min = 1, max = 1000), extend("default" = 100))]
    pub limit: Option<u64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskLogArgs {
    /// The task's UPID.
    #[schemars(length(min = 1, max = 256))]
    pub upid: String,
    /// How many lines.
    #[schemars(range(min = 1, max = 1000), extend("default" = 100))]
    pub lines: Option<u64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskStatusArgs {
    /// The task's UPID.
    #[schemars(length(min = 1, max = 256))]
    pub upid: String,
    /// Wait until it stops, with progress.
    #[schemars(extend("default" = false))]
    pub wait: Option<bool>,
    /// Longest wait in seconds.
    #[schemars(range(min = 1, max = 3600), extend("default" = 120))]
    pub timeout_secs: Option<u64>,
}

impl ListTasksArgs {
    pub fn into_request(self) -> Result<TaskQuery, ArgError> {
        Ok(TaskQuery {
            node: self.node.as_deref().map(node).transpose()?,
            vmid: self.vmid.map(vmid).transpose()?,
            task_type: self
                .task_type
                .as_deref()
                .map(TaskTypeFilter::parse)
                .transpose()?,
            status: self.status.map(|s| match s {
                TaskStatusArg::Running => TaskStatusFilter::Running,
                TaskStatusArg::Ok => TaskStatusFilter::Ok,
                TaskStatusArg::Warning => TaskStatusFilter::Warning,
                TaskStatusArg::Error => TaskStatusFilter::Error,
            }),
            limit: PageLimit::new(self.limit.unwrap_or(PageLimit::DEFAULT.into()))?,
        })
    }
}

impl TaskLogArgs {
    pub fn into_request(self) -> Result<TaskLogQuery, ArgError> {
        Ok(TaskLogQuery {
            upid: Upid::parse(&self.upid)?,
            lines: PageLimit::new(self.lines.unwrap_or(PageLimit::DEFAULT.into()))?,
        })
    }
}

impl TaskStatusArgs {
    /// The task, and how long to wait for it (`None`: do not wait).
    pub fn into_request(self) -> Result<(Upid, Option<Duration>), ArgError> {
        let wait = wait_for(Some(self.wait.unwrap_or(false)), self.timeout_secs)?;
        Ok((Upid::parse(&self.upid)?, wait))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskCancelArgs {
    /// The running task's UPID.
    #[schemars(length(min = 1, max = 256))]
    pub upid: String,
    /// Only show what would be sent; do nothing.
    pub dry_run: Option<bool>,
}

impl TaskCancelArgs {
    pub fn into_operation(self) -> Result<Operation, ArgError> {
        let upid = at("upid", Upid::parse(&self.upid))?;
        if upid.vmid().is_none() {
            return Err(ArgError(format!(
                "upid: task {upid} belongs to no guest; only tasks of guests can be stopped"
            )));
        }
        Ok(Operation::TaskCancel(TaskCancel {
            upid,
            confirmed: false,
        }))
    }
}
