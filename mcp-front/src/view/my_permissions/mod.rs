//! `my_permissions`: what the policy in force lets this client do (scope, operations
//! per grant, raw API patterns, commands, limits, and so which tools work), so a model
//! plans instead of probing. Also served as the MCP resource [`URI`].
//!
//! The description comes from the helper (`Request::Describe`, never denied to a
//! connected client), fresh at each call; it is informational, the helper still judges
//! every request.

use crate::mcp::described::{self, Parameters};
use crate::{
    policy::bounds::{Bounds, CreateRules},
    tools::{
        self,
        args::NoArgs,
        reply::{forward, structured, unexpected},
        session::PveMcp,
    },
};
use pve_mcp_proto::{Capabilities, Describe, Payload, Request};
use rmcp::{
    model::{CallToolResult, Resource},
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::Serialize;
use std::fmt::Write;

/// The resource holding the same description as the tool.
pub const URI: &str = "pve-mcp://permissions";

/// One grant of guest operations.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Grant {
    /// `guests` for the policy's [guests] section, else the rule's name.
    pub rule: String,
    /// Selectors of the guests it covers; empty: every guest in scope.
    pub guests: Vec<String>,
    /// Operations: `start`, `stop`, ..., `snapshot.list`, `snapshot.create`, ...
    pub operations: Vec<String>,
    /// Operations among them that the user must confirm.
    pub confirm: Vec<String>,
}

/// Result of `my_permissions`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MyPermissions {
    /// Guests in scope, as selectors (`100-199`, `pool:lab`, `tag:mcp`, `*`); empty:
    /// none. Guests outside the scope are reported as not found by every tool.
    pub guests: Vec<String>,
    /// Selectors removed from the scope.
    pub guests_except: Vec<String>,
    pub grants: Vec<Grant>,
    /// Raw API calls `proxmox_api` may make, as `METHOD /path` patterns (`*` one
    /// segment, `**` the rest).
    pub api: Vec<String>,
    /// Whether `node_status` may list every node.
    pub node_list: bool,
    /// Whether `node_status` may show one node in depth.
    pub node_detail: bool,
    /// Whether `list_storage` may list every node's, or one node's storages.
    pub storage_all: bool,
    pub storage_node: bool,
    /// Whether `storage_content` is allowed.
    pub storage_content: bool,
    /// Storages `backup_start` may write to.
    pub backup_storages: Vec<String>,
    /// Whether `cluster_status` is allowed, and whether it shows HA.
    pub cluster_status: bool,
    pub ha_status: bool,
    /// Whether `list_tasks` may list the whole cluster's tasks.
    pub task_list: bool,
    /// Whether `list_tasks` may list one node's tasks.
    pub node_tasks: bool,
    /// Commands `execute_command` may run, as argument patterns.
    pub commands: Vec<String>,
    /// How long one may run at most (its own limit may be shorter), in seconds (0: not
    /// known).
    pub command_timeout_secs: u64,
    /// Request limits.
    pub limits: String,
    /// What `guest_create` (and clones, restores to a new vmid) may make; absent: no
    /// guest may be created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create: Option<CreateRules>,
    /// Bounds of every new or changed guest.
    pub bounds: Bounds,
    /// Configuration keys `guest_configure` may change.
    pub config_keys: Vec<String>,
    /// Nodes `guest_migrate` may move guests to.
    pub migrate_nodes: Vec<String>,
    /// Storages ISO images and container templates may be downloaded to or deleted from.
    pub media_storages: Vec<String>,
    /// URL prefixes `storage_download` may fetch from.
    pub download_from: Vec<String>,
    /// Whether `volume_delete` may delete ISO images and container templates.
    pub media_delete: bool,
    /// Programs `agent_exec` may run in a VM, as argument patterns.
    pub agent_exec: Vec<String>,
    /// How long each `agent_exec` program may run, in seconds (0: not known).
    pub agent_timeout_secs: u64,
    /// Whether `firewall` may read the cluster's, and each node's, firewall.
    pub firewall_cluster: bool,
    pub firewall_node: bool,
    /// The guest firewall rules `firewall_edit` may write (`[firewall]`), one
    /// `key: values` line each; empty: none.
    pub firewall_rules: Vec<String>,
    /// Whether `list_pools` is allowed.
    pub pools: bool,
    /// Whether `ha_resources` is allowed.
    pub ha_resources: bool,
    /// The parts `cluster_health` may check.
    pub health: Vec<String>,
    /// Every change is only planned: what it would send is shown, nothing is done.
    pub plans_only: bool,
    /// The tools this policy leaves something to do for.
    pub tools: Vec<String>,
}

