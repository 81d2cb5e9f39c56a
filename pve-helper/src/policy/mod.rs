//! The policy: what a connected client may see and do. Parsed from `policy.toml`
//! (untrusted admin input, every error reported with its position), then judged purely
//! by [`decide`]; nothing here does I/O except [`Policy::load`] reading the file and
//! resolving command paths.

mod api_call;
mod api_class;
mod bounds;
mod config_file;
mod decide;
mod decision;
mod facts;
pub(crate) mod floor;
mod lifecycle_rules;
mod parse;
mod pattern;
pub mod refs;
mod selector;
mod summary;
#[cfg(test)]
mod tests;

pub use api_call::{Analysis, Mention, analyze};
pub use api_class::{Class, Filter, Typed};
pub use bounds::{Denial, Origin, numbered, size_gib, tags_of};
pub use config_file::{ConfigFile, GuestSettings, parse_config_text};
pub use decide::{
    config_vmids, create_settings, decide, equivalent_request, local_disk_storages, named_task,
    node_task_names_no_guest, raw_create_vmid, referenced_vmids,
};
pub use decision::{Decision, Rule};
pub use facts::{Facts, GuestAttrs, GuestFacts};
pub use floor::{config_floor, floor_reason, inherited_floor};
pub use lifecycle_rules::{AgentRules, Bounds, ConfigKeys, Create, Media, VolumePattern};
pub use parse::{COMMAND_PATH, Diagnostic, Severity};
pub use pattern::{ArgPattern, CommandRule, PathPattern, is_plain_arg};
pub use refs::task_guest;
pub use selector::{Selector, Term};

use pve_mcp_proto::{ApiMethod, GuestAction, InvalidValue};
use std::{
    collections::BTreeSet,
    fmt,
    path::{Path, PathBuf},
    str::FromStr,
    time::Duration,
};

/// A validated policy. Build it with [`Policy::parse`] or [`Policy::load`].
#[derive(Debug, Clone)]
pub struct Policy {
    /// Where the policy came from, for error messages that say which file to edit.
    pub source: PathBuf,
    pub clients: Vec<ClientSpec>,
    /// Which guests exist for the client at all.
    pub guests: Scope,
    /// What may be done to guests in scope: `[guests] actions` first (named "guests"),
    /// then each `[[rule]]` in file order.
    pub grants: Vec<Grant>,
    pub api: Vec<ApiRule>,
    pub commands: CommandRules,
    pub limits: Limits,
    /// Storages `backup.create` may write to (`[backup] storages`).
    pub backup_storages: Vec<pve_mcp_proto::StorageId>,
    /// What new guests may be (`[create]`); none may be made without it.
    pub create: Option<Create>,
    /// Limits on every new or changed guest (`[bounds]`).
    pub bounds: Bounds,
    /// Configuration keys that may be changed (`[config] keys`).
    pub config_keys: ConfigKeys,
    /// Nodes guests may migrate to (`[migrate] nodes`).
    pub migrate_nodes: Vec<pve_mcp_proto::NodeName>,
    /// ISO images and container templates (`[storage]`).
    pub media: Media,
    /// Programs the guest agent may run (`[agent]`).
    pub agent: AgentRules,
}

/// A local user allowed to connect, by name or uid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientSpec {
    Name(String),
    Uid(u32),
}

/// The guests in scope: some `allow` selector matches and no `deny` one.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub allow: Vec<Selector>,
    pub deny: Vec<Selector>,
}

/// Something that may be done to a guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    Power(GuestAction),
    SnapshotList,
    SnapshotCreate,
    SnapshotRollback,
    SnapshotDelete,
    /// Read a guest's configuration (secrets redacted).
    ConfigRead,
    /// List a guest's backups.
    BackupList,
    /// Read a guest's resource usage over time.
    MetricsRead,
    /// Ask a VM's QEMU guest agent read-only questions (ping, OS, network).
    AgentRead,
    /// Start a vzdump backup of a guest to a storage in `[backup] storages`.
    BackupCreate,
    /// Clone a guest or template into a new guest within `[create]`.
    Clone,
    /// Convert a guest into a template (irreversible).
    Template,
    /// Change configuration keys listed in `[config] keys`.
    ConfigWrite,
    /// Grow a disk.
    DiskResize,
    /// Migrate to a node in `[migrate] nodes`.
    Migrate,
    /// Destroy the guest.
    Delete,
    /// Restore this guest's backups, to a new guest or over this one.
    BackupRestore,
    /// Delete this guest's backups.
    BackupDelete,
    /// Stop this guest's running tasks.
    TaskCancel,
    /// Run programs listed in `[agent] exec` inside the VM through its guest agent.
    AgentExec,
}

