//! A raw Proxmox API call and an allow-listed command: the two requests whose
//! judgment reads the policy's `[api]` and `[commands]` patterns.

use crate::values::{ApiMethod, ApiParams, ApiPath, Argv};
use serde::{Deserialize, Serialize};

/// A raw Proxmox API call, matched against the policy's `[api]` patterns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiCall {
    pub method: ApiMethod,
    pub path: ApiPath,
    #[serde(default)]
    pub params: ApiParams,
}

/// An allow-listed command, run by execve without a shell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunCommand {
    pub argv: Argv,
}
