//! The tools, one folder per family: each holds its tools' handlers (descriptions
//! written for a model), arguments, listing rules, policy notes and rendering. This
//! module joins the families' routers into the one router a session serves.
//!
//! Arguments come from the model and are validated in each family (shared pieces in
//! [`args`]); answers come from the helper and are only rendered ([`reply`]). Nothing
//! here decides what is allowed: the helper does.

pub(crate) mod agent;
pub(crate) mod api;
pub mod args;
pub(crate) mod cluster;
pub mod command;
pub(crate) mod firewall;
pub(crate) mod guests;
pub(crate) mod inventory;
pub(crate) mod lifecycle;
pub(crate) mod metrics;
pub(crate) mod power;
pub(crate) mod reply;
pub(crate) mod snapshots;
pub(crate) mod storage;
pub(crate) mod tasks;

use crate::mcp::session::PveMcp;
use rmcp::handler::server::router::tool::ToolRouter;

/// Every family's tools, in one router.
pub(crate) fn router() -> ToolRouter<PveMcp> {
    PveMcp::guests_router()
        + PveMcp::config_router()
        + PveMcp::power_router()
        + PveMcp::nodes_router()
        + PveMcp::api_router()
        + PveMcp::command_router()
        + PveMcp::snapshot_router()
        + PveMcp::permissions_router()
        + PveMcp::task_router()
        + PveMcp::cluster_router()
        + PveMcp::storage_router()
        + PveMcp::metrics_router()
        + PveMcp::agent_router()
        + PveMcp::backup_router()
        + PveMcp::firewall_router()
        + PveMcp::inventory_router()
        + PveMcp::lifecycle_router()
        + PveMcp::media_router()
}

#[cfg(test)]
mod tests;
