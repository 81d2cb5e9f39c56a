//! A node's network interfaces: one `GET /nodes/{node}/network` call (with the kind
//! asked for, if any). Proxmox lists what `/etc/network/interfaces` configures, which
//! names no guest; every text is sanitized, and each bridge is marked with whether
//! `[bounds] bridges` lets guests be put on it.

use super::outcome::{OpResult, upstream_error};
use super::state::Service;
use crate::policy::Policy;
use crate::pve::{resources::Num, sanitize, sanitize_text};
use pve_mcp_proto::{NetworkIface, NetworkQuery, NodeNetworks, Payload};
use serde::Deserialize;

/// The most interfaces an answer carries: a node with more is not a node.
const MAX_IFACES: usize = 4096;
/// The longest comment kept, in bytes (cut at a character's boundary).
const MAX_COMMENT: usize = 1000;

#[derive(Deserialize)]
struct RawIface {
    iface: String,
    #[serde(rename = "type", default)]
    iface_type: String,
    #[serde(default)]
    active: Num,
    #[serde(default)]
    autostart: Num,
    method: Option<String>,
    cidr: Option<String>,
    gateway: Option<String>,
    cidr6: Option<String>,
    gateway6: Option<String>,
    bridge_ports: Option<String>,
    slaves: Option<String>,
    ovs_ports: Option<String>,
    ovs_bonds: Option<String>,
    bond_mode: Option<String>,
    bridge_vlan_aware: Option<Num>,
    #[serde(rename = "vlan-id")]
    vlan_id: Option<Num>,
    #[serde(rename = "vlan-raw-device")]
    vlan_raw_device: Option<String>,
    mtu: Option<Num>,
    comments: Option<String>,
}

pub async fn list(svc: &Service, policy: &Policy, q: &NetworkQuery) -> OpResult {
    let query: Vec<(&str, &str)> = q
        .iface_type
        .map(|t| ("type", t.as_str()))
        .into_iter()
        .collect();
    let raw: Vec<RawIface> = svc
        .pve
        .get(&format!("/nodes/{}/network", q.node), &query)
        .await
        .map_err(upstream_error)?;
    let mut interfaces: Vec<NetworkIface> = raw
        .into_iter()
        .take(MAX_IFACES)
        .map(|r| iface(policy, r))
        .collect();
    interfaces.sort_by(|a, b| a.iface.cmp(&b.iface));
    Ok(Payload::Networks(NodeNetworks {
        node: q.node.clone(),
        interfaces,
    }))
}

fn iface(policy: &Policy, r: RawIface) -> NetworkIface {
    let text = |s: Option<String>| s.map(|s| sanitize(&s)).filter(|s| !s.is_empty());
    let ports = [r.bridge_ports, r.slaves, r.ovs_ports, r.ovs_bonds]
        .into_iter()
        .flatten()
        .flat_map(|list| {
            list.split([' ', ',', ';'])
                .filter(|p| !p.is_empty())
                .map(sanitize)
                .collect::<Vec<_>>()
        })
        .collect();
    let bridge = matches!(r.iface_type.as_str(), "bridge" | "OVSBridge");
    let iface = sanitize(&r.iface);
    NetworkIface {
        bounds_allow: bridge.then(|| policy.bounds.bridges.iter().any(|b| b.as_str() == iface)),
        iface,
        iface_type: sanitize(&r.iface_type),
        active: r.active.0 != 0.0,
        autostart: r.autostart.0 != 0.0,
        method: text(r.method),
        cidr: text(r.cidr),
        gateway: text(r.gateway),
        cidr6: text(r.cidr6),
        gateway6: text(r.gateway6),
        ports,
        bond_mode: text(r.bond_mode),
        vlan_aware: r.bridge_vlan_aware.map(|v| v.0 != 0.0),
        vlan_id: r.vlan_id.and_then(|v| u16::try_from(v.u64()).ok()),
        vlan_raw_device: text(r.vlan_raw_device),
        mtu: r.mtu.and_then(|v| u32::try_from(v.u64()).ok()),
        comments: r.comments.map(|c| comment(&c)).filter(|c| !c.is_empty()),
    }
}

/// The admin's comment, its lines kept, hidden characters escaped, cut if long.
fn comment(c: &str) -> String {
    let mut c = sanitize_text(c.trim_end()).into_owned();
    if c.len() > MAX_COMMENT {
        let mut end = MAX_COMMENT;
        while !c.is_char_boundary(end) {
            end -= 1;
        }
        c.truncate(end);
        c.push_str(" [...]");
    }
    c
}

#[cfg(test)]
mod tests;
