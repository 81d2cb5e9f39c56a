//! Structured tool output: front-side mirrors of the proto payloads that derive
//! `JsonSchema`, so each tool publishes an `outputSchema` (proto must not depend on
//! schemars).
//!
//! Every conversion destructures the proto type exhaustively: a field added to the
//! wire contract does not compile here until the output schema says what becomes of it.
//! Text from Proxmox or a guest is escaped on the way ([`untrusted`]): hidden characters
//! never reach structured content either; what other modules build (an action's
//! result, an API answer) is escaped when serialized.

use crate::render::untrusted::{own_line, own_lines, own_text};
use pve_mcp_proto as proto;
use schemars::JsonSchema;
use serde::Serialize;

#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GuestState {
    Running,
    Stopped,
    Paused,
    Suspended,
    Unknown,
}

impl GuestState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Stopped => "stopped",
            Self::Paused => "paused",
            Self::Suspended => "suspended",
            Self::Unknown => "unknown",
        }
    }
}

impl From<proto::GuestState> for GuestState {
    fn from(s: proto::GuestState) -> Self {
        match s {
            proto::GuestState::Running => Self::Running,
            proto::GuestState::Stopped => Self::Stopped,
            proto::GuestState::Paused => Self::Paused,
            proto::GuestState::Suspended => Self::Suspended,
            proto::GuestState::Unknown => Self::Unknown,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GuestType {
    Qemu,
    Lxc,
}

impl GuestType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Qemu => "qemu",
            Self::Lxc => "lxc",
        }
    }
}

impl From<proto::GuestType> for GuestType {
    fn from(t: proto::GuestType) -> Self {
        match t {
            proto::GuestType::Qemu => Self::Qemu,
            proto::GuestType::Lxc => Self::Lxc,
        }
    }
}

/// One guest (VM or container).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Guest {
    pub vmid: u32,
    pub name: String,
    #[serde(rename = "type")]
    pub guest_type: GuestType,
    pub node: String,
    pub status: GuestState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    pub tags: Vec<String>,
    pub template: bool,
    /// CPU in use, in cores (0 to maxcpu).
    pub cpu: f64,
    /// Number of virtual CPUs.
    pub maxcpu: f64,
    /// Memory in use, bytes.
    pub mem: u64,
    /// Memory assigned, bytes.
    pub maxmem: u64,
    /// Seconds since start; 0 when not running.
    pub uptime: u64,
}

impl From<proto::GuestSummary> for Guest {
    fn from(g: proto::GuestSummary) -> Self {
        let proto::GuestSummary {
            vmid,
            name,
            guest_type,
            node,
            status,
            pool,
            tags,
            template,
            cpu,
            maxcpu,
            mem,
            maxmem,
            uptime,
        } = g;
        Self {
            vmid: vmid.get(),
            name: own_line(name),
            guest_type: guest_type.into(),
            node: node.into(),
            status: status.into(),
            pool: pool.map(own_line),
            tags: own_lines(tags),
            template,
            cpu,
            maxcpu,
            mem,
            maxmem,
            uptime,
        }
    }
}

/// Counts over every guest that matched the filter, not only this page.
#[derive(Debug, Clone, Copy, Default, Serialize, JsonSchema)]
pub struct GuestCounts {
    pub running: u32,
    pub stopped: u32,
    pub other: u32,
    pub qemu: u32,
    pub lxc: u32,
}

/// One page of `list_vms`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GuestPage {
    /// Guests matching the filter, before paging.
    pub total: u32,
    pub offset: u32,
    pub limit: u32,
    /// Offset of the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<u32>,
    pub counts: GuestCounts,
    pub guests: Vec<Guest>,
}

impl From<proto::GuestPage> for GuestPage {
    fn from(p: proto::GuestPage) -> Self {
        let proto::GuestPage {
            total,
            offset,
            limit,
            counts,
            guests,
        } = p;
        let proto::GuestCounts {
            running,
            stopped,
            other,
            qemu,
            lxc,
        } = counts;
        let end = offset.saturating_add(u32::try_from(guests.len()).unwrap_or(u32::MAX));
        Self {
            total,
            offset,
            limit,
            next_offset: (end < total && !guests.is_empty()).then_some(end),
            counts: GuestCounts {
                running,
                stopped,
                other,
                qemu,
                lxc,
            },
            guests: guests.into_iter().map(Guest::from).collect(),
        }
    }
}

/// Current status of one guest.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GuestDetail {
    pub guest: Guest,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qmpstatus: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ha_state: Option<String>,
    pub disk: u64,
    pub maxdisk: u64,
    pub netin: u64,
    pub netout: u64,
    pub diskread: u64,
    pub diskwrite: u64,
}