impl MyPermissions {
    fn new(caps: Capabilities, tools: Vec<String>) -> Self {
        let Capabilities {
            guests,
            guests_except,
            grants,
            api,
            node_list,
            node_detail,
            storage_all,
            storage_node,
            storage_content,
            cluster_status,
            ha_status,
            backup_storages,
            task_list,
            node_tasks,
            commands,
            command_timeout_secs,
            limits,
            create,
            bounds,
            config_keys,
            migrate_nodes,
            media_storages,
            download_from,
            media_delete,
            agent_exec,
            agent_timeout_secs,
            firewall_cluster,
            firewall_node,
            pools,
            ha_resources,
            health,
            plans_only,
            // Named in `tools` when allowed.
            node_networks: _,
            firewall_bounds,
        } = caps;
        Self {
            guests,
            guests_except,
            grants: grants
                .into_iter()
                .map(|g| Grant {
                    rule: g.rule,
                    guests: g.guests,
                    operations: g.operations.iter().map(ToString::to_string).collect(),
                    confirm: g.confirm.iter().map(ToString::to_string).collect(),
                })
                .collect(),
            api,
            node_list,
            node_detail,
            storage_all,
            storage_node,
            storage_content,
            cluster_status,
            ha_status,
            backup_storages,
            task_list,
            node_tasks,
            commands,
            command_timeout_secs,
            limits,
            create: create.map(CreateRules::from),
            bounds: bounds.into(),
            config_keys,
            migrate_nodes,
            media_storages,
            download_from,
            media_delete,
            agent_exec,
            agent_timeout_secs,
            firewall_cluster,
            firewall_node,
            firewall_rules: firewall_bounds,
            pools,
            ha_resources,
            health,
            plans_only,
            tools,
        }
    }
}

#[tool_router(router = permissions_router, vis = "pub(crate)")]
impl PveMcp {
    /// What the admin's policy lets you do, in full: guests in scope, each grant (and
    /// what needs the user's confirmation), new guests and bounds, API patterns,
    /// commands, limits. Call it when planning instead of trying calls. Read-only.
    #[tool(
        title = "My permissions",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = described::output::<MyPermissions>()
    )]
    async fn my_permissions(&self, Parameters(NoArgs {}): Parameters<NoArgs>) -> CallToolResult {
        match self.describe().await {
            Ok(p) => structured(&p, render(&p)),
            Err(result) => result,
        }
    }
}

impl PveMcp {
    /// Asks the helper for the policy now in force.
    pub(crate) async fn describe(&self) -> Result<MyPermissions, CallToolResult> {
        match forward(&self.helper, Request::Describe(Describe {})).await {
            Ok(Payload::Capabilities(caps)) => {
                let tools = tools::listed(&caps);
                Ok(MyPermissions::new(caps, tools))
            }
            Ok(other) => Err(unexpected("describe", &other)),
            Err(result) => Err(result),
        }
    }
}

