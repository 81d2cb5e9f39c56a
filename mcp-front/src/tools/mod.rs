//! The tools, one folder per family: each holds its tools' handlers (descriptions
//! written for a model), arguments, listing rules, policy notes and rendering. This
//! module holds the one table of every tool ([`TOOLS`]), from which `tools/list`, the
//! server instructions and `my_permissions` are drawn, and joins the families' routers
//! into the one router a session serves (a test checks the two name the same tools).
//!
//! Arguments come from the model and are validated in each family (shared pieces in
//! [`args`]); answers come from the helper and are only rendered (`reply`). Nothing
//! here decides what is allowed: the helper does.

pub(crate) mod agent;
pub(crate) mod api;
pub mod args;
pub(crate) mod cluster;
pub mod command;
pub(crate) mod export;
pub(crate) mod firewall;
pub(crate) mod guests;
pub(crate) mod health;
pub(crate) mod inventory;
pub(crate) mod lifecycle;
pub(crate) mod metrics;
pub(crate) mod network;
pub(crate) mod power;
pub(crate) mod reply;
pub(crate) mod session;
pub(crate) mod snapshots;
pub mod spec;
pub(crate) mod storage;
pub(crate) mod tasks;

use pve_mcp_proto::Capabilities;
use rmcp::handler::server::router::tool::ToolRouter;
use session::PveMcp;
use spec::{ToolSpec, no_note};

/// `my_permissions` says what the policy allows, whatever it allows: always listed.
const MY_PERMISSIONS: ToolSpec = ToolSpec {
    name: "my_permissions",
    grant: None,
    listed: |_| true,
    note: no_note,
};

/// Every tool. The tools that need a grant come first, in the order the server
/// instructions name them.
pub const TOOLS: &[ToolSpec] = &[
    storage::BACKUP_START,
    agent::GUEST_AGENT,
    guests::config::GUEST_CONFIG,
    export::GUEST_EXPORT,
    metrics::GUEST_METRICS,
    storage::LIST_BACKUPS,
    snapshots::SNAPSHOT_LIST,
    snapshots::SNAPSHOT_CREATE,
    snapshots::SNAPSHOT_ROLLBACK,
    snapshots::SNAPSHOT_DELETE,
    lifecycle::GUEST_CLONE,
    lifecycle::GUEST_TEMPLATE,
    lifecycle::GUEST_CONFIGURE,
    lifecycle::DISK_RESIZE,
    lifecycle::disk_move::DISK_MOVE,
    lifecycle::GUEST_MIGRATE,
    lifecycle::GUEST_DELETE,
    lifecycle::BACKUP_RESTORE,
    storage::VOLUME_DELETE,
    tasks::TASK_CANCEL,
    agent::AGENT_EXEC,
    firewall::edit::FIREWALL_EDIT,
    guests::LIST_VMS,
    guests::VM_STATUS,
    power::VM_ACTION,
    lifecycle::GUEST_CREATE,
    inventory::NEXT_VMID,
    inventory::LIST_POOLS,
    inventory::HA_RESOURCES,
    cluster::NODE_STATUS,
    cluster::CLUSTER_STATUS,
    health::CLUSTER_HEALTH,
    storage::LIST_STORAGE,
    storage::STORAGE_CONTENT,
    storage::STORAGE_DOWNLOAD,
    tasks::LIST_TASKS,
    tasks::TASK_LOG,
    tasks::TASK_STATUS,
    firewall::FIREWALL,
    api::PROXMOX_API,
    command::EXECUTE_COMMAND,
    network::NODE_NETWORKS,
    MY_PERMISSIONS,
];

/// The names of the tools the policy described by `caps` leaves something to do for,
/// in the order `tools/list` shows them.
pub fn listed(caps: &Capabilities) -> Vec<String> {
    let mut names: Vec<String> = TOOLS
        .iter()
        .filter(|t| t.is_listed(caps))
        .map(|t| t.name.to_owned())
        .collect();
    names.sort();
    names
}

/// The table's entry of the tool named `name`.
pub fn spec(name: &str) -> Option<&'static ToolSpec> {
    TOOLS.iter().find(|t| t.name == name)
}

/// Every family's tools, in one router.
pub(crate) fn router() -> ToolRouter<PveMcp> {
    PveMcp::guests_router()
        + PveMcp::config_router()
        + PveMcp::export_router()
        + PveMcp::power_router()
        + PveMcp::snapshot_router()
        + PveMcp::lifecycle_router()
        + PveMcp::storage_router()
        + PveMcp::backup_router()
        + PveMcp::media_router()
        + PveMcp::task_router()
        + PveMcp::agent_router()
        + PveMcp::inventory_router()
        + PveMcp::cluster_router()
        + PveMcp::health_router()
        + PveMcp::nodes_router()
        + PveMcp::metrics_router()
        + PveMcp::firewall_router()
        + PveMcp::api_router()
        + PveMcp::command_router()
        + PveMcp::permissions_router()
        + PveMcp::network_router()
}

#[cfg(test)]
mod tests;
