//! The lines of `my_permissions` about making and changing guests: what new guests may
//! be ([create]), the bounds of every new or changed guest ([bounds]), and the lines
//! about configuration keys, migration targets, media, agent programs, firewall,
//! pools and HA.
//!
//! Input is the helper's description of the policy; informational only.

use super::{MyPermissions, list};
use std::fmt::Write;

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
    if !p.firewall_rules.is_empty() {
        let _ = writeln!(
            out,
            "Guest firewall rules (firewall_edit) within [firewall]: {}.",
            p.firewall_rules.join("; ")
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
