//! The policy as the helper holds it once validated: who may connect, which guests
//! are in scope, what each grant allows, the `[api]`, `[commands]` and `[limits]`
//! sections, and the lifecycle sections' rules. Only `parse` builds it, so every value
//! here was checked there; reading it (scope, grants) is pure.

use super::facts::GuestAttrs;
use super::lifecycle_rules::{AgentRules, Bounds, ConfigKeys, Create, Media};
use super::pattern::{CommandRule, PathPattern};
use super::selector::Selector;
use pve_mcp_proto::ApiMethod;
use std::{collections::BTreeSet, fmt, path::PathBuf, time::Duration};

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
    /// Every change is answered as a plan and none is made (`[changes] plans_only`).
    pub plans_only: bool,
    /// The guest firewall rules a client may write (`[firewall]`).
    pub firewall: super::firewall::FirewallBounds,
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

/// Something that may be done to a guest: the wire's vocabulary, so that the front
/// names the same operations the policy grants.
pub use pve_mcp_proto::Operation;

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

impl Policy {
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
}