/// The resources this server lists.
pub fn resources() -> Vec<Resource> {
    vec![
        Resource::new(URI, "permissions")
            .with_title("What the pve-mcp policy allows")
            .with_description(
                "The scope, operations, API patterns, commands and limits of the policy in \
                 force, as the my_permissions tool reports them.",
            )
            .with_mime_type("text/plain"),
    ]
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// The description as a model reads it: a few labelled lines.
pub fn render(p: &MyPermissions) -> String {
    let mut out = String::from("What the pve-mcp policy in force allows:\n");
    if p.guests.is_empty() {
        out.push_str("Guests: none in scope.\n");
    } else {
        let _ = write!(out, "Guests in scope: {}", list(&p.guests));
        if !p.guests_except.is_empty() {
            let _ = write!(out, " except {}", list(&p.guests_except));
        }
        out.push_str(" (any other guest is reported as not found)\n");
    }
    for g in &p.grants {
        let on = if g.guests.is_empty() {
            "every guest in scope".to_owned()
        } else {
            format!("guests matching {}", list(&g.guests))
        };
        let who = if g.rule == "guests" {
            "[guests] actions".to_owned()
        } else {
            format!("rule \"{}\"", g.rule)
        };
        let _ = write!(out, "Operations ({who}): {} on {on}", list(&g.operations));
        if !g.confirm.is_empty() {
            let _ = write!(out, "; the user confirms {}", list(&g.confirm));
        }
        out.push('\n');
    }
    if p.grants.is_empty() {
        out.push_str("Operations on guests: none (read-only).\n");
    }
    let nodes = match (p.node_list, p.node_detail) {
        (true, true) => "all nodes and each node in depth",
        (true, false) => "all nodes (not one node in depth)",
        (false, true) => "one node in depth (not the list of nodes)",
        (false, false) => "no",
    };
    let _ = writeln!(out, "Node status: {nodes}.");
    let cluster = match (p.cluster_status, p.ha_status) {
        (true, true) => "membership, quorum and HA",
        (true, false) => "membership and quorum (not HA)",
        (false, _) => "no",
    };
    let _ = writeln!(out, "Cluster status: {cluster}.");
    let _ = writeln!(
        out,
        "Backup storages (backup_start): {}.",
        list(&p.backup_storages)
    );
    let storage = match (p.storage_all, p.storage_node) {
        (true, true) => "every node's and each node's",
        (true, false) => "every node's at once (not per node)",
        (false, true) => "one node's at a time (give node)",
        (false, false) => "none",
    };
    let content = if p.storage_content {
        "allowed"
    } else {
        "not allowed"
    };
    let _ = writeln!(
        out,
        "Storages (list_storage): {storage}; storage contents (storage_content): {content}."
    );
    let tasks = match (p.task_list, p.node_tasks) {
        (true, true) => "the whole cluster's and each node's",
        (true, false) => "the whole cluster's (not per node)",
        (false, true) => "one node's at a time (give node)",
        (false, false) => "none",
    };
    let _ = writeln!(
        out,
        "Task listings (list_tasks): {tasks}; tasks of guests in scope can always be \
         looked up by UPID."
    );
    let _ = writeln!(out, "Health checks (cluster_health): {}.", list(&p.health));
    if p.plans_only {
        let _ = writeln!(
            out,
            "Plans only ([changes] plans_only): every change answers what it would send to \
             Proxmox and does nothing."
        );
    }
    lifecycle::render(p, &mut out);
    let _ = writeln!(out, "Raw API (proxmox_api): {}.", list(&p.api));
    let _ = writeln!(out, "Commands (execute_command): {}.", list(&p.commands));
    if !p.commands.is_empty() && p.command_timeout_secs > 0 {
        let _ = writeln!(
            out,
            "Each command may run for up to {} s; it is killed at its time limit.",
            p.command_timeout_secs
        );
    }
    if !p.limits.is_empty() {
        let _ = writeln!(out, "Limits: {}.", p.limits.trim_end_matches('.'));
    }
    let _ = writeln!(out, "Tools that work here: {}.", list(&p.tools));
    out.push_str(
        "Anything else is refused with \"Denied:\" and the rule to change; only the admin \
         can change the policy.\n",
    );
    out
}

mod lifecycle;

#[cfg(test)]
mod tests;
