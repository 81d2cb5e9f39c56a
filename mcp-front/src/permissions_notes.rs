//! The policy's words for the lifecycle tools: the bounds a model must respect (which
//! vmids, nodes, sizes, storages, bridges, sources, keys, targets, URLs, programs),
//! appended to their descriptions, and their lines of the server instructions.
//!
//! Input is the helper's description of the policy; informational only.

use super::{allows, covered, granted, some};
use crate::my_permissions::Bounds;
use pve_mcp_proto::{Capabilities, CreateSummary};

/// `qemu, lxc with vmids 9000-9099 on nodes pve1, pve2, put in pool lab, tagged mcp`.
pub(super) fn create_words(c: &CreateSummary) -> String {
    let mut out = format!(
        "{} with vmids {} on nodes {}",
        or_none(&c.types),
        c.vmids,
        or_none(&c.nodes)
    );
    if let Some(pool) = &c.pool {
        out.push_str(&format!(", put in pool {pool}"));
    }
    if !c.tags.is_empty() {
        out.push_str(&format!(", tagged {}", some(&c.tags)));
    }
    out
}

fn or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        some(items)
    }
}

/// ` Bounds: at most 8 cores, ...; storages local-lvm.`, or nothing when unbounded.
fn bounds(caps: &Capabilities) -> String {
    let words = Bounds::from(caps.bounds.clone()).words();
    if words.is_empty() {
        String::new()
    } else {
        format!(" Bounds: {words}.")
    }
}

/// ` New guests: ... .`
fn new_guests(caps: &Capabilities) -> String {
    match &caps.create {
        Some(c) => format!(" New guests: {}.", create_words(c)),
        None => " New guests: none may be created.".into(),
    }
}

/// `Allowed by the current policy on X.` and the confirmation, for a granted `op`.
fn grant(caps: &Capabilities, op: &str) -> String {
    let mut out = format!("Allowed by the current policy on {}.", covered(caps, op));
    if granted(caps, op).1 {
        out.push_str(" The user is asked to confirm first (the call waits for the answer).");
    }
    out
}

/// The note of a lifecycle tool; `None` for the other tools.
pub(super) fn lifecycle(tool: &str, caps: &Capabilities) -> Option<String> {
    let note = match tool {
        "guest_create" => format!(
            "Allowed by the current policy: {}.{}{}",
            caps.create.as_ref().map_or("none".into(), create_words),
            bounds(caps),
            config_keys(caps, "Further config keys")
        ),
        "next_vmid" => format!(
            "New guests take vmids {}.",
            caps.create.as_ref().map_or("none", |c| c.vmids.as_str())
        ),
        "guest_clone" | "backup_restore" => {
            let op = if tool == "guest_clone" {
                "clone"
            } else {
                "backup.restore"
            };
            format!("{}{}{}", grant(caps, op), new_guests(caps), bounds(caps))
        }
        "guest_configure" => {
            let mut note = config_keys(caps, "Keys you may change").trim().to_owned();
            if granted(caps, "config.write").0 {
                note = format!("{} {note}", grant(caps, "config.write"));
            }
            format!("{}{}", note.trim(), bounds(caps))
        }
        "disk_resize" => {
            let largest = caps
                .bounds
                .max_disk_gib
                .map(|n| format!(" Largest disk: {n} GiB."))
                .unwrap_or_default();
            format!("{}{largest}", grant(caps, "disk.resize"))
        }
        "guest_migrate" => format!(
            "{} Target nodes: {}.",
            grant(caps, "migrate"),
            or_none(&caps.migrate_nodes)
        ),
        "agent_exec" => format!(
            "{} Programs (\"*\" is one plain argument): {}.",
            grant(caps, "agent.exec"),
            or_none(&caps.agent_exec)
        ),
        "volume_delete" => volume_delete(caps),
        "storage_download" => format!(
            "Allowed by the current policy: URLs starting with {}; to storages {}.",
            or_none(&caps.download_from),
            or_none(&caps.media_storages)
        ),
        "firewall" => {
            let mut scopes = Vec::new();
            if caps.firewall_cluster {
                scopes.push("the cluster's");
            }
            if caps.firewall_node {
                scopes.push("each node's");
            }
            scopes.push("a guest's where the raw API patterns allow reading it");
            format!("Readable under the current policy: {}.", scopes.join(", "))
        }
        _ => return None,
    };
    Some(note)
}

/// ` Further config keys: a, b.`, or nothing when the policy lists none.
fn config_keys(caps: &Capabilities, label: &str) -> String {
    if caps.config_keys.is_empty() {
        String::new()
    } else {
        format!(" {label}: {}.", some(&caps.config_keys))
    }
}

fn volume_delete(caps: &Capabilities) -> String {
    let mut parts = Vec::new();
    if granted(caps, "backup.delete").0 {
        parts.push(format!(
            "backups of {}{}",
            covered(caps, "backup.delete"),
            if granted(caps, "backup.delete").1 {
                " (the user is asked to confirm first)"
            } else {
                ""
            }
        ));
    }
    if caps.media_delete {
        parts.push(format!(
            "ISO images and container templates on storages {}",
            or_none(&caps.media_storages)
        ));
    }
    format!("Allowed by the current policy: {}.", parts.join("; "))
}

/// The instructions' lines about the lifecycle tools beyond the per-guest grants.
pub(super) fn instructions(caps: &Capabilities, out: &mut String) {
    if allows("guest_configure", caps) && !caps.config_keys.is_empty() {
        out.push_str(&format!(
            "- change the configuration keys {} with guest_configure\n",
            some(&caps.config_keys)
        ));
    }
    let mut media = Vec::new();
    if allows("storage_download", caps) {
        media.push("download ISO images and templates with storage_download");
    }
    if caps.media_delete {
        media.push("delete them with volume_delete");
    }
    if !media.is_empty() {
        out.push_str(&format!("- {}\n", media.join(", ")));
    }
    let reads: Vec<&str> = [
        ("firewall", "firewall rules with firewall"),
        ("list_pools", "resource pools with list_pools"),
        ("ha_resources", "HA resources with ha_resources"),
    ]
    .into_iter()
    .filter(|(tool, _)| allows(tool, caps))
    .map(|(_, words)| words)
    .collect();
    if !reads.is_empty() {
        out.push_str(&format!("- read {}\n", reads.join(", ")));
    }
}
