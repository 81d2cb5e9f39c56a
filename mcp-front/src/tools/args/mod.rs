//! Tool arguments as the model sends them, their JSON Schemas, and their conversion into
//! typed `pve_mcp_proto` requests.
//!
//! Arguments are untrusted model output: serde rejects unknown fields and wrong types
//! (rmcp turns that into a tool error), and every value is then validated by the proto
//! newtypes, whose error messages name the rule that was broken.

use crate::change::operation::Operation;
use pve_mcp_proto::{
    ApiCall, ApiMethod, ApiParams, ApiPath, Argv, GuestAction, GuestActionRequest, GuestRef,
    GuestState, GuestType, ListGuests, NameFilter, NodeName, NodeQuery, PageLimit, ParamName,
    ParamValue, RunCommand, Tag, VmId,
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::{collections::BTreeMap, str::FromStr, time::Duration};

mod ops;
pub use ops::*;
mod change;
pub use change::*;
mod create;
pub use create::*;
mod extra;
pub use extra::*;
pub mod command_line;

/// An argument the proto types refused; the message is shown to the model as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ArgError(pub String);

impl From<pve_mcp_proto::InvalidValue> for ArgError {
    fn from(e: pve_mcp_proto::InvalidValue) -> Self {
        Self(e.0)
    }
}

/// Longest command line accepted before splitting (the proto caps the argv too).
pub const MAX_COMMAND_LEN: usize = Argv::MAX_TOTAL;
/// Default and largest wait of `vm_action`.
pub const DEFAULT_WAIT_SECS: u64 = 120;
pub const MAX_WAIT_SECS: u64 = 3600;
/// Default wait of the changes that copy or move disks (create, clone, restore,
/// migrate, download).
pub const LONG_WAIT_SECS: u64 = 600;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecuteCommandArgs {
    /// The command line, e.g. `pvesm status` or `qm config 101`: the program and its
    /// arguments as words separated by spaces. No shell runs it, so shell syntax is
    /// refused, not passed on: `;`, `&`, `|`, `<`, `>`, `$`, backquotes, backslashes,
    /// `#`, globs (`*`, `?`, `[`), `(`, `)`, `{`, `}`, `~`, `!` and line breaks. An
    /// argument in single quotes is taken as it is (`'a b'`, `'*.conf'`); double quotes
    /// group words too, but refuse `$`, backquotes, `\` and `!`.
    #[schemars(length(min = 1, max = 32768))]
    pub command: String,
}

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
    /// Only guests on this cluster node, e.g. `pve1`.
    #[schemars(length(min = 1, max = 63))]
    pub node: Option<String>,
    /// Only guests in this run state.
    pub status: Option<StateArg>,
    /// Only virtual machines (`qemu`) or only containers (`lxc`).
    #[serde(rename = "type")]
    pub guest_type: Option<TypeArg>,
    /// Only guests carrying this tag.
    #[schemars(length(min = 1, max = 64))]
    pub tag: Option<String>,
    /// Only guests whose name contains this text (case-insensitive).
    #[schemars(length(min = 1, max = 128))]
    pub name: Option<String>,
    /// Page size: at most this many guests (1 to 1000).
    #[schemars(range(min = 1, max = 1000), extend("default" = 100))]
    pub limit: Option<u64>,
    /// Number of matching guests to skip; for the next page pass the previous offset
    /// plus limit.
    #[schemars(extend("default" = 0))]
    pub offset: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VmStatusArgs {
    /// The guest's numeric id (VMID), e.g. 101.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: u64,
}

/// A lifecycle action. `shutdown` asks the guest OS to power off cleanly; `stop` and
/// `reset` cut power at once and may lose unsaved data; `suspend` pauses, `resume`
/// continues a paused or suspended guest.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ActionArg {
    Start,
    Stop,
    Shutdown,
    Reboot,
    Reset,
    Suspend,
    Resume,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VmActionArgs {
    /// The guest's numeric id (VMID), e.g. 101.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: u64,
    /// What to do with the guest.
    pub action: ActionArg,
    /// Wait until the Proxmox task finishes and report its result (default true). With
    /// false, return at once with the task id (UPID).
    #[schemars(extend("default" = true))]
    pub wait: Option<bool>,
    /// Longest wait in seconds (1 to 3600, default 120). A task still running then is
    /// reported with its UPID; it is not cancelled.
    #[schemars(range(min = 1, max = 3600), extend("default" = 120))]
    pub timeout_secs: Option<u64>,
}

/// A tool that takes no arguments (and refuses any).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeStatusArgs {
    /// A cluster node name, e.g. `pve1`, for its details (load, versions, CPU model).
    /// Omit it for a summary of every node.
    #[schemars(length(min = 1, max = 63))]
    pub node: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProxmoxApiArgs {
    /// Path below /api2/json, e.g. `/nodes/pve1/qemu/101/config` or `/cluster/resources`.
    /// No query string: pass parameters in `data`.
    #[schemars(length(min = 1, max = 512))]
    pub endpoint: String,
    /// HTTP method: GET (the default) reads; POST, PUT and DELETE change things.
    #[schemars(extend("enum" = ["GET", "POST", "PUT", "DELETE"], "default" = "GET"))]
    pub method: Option<String>,
    /// Parameters of the call, as a flat object of strings, numbers and booleans
    /// (e.g. {"cores": 4, "onboot": true}). Sent as the query of a GET or DELETE and
    /// the body of a POST or PUT.
    #[serde(default)]
    #[schemars(schema_with = "scalar_object_schema")]
    pub data: Option<Map<String, Value>>,
}

fn scalar_object_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "additionalProperties": {
            "anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]
        },
        "maxProperties": ApiParams::MAX_PARAMS,
    })
}

