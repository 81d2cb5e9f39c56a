//! A change the policy may want the user to confirm: a power action, a snapshot change,
//! a backup, or a lifecycle change (create, clone, template, configure, resize,
//! migrate, delete, restore, volume delete, download, task cancel, agent program).
//! `action` sends any of them and `confirm` asks about any of them through this one
//! type, so a confirmation is bound to exactly the change that was asked about.
//!
//! Built from validated tool arguments, with how long to wait ([`ActionPlan`]);
//! nothing here is untrusted.

use crate::policy::action::PolicyAction;
use pve_mcp_proto as proto;
use pve_mcp_proto::{
    AgentExec, BackupRequest, BackupRestore, DiskMove, DiskResize, FirewallChange, FirewallEdit,
    GuestActionRequest, GuestClone, GuestConfigure, GuestCreate, GuestDelete, GuestMigrate,
    GuestType, Request, SnapshotCreate, SnapshotName, SnapshotTarget, StorageDownload, TaskCancel,
    VmId, VolumeDelete,
};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    Power(GuestActionRequest),
    SnapshotCreate(SnapshotCreate),
    SnapshotRollback(SnapshotTarget),
    SnapshotDelete(SnapshotTarget),
    Backup(BackupRequest),
    /// Boxed: a creation is far larger than any other request.
    Create(Box<GuestCreate>),
    Clone(GuestClone),
    Template(pve_mcp_proto::GuestOp),
    Configure(GuestConfigure),
    Resize(DiskResize),
    Migrate(GuestMigrate),
    Delete(GuestDelete),
    Restore(BackupRestore),
    VolumeDelete(VolumeDelete),
    Download(StorageDownload),
    TaskCancel(TaskCancel),
    AgentExec(AgentExec),
    DiskMove(DiskMove),
    Firewall(FirewallEdit),
}

impl Operation {
    /// The existing guest the operation acts on, if any: what a confirmation names.
    /// A new guest (create, restore to a new vmid) is not one yet.
    pub fn guest(&self) -> Option<VmId> {
        match self {
            Self::Power(r) => Some(r.vmid),
            Self::SnapshotCreate(c) => Some(c.vmid),
            Self::SnapshotRollback(t) | Self::SnapshotDelete(t) => Some(t.vmid),
            Self::Backup(b) => Some(b.vmid),
            Self::Clone(c) => Some(c.vmid),
            Self::Template(t) => Some(t.vmid),
            Self::Configure(c) => Some(c.vmid),
            Self::Resize(r) => Some(r.vmid),
            Self::Migrate(m) => Some(m.vmid),
            Self::Delete(d) => Some(d.vmid),
            Self::Restore(r) => r.vmid.filter(|_| r.force),
            Self::VolumeDelete(v) => v.volume.backup_of().map(|(_, vmid)| vmid),
            Self::TaskCancel(t) => t.upid.vmid(),
            Self::AgentExec(a) => Some(a.vmid),
            Self::DiskMove(m) => Some(m.vmid),
            Self::Firewall(e) => Some(e.vmid),
            Self::Create(_) | Self::Download(_) => None,
        }
    }

