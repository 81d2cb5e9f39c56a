//! Answers about the cluster: nodes, membership and quorum, HA status, resources,
//! rules and groups, pools and their members, guest firewall rules.

use crate::values::{GuestType, NodeName, VmId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A firewall's rules and options, as PVE reports them (options are a flat object).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirewallInfo {
    /// `cluster`, `node NAME` or `guest VMID`.
    pub scope: String,
    pub rules: Vec<FirewallRule>,
    pub options: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirewallRule {
    pub pos: u32,
    /// `in`, `out`, `forward` or `group`.
    #[serde(rename = "type")]
    pub rule_type: String,
    pub action: String,
    pub enable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proto: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dport: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sport: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub macro_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iface: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A resource pool and, when one pool was asked for, its members in scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolInfo {
    pub pool: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<PoolMember>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolMember {
    /// `qemu`, `lxc` or `storage`.
    #[serde(rename = "type")]
    pub member_type: String,
    /// The guest's vmid, or absent for a storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmid: Option<VmId>,
    /// The guest's name or the storage id.
    pub name: String,
    pub node: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
}

/// HA resources (of guests in scope) and HA groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HaConfig {
    pub resources: Vec<HaResource>,
    /// HA groups (Proxmox VE 8).
    pub groups: Vec<HaGroup>,
    /// HA rules (Proxmox VE 9, which migrated groups to node-affinity rules): only
    /// rules whose guests are all in scope.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<HaRule>,
}

/// A PVE 9 HA rule: where guests run (`node-affinity`) or whether they run together
/// (`resource-affinity`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HaRule {
    pub rule: String,
    /// `node-affinity` or `resource-affinity`.
    pub rule_type: String,
    /// `vm:101,ct:102`.
    pub resources: String,
    /// Node affinity: `node[:priority],...`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<String>,
    /// Resource affinity: `positive` or `negative`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub strict: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HaResource {
    /// `vm:101`, `ct:102`.
    pub sid: String,
    pub vmid: VmId,
    /// `started`, `stopped`, `disabled`, `ignored`.
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_restart: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_relocate: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HaGroup {
    pub group: String,
    /// `node[:priority],...`
    pub nodes: String,
    pub restricted: bool,
    pub nofailback: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// One node; the detail fields are filled when a single node was asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeInfo {
    pub node: NodeName,
    /// `online`, `offline` or `unknown`.
    pub status: String,
    /// CPU load as a fraction of all the node's cores, 0.0 ..= 1.0 (as PVE reports it).
    pub cpu: f64,
    pub maxcpu: u32,
    pub mem: u64,
    pub maxmem: u64,
    pub disk: u64,
    pub maxdisk: u64,
    pub uptime: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loadavg: Option<[f64; 3]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kversion: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pveversion: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_model: Option<String>,
}

/// The cluster as `/cluster/status` (and `/cluster/ha/status/current`) show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterInfo {
    /// The cluster's name; absent for a standalone node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quorate: Option<bool>,
    /// corosync config version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_version: Option<u64>,
    pub nodes: Vec<ClusterNode>,
    /// HA state, when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ha: Option<HaStatus>,
    /// Why the HA state is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ha_note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterNode {
    pub name: NodeName,
    pub online: bool,
    /// The node the helper talks to.
    pub local: bool,
    pub nodeid: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

/// The HA manager's view: quorum, the CRM master, each LRM, and the HA-managed guests
/// in scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HaStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quorum: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master: Option<String>,
    pub lrms: Vec<String>,
    pub services: Vec<HaService>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HaService {
    pub vmid: VmId,
    #[serde(rename = "type")]
    pub guest_type: GuestType,
    pub node: NodeName,
    /// `started`, `stopped`, `fence`, `error`, ...
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_state: Option<String>,
}
