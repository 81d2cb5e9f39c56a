//! Answers about guests: listings and their counts, one guest's detail and
//! configuration, a new guest, snapshots, guest-agent answers and metrics.

use crate::values::{AgentCommand, GuestLock, GuestState, GuestType, NodeName, Timeframe, VmId};
use serde::{Deserialize, Serialize};

/// A guest being made (created, cloned or restored) and the task making it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewGuest {
    pub vmid: VmId,
    pub node: NodeName,
    pub task: super::TaskInfo,
    /// What the new guest will be unlike what was asked (a disk imported from an image
    /// takes the image's size).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One guest as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestSummary {
    pub vmid: VmId,
    pub name: String,
    #[serde(rename = "type")]
    pub guest_type: GuestType,
    pub node: NodeName,
    pub status: GuestState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub template: bool,
    /// The config lock a task holds on the guest (a backup, a migration); absent when
    /// there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<GuestLock>,
    /// CPU usage as a fraction of the guest's vCPUs, 0.0 ..= 1.0 (as PVE reports it).
    pub cpu: f64,
    pub maxcpu: f64,
    pub mem: u64,
    pub maxmem: u64,
    pub uptime: u64,
}

/// A page of guests, with counts over every guest that matched the filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestPage {
    /// Guests in scope that match the filter, before paging.
    pub total: u32,
    pub offset: u32,
    pub limit: u32,
    pub counts: GuestCounts,
    pub guests: Vec<GuestSummary>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestCounts {
    pub running: u32,
    pub stopped: u32,
    pub other: u32,
    pub qemu: u32,
    pub lxc: u32,
}

/// Current status of one guest; its lock is the guest's (`guest.lock`), read with the
/// status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestDetail {
    pub guest: GuestSummary,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qmpstatus: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ha_state: Option<String>,
    pub disk: u64,
    pub maxdisk: u64,
    pub netin: u64,
    pub netout: u64,
    pub diskread: u64,
    pub diskwrite: u64,
}

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
