//! `node_networks`: a node's network interfaces (bridges, bonds, VLANs, NICs) as
//! Proxmox VE configures them, so that a model puts guests on a bridge that exists;
//! each bridge says whether `[bounds] bridges` lets guests use it.
//!
//! The arguments are untrusted model output, validated here; the answer comes from
//! the helper and is only rendered here. Names and addresses are escaped, and the
//! comments an admin wrote are quoted as data under the table.

use crate::mcp::described::{self, Parameters};
use crate::{
    render::{Table, untrusted},
    tools::{
        args::{ArgError, node},
        reply::{forward, invalid, structured, unexpected},
        session::PveMcp,
        spec::{ToolSpec, no_note},
    },
};
use pve_mcp_proto::{NetworkQuery, NetworkType, Payload, Request};
use rmcp::{model::CallToolResult, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// One interface.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Iface {
    pub iface: String,
    #[serde(rename = "type")]
    pub iface_type: String,
    pub active: bool,
    pub autostart: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidr6: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway6: Option<String>,
    /// Bridge ports or bond slaves.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bond_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan_aware: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan_id: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan_raw_device: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u32>,
    /// The admin's free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comments: Option<String>,
    /// Bridges: whether guests may use it (`[bounds] bridges`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guests_may_use: Option<bool>,
}

/// Result of `node_networks`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Networks {
    pub node: String,
    pub interfaces: Vec<Iface>,
}

impl From<pve_mcp_proto::NodeNetworks> for Networks {
    fn from(n: pve_mcp_proto::NodeNetworks) -> Self {
        let line = untrusted::own_line;
        Self {
            node: n.node.to_string(),
            interfaces: n
                .interfaces
                .into_iter()
                .map(|i| Iface {
                    iface: line(i.iface),
                    iface_type: line(i.iface_type),
                    active: i.active,
                    autostart: i.autostart,
                    method: i.method.map(line),
                    cidr: i.cidr.map(line),
                    gateway: i.gateway.map(line),
                    cidr6: i.cidr6.map(line),
                    gateway6: i.gateway6.map(line),
                    ports: untrusted::own_lines(i.ports),
                    bond_mode: i.bond_mode.map(line),
                    vlan_aware: i.vlan_aware,
                    vlan_id: i.vlan_id,
                    vlan_raw_device: i.vlan_raw_device.map(line),
                    mtu: i.mtu,
                    comments: i.comments.map(untrusted::own_text),
                    guests_may_use: i.bounds_allow,
                })
                .collect(),
        }
    }
}

#[tool_router(router = network_router, vis = "pub(crate)")]
impl PveMcp {
    /// A node's network interfaces (bridges, bonds, VLANs, NICs): state, ports,
    /// addresses, comments, and for each bridge whether guests may use it. Use it to
    /// pick a bridge that exists. Read-only.
    #[tool(
        title = "Node networks",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = described::output::<Networks>()
    )]
    async fn node_networks(
        &self,
        Parameters(args): Parameters<NodeNetworksArgs>,
    ) -> CallToolResult {
        let request = match args.into_request() {
            Ok(r) => Request::NodeNetworks(r),
            Err(e) => return invalid(e),
        };
        match forward(&self.helper, request).await {
            Ok(Payload::Networks(n)) => {
                let n = Networks::from(n);
                structured(&n, render(&n))
            }
            Ok(other) => unexpected("node_networks", &other),
            Err(result) => result,
        }
    }
}

