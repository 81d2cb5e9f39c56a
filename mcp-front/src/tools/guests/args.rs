//! Arguments of `list_vms`, with their JSON Schema and conversion into a typed request.
//! Untrusted model output: serde refuses unknown fields, the proto newtypes every bad
//! value, naming the rule.

use crate::tools::args::{ArgError, node};
use pve_mcp_proto::{GuestState, GuestType, ListGuests, NameFilter, PageLimit, Tag};
use schemars::JsonSchema;
use serde::Deserialize;

/// Run state of a guest.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StateArg {
    Running,
    Stopped,
    Paused,
    Suspended,
    Unknown,
}

/// Kind of guest: `qemu` for virtual machines, `lxc` for containers.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TypeArg {
    Qemu,
    Lxc,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListVmsArgs {
    /// Only guests on this node.
    #[schemars(length(min = 1, max = 63))]
    pub node: Option<String>,
    /// Only guests in this run state.
    pub status: Option<StateArg>,
    /// Only VMs (`qemu`) or containers (`lxc`).
    #[serde(rename = "type")]
    pub guest_type: Option<TypeArg>,
    /// Only guests carrying this tag.
    #[schemars(length(min = 1, max = 64))]
    pub tag: Option<String>,
    /// Only names containing this (any case).
    #[schemars(length(min = 1, max = 128))]
    pub name: Option<String>,
    /// Page size.
    #[schemars(range(min = 1, max = 1000), extend("default" = 100))]
    pub limit: Option<u64>,
    /// Matching guests to skip.
    #[schemars(extend("default" = 0))]
    pub offset: Option<u32>,
}

impl ListVmsArgs {
    pub fn into_request(self) -> Result<ListGuests, ArgError> {
        Ok(ListGuests {
            node: self.node.as_deref().map(node).transpose()?,
            status: self.status.map(|s| match s {
                StateArg::Running => GuestState::Running,
                StateArg::Stopped => GuestState::Stopped,
                StateArg::Paused => GuestState::Paused,
                StateArg::Suspended => GuestState::Suspended,
                StateArg::Unknown => GuestState::Unknown,
            }),
            guest_type: self.guest_type.map(|t| match t {
                TypeArg::Qemu => GuestType::Qemu,
                TypeArg::Lxc => GuestType::Lxc,
            }),
            tag: self.tag.as_deref().map(Tag::parse).transpose()?,
            name: self.name.as_deref().map(NameFilter::parse).transpose()?,
            limit: PageLimit::new(self.limit.unwrap_or(PageLimit::DEFAULT.into()))?,
            offset: self.offset.unwrap_or(0),
        })
    }
}
