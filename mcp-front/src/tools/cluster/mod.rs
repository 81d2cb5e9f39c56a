//! `cluster_status`: cluster membership and quorum, and the HA manager's state (HA
//! services of guests in scope only) when the policy allows reading it; and
//! `node_status`: every node's state and usage, or one node in depth.
//!
//! The node name is untrusted model output, validated here; answers come from the
//! helper and are only rendered here, their text escaped.

use crate::mcp::described::{self, Parameters};
use crate::{
    render::{
        Percent, Table, Uptime, UsedOf,
        untrusted::{self, own_line, own_lines},
    },
    tools::{
        args::{ArgError, NoArgs, node},
        reply::{forward, invalid, structured, unexpected},
        session::PveMcp,
        spec::{ToolSpec, no_note},
    },
};
use pve_mcp_proto as proto;
use pve_mcp_proto::{ClusterQuery, NodeQuery, Payload, Request};
use rmcp::{model::CallToolResult, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ClusterNode {
    pub name: String,
    pub online: bool,
    /// The node the helper talks to.
    pub local: bool,
    pub nodeid: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HaService {
    pub vmid: u32,
    /// `qemu` or `lxc`.
    #[serde(rename = "type")]
    pub guest_type: String,
    pub node: String,
    /// `started`, `stopped`, `fence`, `error`, ...
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_state: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Ha {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quorum: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master: Option<String>,
    pub lrms: Vec<String>,
    /// HA-managed guests in scope.
    pub services: Vec<HaService>,
}

/// Result of `cluster_status`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Cluster {
    /// Absent for a standalone node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quorate: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_version: Option<u64>,
    pub nodes: Vec<ClusterNode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ha: Option<Ha>,
    /// Why `ha` is absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ha_note: Option<String>,
}

impl From<pve_mcp_proto::ClusterInfo> for Cluster {
    fn from(c: pve_mcp_proto::ClusterInfo) -> Self {
        let pve_mcp_proto::ClusterInfo {
            name,
            quorate,
            config_version,
            nodes,
            ha,
            ha_note,
        } = c;
        Self {
            name: name.map(own_line),
            quorate,
            config_version,
            nodes: nodes
                .into_iter()
                .map(|n| ClusterNode {
                    name: n.name.to_string(),
                    online: n.online,
                    local: n.local,
                    nodeid: n.nodeid,
                    ip: n.ip.map(own_line),
                })
                .collect(),
            ha: ha.map(|h| Ha {
                quorum: h.quorum.map(own_line),
                master: h.master.map(own_line),
                lrms: own_lines(h.lrms),
                services: h
                    .services
                    .into_iter()
                    .map(|s| HaService {
                        vmid: s.vmid.get(),
                        guest_type: s.guest_type.to_string(),
                        node: s.node.to_string(),
                        state: own_line(s.state),
                        request_state: s.request_state.map(own_line),
                    })
                    .collect(),
            }),
            ha_note: ha_note.map(own_line),
        }
    }
}

#[tool_router(router = cluster_router, vis = "pub(crate)")]
impl PveMcp {
    /// Cluster membership and health: quorum, each node online or not, and the HA
    /// manager's state. Read-only.
    #[tool(
        title = "Cluster status",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = described::output::<Cluster>()
    )]
    async fn cluster_status(&self, Parameters(NoArgs {}): Parameters<NoArgs>) -> CallToolResult {
        match forward(&self.helper, Request::ClusterStatus(ClusterQuery {})).await {
            Ok(Payload::Cluster(c)) => {
                let c = Cluster::from(c);
                structured(&c, render(&c))
            }
            Ok(other) => unexpected("cluster_status", &other),
            Err(result) => result,
        }
    }
}

pub fn render(c: &Cluster) -> String {
    let online = c.nodes.iter().filter(|n| n.online).count();
    let mut out = match (&c.name, c.quorate) {
        (Some(name), Some(q)) => format!(
            "Cluster {name}: {}, {online} of {} node(s) online.\n",
            if q { "quorate" } else { "NOT quorate" },
            c.nodes.len()
        ),
        _ => format!("Standalone node, {online} of {} online.\n", c.nodes.len()),
    };
    for n in &c.nodes {
        let _ = writeln!(
            out,
            "  {}  {}{}{}",
            n.name,
            if n.online { "online" } else { "OFFLINE" },
            n.ip.as_deref()
                .map(|ip| format!("  {ip}"))
                .unwrap_or_default(),
            if n.local { "  (local)" } else { "" }
        );
    }
    if let Some(ha) = &c.ha {
        let _ = writeln!(
            out,
            "HA: quorum {}; master {}",
            ha.quorum.as_deref().unwrap_or("unknown"),
            ha.master.as_deref().unwrap_or("none")
        );
        for s in &ha.services {
            let _ = writeln!(
                out,
                "  {} {} on {}: {}",
                s.guest_type, s.vmid, s.node, s.state
            );
        }
        if ha.services.is_empty() {
            out.push_str("  no HA-managed guests in scope\n");
        }
    }
    if let Some(note) = &c.ha_note {
        let _ = writeln!(out, "{note}");
    }
    out
}

