//! What every family's arguments share: the error an argument gives ([`ArgError`]),
//! the arguments of tools that take one guest or none, the wait of a change, and the
//! conversions that name the argument they are about. Each family declares its own
//! arguments, with their JSON Schemas and conversion into typed requests.
//!
//! Arguments are untrusted model output: serde rejects unknown fields and wrong types
//! (rmcp turns that into a tool error), and every value is then validated by the proto
//! newtypes, whose error messages name the rule that was broken.

use pve_mcp_proto::{GuestRef, InvalidValue, NodeName, VmId};
use schemars::JsonSchema;
use serde::Deserialize;
use std::time::Duration;

/// An argument the proto types refused; the message is shown to the model as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ArgError(pub String);

impl From<pve_mcp_proto::InvalidValue> for ArgError {
    fn from(e: pve_mcp_proto::InvalidValue) -> Self {
        Self(e.0)
    }
}

/// Default and largest wait of `vm_action`.
pub const DEFAULT_WAIT_SECS: u64 = 120;
pub const MAX_WAIT_SECS: u64 = 3600;
/// Default wait of the changes that copy or move disks (create, clone, restore,
/// migrate, download).
pub const LONG_WAIT_SECS: u64 = 600;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VmStatusArgs {
    /// The guest's VMID.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: u64,
}

/// A tool that takes no arguments (and refuses any).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

pub fn vmid(id: u64) -> Result<VmId, ArgError> {
    Ok(VmId::new(id)?)
}

pub(crate) fn node(name: &str) -> Result<NodeName, ArgError> {
    Ok(NodeName::parse(name)?)
}

impl VmStatusArgs {
    pub fn into_request(self) -> Result<GuestRef, ArgError> {
        Ok(GuestRef {
            vmid: vmid(self.vmid)?,
        })
    }
}

/// How long to wait for a task: `None` when not waiting.
pub(crate) fn wait_for(
    wait: Option<bool>,
    timeout_secs: Option<u64>,
) -> Result<Option<Duration>, ArgError> {
    wait_with(wait, timeout_secs, DEFAULT_WAIT_SECS)
}

/// [`wait_for`] with another default wait.
pub(crate) fn wait_with(
    wait: Option<bool>,
    timeout_secs: Option<u64>,
    default_secs: u64,
) -> Result<Option<Duration>, ArgError> {
    let secs = timeout_secs.unwrap_or(default_secs);
    if !(1..=MAX_WAIT_SECS).contains(&secs) {
        return Err(ArgError(format!(
            "timeout_secs {secs} is out of range: must be 1 to {MAX_WAIT_SECS}"
        )));
    }
    Ok(wait.unwrap_or(true).then_some(Duration::from_secs(secs)))
}

/// `result` with its error about the argument `name`: the proto's message, prefixed
/// by the argument's name unless it starts with it already.
pub(super) fn at<T>(name: &str, result: Result<T, InvalidValue>) -> Result<T, ArgError> {
    result.map_err(|e| {
        if e.0.starts_with(&format!("{name} ")) {
            ArgError(e.0)
        } else {
            ArgError(format!("{name}: {}", e.0))
        }
    })
}

pub(super) fn vmid_at(name: &str, id: u64) -> Result<VmId, ArgError> {
    at(name, VmId::new(id))
}

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