    /// The policy's name of the operation: `stop`, `snapshot.rollback`, `delete`, ...
    pub fn name(&self) -> PolicyAction {
        let guest = match self {
            Self::Power(r) => proto::Operation::Power(r.action),
            Self::SnapshotCreate(_) => proto::Operation::SnapshotCreate,
            Self::SnapshotRollback(_) => proto::Operation::SnapshotRollback,
            Self::SnapshotDelete(_) => proto::Operation::SnapshotDelete,
            Self::Backup(_) => proto::Operation::BackupCreate,
            Self::Create(_) => return PolicyAction::Create,
            Self::Clone(_) => proto::Operation::Clone,
            Self::Template(_) => proto::Operation::Template,
            Self::Configure(_) => proto::Operation::ConfigWrite,
            Self::Resize(_) => proto::Operation::DiskResize,
            Self::Migrate(_) => proto::Operation::Migrate,
            Self::Delete(_) => proto::Operation::Delete,
            Self::Restore(_) => proto::Operation::BackupRestore,
            Self::VolumeDelete(v) if v.volume.content() == Some("backup") => {
                proto::Operation::BackupDelete
            }
            Self::VolumeDelete(_) => return PolicyAction::StorageDelete,
            Self::Download(_) => return PolicyAction::StorageDownload,
            Self::TaskCancel(_) => proto::Operation::TaskCancel,
            Self::AgentExec(_) => proto::Operation::AgentExec,
            Self::DiskMove(m) if m.deletes_source() => proto::Operation::DiskMoveDelete,
            Self::DiskMove(_) => proto::Operation::DiskMove,
            Self::Firewall(e) => e.operation(),
        };
        PolicyAction::Guest(guest)
    }

    /// The snapshot the operation names, if any.
    pub fn snapshot(&self) -> Option<&SnapshotName> {
        match self {
            Self::SnapshotCreate(c) => Some(&c.name),
            Self::SnapshotRollback(t) | Self::SnapshotDelete(t) => Some(&t.name),
            _ => None,
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
            Self::Create(_) => "guest_create",
            Self::Clone(_) => "guest_clone",
            Self::Template(_) => "guest_template",
            Self::Configure(_) => "guest_configure",
            Self::Resize(_) => "disk_resize",
            Self::Migrate(_) => "guest_migrate",
            Self::Delete(_) => "guest_delete",
            Self::Restore(_) => "backup_restore",
            Self::VolumeDelete(_) => "volume_delete",
            Self::Download(_) => "storage_download",
            Self::TaskCancel(_) => "task_cancel",
            Self::AgentExec(_) => "agent_exec",
            Self::DiskMove(_) => "disk_move",
            Self::Firewall(_) => "firewall_edit",
        }
    }

    /// The `confirmed` flag of the request; `None` for requests that have none (a
    /// creation or a download cannot be confirmed, only allowed or refused).
    fn flag(&self) -> Option<bool> {
        match self {
            Self::Power(r) => Some(r.confirmed),
            Self::SnapshotCreate(c) => Some(c.confirmed),
            Self::SnapshotRollback(t) | Self::SnapshotDelete(t) => Some(t.confirmed),
            Self::Backup(b) => Some(b.confirmed),
            Self::Clone(c) => Some(c.confirmed),
            Self::Template(t) => Some(t.confirmed),
            Self::Configure(c) => Some(c.confirmed),
            Self::Resize(r) => Some(r.confirmed),
            Self::Migrate(m) => Some(m.confirmed),
            Self::Delete(d) => Some(d.confirmed),
            Self::Restore(r) => Some(r.confirmed),
            Self::VolumeDelete(v) => Some(v.confirmed),
            Self::TaskCancel(t) => Some(t.confirmed),
            Self::AgentExec(a) => Some(a.confirmed),
            Self::DiskMove(m) => Some(m.confirmed),
            Self::Firewall(e) => Some(e.confirmed),
            Self::Create(_) | Self::Download(_) => None,
        }
    }

    fn flag_mut(&mut self) -> Option<&mut bool> {
        match self {
            Self::Power(r) => Some(&mut r.confirmed),
            Self::SnapshotCreate(c) => Some(&mut c.confirmed),
            Self::SnapshotRollback(t) | Self::SnapshotDelete(t) => Some(&mut t.confirmed),
            Self::Backup(b) => Some(&mut b.confirmed),
            Self::Clone(c) => Some(&mut c.confirmed),
            Self::Template(t) => Some(&mut t.confirmed),
            Self::Configure(c) => Some(&mut c.confirmed),
            Self::Resize(r) => Some(&mut r.confirmed),
            Self::Migrate(m) => Some(&mut m.confirmed),
            Self::Delete(d) => Some(&mut d.confirmed),
            Self::Restore(r) => Some(&mut r.confirmed),
            Self::VolumeDelete(v) => Some(&mut v.confirmed),
            Self::TaskCancel(t) => Some(&mut t.confirmed),
            Self::AgentExec(a) => Some(&mut a.confirmed),
            Self::DiskMove(m) => Some(&mut m.confirmed),
            Self::Firewall(e) => Some(&mut e.confirmed),
            Self::Create(_) | Self::Download(_) => None,
        }
    }

