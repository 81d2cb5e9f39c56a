//! What new guests may be (the policy's [create] section) and the bounds of every new
//! or changed guest ([bounds]), as `my_permissions` reports them and the tools' notes
//! word them.
//!
//! Input is the helper's description of the policy; informational only.

use pve_mcp_proto::{BoundsSummary, CreateSummary};
use schemars::JsonSchema;
use serde::Serialize;

/// What new guests may be (the policy's [create] section).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CreateRules {
    /// Kinds that may be created from scratch: `qemu`, `lxc`.
    pub types: Vec<String>,
    /// The vmid range of new guests, e.g. `9000-9099`.
    pub vmids: String,
    /// Nodes new guests may be placed on.
    pub nodes: Vec<String>,
    /// The pool new guests are put in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    /// Tags new guests are given.
    pub tags: Vec<String>,
}

impl From<CreateSummary> for CreateRules {
    fn from(c: CreateSummary) -> Self {
        let CreateSummary {
            types,
            vmids,
            nodes,
            pool,
            tags,
        } = c;
        Self {
            types,
            vmids,
            nodes,
            pool,
            tags,
        }
    }
}

/// Bounds of every new or changed guest (the policy's [bounds] section); absent or
/// empty: not bounded by the policy.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Bounds {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_cores: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_memory_mib: Option<u64>,
    /// Largest size of one disk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_disk_gib: Option<u64>,
    /// Storages disks may be put on.
    pub storages: Vec<String>,
    /// Bridges network interfaces may use.
    pub bridges: Vec<String>,
    /// Volume patterns guests may be made from (ISO images, disk images, templates).
    pub sources: Vec<String>,
}

impl From<BoundsSummary> for Bounds {
    fn from(b: BoundsSummary) -> Self {
        let BoundsSummary {
            max_cores,
            max_memory_mib,
            max_disk_gib,
            storages,
            bridges,
            sources,
        } = b;
        Self {
            max_cores,
            max_memory_mib,
            max_disk_gib,
            storages,
            bridges,
            sources,
        }
    }
}

impl Bounds {
    pub(crate) fn is_empty(&self) -> bool {
        self.max_cores.is_none()
            && self.max_memory_mib.is_none()
            && self.max_disk_gib.is_none()
            && self.storages.is_empty()
            && self.bridges.is_empty()
            && self.sources.is_empty()
    }

    /// `at most 8 cores, 16384 MiB memory; storages local-lvm`; empty when unbounded.
    pub fn words(&self) -> String {
        let mut limits = Vec::new();
        if let Some(n) = self.max_cores {
            limits.push(format!("{n} cores"));
        }
        if let Some(n) = self.max_memory_mib {
            limits.push(format!("{n} MiB memory"));
        }
        if let Some(n) = self.max_disk_gib {
            limits.push(format!("{n} GiB per disk"));
        }
        let mut parts = Vec::new();
        if !limits.is_empty() {
            parts.push(format!("at most {}", limits.join(", ")));
        }
        let lists = [
            ("storages", &self.storages),
            ("bridges", &self.bridges),
            ("made from", &self.sources),
        ];
        for (label, items) in lists {
            if !items.is_empty() {
                parts.push(format!("{label} {}", items.join(", ")));
            }
        }
        parts.join("; ")
    }
}
