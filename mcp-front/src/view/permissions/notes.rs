//! The policy's words for a model: the server instructions (a few lines on what the
//! policy in force allows), and the notes of the lifecycle tools, appended to their
//! descriptions, with the bounds a model must respect (which vmids, nodes, sizes,
//! storages, bridges, sources, keys, targets, URLs, programs).
//!
//! Input is the helper's description of the policy; informational only.

use super::{GRANT_TOOLS, actions, allows, covered, granted, some};
use crate::view::my_permissions::Bounds;
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

/// ` New guests: ... .` for clones and restores, which keep their source's tags rather
/// than being given `[create]` tags: the source must carry those already.
fn new_guests(caps: &Capabilities) -> String {
    let Some(c) = &caps.create else {
        return " New guests: none may be created.".into();
    };
    let untagged = CreateSummary {
        tags: Vec::new(),
        ..c.clone()
    };
    let mut out = format!(" New guests: {}.", create_words(&untagged));
    if !c.tags.is_empty() {
        out.push_str(&format!(
            " The source must already be tagged {} (the new guest keeps its source's tags).",
            some(&c.tags)
        ));
    }
    out
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
        "guest_configure" => format!(
            "{}{}{}",
            grant(caps, "config.write"),
            config_keys(caps, "Keys you may change"),
            bounds(caps)
        ),
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
            "{} Programs (\"*\" is one plain argument): {}.{}",
            grant(caps, "agent.exec"),
            or_none(&caps.agent_exec),
            match caps.agent_timeout_secs {
                0 => String::new(),
                secs => format!(" Each may run for up to {secs} s."),
            }
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
fn lifecycle_lines(caps: &Capabilities, out: &mut String) {
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

/// The closing lines of every instructions text: how to read a refusal.
const DENIALS: &str = "Every request passes the admin's policy (/etc/pve-mcp/policy.toml), \
whatever is asked: a refusal starts with \"Denied:\" and names the deciding rule, and guests \
outside the scope are reported as not found. Do not retry a refused request in other forms; \
tell the user which rule refused it and what the admin could change.";

/// Instructions when the policy is not known (the helper did not answer in time).
pub const GENERIC_INSTRUCTIONS: &str = "pve-mcp operates a Proxmox VE cluster within a policy \
set by its admin. list_vms pages through the guests (filter by node, status, type, tag or \
name); vm_status and node_status show one guest or the nodes; vm_action starts, stops, shuts \
down, reboots, resets, suspends or resumes a guest and waits for its task; guest_config \
reads a guest's configuration; snapshot_list, snapshot_create, snapshot_rollback and \
snapshot_delete work with a guest's snapshots; guest_create, guest_clone, backup_restore, \
guest_configure, disk_resize, guest_migrate, guest_template and guest_delete make, change \
and remove guests within the policy's bounds; \
proxmox_api calls the Proxmox REST API; execute_command runs allow-listed commands without a \
shell. my_permissions says what the policy in force allows, and so does the description of \
each tool in tools/list.\n";

/// The server instructions for the policy described by `caps`: a few lines.
pub fn instructions(caps: Option<&Capabilities>) -> String {
    let Some(caps) = caps else {
        return format!("{GENERIC_INSTRUCTIONS}{DENIALS}");
    };
    let mut out = String::from(
        "pve-mcp operates a Proxmox VE cluster within a policy set by its admin. Here you may:\n",
    );
    if caps.guests.is_empty() {
        out.push_str("- see no guests (the policy puts none in scope)\n");
    } else {
        let mut scope = some(&caps.guests);
        if !caps.guests_except.is_empty() {
            scope.push_str(&format!(" except {}", some(&caps.guests_except)));
        }
        out.push_str(&format!(
            "- list and inspect the guests in scope ({scope}) with list_vms and vm_status\n"
        ));
        let (granted, confirm) = actions(caps);
        if !granted.is_empty() {
            out.push_str(&format!("- {} them with vm_action", granted.join(", ")));
            if !confirm.is_empty() {
                out.push_str(&format!(
                    " ({} after the user confirms)",
                    confirm.join(", ")
                ));
            }
            out.push('\n');
        }
    }
    if let Some(create) = &caps.create {
        out.push_str(&format!(
            "- create guests with guest_create: {} (next_vmid gives a free vmid)\n",
            create_words(create)
        ));
    }
    let per_guest: Vec<String> = GRANT_TOOLS
        .iter()
        .filter(|(tool, op)| allows(tool, caps) && granted(caps, op).0)
        .map(|(tool, op)| {
            let confirm = if granted(caps, op).1 {
                " (after the user confirms)"
            } else {
                ""
            };
            format!("{tool} on {}{confirm}", covered(caps, op))
        })
        .collect();
    if !per_guest.is_empty() {
        out.push_str(&format!("- use {}\n", per_guest.join("; ")));
    }
    lifecycle_lines(caps, &mut out);
    if caps.node_list || caps.node_detail {
        out.push_str("- read node status with node_status\n");
    }
    if caps.cluster_status {
        let ha = if caps.ha_status { " and HA" } else { "" };
        out.push_str(&format!(
            "- read cluster membership, quorum{ha} with cluster_status\n"
        ));
    }
    if caps.storage_all || caps.storage_node || caps.storage_content {
        out.push_str("- read storages and their content with list_storage, storage_content\n");
    }
    if caps.task_list || caps.node_tasks {
        out.push_str("- list recent tasks with list_tasks (task_log, task_status for one)\n");
    }
    if !caps.api.is_empty() {
        out.push_str(&format!(
            "- call the Proxmox API with proxmox_api: {}\n",
            some(&caps.api)
        ));
    }
    if !caps.commands.is_empty() {
        out.push_str(&format!(
            "- run commands on the node with execute_command: {}\n",
            some(&caps.commands)
        ));
    }
    out.push_str("- read all of this in full (grants, patterns, limits) with my_permissions\n");
    out.push_str("Nothing else is allowed. ");
    out.push_str(DENIALS);
    out
}
