//! A change to one guest that Proxmox runs as a task and that the policy may want the
//! user to confirm: a power action or a snapshot change. `action` runs any of them and
//! `confirm` asks about any of them through this one type, so a confirmation is bound
//! to exactly the change that was asked about.
//!
//! Built from validated tool arguments (`args`); nothing here is untrusted.

use pve_mcp_proto::{
    BackupRequest, GuestActionRequest, Request, SnapshotCreate, SnapshotName, SnapshotTarget, VmId,
};

#[derive(Debug, Clone, PartialEq)]
pub enum GuestOp {
    Power(GuestActionRequest),
    SnapshotCreate(SnapshotCreate),
    SnapshotRollback(SnapshotTarget),
    SnapshotDelete(SnapshotTarget),
    Backup(BackupRequest),
}

impl GuestOp {
    pub fn vmid(&self) -> VmId {
        match self {
            Self::Power(r) => r.vmid,
            Self::SnapshotCreate(c) => c.vmid,
            Self::SnapshotRollback(t) | Self::SnapshotDelete(t) => t.vmid,
            Self::Backup(b) => b.vmid,
        }
    }

    /// The policy's name of the operation: `stop`, `snapshot.rollback`, ...
    pub fn operation(&self) -> &'static str {
        match self {
            Self::Power(r) => r.action.as_str(),
            Self::SnapshotCreate(_) => "snapshot.create",
            Self::SnapshotRollback(_) => "snapshot.rollback",
            Self::SnapshotDelete(_) => "snapshot.delete",
            Self::Backup(_) => "backup.create",
        }
    }

    /// The snapshot the operation names, if any.
    pub fn snapshot(&self) -> Option<&SnapshotName> {
        match self {
            Self::Power(_) | Self::Backup(_) => None,
            Self::SnapshotCreate(c) => Some(&c.name),
            Self::SnapshotRollback(t) | Self::SnapshotDelete(t) => Some(&t.name),
        }
    }

    /// The tool that carries it, for messages that say what to call again.
    pub fn tool(&self) -> &'static str {
        match self {
            Self::Power(_) => "vm_action",
            Self::SnapshotCreate(_) => "snapshot_create",
            Self::SnapshotRollback(_) => "snapshot_rollback",
            Self::SnapshotDelete(_) => "snapshot_delete",
            Self::Backup(_) => "backup_start",
        }
    }

    pub fn confirmed(&self) -> bool {
        match self {
            Self::Power(r) => r.confirmed,
            Self::SnapshotCreate(c) => c.confirmed,
            Self::SnapshotRollback(t) | Self::SnapshotDelete(t) => t.confirmed,
            Self::Backup(b) => b.confirmed,
        }
    }

    /// Marks the operation as confirmed by the user.
    pub fn set_confirmed(&mut self, yes: bool) {
        match self {
            Self::Power(r) => r.confirmed = yes,
            Self::SnapshotCreate(c) => c.confirmed = yes,
            Self::SnapshotRollback(t) | Self::SnapshotDelete(t) => t.confirmed = yes,
            Self::Backup(b) => b.confirmed = yes,
        }
    }

    /// The same operation, not confirmed: what a pending confirmation is compared with.
    pub fn unconfirmed(&self) -> Self {
        let mut op = self.clone();
        op.set_confirmed(false);
        op
    }

    pub fn request(&self) -> Request {
        match self {
            Self::Power(r) => Request::GuestAction(r.clone()),
            Self::SnapshotCreate(c) => Request::SnapshotCreate(c.clone()),
            Self::SnapshotRollback(t) => Request::SnapshotRollback(t.clone()),
            Self::SnapshotDelete(t) => Request::SnapshotDelete(t.clone()),
            Self::Backup(b) => Request::BackupStart(b.clone()),
        }
    }

    /// What it does, as a verb phrase: `stop guest 101`, `roll back guest 101 to
    /// snapshot "pre-upgrade"`.
    pub fn phrase(&self) -> String {
        self.phrase_with(&format!("guest {}", self.vmid()))
    }

    /// [`Self::phrase`] naming the guest as `guest` (e.g. `VM 101 "web" on node pve1`).
    pub fn phrase_with(&self, guest: &str) -> String {
        match self {
            Self::Power(r) => format!("{} {guest}", r.action),
            Self::SnapshotCreate(c) if c.include_ram => {
                format!("take snapshot \"{}\" (with RAM) of {guest}", c.name)
            }
            Self::SnapshotCreate(c) => format!("take snapshot \"{}\" of {guest}", c.name),
            Self::SnapshotRollback(t) => {
                format!("roll back {guest} to snapshot \"{}\"", t.name)
            }
            Self::SnapshotDelete(t) => format!("delete snapshot \"{}\" of {guest}", t.name),
            Self::Backup(b) => format!("back up {guest} to storage \"{}\"", b.storage),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pve_mcp_proto::GuestAction;

    #[test]
    fn phrases_and_confirmation() {
        let vmid = VmId::new(101).unwrap();
        let name = SnapshotName::parse("pre-up").unwrap();
        let mut op = GuestOp::SnapshotRollback(SnapshotTarget {
            vmid,
            name: name.clone(),
            confirmed: false,
        });
        assert_eq!(op.phrase(), "roll back guest 101 to snapshot \"pre-up\"");
        op.set_confirmed(true);
        assert!(matches!(op.request(), Request::SnapshotRollback(t) if t.confirmed));
        assert!(!op.unconfirmed().confirmed());
        let stop = GuestOp::Power(GuestActionRequest {
            vmid,
            action: GuestAction::Stop,
            confirmed: false,
        });
        assert_eq!(stop.phrase(), "stop guest 101");
        assert_eq!(stop.operation(), "stop");
        assert_ne!(stop, op.unconfirmed());
    }
}