    /// Whether the request can carry the user's confirmation at all.
    pub fn confirmable(&self) -> bool {
        self.flag().is_some()
    }

    pub fn confirmed(&self) -> bool {
        self.flag() == Some(true)
    }

    /// Marks the operation as confirmed by the user (if it can be).
    pub fn set_confirmed(&mut self, yes: bool) {
        if let Some(flag) = self.flag_mut() {
            *flag = yes;
        }
    }

    /// The same operation, not confirmed: what a pending confirmation is compared with.
    pub fn unconfirmed(&self) -> Self {
        let mut op = self.clone();
        op.set_confirmed(false);
        op
    }

    pub fn request(&self) -> Request {
        match self.clone() {
            Self::Power(r) => Request::GuestAction(r),
            Self::SnapshotCreate(c) => Request::SnapshotCreate(c),
            Self::SnapshotRollback(t) => Request::SnapshotRollback(t),
            Self::SnapshotDelete(t) => Request::SnapshotDelete(t),
            Self::Backup(b) => Request::BackupStart(b),
            Self::Create(c) => Request::GuestCreate(c),
            Self::Clone(c) => Request::GuestClone(c),
            Self::Template(t) => Request::GuestTemplate(t),
            Self::Configure(c) => Request::GuestConfigure(c),
            Self::Resize(r) => Request::DiskResize(r),
            Self::Migrate(m) => Request::GuestMigrate(m),
            Self::Delete(d) => Request::GuestDelete(d),
            Self::Restore(r) => Request::BackupRestore(r),
            Self::VolumeDelete(v) => Request::VolumeDelete(v),
            Self::Download(d) => Request::StorageDownload(d),
            Self::TaskCancel(t) => Request::TaskCancel(t),
            Self::AgentExec(a) => Request::AgentExec(a),
            Self::DiskMove(m) => Request::DiskMove(m),
            Self::Firewall(e) => Request::FirewallEdit(e),
        }
    }

