//! Answers of a raw API call and of an allow-listed command.

use serde::{Deserialize, Serialize};

/// The `data` member of a raw API answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiResult {
    pub data: serde_json::Value,
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
