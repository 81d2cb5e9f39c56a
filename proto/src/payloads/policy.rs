//! What the policy in force allows, as the front shows it to the model
//! (`my_permissions`, the tool list): grants, confirmations, bounds and creation rules.

use crate::Operation;
use serde::{Deserialize, Serialize};

/// What the policy in force lets this client do, rendered for a model and for the
/// front's choice of tools. Informational: the helper still judges every request.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    /// The guests in scope as selectors (`100-199`, `pool:lab`, ...); empty: none.
    pub guests: Vec<String>,
    /// Selectors removed from the scope.
    pub guests_except: Vec<String>,
    /// Operations granted on (part of) the scope, one entry per grant.
    pub grants: Vec<GrantSummary>,
    /// Raw API patterns, `METHOD /path`.
    pub api: Vec<String>,
    /// Whether `node_status` for all nodes (`GET /nodes`) is allowed.
    pub node_list: bool,
    /// Whether `node_status` for one node (`GET /nodes/{node}/status`) is allowed.
    pub node_detail: bool,
    /// Whether `list_storage` may list every node's storages (`GET /cluster/resources`).
    #[serde(default)]
    pub storage_all: bool,
    /// Whether `list_storage` may list one node's storages (`GET /nodes/{node}/storage`).
    #[serde(default)]
    pub storage_node: bool,
    /// Whether `storage_content` is allowed (`GET /nodes/{node}/storage/{id}/content`).
    #[serde(default)]
    pub storage_content: bool,
    /// Whether `cluster_status` is allowed (`GET /cluster/status`).
    #[serde(default)]
    pub cluster_status: bool,
    /// Whether `cluster_status` also shows HA (`GET /cluster/ha/status/current`).
    #[serde(default)]
    pub ha_status: bool,
    /// Storages `backup_start` may write to (`[backup] storages`).
    #[serde(default)]
    pub backup_storages: Vec<String>,
    /// Whether `list_tasks` may list the cluster's tasks (`GET /cluster/tasks`).
    #[serde(default)]
    pub task_list: bool,
    /// Whether `list_tasks` may list one node's tasks (`GET /nodes/{node}/tasks`).
    #[serde(default)]
    pub node_tasks: bool,
    /// Allow-listed commands, as argv patterns joined by spaces.
    pub commands: Vec<String>,
    /// The longest time limit of an allow-listed command (`[commands] timeout_secs`
    /// and each `[[command]]`'s); the front waits that long for `execute_command`'s
    /// answer, whatever its own call timeout. 0: not said.
    #[serde(default)]
    pub command_timeout_secs: u64,
    /// Request limits, in words (e.g. "120 requests per minute, 8 at a time").
    pub limits: String,
    /// What new guests may be (`[create]`), absent when none may be made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<CreateSummary>,
    /// Bounds of every new or changed guest (`[bounds]`).
    #[serde(default)]
    pub bounds: BoundsSummary,
    /// Configuration keys `guest_configure` may change (`[config] keys`).
    #[serde(default)]
    pub config_keys: Vec<String>,
    /// Nodes guests may migrate to (`[migrate] nodes`).
    #[serde(default)]
    pub migrate_nodes: Vec<String>,
    /// Storages ISO images and templates may be downloaded to or deleted from.
    #[serde(default)]
    pub media_storages: Vec<String>,
    /// URL prefixes downloads may come from (`[storage] download_from`).
    #[serde(default)]
    pub download_from: Vec<String>,
    /// Whether ISO images and templates may be deleted (`[storage] delete`).
    #[serde(default)]
    pub media_delete: bool,
    /// Argv patterns the guest agent may run (`[agent] exec`).
    #[serde(default)]
    pub agent_exec: Vec<String>,
    /// How long `agent_exec` waits for a program (`[agent] timeout_secs`); the front
    /// waits that long for the answer, whatever its own call timeout. 0: not said.
    #[serde(default)]
    pub agent_timeout_secs: u64,
    /// Whether `firewall` may read the cluster's (`GET /cluster/firewall/**`).
    #[serde(default)]
    pub firewall_cluster: bool,
    /// Whether `firewall` may read a node's (`GET /nodes/*/firewall/**`).
    #[serde(default)]
    pub firewall_node: bool,
    /// Whether `list_pools` is allowed (`GET /pools`).
    #[serde(default)]
    pub pools: bool,
    /// Whether `ha_resources` is allowed (`GET /cluster/ha/resources`).
    #[serde(default)]
    pub ha_resources: bool,
    /// Every change is answered as a plan and none is made (`[changes] plans_only`).
    #[serde(default)]
    pub plans_only: bool,
    /// The parts of `cluster_health` whose read is allowed ([`HEALTH_PARTS`]), in its
    /// order.
    #[serde(default)]
    pub health: Vec<String>,
    /// Whether `node_networks` is allowed (`GET /nodes/*/network`).
    #[serde(default)]
    pub node_networks: bool,
    /// The bounds of guest firewall rules (`[firewall]`), one `key: values` line per
    /// entry set.
    #[serde(default)]
    pub firewall_bounds: Vec<String>,
}

/// The parts of `cluster_health`, each with the read it makes (`{node}`: once per node).
pub const HEALTH_PARTS: [(&str, &str); 8] = [
    ("quorum", "/cluster/status"),
    ("ceph", "/cluster/ceph/status"),
    ("zfs", "/nodes/{node}/disks/zfs"),
    ("disks", "/nodes/{node}/disks/list"),
    ("replication", "/nodes/{node}/replication"),
    ("certificates", "/nodes/{node}/certificates/info"),
    ("updates", "/nodes/{node}/apt/update"),
    ("tasks", "/cluster/tasks"),
];

/// `[create]` in words, for the front's tool descriptions and `my_permissions`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSummary {
    /// Kinds that may be created from scratch: `qemu`, `lxc`.
    pub types: Vec<String>,
    /// The vmid range of new guests, e.g. `9000-9099`.
    pub vmids: String,
    pub nodes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    pub tags: Vec<String>,
}

/// `[bounds]` in words.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BoundsSummary {
    pub max_cores: Option<u64>,
    pub max_memory_mib: Option<u64>,
    pub max_disk_gib: Option<u64>,
    pub storages: Vec<String>,
    pub bridges: Vec<String>,
    /// Volume patterns guests may be made from (ISO, image, template).
    pub sources: Vec<String>,
}

/// One grant of operations on guests.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantSummary {
    /// `guests` for the `[guests]` section, else the rule's name.
    pub rule: String,
    /// The guests it applies to (selectors); empty means the whole scope.
    pub guests: Vec<String>,
    /// Granted operations: `start`, `stop`, ..., `snapshot.create`, ...
    pub operations: Vec<Operation>,
    /// Operations among them that need the user's confirmation.
    pub confirm: Vec<Operation>,
}