impl Operation {
    /// Every operation besides the power actions.
    pub const OTHERS: [Operation; 19] = [
        Self::SnapshotList,
        Self::SnapshotCreate,
        Self::SnapshotRollback,
        Self::SnapshotDelete,
        Self::ConfigRead,
        Self::BackupList,
        Self::MetricsRead,
        Self::AgentRead,
        Self::BackupCreate,
        Self::Clone,
        Self::Template,
        Self::ConfigWrite,
        Self::DiskResize,
        Self::Migrate,
        Self::Delete,
        Self::BackupRestore,
        Self::BackupDelete,
        Self::TaskCancel,
        Self::AgentExec,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Power(a) => a.as_str(),
            Self::SnapshotList => "snapshot.list",
            Self::SnapshotCreate => "snapshot.create",
            Self::SnapshotRollback => "snapshot.rollback",
            Self::SnapshotDelete => "snapshot.delete",
            Self::ConfigRead => "config.read",
            Self::BackupList => "backup.list",
            Self::MetricsRead => "metrics.read",
            Self::AgentRead => "agent.read",
            Self::BackupCreate => "backup.create",
            Self::Clone => "clone",
            Self::Template => "template",
            Self::ConfigWrite => "config.write",
            Self::DiskResize => "disk.resize",
            Self::Migrate => "migrate",
            Self::Delete => "delete",
            Self::BackupRestore => "backup.restore",
            Self::BackupDelete => "backup.delete",
            Self::TaskCancel => "task.cancel",
            Self::AgentExec => "agent.exec",
        }
    }

    /// Operations that can lose guest data or state.
    pub fn is_destructive(self) -> bool {
        match self {
            Self::Power(a) => a.is_destructive(),
            Self::SnapshotRollback
            | Self::SnapshotDelete
            | Self::Template
            | Self::Delete
            | Self::BackupRestore
            | Self::BackupDelete => true,
            Self::Clone
            | Self::ConfigWrite
            | Self::DiskResize
            | Self::Migrate
            | Self::TaskCancel
            | Self::AgentExec
            | Self::SnapshotList
            | Self::SnapshotCreate
            | Self::ConfigRead
            | Self::BackupList
            | Self::MetricsRead
            | Self::AgentRead
            | Self::BackupCreate => false,
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Operation {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        if let Ok(a) = s.parse::<GuestAction>() {
            return Ok(Self::Power(a));
        }
        Self::OTHERS
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| {
                InvalidValue(format!(
                    "unknown action {s:?}: use start, shutdown, reboot, stop, reset, suspend, \
                 resume, snapshot.list, snapshot.create, snapshot.rollback, snapshot.delete, \
                 config.read, config.write, disk.resize, backup.list, backup.create, \
                 backup.restore, backup.delete, metrics.read, agent.read, agent.exec, clone, \
                 template, migrate, delete or task.cancel"
                ))
            })
    }
}

/// A grant of operations on (part of) the scope.
#[derive(Debug, Clone)]
pub struct Grant {
    /// `guests` for the `[guests]` section, else the `[[rule]]`'s name.
    pub name: String,
    /// The guests it covers, within the scope; empty means the whole scope.
    pub guests: Vec<Selector>,
    pub operations: BTreeSet<Operation>,
    /// Granted operations that need the user's confirmation.
    pub confirm: BTreeSet<Operation>,
}

impl Grant {
    /// Whether this grant applies to the guest (the caller checked the scope).
    pub fn covers(&self, g: &(impl GuestAttrs + ?Sized)) -> bool {
        self.guests.is_empty() || self.guests.iter().any(|s| s.matches(g))
    }
}

/// One `[api] allow` entry: a method and a path pattern.
#[derive(Debug, Clone)]
pub struct ApiRule {
    pub method: ApiMethod,
    pub pattern: PathPattern,
}

impl fmt::Display for ApiRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.pattern)
    }
}

/// The `[commands]` section and the `[[command]]` entries.
#[derive(Debug, Clone, Default)]
pub struct CommandRules {
    pub allow: Vec<CommandRule>,
    /// Variables passed from the helper's environment (besides the fixed PATH and LANG).
    pub env: Vec<String>,
}

impl CommandRules {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
    pub const MAX_TIMEOUT: Duration = Duration::from_secs(3600);
    pub const DEFAULT_MAX_OUTPUT: usize = 64 * 1024;
    pub const MAX_OUTPUT: usize = 4 * 1024 * 1024;
}

/// Request limits, per client uid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub requests_per_minute: u32,
    pub concurrent: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            requests_per_minute: 600,
            concurrent: 16,
        }
    }
}

/// Why a policy could not be loaded: every problem, each with its position.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", render_errors(.0))]
    Invalid(Vec<Diagnostic>),
}

fn render_errors(d: &[Diagnostic]) -> String {
    d.iter()
        .filter(|d| d.severity == Severity::Error)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl Policy {
    /// Reads and validates a policy file.
    pub fn load(path: &Path) -> Result<(Self, Vec<Diagnostic>), PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Validates policy text; `path` is only used in messages. On success, returns the
    /// warnings too.
    pub fn parse(text: &str, path: &Path) -> Result<(Self, Vec<Diagnostic>), PolicyError> {
        parse::parse(text, path).map_err(PolicyError::Invalid)
    }

    /// Whether a guest is in scope: some `allow` selector matches and no `deny` one.
    /// Returns the matching allow selector.
    pub fn guest_scope(&self, g: &(impl GuestAttrs + ?Sized)) -> Option<&Selector> {
        if self.guests.deny.iter().any(|s| s.matches(g)) {
            return None;
        }
        self.guests.allow.iter().find(|s| s.matches(g))
    }

    /// Every operation some grant allows, on some guest.
    pub fn granted_operations(&self) -> BTreeSet<Operation> {
        self.grants
            .iter()
            .flat_map(|g| g.operations.iter().copied())
            .collect()
    }

    /// A short human summary, as `pve-helper check` prints it.
    pub fn summary(&self) -> String {
        summary::render(self)
    }

    /// Whether `[api] allow` lets `GET path` through (the fixed floor aside).
    pub fn allows_get(&self, path: &str) -> bool {
        summary::get_allowed(self, path)
    }

    /// What this policy lets a client do, for the front.
    pub fn capabilities(&self) -> pve_mcp_proto::Capabilities {
        summary::capabilities(self)
    }
}