/// The kinds a model may ask for.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
pub enum KindArg {
    #[serde(rename = "any_bridge")]
    AnyBridge,
    #[serde(rename = "bridge")]
    Bridge,
    #[serde(rename = "bond")]
    Bond,
    #[serde(rename = "eth")]
    Eth,
    #[serde(rename = "vlan")]
    Vlan,
    OVSBridge,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeNetworksArgs {
    /// Node name, e.g. `pve1`.
    #[schemars(length(min = 1, max = 63))]
    pub node: String,
    /// Only this kind.
    #[serde(rename = "type")]
    pub kind: Option<KindArg>,
}

impl NodeNetworksArgs {
    pub fn into_request(self) -> Result<NetworkQuery, ArgError> {
        Ok(NetworkQuery {
            node: node(&self.node)?,
            iface_type: self.kind.map(|k| match k {
                KindArg::AnyBridge => NetworkType::AnyBridge,
                KindArg::Bridge => NetworkType::Bridge,
                KindArg::Bond => NetworkType::Bond,
                KindArg::Eth => NetworkType::Eth,
                KindArg::Vlan => NetworkType::Vlan,
                KindArg::OVSBridge => NetworkType::OVSBridge,
            }),
        })
    }
}

fn is_bridge(i: &Iface) -> bool {
    i.guests_may_use.is_some()
}

/// A table of the interfaces, then what guests may use, then the comments as data.
pub fn render(n: &Networks) -> String {
    let line = |s: &str| untrusted::line(s).into_owned();
    let bridges: Vec<&Iface> = n.interfaces.iter().filter(|i| is_bridge(i)).collect();
    let mut out = format!(
        "Node {}: {} interface(s), {} bridge(s).\n",
        n.node,
        n.interfaces.len(),
        bridges.len()
    );
    if n.interfaces.is_empty() {
        return out;
    }
    let yes = |b: bool| if b { "yes" } else { "no" }.to_owned();
    let header = [
        "IFACE",
        "TYPE",
        "ACTIVE",
        "AUTOSTART",
        "ADDRESS",
        "GATEWAY",
        "PORTS",
        "GUESTS",
    ];
    let mut table = Table::new(&header, n.interfaces.len());
    let rows = n.interfaces.iter().map(|i| {
        let address = [&i.cidr, &i.cidr6]
            .into_iter()
            .flatten()
            .map(|a| line(a))
            .collect::<Vec<_>>();
        let gateway = [&i.gateway, &i.gateway6]
            .into_iter()
            .flatten()
            .map(|g| line(g))
            .collect::<Vec<_>>();
        let mut kind = line(&i.iface_type);
        if let Some(id) = i.vlan_id {
            let _ = write!(kind, " {id}");
        }
        if i.vlan_aware == Some(true) {
            kind.push_str(" vlan-aware");
        }
        let dash = |v: Vec<String>| {
            if v.is_empty() {
                "-".into()
            } else {
                v.join(" ")
            }
        };
        vec![
            line(&i.iface),
            kind,
            yes(i.active),
            yes(i.autostart),
            dash(address),
            dash(gateway),
            dash(i.ports.iter().map(|p| line(p)).collect()),
            match i.guests_may_use {
                Some(true) => "allowed".into(),
                Some(false) => "not allowed".into(),
                None => "-".into(),
            },
        ]
    });
    for cell in rows.flatten() {
        table.cell(cell);
    }
    table.write_to(&mut out);
    let usable: Vec<String> = bridges
        .iter()
        .filter(|i| i.guests_may_use == Some(true))
        .map(|i| line(&i.iface))
        .collect();
    if usable.is_empty() {
        out.push_str(
            "No bridge here is in the policy's [bounds] bridges: guests cannot be put on any.\n",
        );
    } else {
        let _ = writeln!(
            out,
            "Guests may be put on: {} (the policy's [bounds] bridges).",
            usable.join(", ")
        );
    }
    for i in &n.interfaces {
        if let Some(c) = i.comments.as_deref().filter(|c| !c.trim().is_empty()) {
            let what = format!("{} comments", line(&i.iface));
            untrusted::quote(&mut out, "", (&what, "written by the node's admin"), c);
        }
    }
    out
}

pub const NODE_NETWORKS: ToolSpec = ToolSpec {
    name: "node_networks",
    grant: None,
    listed: |caps| caps.node_networks,
    note: no_note,
};

#[cfg(test)]
mod tests;
