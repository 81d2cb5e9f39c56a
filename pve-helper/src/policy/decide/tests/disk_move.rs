//! Unit tests of disk moves: to a storage within `[bounds] storages`, the source's
//! deletion as an operation of its own (which a policy may want confirmed), and into
//! another guest, which must be in scope, of one kind and node, and within bounds.

use super::{node, settings, vmid};
use crate::policy::*;
use pve_mcp_proto::*;
use std::path::Path;

const POLICY: &str = r#"
[guests]
allow = ["pool:lab"]
actions = ["disk.move", "disk.move.delete"]
confirm = ["disk.move.delete"]

[bounds]
max_disk_gib = 64
storages = ["local-lvm", "nas"]
"#;

fn policy(text: &str) -> Policy {
    Policy::parse(text, Path::new("p.toml")).unwrap().0
}

/// 9001, 9002: lab VMs on pve1; 9003: a lab VM on pve2; 9005: a lab container;
/// 400: a VM outside the lab.
fn facts() -> Facts {
    let mut f = Facts::default();
    for (id, kind, on, pool) in [
        (9001, GuestType::Qemu, "pve1", "lab"),
        (9002, GuestType::Qemu, "pve1", "lab"),
        (9003, GuestType::Qemu, "pve2", "lab"),
        (9005, GuestType::Lxc, "pve1", "lab"),
        (400, GuestType::Qemu, "pve1", "prod"),
    ] {
        f.guests.insert(
            vmid(id),
            GuestFacts {
                vmid: vmid(id),
                node: node(on),
                guest_type: kind,
                pool: Some(pool.to_owned()),
                tags: Vec::new(),
                running: false,
            },
        );
    }
    f.configs.insert(
        vmid(9001),
        settings(&[
            ("scsi0", "local-lvm:vm-9001-disk-0,size=32G"),
            ("scsi1", "local-zfs:vm-9001-disk-1,size=100G"),
            ("ide2", "local:iso/debian.iso,media=cdrom"),
            ("scsi2", "/dev/sdb"),
            ("scsi3", "local-lvm:vm-400-disk-0,size=8G"),
        ]),
    );
    f.configs.insert(
        vmid(9002),
        settings(&[("scsi0", "nas:9002/vm-9002-disk-0.qcow2,size=8G")]),
    );
    f.configs.insert(
        vmid(9003),
        settings(&[("scsi0", "local-lvm:vm-9003-disk-0,size=8G")]),
    );
    f.configs.insert(
        vmid(9005),
        settings(&[("rootfs", "local-lvm:subvol-9005-disk-0,size=8G")]),
    );
    f
}

fn to_storage(disk: &str, storage: &str, delete_source: bool) -> Request {
    Request::DiskMove(DiskMove {
        vmid: vmid(9001),
        disk: DiskSlot::parse(disk).unwrap(),
        to: MoveTarget::Storage {
            storage: StorageId::parse(storage).unwrap(),
            delete_source,
        },
        confirmed: false,
    })
}

fn to_guest(disk: &str, target: u64, slot: Option<&str>) -> Request {
    Request::DiskMove(DiskMove {
        vmid: vmid(9001),
        disk: DiskSlot::parse(disk).unwrap(),
        to: MoveTarget::Guest {
            vmid: vmid(target),
            disk: slot.map(|s| DiskSlot::parse(s).unwrap()),
        },
        confirmed: false,
    })
}

fn judge(r: &Request) -> Decision {
    decide(&policy(POLICY), r, &facts())
}

fn rule(d: &Decision) -> String {
    match d {
        Decision::Deny { rule, .. } => rule.to_string(),
        other => panic!("expected a denial, got {other:?}"),
    }
}

fn reason(d: &Decision) -> &str {
    match d {
        Decision::Deny { reason, .. }
        | Decision::Confirm { reason, .. }
        | Decision::NotFound { reason } => reason,
        Decision::Allow { .. } => "",
    }
}

