//! Answers about a node's network: its interfaces as Proxmox VE configures them.

use crate::values::NodeName;
use serde::{Deserialize, Serialize};

/// The interfaces of one node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeNetworks {
    pub node: NodeName,
    pub interfaces: Vec<NetworkIface>,
}

/// One interface, with what Proxmox reports of it. Text fields are Proxmox's (the
/// comments are the admin's free text).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkIface {
    pub iface: String,
    /// `bridge`, `bond`, `eth`, `vlan`, `OVSBridge`, ...
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
    /// A bridge's ports, a bond's slaves, or an OVS bridge's ports.
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comments: Option<String>,
    /// For a bridge: whether `[bounds] bridges` lets new or changed guests use it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bounds_allow: Option<bool>,
}