#[tool_router(router = nodes_router, vis = "pub(crate)")]
impl PveMcp {
    /// The nodes' status: online, CPU, memory, root disk, uptime; with `node`, also
    /// load, versions and CPU model. Read-only.
    #[tool(
        title = "Node status",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = described::output::<Nodes>()
    )]
    async fn node_status(&self, Parameters(args): Parameters<NodeStatusArgs>) -> CallToolResult {
        let request = match args.into_request() {
            Ok(r) => Request::NodeStatus(r),
            Err(e) => return invalid(e),
        };
        let every_node = matches!(&request, Request::NodeStatus(q) if q.node.is_none());
        match forward(&self.helper, request).await {
            Ok(Payload::Nodes(nodes)) => {
                let nodes = Nodes {
                    nodes: nodes.into_iter().map(Node::from).collect(),
                };
                let mut text = render_nodes(&nodes);
                if every_node && let Some(own) = own_node_only(&nodes) {
                    let _ = writeln!(
                        text,
                        "Only {own}, the node pve-mcp talks to: the policy does not let this \
                         client list every node (GET /nodes)."
                    );
                }
                structured(&nodes, text)
            }
            Ok(other) => unexpected("node_status", &other),
            Err(result) => result,
        }
    }
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeStatusArgs {
    /// One node, e.g. `pve1`, in detail.
    #[schemars(length(min = 1, max = 63))]
    pub node: Option<String>,
}

impl NodeStatusArgs {
    pub fn into_request(self) -> Result<NodeQuery, ArgError> {
        Ok(NodeQuery {
            node: self.node.as_deref().map(node).transpose()?,
        })
    }
}

/// One cluster node.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Node {
    pub node: String,
    /// `online`, `offline` or `unknown`.
    pub status: String,
    /// CPU load as a fraction of all cores (0 to 1).
    pub cpu: f64,
    pub maxcpu: u32,
    pub mem: u64,
    pub maxmem: u64,
    pub disk: u64,
    pub maxdisk: u64,
    pub uptime: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loadavg: Option<[f64; 3]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kversion: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pveversion: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_model: Option<String>,
}

impl From<proto::NodeInfo> for Node {
    fn from(n: proto::NodeInfo) -> Self {
        let proto::NodeInfo {
            node,
            status,
            cpu,
            maxcpu,
            mem,
            maxmem,
            disk,
            maxdisk,
            uptime,
            loadavg,
            kversion,
            pveversion,
            cpu_model,
        } = n;
        Self {
            node: node.into(),
            status: own_line(status),
            cpu,
            maxcpu,
            mem,
            maxmem,
            disk,
            maxdisk,
            uptime,
            loadavg,
            kversion: kversion.map(own_line),
            pveversion: pveversion.map(own_line),
            cpu_model: cpu_model.map(own_line),
        }
    }
}

/// Result of `node_status`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Nodes {
    pub nodes: Vec<Node>,
}

/// The `node_status` answer: a table, and details when one node was asked for.
/// The node of an answer to "every node" that holds one node in depth: the helper
/// answered for its own node because the policy does not allow the listing (a listing
/// never carries versions).
fn own_node_only(n: &Nodes) -> Option<&str> {
    match n.nodes.as_slice() {
        [one] if one.pveversion.is_some() || one.kversion.is_some() => Some(&one.node),
        _ => None,
    }
}

pub fn render_nodes(n: &Nodes) -> String {
    let online = n.nodes.iter().filter(|n| n.status == "online").count();
    let mut out = format!("{} nodes ({online} online)\n", n.nodes.len());
    let header = ["NODE", "STATUS", "CPU", "MEM", "DISK", "UPTIME"];
    let mut table = Table::new(&header, n.nodes.len());
    for n in &n.nodes {
        table
            .cell(&n.node)
            .cell(untrusted::line(&n.status))
            .cell(Percent(n.cpu, 1.0))
            .cell(UsedOf(n.mem, n.maxmem))
            .cell(UsedOf(n.disk, n.maxdisk))
            .cell(Uptime(n.uptime));
    }
    table.write_to(&mut out);
    for node in &n.nodes {
        node_details(node, &mut out);
    }
    out
}

fn node_details(n: &Node, out: &mut String) {
    if let Some([a, b, c]) = n.loadavg {
        let _ = writeln!(out, "{}: load average {a:.2} {b:.2} {c:.2}", n.node);
    }
    let details = [
        ("PVE", &n.pveversion),
        ("kernel", &n.kversion),
        ("CPU", &n.cpu_model),
    ];
    for (label, value) in details {
        if let Some(v) = value {
            let _ = writeln!(out, "{}: {label} {}", n.node, untrusted::line(v));
        }
    }
}

pub const CLUSTER_STATUS: ToolSpec = ToolSpec {
    name: "cluster_status",
    grant: None,
    listed: |caps| caps.cluster_status,
    note: no_note,
};

pub const NODE_STATUS: ToolSpec = ToolSpec {
    name: "node_status",
    grant: None,
    listed: |caps| caps.node_list || caps.node_detail,
    note: no_note,
};

#[cfg(test)]
mod tests;