    /// What it does, as a verb phrase: `stop guest 101`, `roll back guest 101 to
    /// snapshot "pre-upgrade"`, `delete volume local:iso/x.iso on node pve1`.
    pub fn phrase(&self) -> String {
        let guest = match self.guest() {
            Some(vmid) => format!("guest {vmid}"),
            None => "the guest".to_owned(),
        };
        self.phrase_with(&guest)
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
            Self::Create(c) => {
                let id = c
                    .vmid
                    .map_or("the next free vmid".to_owned(), |v| format!("vmid {v}"));
                let kind = match c.guest_type {
                    GuestType::Qemu => "VM",
                    GuestType::Lxc => "container",
                };
                let disk = match &c.image {
                    Some(image) => format!(
                        "a disk imported from {image} (at its size) on storage {}",
                        c.disk.storage
                    ),
                    None => format!(
                        "a {} GiB disk on storage {}",
                        c.disk.size_gib, c.disk.storage
                    ),
                };
                format!(
                    "create {kind} \"{}\" ({id}) on node {} with {} cores, {} MiB memory and \
                     {disk}",
                    c.name, c.node, c.cores, c.memory_mib
                )
            }
            Self::Clone(c) => clone_phrase(c, guest),
            Self::Template(_) => format!("convert {guest} into a template (irreversible)"),
            Self::Configure(c) => configure_phrase(c, guest),
            Self::Resize(r) => format!("grow disk {} of {guest} to {} GiB", r.disk, r.size_gib),
            Self::Migrate(m) => format!(
                "migrate {guest} to node {}{}",
                m.target,
                if m.online { "" } else { " (offline only)" }
            ),
            Self::Delete(d) => delete_phrase(d, guest),
            Self::Restore(r) => match r.vmid {
                Some(_) if r.force => format!(
                    "restore backup {} over {guest}, replacing its disks and configuration",
                    r.volume
                ),
                Some(vmid) => format!(
                    "restore backup {} as new guest {vmid} on node {}",
                    r.volume, r.node
                ),
                None => format!(
                    "restore backup {} as a new guest on node {}",
                    r.volume, r.node
                ),
            },
            Self::VolumeDelete(v) => format!("delete volume {} on node {}", v.volume, v.node),
            Self::Download(d) => format!(
                "download {} to {}:{}/{} on node {}",
                d.url,
                d.storage,
                d.content.as_str(),
                d.filename,
                d.node
            ),
            Self::TaskCancel(t) => match t.upid.vmid() {
                Some(_) => format!("stop task {} of {guest}", t.upid),
                None => format!("stop task {}", t.upid),
            },
            Self::AgentExec(a) => format!("run `{}` in {guest} through its guest agent", a.argv),
            Self::DiskMove(m) => move_phrase(m, guest),
            Self::Firewall(e) => firewall_phrase(e, guest),
        }
    }
}

