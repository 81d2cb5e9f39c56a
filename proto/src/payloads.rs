//! Payloads of the operations beyond the first six (guest configuration, snapshots,
//! tasks, storage, cluster, metrics, guest agent): plain data the helper builds from
//! validated Proxmox answers and the front only renders.

use crate::types::*;
use serde::{Deserialize, Serialize};

/// A guest's configuration as Proxmox stores it (`key: value` lines), with the values
/// of secret keys replaced by `[redacted]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestConfig {
    pub vmid: VmId,
    #[serde(rename = "type")]
    pub guest_type: GuestType,
    pub node: NodeName,
    pub config: std::collections::BTreeMap<String, String>,
    /// Keys whose value (or part of it) was redacted.
    #[serde(default)]
    pub redacted: Vec<String>,
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

/// What the guest agent answered; only the part the command asked for is filled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentAnswer {
    pub vmid: VmId,
    pub command: AgentCommand,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<GuestOs>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interfaces: Vec<NetInterface>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestOs {
    pub name: String,
    pub pretty_name: String,
    pub version: String,
    pub kernel_release: String,
    pub machine: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetInterface {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// `address/prefix`.
    pub addresses: Vec<String>,
}

/// Average, peak and latest value of one metric over the points that had one.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stat {
    pub avg: f64,
    pub max: f64,
    pub last: f64,
}

/// A guest's usage over a timeframe, from PVE's RRD (averages per point).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSummary {
    pub vmid: VmId,
    pub timeframe: Timeframe,
    /// Points with data, and the seconds between two points.
    pub points: u32,
    pub step_secs: u64,
    /// First and last point, seconds since the epoch.
    pub from: u64,
    pub to: u64,
    /// CPU as a fraction of the guest's vCPUs (0 to 1).
    pub cpu: Stat,
    pub maxcpu: f64,
    /// Memory in bytes.
    pub mem: Stat,
    pub maxmem: u64,
    /// Bytes per second.
    pub netin: Stat,
    pub netout: Stat,
    pub diskread: Stat,
    pub diskwrite: Stat,
}

/// One storage on one node, with its usage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageInfo {
    pub storage: StorageId,
    pub node: NodeName,
    /// `dir`, `lvmthin`, `nfs`, `zfspool`, ...
    #[serde(rename = "type")]
    pub storage_type: String,
    /// What it holds: `images`, `rootdir`, `iso`, `vztmpl`, `backup`, ...
    pub content: Vec<String>,
    pub shared: bool,
    pub active: bool,
    pub total: u64,
    pub used: u64,
}

/// One volume (disk image, backup, ISO image, template).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Volume {
    pub storage: StorageId,
    /// `storage:path`, e.g. `nas:backup/vzdump-qemu-101-2024_12_02-03_00_00.vma.zst`.
    pub volid: String,
    pub content: String,
    #[serde(default)]
    pub format: String,
    pub size: u64,
    /// Creation time, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ctime: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmid: Option<VmId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
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

/// The snapshots of one guest, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotList {
    pub vmid: VmId,
    #[serde(rename = "type")]
    pub guest_type: GuestType,
    pub snapshots: Vec<SnapshotInfo>,
    /// The snapshot the guest's current state derives from (PVE's `current` entry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_parent: Option<String>,
}

/// One snapshot as Proxmox lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotInfo {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Creation time, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snaptime: Option<u64>,
    /// The snapshot holds the VM's RAM (QEMU).
    #[serde(default)]
    pub vmstate: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}
