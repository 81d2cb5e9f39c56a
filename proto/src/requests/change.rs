//! Requests that change a guest without creating or removing one: power actions,
//! snapshots, backups, task cancellation, an allow-listed program run by the agent.

use crate::values::{Argv, GuestAction, SnapshotDescription, SnapshotName, StorageId, Upid, VmId};
use serde::{Deserialize, Serialize};

/// Stop a running task of a guest in scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskCancel {
    pub upid: Upid,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// Run a program in a VM through the QEMU guest agent: argv only, matched against
/// `[agent] exec`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentExec {
    pub vmid: VmId,
    pub argv: Argv,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestActionRequest {
    pub vmid: VmId,
    pub action: GuestAction,
    /// The user confirmed this action (asked by the front because the policy marks it
    /// `confirm`). Without it, such an action is refused with `ConfirmationRequired`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// A snapshot to take. `include_ram` saves a running VM's memory too (QEMU only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotCreate {
    pub vmid: VmId,
    pub name: SnapshotName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<SnapshotDescription>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub include_ram: bool,
    /// As in [`GuestActionRequest`]: the user confirmed it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// An existing snapshot of a guest, to roll back to or to delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotTarget {
    pub vmid: VmId,
    pub name: SnapshotName,
    /// As in [`GuestActionRequest`]: the user confirmed it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// A backup to start: one guest, to one storage, in snapshot mode (the guest keeps
/// running), zstd-compressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupRequest {
    pub vmid: VmId,
    pub storage: StorageId,
    /// As in [`GuestActionRequest`]: the user confirmed it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}
