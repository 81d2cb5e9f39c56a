//! The verdict `decide` returns: allow, deny, not found or confirm, each naming the
//! [`Rule`] that decided it by a typed id. Built only by `decide` (and the checks it
//! calls); the id is rendered to words only at the edge (audit lines, denials,
//! `explain`), and tests compare ids.

use std::fmt;

/// Which part of the policy (or of the fixed floor) decided a request. Renders as the
/// name audit lines, denials and `explain` show, e.g. `guests.actions`, `fixed floor`
/// or `api.allow[0] "GET /nodes"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// Listing guests, which are filtered to the scope.
    ListingFiltered,
    /// A client reading its own permissions.
    Describe,
    /// The `[guests] allow` selector that puts the guest in scope.
    GuestsAllow(String),
    /// The guest does not exist or is out of scope (the same answer on purpose).
    OutOfScope,
    /// `[guests] actions` grants (or does not grant) the operation.
    GuestsActions,
    /// The `[[rule]]` of this name grants the operation.
    Grant(String),
    /// The `[api] allow` entry at this index (and its text) lets the path through.
    ApiAllow { index: usize, pattern: String },
    /// The `[commands] allow` entry at this index (and its argv) matches.
    CommandsAllow { index: usize, argv: String },
    /// Nothing allows it.
    DefaultDeny,
    /// The fixed floor, which no policy opens.
    FixedFloor,
    /// A fact the decision needs could not be read.
    Facts,
    /// Which tasks may be read.
    Tasks,
    /// A task this helper started (judged when it started).
    OwnTask,
    /// A node task of a `[storage]` grant that this helper started, by task type.
    MediaTask(String),
    /// `[backup] storages`.
    BackupStorages,
    /// Restoring a backup.
    BackupRestore,
    /// `[create]`: new guests need it.
    Create,
    /// `[create]`, the new guest in scope by this `[guests] allow` selector.
    CreateInScope(String),
    /// `[create] vmids`.
    CreateVmids,
    /// `[create] vmids`, with the range that allows asking for the next vmid.
    CreateVmidRange(String),
    /// `[create] nodes`.
    CreateNodes,
    /// `[create] pool`.
    CreatePool,
    /// `[create] tags`.
    CreateTags,
    /// `[create] types`.
    CreateTypes,
    /// How a clone may be made.
    Clone,
    /// Converting a guest into a template.
    Template,
    /// Migrating a guest.
    Migrate,
    /// `[migrate] nodes`.
    MigrateNodes,
    /// Growing a disk.
    DiskResize,
    /// Proxmox's own protection flag on a guest.
    PveProtection,
    /// Stopping a task.
    TaskCancel,
    /// `[agent] exec`.
    AgentExec,
    /// Which volumes may be deleted.
    Volume,
    /// A configuration value that is not valid.
    ConfigValue,
    /// Changing a guest's configuration.
    ConfigWrite,
    /// `[config] keys`.
    ConfigKeys,
    /// `[bounds]`: what a setting must be.
    Bounds,
    /// `[bounds] max_cores`.
    BoundsMaxCores,
    /// `[bounds] max_memory_mib`.
    BoundsMaxMemoryMib,
    /// `[bounds] max_disk_gib`.
    BoundsMaxDiskGib,
    /// `[bounds] storages`.
    BoundsStorages,
    /// `[bounds] sources`.
    BoundsSources,
    /// `[bounds] bridges`.
    BoundsBridges,
    /// `[storage] delete`.
    StorageDelete,
    /// `[storage] download_from`.
    StorageDownloadFrom,
    /// `[storage] download_from`, the URL prefix that allows the download.
    StorageDownloadPrefix(String),
    /// `[storage] storages`.
    StorageStorages,
    /// An endpoint pve-mcp refuses whatever the policy says.
    ApiRefused,
    /// The parameters of a raw API call.
    ApiParams,
    /// Proxmox's published API schema.
    ApiSchema,
    /// Moving a disk to another storage or guest.
    DiskMove,
    /// `[firewall]`: a guest firewall rule, its place, or the rules' digest.
    Firewall,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::GuestsAllow(selector) => return write!(f, "guests.allow {selector:?}"),
            Self::Grant(name) => return write!(f, "rule {name:?}"),
            Self::ApiAllow { index, pattern } => {
                return write!(f, "api.allow[{index}] {pattern:?}");
            }
            Self::CommandsAllow { index, argv } => {
                return write!(f, "commands.allow[{index}] {argv:?}");
            }
            Self::MediaTask(kind) => {
                return write!(f, "storage ({kind} tasks started through pve-mcp)");
            }
            Self::CreateInScope(selector) => {
                return write!(f, "create (in scope by guests.allow {selector:?})");
            }
            Self::CreateVmidRange(range) => return write!(f, "create.vmids {range:?}"),
            Self::StorageDownloadPrefix(prefix) => {
                return write!(f, "storage.download_from {prefix:?}");
            }
            Self::ListingFiltered => "guests.allow (listing filtered to scope)",
            Self::Describe => "describe (a client may read its own permissions)",
            Self::OutOfScope => "guests (out of scope)",
            Self::GuestsActions => "guests.actions",
            Self::DefaultDeny => "default deny",
            Self::FixedFloor => "fixed floor",
            Self::Facts => "facts",
            Self::Tasks => "tasks",
            Self::OwnTask => "task started through pve-mcp",
            Self::BackupStorages => "backup.storages",
            Self::BackupRestore => "backup.restore",
            Self::Create => "create",
            Self::CreateVmids => "create.vmids",
            Self::CreateNodes => "create.nodes",
            Self::CreatePool => "create.pool",
            Self::CreateTags => "create.tags",
            Self::CreateTypes => "create.types",
            Self::Clone => "clone",
            Self::Template => "template",
            Self::Migrate => "migrate",
            Self::MigrateNodes => "migrate.nodes",
            Self::DiskResize => "disk.resize",
            Self::PveProtection => "pve protection",
            Self::TaskCancel => "task.cancel",
            Self::AgentExec => "agent.exec",
            Self::Volume => "volume",
            Self::ConfigValue => "config.value",
            Self::ConfigWrite => "config.write",
            Self::ConfigKeys => "config.keys",
            Self::Bounds => "bounds",
            Self::BoundsMaxCores => "bounds.max_cores",
            Self::BoundsMaxMemoryMib => "bounds.max_memory_mib",
            Self::BoundsMaxDiskGib => "bounds.max_disk_gib",
            Self::BoundsStorages => "bounds.storages",
            Self::BoundsSources => "bounds.sources",
            Self::BoundsBridges => "bounds.bridges",
            Self::StorageDelete => "storage.delete",
            Self::StorageDownloadFrom => "storage.download_from",
            Self::StorageStorages => "storage.storages",
            Self::ApiRefused => "api.refused",
            Self::ApiParams => "api.params",
            Self::ApiSchema => "api.schema",
            Self::DiskMove => "disk.move",
            Self::Firewall => "firewall",
        };
        f.write_str(name)
    }
}

