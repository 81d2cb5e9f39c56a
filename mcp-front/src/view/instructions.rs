//! The server instructions: a few lines on what the policy in force allows, drawn from
//! the tools' table (which tools are listed, which grants they need), sent with the
//! `initialize` (or `server/discover`) answer; generic words when the policy is not
//! known yet.
//!
//! Input is the helper's description of the policy; informational only.

use crate::{
    policy::grants::{covered, create_words, granted, some},
    tools::{TOOLS, firewall, health, inventory, lifecycle, network, power::actions, storage},
};
use pve_mcp_proto::Capabilities;

/// The instructions' lines about the lifecycle tools beyond the per-guest grants.
fn lifecycle_lines(caps: &Capabilities, out: &mut String) {
    if lifecycle::GUEST_CONFIGURE.is_listed(caps) && !caps.config_keys.is_empty() {
        out.push_str(&format!(
            "- change the configuration keys {} with guest_configure\n",
            some(&caps.config_keys)
        ));
    }
    let mut media = Vec::new();
    if storage::STORAGE_DOWNLOAD.is_listed(caps) {
        media.push("download ISO images and templates with storage_download");
    }
    if caps.media_delete {
        media.push("delete them with volume_delete");
    }
    if !media.is_empty() {
        out.push_str(&format!("- {}\n", media.join(", ")));
    }
    let reads: Vec<&str> = [
        (&firewall::FIREWALL, "firewall rules with firewall"),
        (&inventory::LIST_POOLS, "resource pools with list_pools"),
        (&inventory::HA_RESOURCES, "HA resources with ha_resources"),
        (
            &health::CLUSTER_HEALTH,
            "the cluster's health with cluster_health",
        ),
        (
            &network::NODE_NETWORKS,
            "a node's bridges with node_networks",
        ),
    ]
    .into_iter()
    .filter(|(tool, _)| tool.is_listed(caps))
    .map(|(_, words)| words)
    .collect();
    if !reads.is_empty() {
        out.push_str(&format!("- read {}\n", reads.join(", ")));
    }
}

/// The closing lines of every instructions text: how changes end, and how to read a
/// refusal. (What holds for every tool is said here once, not in each description.)
const DENIALS: &str = "A change runs as a Proxmox task: its tool waits for it (`wait`, \
`timeout_secs`) with progress and reports `succeeded`, `failed` (with the end of its log) or \
`still_running` with its UPID for task_status; the wait never cancels the task. With \
`dry_run`, a change is judged and answers the Proxmox requests it would send, and nothing is \
done: show the user that plan before a change they should weigh. \
Every request passes the admin's policy (/etc/pve-mcp/policy.toml), \
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
guest_configure, disk_resize, disk_move, guest_migrate, guest_template and guest_delete make, \
change and remove guests within the policy's bounds; \
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
    let per_guest: Vec<String> = TOOLS
        .iter()
        .filter_map(|tool| Some((tool, tool.grant?)))
        .filter(|(tool, op)| tool.is_listed(caps) && granted(caps, *op).0)
        .map(|(tool, op)| {
            let tool = tool.name;
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
    if caps.plans_only {
        out.push_str(
            "The policy makes every change a plan: it is judged and answers what it would send \
             to Proxmox, and nothing is done. ",
        );
    }
    out.push_str(DENIALS);
    out
}

#[cfg(test)]
mod tests;
