//! `cluster_status`: cluster membership and quorum, and the HA manager's state (HA
//! services of guests in scope only) when the policy allows reading it.
//!
//! The answer comes from the helper and is only rendered here, its text escaped.

use crate::{
    mcp::session::PveMcp,
    render::untrusted::{own_line, own_lines},
    tools::args::NoArgs,
    tools::reply::{forward, structured, unexpected},
};
use pve_mcp_proto::{ClusterQuery, Payload, Request};
use rmcp::{
    handler::server::{tool::schema_for_output, wrapper::Parameters},
    model::CallToolResult,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::Serialize;
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
    /// Cluster membership and health: the cluster's name, whether it is quorate, each
    /// node online or not, and (when the policy allows) the HA manager's state: quorum,
    /// master, each node's LRM and the HA-managed guests with their state. Read-only.
    #[tool(
        title = "Cluster status",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<Cluster>()
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