#[test]
fn a_move_to_a_storage_stays_within_bounds() {
    assert!(matches!(
        judge(&to_storage("scsi0", "nas", false)),
        Decision::Allow { .. }
    ));
    let d = judge(&to_storage("scsi0", "local-zfs", false));
    assert_eq!(rule(&d), "bounds.storages");
    assert!(reason(&d).contains("add \"local-zfs\" to [bounds] storages"));
    // A disk above max_disk_gib is not copied anywhere.
    let d = judge(&to_storage("scsi1", "nas", false));
    assert_eq!(rule(&d), "bounds.max_disk_gib", "{}", reason(&d));
    for (disk, why) in [
        ("scsi0", "already on storage"),
        ("ide2", "CD/DVD"),
        ("scsi2", "not a volume"),
        ("scsi9", "has no disk"),
        ("scsi3", "not a volume of its own guest"),
    ] {
        let storage = if disk == "scsi0" { "local-lvm" } else { "nas" };
        let d = judge(&to_storage(disk, storage, false));
        assert_eq!(rule(&d), "disk.move");
        assert!(reason(&d).contains(why), "{}", reason(&d));
        assert!(!reason(&d).contains("vm-400"), "{}", reason(&d));
    }
}

#[test]
fn deleting_the_source_is_an_operation_of_its_own() {
    let mut r = to_storage("scsi0", "nas", true);
    assert!(matches!(judge(&r), Decision::Confirm { .. }));
    assert!(reason(&judge(&r)).contains("disk.move.delete"));
    if let Request::DiskMove(m) = &mut r {
        m.confirmed = true;
    }
    assert!(matches!(judge(&r), Decision::Allow { .. }));
    // Without its grant, a move that deletes its source is refused; one that keeps it
    // is not.
    let keep_only = POLICY
        .replace(", \"disk.move.delete\"]", "]")
        .replace("confirm = [\"disk.move.delete\"]", "");
    let p = policy(&keep_only);
    let d = decide(&p, &to_storage("scsi0", "nas", true), &facts());
    assert_eq!(rule(&d), "guests.actions");
    assert!(matches!(
        decide(&p, &to_storage("scsi0", "nas", false), &facts()),
        Decision::Allow { .. }
    ));
    assert!(Operation::DiskMoveDelete.is_destructive() && !Operation::DiskMove.is_destructive());
}

#[test]
fn a_move_into_another_guest_needs_both_in_scope() {
    assert!(matches!(
        judge(&to_guest("scsi0", 9002, Some("scsi1"))),
        Decision::Allow { .. }
    ));
    // The target's slot is taken, or the target is elsewhere or of another kind.
    assert!(reason(&judge(&to_guest("scsi0", 9002, None))).contains("already has a disk scsi0"));
    assert!(reason(&judge(&to_guest("scsi0", 9003, Some("scsi1")))).contains("one node"));
    assert!(reason(&judge(&to_guest("scsi0", 9005, Some("mp0")))).contains("one kind"));
    assert!(reason(&judge(&to_guest("scsi0", 9001, Some("scsi5")))).contains("own guest"));
    // A guest outside the scope reads exactly like one that does not exist.
    let hidden = judge(&to_guest("scsi0", 400, Some("scsi1")));
    let missing = judge(&to_guest("scsi0", 9999, Some("scsi1")));
    assert!(matches!(hidden, Decision::NotFound { .. }), "{hidden:?}");
    assert_eq!(
        reason(&hidden).replace("400", "N"),
        reason(&missing).replace("9999", "N")
    );
    // The target gains the disk: judged by [bounds] like any disk it would be given.
    let d = judge(&to_guest("scsi1", 9002, Some("scsi3")));
    assert_eq!(rule(&d), "bounds.max_disk_gib", "{}", reason(&d));
    assert!(reason(&d).contains("into guest 9002"));
    let lvm_only = POLICY.replace("[\"local-lvm\", \"nas\"]", "[\"nas\"]");
    let d = decide(
        &policy(&lvm_only),
        &to_guest("scsi0", 9002, Some("scsi1")),
        &facts(),
    );
    assert_eq!(rule(&d), "bounds.storages", "{}", reason(&d));
}

#[test]
fn the_target_needs_the_grant_too() {
    let text = POLICY
        .replace("confirm = [\"disk.move.delete\"]", "")
        .replace(
            "actions = [\"disk.move\", \"disk.move.delete\"]",
            "actions = []\n[[rule]]\nname = \"movers\"\nguests = [\"9001\"]\nactions = [\"disk.move\"]",
        );
    let d = decide(
        &policy(&text),
        &to_guest("scsi0", 9002, Some("scsi1")),
        &facts(),
    );
    assert_eq!(rule(&d), "guests.actions");
    assert!(reason(&d).contains("guest 9002"), "{}", reason(&d));
}