fn firewall_phrase(e: &FirewallEdit, guest: &str) -> String {
    let rule = |f: &proto::FwFields| {
        f.pairs()
            .into_iter()
            .filter(|(k, _)| *k != "comment")
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    match &e.change {
        FirewallChange::Add { rule: r, pos } => format!(
            "add firewall rule \"{}\" to {guest}{}",
            rule(r),
            pos.map(|p| format!(" at position {p}")).unwrap_or_default()
        ),
        FirewallChange::Update { pos, set, delete } => {
            let mut what = rule(set);
            if !delete.is_empty() {
                let d: Vec<&str> = delete.iter().map(|d| d.as_str()).collect();
                what = format!("{what} without {}", d.join(",")).trim().to_owned();
            }
            format!("change firewall rule {pos} of {guest} to \"{what}\"")
        }
        FirewallChange::Delete { pos } => format!("delete firewall rule {pos} of {guest}"),
        FirewallChange::Move { pos, to } => {
            format!("move firewall rule {pos} of {guest} to position {to}")
        }
        FirewallChange::Enable { enable: true } => format!("turn on the firewall of {guest}"),
        FirewallChange::Enable { enable: false } => format!("turn off the firewall of {guest}"),
    }
}

fn move_phrase(m: &DiskMove, guest: &str) -> String {
    match &m.to {
        proto::MoveTarget::Storage {
            storage,
            delete_source,
        } => format!(
            "move disk {} of {guest} to storage {storage}{}",
            m.disk,
            if *delete_source {
                ", deleting the source volume"
            } else {
                ", keeping the source volume as unused"
            }
        ),
        proto::MoveTarget::Guest { vmid, disk } => format!(
            "move disk {} of {guest} into guest {vmid} as {}",
            m.disk,
            disk.as_ref().unwrap_or(&m.disk)
        ),
    }
}

fn clone_phrase(c: &GuestClone, guest: &str) -> String {
    let mut out = format!(
        "make a {} clone of {guest}",
        if c.full { "full" } else { "linked" }
    );
    match (&c.name, c.newid) {
        (Some(name), Some(id)) => out.push_str(&format!(" named \"{name}\" as guest {id}")),
        (Some(name), None) => out.push_str(&format!(" named \"{name}\"")),
        (None, Some(id)) => out.push_str(&format!(" as guest {id}")),
        (None, None) => {}
    }
    if let Some(target) = &c.target {
        out.push_str(&format!(" on node {target}"));
    }
    if let Some(storage) = &c.storage {
        out.push_str(&format!(" with its disks on storage {storage}"));
    }
    out
}

fn configure_phrase(c: &GuestConfigure, guest: &str) -> String {
    let mut changes = Vec::new();
    if !c.set.is_empty() {
        let keys: Vec<&str> = c.set.iter().map(|(k, _)| k.as_str()).collect();
        changes.push(format!("set {}", keys.join(", ")));
    }
    if !c.delete.is_empty() {
        let keys: Vec<&str> = c.delete.iter().map(|k| k.as_str()).collect();
        changes.push(format!("remove {}", keys.join(", ")));
    }
    format!(
        "change the configuration of {guest} ({})",
        changes.join("; ")
    )
}

fn delete_phrase(d: &GuestDelete, guest: &str) -> String {
    let mut out = format!("destroy {guest} with all its disks");
    if d.destroy_unreferenced_disks {
        out.push_str(" and the disks it no longer references");
    }
    if d.purge {
        out.push_str(", removing it from backup jobs, replication and HA");
    }
    out
}

/// What `vm_action` or a snapshot change asks for, and how long it waits for the task.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionPlan {
    pub request: Operation,
    /// `None`: return as soon as the task started.
    pub wait: Option<Duration>,
    /// Only ask what it would send ([`super::plan`]).
    pub dry_run: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use pve_mcp_proto::{GuestAction, VolumeId};

    #[test]
    fn phrases_and_confirmation() {
        let vmid = VmId::new(101).unwrap();
        let name = SnapshotName::parse("pre-up").unwrap();
        let mut op = Operation::SnapshotRollback(SnapshotTarget {
            vmid,
            name: name.clone(),
            confirmed: false,
        });
        assert_eq!(op.phrase(), "roll back guest 101 to snapshot \"pre-up\"");
        op.set_confirmed(true);
        assert!(matches!(op.request(), Request::SnapshotRollback(t) if t.confirmed));
        assert!(!op.unconfirmed().confirmed());
        let stop = Operation::Power(GuestActionRequest {
            vmid,
            action: GuestAction::Stop,
            confirmed: false,
        });
        assert_eq!(stop.phrase(), "stop guest 101");
        assert_eq!(
            stop.name(),
            PolicyAction::Guest(proto::Operation::Power(GuestAction::Stop))
        );
        assert_ne!(stop, op.unconfirmed());
    }

    #[test]
    fn deletes_name_their_guest_or_volume() {
        let mut delete = Operation::Delete(GuestDelete {
            vmid: VmId::new(101).unwrap(),
            purge: true,
            destroy_unreferenced_disks: false,
            confirmed: false,
        });
        assert_eq!(delete.guest(), VmId::new(101).ok());
        assert_eq!(delete.name(), PolicyAction::Guest(proto::Operation::Delete));
        assert!(delete.confirmable() && !delete.confirmed());
        delete.set_confirmed(true);
        assert!(matches!(delete.request(), Request::GuestDelete(d) if d.confirmed));
        let volume = |v: &str| {
            Operation::VolumeDelete(VolumeDelete {
                node: pve_mcp_proto::NodeName::parse("pve1").unwrap(),
                volume: VolumeId::parse(v).unwrap(),
                confirmed: false,
            })
        };
        let backup = volume("nas:backup/vzdump-lxc-205-2024_12_02-03_00_00.tar.zst");
        assert_eq!(
            backup.name(),
            PolicyAction::Guest(proto::Operation::BackupDelete)
        );
        assert_eq!(backup.guest(), VmId::new(205).ok());
        let iso = volume("local:iso/debian-12.iso");
        assert_eq!(
            (iso.name(), iso.guest(), iso.phrase()),
            (
                PolicyAction::StorageDelete,
                None,
                "delete volume local:iso/debian-12.iso on node pve1".to_owned()
            )
        );
    }
}
