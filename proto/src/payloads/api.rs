//! Answers of a raw API call and of an allow-listed command.

use serde::{Deserialize, Serialize};

/// The `data` member of a raw API answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiResult {
    pub data: serde_json::Value,
}

/// What a change would do, judged but not done: the Proxmox requests the helper would
/// send, in order, with their parameters (secret values redacted), or the command it
/// would run. Answers a call sent as a plan, and every change under `[changes]
/// plans_only`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub calls: Vec<PlannedCall>,
    /// The allow-listed command that would run, as its argument vector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// The rule that allowed it.
    pub rule: String,
    /// Whether the policy would ask the user to confirm it first.
    pub confirm: bool,
    /// Later requests depend on Proxmox's answers to earlier ones (a task's end, a
    /// guest's state): they are what the helper would send if each step succeeded.
    pub stepwise: bool,
}

/// One Proxmox request of a [`Plan`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlannedCall {
    pub method: crate::ApiMethod,
    /// The path below `/api2/json`.
    pub path: String,
    /// Form or query parameters, in the order they would be sent.
    pub params: Vec<(String, String)>,
}

/// What an allow-listed command did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandOutput {
    /// Exit code, absent when a signal ended the command.
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Output beyond the policy's cap was dropped.
    pub truncated: bool,
    pub duration_ms: u64,
}
