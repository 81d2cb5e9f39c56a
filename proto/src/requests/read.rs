//! Requests that only read: guests, nodes, tasks, storage, metrics, the guest
//! agent's read-only questions, the firewall, pools, HA, the next free vmid, a node's
//! networks.

use crate::values::{
    AgentCommand, ContentType, GuestState, GuestType, InvalidValue, NetworkType, NodeName,
    PoolName, StorageId, Tag, TaskTypeFilter, Timeframe, Upid, VmId,
};
use serde::{Deserialize, Serialize};

/// Firewall rules and options of the cluster (neither field), a node, or a guest.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FirewallQuery {
    pub node: Option<NodeName>,
    pub vmid: Option<VmId>,
}

/// Resource pools: all, or one with its members.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoolQuery {
    pub pool: Option<PoolName>,
}

/// HA resources and groups; takes no arguments.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HaQuery {}

/// A node's network interfaces, all or of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkQuery {
    pub node: NodeName,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub iface_type: Option<NetworkType>,
}

/// The lowest free vmid of `[create] vmids`; takes no arguments.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NextVmidQuery {}

/// A page of the guests in scope, filtered.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListGuests {
    pub node: Option<NodeName>,
    pub status: Option<GuestState>,
    #[serde(rename = "type")]
    pub guest_type: Option<GuestType>,
    pub tag: Option<Tag>,
    pub name: Option<NameFilter>,
    pub limit: PageLimit,
    pub offset: u32,
}

/// Case-insensitive substring of a guest name: 1..=128 printable characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NameFilter(String);

impl NameFilter {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        if s.is_empty() || s.chars().count() > 128 || s.chars().any(char::is_control) {
            return Err(InvalidValue(
                "name filter must be 1 to 128 printable characters".into(),
            ));
        }
        Ok(Self(s.to_lowercase()))
    }

    pub fn matches(&self, name: &str) -> bool {
        name.to_lowercase().contains(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for NameFilter {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, InvalidValue> {
        Self::parse(&s)
    }
}

impl From<NameFilter> for String {
    fn from(n: NameFilter) -> String {
        n.0
    }
}

/// Page size: 1..=1000, default 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u32")]
pub struct PageLimit(u32);

impl PageLimit {
    pub const MAX: u32 = 1000;
    pub const DEFAULT: u32 = 100;

    pub fn new(n: u64) -> Result<Self, InvalidValue> {
        match u32::try_from(n) {
            Ok(n) if (1..=Self::MAX).contains(&n) => Ok(Self(n)),
            _ => Err(InvalidValue(format!(
                "limit {n} is out of range: must be 1 to {}",
                Self::MAX
            ))),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for PageLimit {
    fn default() -> Self {
        Self(Self::DEFAULT)
    }
}

impl TryFrom<u64> for PageLimit {
    type Error = InvalidValue;
    fn try_from(n: u64) -> Result<Self, InvalidValue> {
        Self::new(n)
    }
}

impl From<PageLimit> for u32 {
    fn from(l: PageLimit) -> u32 {
        l.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestRef {
    pub vmid: VmId,
}

/// Asks for [`Capabilities`](crate::Capabilities); takes no arguments.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Describe {}

/// Status of one node, or of every node when `node` is absent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeQuery {
    pub node: Option<NodeName>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskRef {
    pub upid: Upid,
}

/// One agent command for one VM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentQuery {
    pub vmid: VmId,
    pub command: AgentCommand,
}

/// Usage of one guest over `timeframe`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsQuery {
    pub vmid: VmId,
    #[serde(default)]
    pub timeframe: Timeframe,
}

/// Storages of one node, or of every node.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageQuery {
    pub node: Option<NodeName>,
}

/// The volumes of one storage on one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentQuery {
    pub node: NodeName,
    pub storage: StorageId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<ContentType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmid: Option<VmId>,
}

/// Asks for [`ClusterInfo`](crate::ClusterInfo); takes no arguments.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterQuery {}

/// Which tasks to list: every filter is optional; newest first, at most `limit`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TaskQuery {
    /// Only this node's tasks (one `/nodes/{node}/tasks` call); else the whole
    /// cluster's recent tasks (`/cluster/tasks`).
    pub node: Option<NodeName>,
    pub vmid: Option<VmId>,
    /// Only task types containing this text, e.g. `qmstart`, `vzdump`, `qm`.
    #[serde(rename = "type")]
    pub task_type: Option<TaskTypeFilter>,
    pub status: Option<TaskStatusFilter>,
    pub limit: PageLimit,
}

/// How a listed task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatusFilter {
    Running,
    Ok,
    Warning,
    /// Failed: stopped with an error.
    Error,
}

/// The tail of a task's log: at most `lines` lines (1 to 1000, default 100).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskLogQuery {
    pub upid: Upid,
    #[serde(default)]
    pub lines: PageLimit,
}
