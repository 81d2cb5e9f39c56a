//! What may be done to a guest, by the name the policy grants it (`start`,
//! `snapshot.rollback`, `config.write`, ...): the helper judges requests by it, the
//! front lists tools and words notes by it, and [`crate::GrantSummary`] carries it.
//! On the wire an operation is that same name; any other string is refused.

use crate::values::{GuestAction, InvalidValue};
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// Something that may be done to a guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
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
    /// Move a disk to a storage in `[bounds] storages`, or into another guest in scope,
    /// keeping the source volume (as `unusedN`).
    DiskMove,
    /// Move a disk to another storage and delete the source volume.
    DiskMoveDelete,
    /// Add, change, move and delete the guest's firewall rules within `[firewall]`.
    FirewallRules,
    /// Turn the guest's firewall on or off (its `enable` option).
    FirewallEnable,
}

impl Operation {
    /// Every operation besides the power actions.
    pub const OTHERS: [Operation; 23] = [
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
        Self::DiskMove,
        Self::DiskMoveDelete,
        Self::FirewallRules,
        Self::FirewallEnable,
    ];

    /// The policy's name of the operation.
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
            Self::DiskMove => "disk.move",
            Self::DiskMoveDelete => "disk.move.delete",
            Self::FirewallRules => "firewall.rules",
            Self::FirewallEnable => "firewall.enable",
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
            | Self::BackupDelete
            | Self::DiskMoveDelete => true,
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
            | Self::BackupCreate
            | Self::DiskMove
            | Self::FirewallRules
            | Self::FirewallEnable => false,
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
                 template, migrate, delete, task.cancel, disk.move, disk.move.delete, \
                 firewall.rules or firewall.enable"
                ))
            })
    }
}

impl TryFrom<String> for Operation {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, InvalidValue> {
        s.parse()
    }
}

impl From<Operation> for &'static str {
    fn from(o: Operation) -> &'static str {
        o.as_str()
    }
}
