//! The kinds of network interface Proxmox VE lists for a node (`GET
//! /nodes/{node}/network`, parameter `type`), spelled as Proxmox spells them. Only the
//! kinds both PVE 8 and PVE 9 know.

use serde::{Deserialize, Serialize};

/// A kind of interface, or a group of kinds (`any_bridge`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NetworkType {
    #[serde(rename = "bridge")]
    Bridge,
    #[serde(rename = "bond")]
    Bond,
    #[serde(rename = "eth")]
    Eth,
    #[serde(rename = "alias")]
    Alias,
    #[serde(rename = "vlan")]
    Vlan,
    OVSBridge,
    OVSBond,
    OVSPort,
    OVSIntPort,
    /// An SDN VNet.
    #[serde(rename = "vnet")]
    Vnet,
    /// Linux and OVS bridges, and SDN VNets.
    #[serde(rename = "any_bridge")]
    AnyBridge,
    /// Linux and OVS bridges.
    #[serde(rename = "any_local_bridge")]
    AnyLocalBridge,
}

impl NetworkType {
    pub const ALL: [Self; 12] = [
        Self::Bridge,
        Self::Bond,
        Self::Eth,
        Self::Alias,
        Self::Vlan,
        Self::OVSBridge,
        Self::OVSBond,
        Self::OVSPort,
        Self::OVSIntPort,
        Self::Vnet,
        Self::AnyBridge,
        Self::AnyLocalBridge,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bridge => "bridge",
            Self::Bond => "bond",
            Self::Eth => "eth",
            Self::Alias => "alias",
            Self::Vlan => "vlan",
            Self::OVSBridge => "OVSBridge",
            Self::OVSBond => "OVSBond",
            Self::OVSPort => "OVSPort",
            Self::OVSIntPort => "OVSIntPort",
            Self::Vnet => "vnet",
            Self::AnyBridge => "any_bridge",
            Self::AnyLocalBridge => "any_local_bridge",
        }
    }

    /// The kind named `s`, as Proxmox spells it.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}
