//! What a power action, a snapshot change or a backup answers: an [`ActionResult`]
//! (the task's outcome, its UPID, the end of its log), as structured content and as
//! compact text.
//!
//! Built from our own request and the helper's task status; Proxmox's words (the exit
//! status, the log) are escaped when shown or serialized ([`untrusted`]).

use crate::render::{elapsed, log_tail, untrusted};
use schemars::JsonSchema;
use serde::Serialize;

/// How a `vm_action` or snapshot change ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionOutcome {
    /// The task was started; `wait` was false.
    Started,
    /// The task finished with `OK` or warnings.
    Succeeded,
    /// The task finished with an error.
    Failed,
    /// The task was still running when the wait ended; check it later by its UPID.
    StillRunning,
}

/// Result of `vm_action` and of the snapshot changes.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ActionResult {
    pub vmid: u32,
    /// The operation: `start`, ..., `snapshot.create`, `snapshot.rollback`,
    /// `snapshot.delete`.
    pub action: String,
    /// The snapshot, for snapshot changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    pub outcome: ActionOutcome,
    /// The Proxmox task id.
    pub upid: String,
    pub node: String,
    /// `OK`, `WARNINGS: n` or the error, once the task stopped.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::render::untrusted::serialize_line"
    )]
    pub exitstatus: Option<String>,
    /// Milliseconds from the request to the last task status seen.
    pub elapsed_ms: u64,
    /// Last lines of the task log, when it failed.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "crate::render::untrusted::serialize_lines"
    )]
    pub log_tail: Vec<String>,
}

fn task_hint(r: &ActionResult) -> String {
    format!(
        "task {} (check it with proxmox_api GET /nodes/{}/tasks/{}/status)",
        r.upid, r.node, r.upid
    )
}

/// The `vm_action` answer.
/// `"stop" on guest 101`, `"snapshot.rollback" to "pre-up" on guest 101`.
pub fn action_what(r: &ActionResult) -> String {
    match &r.snapshot {
        Some(name) => format!(
            "\"{}\" of snapshot \"{name}\" on guest {}",
            r.action, r.vmid
        ),
        None => format!("\"{}\" on guest {}", r.action, r.vmid),
    }
}

pub fn render_action(r: &ActionResult) -> String {
    let what = action_what(r);
    let status = untrusted::line(r.exitstatus.as_deref().unwrap_or("unknown"));
    let took = elapsed(r.elapsed_ms);
    let mut out = match r.outcome {
        ActionOutcome::Started => format!("Started {what}: {}.", task_hint(r)),
        ActionOutcome::Succeeded => {
            format!(
                "OK: {what} finished in {took} (exit status {status}; task {}).",
                r.upid
            )
        }
        ActionOutcome::Failed => format!(
            "Failed: {what} ended after {took} with: {status} (task {}).",
            r.upid
        ),
        ActionOutcome::StillRunning => format!(
            "Still running: {what} has not finished after {took}; it was not cancelled. \
             {}.",
            task_hint(r)
        ),
    };
    out.push('\n');
    log_tail(&r.log_tail, &mut out);
    out
}

#[cfg(test)]
pub(crate) mod tests;
