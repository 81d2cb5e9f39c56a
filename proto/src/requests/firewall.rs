//! A change to a guest's firewall: its rules by position, or its `enable` option.
//! Whether the rule and its place are within `[firewall]` is judged by the helper,
//! on the rules as Proxmox holds them.

use crate::values::{FwFields, FwValue, VmId};
use serde::{Deserialize, Serialize};

/// Change the firewall of guest `vmid` (`firewall.rules`, or `firewall.enable`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirewallEdit {
    pub vmid: VmId,
    pub change: FirewallChange,
    /// The rules' digest as the client read them: refused if they changed since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<FwValue>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// What changes. Positions are Proxmox's (`pos`, from 0 at the top). A rule's fields
/// are boxed: they are far larger than any other request's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum FirewallChange {
    /// A new rule, at `pos` (default: right below the last rule outside the bounds).
    Add {
        rule: Box<FwFields>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pos: Option<u32>,
    },
    /// Set fields of the rule at `pos`, and remove those `delete` names.
    Update {
        pos: u32,
        set: Box<FwFields>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        delete: Vec<FwValue>,
    },
    /// Remove the rule at `pos`.
    Delete { pos: u32 },
    /// Move the rule at `pos` so that it ends at position `to`.
    Move { pos: u32, to: u32 },
    /// Turn the guest's firewall on or off.
    Enable { enable: bool },
}

impl FirewallEdit {
    /// The operation the change needs.
    pub fn operation(&self) -> crate::Operation {
        match self.change {
            FirewallChange::Enable { .. } => crate::Operation::FirewallEnable,
            _ => crate::Operation::FirewallRules,
        }
    }
}