impl From<proto::GuestDetail> for GuestDetail {
    fn from(d: proto::GuestDetail) -> Self {
        let proto::GuestDetail {
            guest,
            qmpstatus,
            lock,
            ha_state,
            disk,
            maxdisk,
            netin,
            netout,
            diskread,
            diskwrite,
        } = d;
        Self {
            guest: guest.into(),
            qmpstatus: qmpstatus.map(own_line),
            lock: lock.map(own_line),
            ha_state: ha_state.map(own_line),
            disk,
            maxdisk,
            netin,
            netout,
            diskread,
            diskwrite,
        }
    }
}

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

/// One snapshot of a guest.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Snapshot {
    pub name: String,
    pub description: String,
    /// Creation time, seconds since the Unix epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snaptime: Option<u64>,
    /// The snapshot includes the VM's RAM (rolling back resumes the VM running).
    pub vmstate: bool,
    /// The snapshot this one was taken from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

/// Result of `snapshot_list`: the snapshots of one guest, oldest first.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SnapshotList {
    pub vmid: u32,
    #[serde(rename = "type")]
    pub guest_type: GuestType,
    pub snapshots: Vec<Snapshot>,
    /// The snapshot the guest's current state derives from (absent: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_parent: Option<String>,
}

impl From<proto::SnapshotList> for SnapshotList {
    fn from(l: proto::SnapshotList) -> Self {
        let proto::SnapshotList {
            vmid,
            guest_type,
            snapshots,
            current_parent,
        } = l;
        Self {
            vmid: vmid.get(),
            guest_type: guest_type.into(),
            snapshots: snapshots
                .into_iter()
                .map(|s| {
                    let proto::SnapshotInfo {
                        name,
                        description,
                        snaptime,
                        vmstate,
                        parent,
                    } = s;
                    Snapshot {
                        name: own_line(name),
                        description: own_text(description),
                        snaptime,
                        vmstate,
                        parent: parent.map(own_line),
                    }
                })
                .collect(),
            current_parent: current_parent.map(own_line),
        }
    }
}

/// One cluster node.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Node {
    pub node: String,
    /// `online`, `offline` or `unknown`.
    pub status: String,
    /// CPU load as a fraction of all cores (0 to 1).
    pub cpu: f64,
    pub maxcpu: u32,
    pub mem: u64,
    pub maxmem: u64,
    pub disk: u64,
    pub maxdisk: u64,
    pub uptime: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loadavg: Option<[f64; 3]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kversion: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pveversion: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_model: Option<String>,
}

impl From<proto::NodeInfo> for Node {
    fn from(n: proto::NodeInfo) -> Self {
        let proto::NodeInfo {
            node,
            status,
            cpu,
            maxcpu,
            mem,
            maxmem,
            disk,
            maxdisk,
            uptime,
            loadavg,
            kversion,
            pveversion,
            cpu_model,
        } = n;
        Self {
            node: node.into(),
            status: own_line(status),
            cpu,
            maxcpu,
            mem,
            maxmem,
            disk,
            maxdisk,
            uptime,
            loadavg,
            kversion: kversion.map(own_line),
            pveversion: pveversion.map(own_line),
            cpu_model: cpu_model.map(own_line),
        }
    }
}

/// Result of `node_status`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Nodes {
    pub nodes: Vec<Node>,
}

/// Result of `proxmox_api`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ApiAnswer {
    pub method: String,
    /// The normalized path that was called.
    pub path: String,
    /// The `data` member of Proxmox's answer, any JSON value as Proxmox returned it;
    /// null when `truncated`.
    #[serde(serialize_with = "crate::render::untrusted::serialize_json")]
    pub data: serde_json::Value,
    /// The answer was too large to return as structured content; the text content holds
    /// its beginning.
    pub truncated: bool,
}

/// Result of `execute_command`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CommandResult {
    /// Exit code; absent when a signal ended the command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The signal that ended the command, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Output beyond the policy's cap was dropped.
    pub truncated: bool,
    pub duration_ms: u64,
}

impl From<proto::CommandOutput> for CommandResult {
    fn from(c: proto::CommandOutput) -> Self {
        let proto::CommandOutput {
            exit_code,
            signal,
            stdout,
            stderr,
            truncated,
            duration_ms,
        } = c;
        Self {
            exit_code,
            signal,
            stdout: own_text(stdout),
            stderr: own_text(stderr),
            truncated,
            duration_ms,
        }
    }
}
