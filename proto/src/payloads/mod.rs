//! What pve-helper answers: a response (a payload, or an error of a known kind with
//! a message for the model) for each request.

use crate::values::VmId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The outcome of one call.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "result",
    content = "value",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum Response {
    Ok(Payload),
    Err(ErrorBody),
}

/// What a successful call returns, one variant per kind of answer. Built once per call
/// and moved, so its variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    content = "data",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum Payload {
    Guests(GuestPage),
    Guest(GuestDetail),
    Task(TaskInfo),
    Nodes(Vec<NodeInfo>),
    Api(ApiResult),
    Command(CommandOutput),
    Capabilities(Capabilities),
    Snapshots(SnapshotList),
    Config(GuestConfig),
    Tasks(TaskList),
    TaskLog(TaskLogTail),
    Cluster(ClusterInfo),
    Storages(Vec<StorageInfo>),
    Volumes(Vec<Volume>),
    Metrics(MetricsSummary),
    Agent(AgentAnswer),
    /// A guest being created, cloned or restored, with its task.
    NewGuest(NewGuest),
    Firewall(FirewallInfo),
    Pools(Vec<PoolInfo>),
    Ha(HaConfig),
    /// A free vmid.
    Vmid(VmId),
    /// A change judged and not done: what it would send.
    Plan(Plan),
    Networks(NodeNetworks),
}

/// The coarse class of an error; the only error detail that crosses the socket
/// besides the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The policy refused the request; `rule` names the deciding rule.
    Denied,
    /// The request is malformed or violates a field's rule.
    Invalid,
    /// The object does not exist, or is outside the policy's scope.
    NotFound,
    /// Proxmox answered with an error; `upstream_status` holds its HTTP status.
    Upstream,
    /// Proxmox or a command did not answer in time.
    Timeout,
    /// The helper cannot serve now (Proxmox unreachable, TLS failure, overload).
    Unavailable,
    /// The client exceeded a rate or concurrency limit.
    RateLimited,
    /// The policy marks the action `confirm`: ask the user, then send it again with
    /// `confirmed: true`.
    ConfirmationRequired,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Denied => "denied",
            Self::Invalid => "invalid",
            Self::NotFound => "not found",
            Self::Upstream => "upstream error",
            Self::Timeout => "timeout",
            Self::Unavailable => "unavailable",
            Self::RateLimited => "rate limited",
            Self::ConfirmationRequired => "confirmation required",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    pub kind: ErrorKind,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_status: Option<u16>,
}

impl ErrorBody {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            rule: None,
            upstream_status: None,
        }
    }
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)
    }
}

mod api;
mod cluster;
mod guests;
mod network;
mod policy;
mod storage;
mod tasks;

pub use api::*;
pub use cluster::*;
pub use guests::*;
pub use network::*;
pub use policy::*;
pub use storage::*;
pub use tasks::*;