pub fn vmid(id: u64) -> Result<VmId, ArgError> {
    Ok(VmId::new(id)?)
}

fn node(name: &str) -> Result<NodeName, ArgError> {
    Ok(NodeName::parse(name)?)
}

impl ExecuteCommandArgs {
    pub fn into_request(self) -> Result<RunCommand, ArgError> {
        if self.command.len() > MAX_COMMAND_LEN {
            return Err(ArgError(format!(
                "the command is longer than {MAX_COMMAND_LEN} bytes"
            )));
        }
        Ok(RunCommand {
            argv: Argv::new(command_line::split(&self.command)?)?,
        })
    }
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

impl VmStatusArgs {
    pub fn into_request(self) -> Result<GuestRef, ArgError> {
        Ok(GuestRef {
            vmid: vmid(self.vmid)?,
        })
    }
}

/// What `vm_action` or a snapshot change asks for, and how long it waits for the task.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionPlan {
    pub request: Operation,
    /// `None`: return as soon as the task started.
    pub wait: Option<Duration>,
}

impl VmActionArgs {
    pub fn into_plan(self) -> Result<ActionPlan, ArgError> {
        let action = match self.action {
            ActionArg::Start => GuestAction::Start,
            ActionArg::Stop => GuestAction::Stop,
            ActionArg::Shutdown => GuestAction::Shutdown,
            ActionArg::Reboot => GuestAction::Reboot,
            ActionArg::Reset => GuestAction::Reset,
            ActionArg::Suspend => GuestAction::Suspend,
            ActionArg::Resume => GuestAction::Resume,
        };
        Ok(ActionPlan {
            request: Operation::Power(GuestActionRequest {
                vmid: vmid(self.vmid)?,
                action,
                confirmed: false,
            }),
            wait: wait_for(self.wait, self.timeout_secs)?,
        })
    }
}

/// How long to wait for a task: `None` when not waiting.
fn wait_for(wait: Option<bool>, timeout_secs: Option<u64>) -> Result<Option<Duration>, ArgError> {
    wait_with(wait, timeout_secs, DEFAULT_WAIT_SECS)
}

/// [`wait_for`] with another default wait.
fn wait_with(
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

impl NodeStatusArgs {
    pub fn into_request(self) -> Result<NodeQuery, ArgError> {
        Ok(NodeQuery {
            node: self.node.as_deref().map(node).transpose()?,
        })
    }
}

impl ProxmoxApiArgs {
    pub fn into_request(self) -> Result<ApiCall, ArgError> {
        let method = self.method.as_deref().unwrap_or("GET").to_ascii_uppercase();
        Ok(ApiCall {
            method: ApiMethod::from_str(&method)?,
            path: ApiPath::parse(&self.endpoint)?,
            params: api_params(self.data.unwrap_or_default())?,
        })
    }
}

/// Converts a JSON object of scalars into API parameters, naming the offending key.
pub fn api_params(data: Map<String, Value>) -> Result<ApiParams, ArgError> {
    if data.len() > ApiParams::MAX_PARAMS {
        return Err(ArgError(format!(
            "data has {} parameters; at most {} are allowed",
            data.len(),
            ApiParams::MAX_PARAMS
        )));
    }
    let mut params = BTreeMap::new();
    for (key, value) in data {
        let name = ParamName::parse(&key)?;
        let value = match value {
            Value::Bool(b) => ParamValue::Bool(b),
            Value::String(s) => ParamValue::Text(s),
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => ParamValue::Int(i),
                (None, Some(f)) if n.is_f64() => ParamValue::Float(f),
                _ => return Err(ArgError(format!("data.{key}: the number {n} is too large"))),
            },
            Value::Null => return Err(ArgError(format!("data.{key} is null: omit it instead"))),
            Value::Array(_) | Value::Object(_) => {
                return Err(ArgError(format!(
                    "data.{key} is an array or object: only strings, numbers and booleans are \
                     allowed (Proxmox takes lists as comma-separated strings)"
                )));
            }
        };
        params.insert(name, value);
    }
    Ok(ApiParams::new(params)?)
}

#[cfg(test)]
mod tests;
