//! Answers about storage: usage per storage and node, and the volumes in one.

use crate::values::{NodeName, StorageId, VmId};
use serde::{Deserialize, Serialize};

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
