//! `my_permissions`: what the policy in force lets this client do (scope, operations
//! per grant, raw API patterns, commands, limits, and so which tools work), so a model
//! plans instead of probing. Also served as the MCP resource [`URI`].
//!
//! The description comes from the helper (`Request::Describe`, never denied to a
//! connected client), fresh at each call; it is informational, the helper still judges
//! every request.

use crate::{
    args::NoArgs,
    catalog,
    reply::{forward, structured, unexpected},
    tools::PveMcp,
};
use pve_mcp_proto::{BoundsSummary, Capabilities, CreateSummary, Describe, Payload, Request};
use rmcp::{
    handler::server::{tool::schema_for_output, wrapper::Parameters},
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
    /// Whether `firewall` may read the cluster's, and each node's, firewall.
    pub firewall_cluster: bool,
    pub firewall_node: bool,
    /// Whether `list_pools` is allowed.
    pub pools: bool,
    /// Whether `ha_resources` is allowed.
    pub ha_resources: bool,
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
            limits,
            create,
            bounds,
            config_keys,
            migrate_nodes,
            media_storages,
            download_from,
            media_delete,
            agent_exec,
            firewall_cluster,
            firewall_node,
            pools,
            ha_resources,
        } = caps;
        Self {
            guests,
            guests_except,
            grants: grants
                .into_iter()
                .map(|g| Grant {
                    rule: g.rule,
                    guests: g.guests,
                    operations: g.operations,
                    confirm: g.confirm,
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
            limits,
            create: create.map(CreateRules::from),
            bounds: bounds.into(),
            config_keys,
            migrate_nodes,
            media_storages,
            download_from,
            media_delete,
            agent_exec,
            firewall_cluster,
            firewall_node,
            pools,
            ha_resources,
            tools,
        }
    }
}

#[tool_router(router = permissions_router, vis = "pub(crate)")]
impl PveMcp {
    /// What the admin's policy lets you do here, in full: which guests are in scope,
    /// which operations each grant allows on which guests (and which need the user's
    /// confirmation), the raw API patterns, the allowed commands, the request limits,
    /// and so which tools work. Call it first when planning work, instead of trying
    /// calls to find out. Read-only; never refused.
    #[tool(
        title = "My permissions",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<MyPermissions>()
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
                let all = self.tool_router.list_all();
                let tools = catalog::tools(all, Some(&caps))
                    .into_iter()
                    .map(|t| t.name.into_owned())
                    .collect();
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
    lifecycle(p, &mut out);
    let _ = writeln!(out, "Raw API (proxmox_api): {}.", list(&p.api));
    let _ = writeln!(out, "Commands (execute_command): {}.", list(&p.commands));
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

/// The lines about making, changing and inspecting guests beyond their status: only
/// those the policy gives something to.
fn lifecycle(p: &MyPermissions, out: &mut String) {
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
    let yes = |b: bool| if b { "allowed" } else { "not allowed" };
    let _ = writeln!(
        out,
        "Firewall (firewall): the cluster's {}, a node's {}, a guest's where the raw API \
         patterns allow reading it; pools (list_pools) {}; HA resources (ha_resources) {}.",
        yes(p.firewall_cluster),
        yes(p.firewall_node),
        yes(p.pools),
        yes(p.ha_resources)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_part_of_the_policy() {
        let p = MyPermissions {
            guests: vec!["100-149".into()],
            guests_except: vec!["120".into()],
            grants: vec![Grant {
                rule: "lab".into(),
                guests: vec!["pool:lab".into()],
                operations: vec!["stop".into(), "snapshot.rollback".into()],
                confirm: vec!["stop".into()],
            }],
            api: vec!["GET /version".into()],
            node_list: true,
            node_detail: false,
            storage_all: false,
            storage_node: false,
            storage_content: false,
            cluster_status: false,
            ha_status: false,
            backup_storages: vec![],
            task_list: false,
            node_tasks: true,
            commands: vec![],
            limits: "600 requests per minute".into(),
            create: Some(CreateRules {
                types: vec!["qemu".into()],
                vmids: "9000-9099".into(),
                nodes: vec!["pve1".into()],
                pool: Some("lab".into()),
                tags: vec!["mcp".into()],
            }),
            bounds: Bounds {
                max_cores: Some(8),
                max_disk_gib: Some(200),
                storages: vec!["local-lvm".into()],
                ..Bounds::default()
            },
            config_keys: vec!["cores".into(), "memory".into()],
            migrate_nodes: vec![],
            media_storages: vec!["local".into()],
            download_from: vec!["https://releases.example.org/".into()],
            media_delete: false,
            agent_exec: vec![],
            firewall_cluster: true,
            firewall_node: false,
            pools: true,
            ha_resources: false,
            tools: vec!["list_vms".into(), "my_permissions".into()],
        };
        let text = render(&p);
        for want in [
            "Guests in scope: 100-149 except 120 (any other",
            "Operations (rule \"lab\"): stop, snapshot.rollback on guests matching pool:lab; \
             the user confirms stop\n",
            "Node status: all nodes (not one node in depth).",
            "Raw API (proxmox_api): GET /version.",
            "Commands (execute_command): none.",
            "Limits: 600 requests per minute.",
            "New guests (guest_create): qemu with vmids 9000-9099 on nodes pve1, in pool lab, \
             tagged mcp.\n",
            "Bounds of new and changed guests: at most 8 cores, 200 GiB per disk; storages \
             local-lvm.\n",
            "Configuration keys (guest_configure): cores, memory.\n",
            "ISO images and templates on storages local: downloads (storage_download) from \
             https://releases.example.org/; deleting them (volume_delete) not allowed.\n",
            "Firewall (firewall): the cluster's allowed, a node's not allowed, a guest's where \
             the raw API patterns allow reading it; pools (list_pools) allowed; HA resources \
             (ha_resources) not allowed.\n",
            "Tools that work here: list_vms, my_permissions.",
        ] {
            assert!(text.contains(want), "{want:?} in\n{text}");
        }
    }
}
