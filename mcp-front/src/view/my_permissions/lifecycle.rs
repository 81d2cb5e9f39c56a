//! The parts of `my_permissions` about making and changing guests: what new guests may
//! be ([create]), the bounds of every new or changed guest ([bounds]), and the lines
//! about configuration keys, migration targets, media, agent programs, firewall,
//! pools and HA.
//!
//! Input is the helper's description of the policy; informational only.

use super::{MyPermissions, list};
use pve_mcp_proto::{BoundsSummary, CreateSummary};
use schemars::JsonSchema;
use serde::Serialize;
use std::fmt::Write;

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
    fn is_empty(&self) -> bool {
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

/// The lines about making, changing and inspecting guests beyond their status: only
/// those the policy gives something to.
pub(super) fn render(p: &MyPermissions, out: &mut String) {
    match &p.create {
        Some(c) => {
            let _ = write!(
                out,
                "New guests (guest_create): {} with vmids {} on nodes {}",
                list(&c.types),
                c.vmids,
                list(&c.nodes)
            );
            if let Some(pool) = &c.pool {
                let _ = write!(out, ", in pool {pool}");
            }
            if !c.tags.is_empty() {
                let _ = write!(out, ", tagged {}", list(&c.tags));
            }
            out.push_str(".\n");
        }
        None => out.push_str("New guests (guest_create): none may be created.\n"),
    }
    if !p.bounds.is_empty() {
        let _ = writeln!(
            out,
            "Bounds of new and changed guests: {}.",
            p.bounds.words()
        );
    }
    let lists = [
        ("Configuration keys (guest_configure)", &p.config_keys),
        ("Migration targets (guest_migrate)", &p.migrate_nodes),
        ("Guest agent programs (agent_exec)", &p.agent_exec),
    ];
    for (label, items) in lists {
        if !items.is_empty() {
            let _ = writeln!(out, "{label}: {}.", list(items));
        }
    }
    if !p.agent_exec.is_empty() && p.agent_timeout_secs > 0 {
        let _ = writeln!(
            out,
            "Each guest agent program may run for {} s; it is no longer waited for after that.",
            p.agent_timeout_secs
        );
    }
    if !p.download_from.is_empty() || p.media_delete {
        let _ = writeln!(
            out,
            "ISO images and templates on storages {}: downloads (storage_download) from {}; \
             deleting them (volume_delete) {}.",
            list(&p.media_storages),
            list(&p.download_from),
            if p.media_delete {
                "allowed"
            } else {
                "not allowed"
            }
        );
    }
    let firewall = match (p.firewall_cluster, p.firewall_node) {
        (true, true) => Some("the cluster's and each node's firewall (firewall)"),
        (true, false) => Some("the cluster's firewall (firewall)"),
        (false, true) => Some("each node's firewall (firewall)"),
        (false, false) => None,
    };
    let reads: Vec<&str> = [
        firewall,
        p.pools.then_some("resource pools (list_pools)"),
        p.ha_resources.then_some("HA resources (ha_resources)"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !reads.is_empty() {
        let _ = writeln!(out, "Also readable: {}.", reads.join(", "));
    }
}