/// The verdict on one request, naming the rule that decided it.
#[must_use]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow {
        rule: Rule,
    },
    /// Refused by the policy or the fixed floor; `reason` says what to change.
    Deny {
        rule: Rule,
        reason: String,
    },
    /// A guest the request names does not exist or is out of scope: the two are
    /// indistinguishable on purpose.
    NotFound {
        reason: String,
    },
    /// Allowed once the user confirms it (the policy marks the action `confirm`).
    Confirm {
        rule: Rule,
        reason: String,
    },
}

impl Decision {
    pub fn rule(&self) -> &Rule {
        const OUT_OF_SCOPE: &Rule = &Rule::OutOfScope;
        match self {
            Self::Allow { rule } | Self::Deny { rule, .. } | Self::Confirm { rule, .. } => rule,
            Self::NotFound { .. } => OUT_OF_SCOPE,
        }
    }

    /// `allow`, `deny`, `not_found` or `confirm`.
    pub fn verdict(&self) -> &'static str {
        match self {
            Self::Allow { .. } => "allow",
            Self::Deny { .. } => "deny",
            Self::NotFound { .. } => "not_found",
            Self::Confirm { .. } => "confirm",
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::policy::decision::Rule;

    /// Audit lines, denials, `explain` and the golden tables read these names: a rule
    /// must keep rendering as it always has.
    #[test]
    fn rules_render_as_the_names_users_read() {
        let cases = [
            (
                Rule::GuestsAllow("pool:lab".into()),
                r#"guests.allow "pool:lab""#,
            ),
            (Rule::Grant("lab power".into()), r#"rule "lab power""#),
            (
                Rule::ApiAllow {
                    index: 2,
                    pattern: "GET /nodes/*/status".into(),
                },
                r#"api.allow[2] "GET /nodes/*/status""#,
            ),
            (
                Rule::CommandsAllow {
                    index: 0,
                    argv: "/usr/sbin/qm list".into(),
                },
                r#"commands.allow[0] "/usr/sbin/qm list""#,
            ),
            (
                Rule::MediaTask("download".into()),
                "storage (download tasks started through pve-mcp)",
            ),
            (
                Rule::CreateInScope("tag:lab".into()),
                r#"create (in scope by guests.allow "tag:lab")"#,
            ),
            (
                Rule::CreateVmidRange("9000-9099".into()),
                r#"create.vmids "9000-9099""#,
            ),
            (
                Rule::StorageDownloadPrefix("https://x/".into()),
                r#"storage.download_from "https://x/""#,
            ),
            (
                Rule::ListingFiltered,
                "guests.allow (listing filtered to scope)",
            ),
            (
                Rule::Describe,
                "describe (a client may read its own permissions)",
            ),
            (Rule::OutOfScope, "guests (out of scope)"),
            (Rule::GuestsActions, "guests.actions"),
            (Rule::DefaultDeny, "default deny"),
            (Rule::FixedFloor, "fixed floor"),
            (Rule::OwnTask, "task started through pve-mcp"),
            (Rule::PveProtection, "pve protection"),
            (Rule::BoundsMaxMemoryMib, "bounds.max_memory_mib"),
            (Rule::StorageDownloadFrom, "storage.download_from"),
        ];
        for (rule, text) in cases {
            assert_eq!(rule.to_string(), text);
        }
    }
}
