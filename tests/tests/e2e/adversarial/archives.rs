//! Restores of archives whose config hides what the floor forbids or names a hidden
//! guest: raw `lxc.*` keys in both of PVE's spellings (`lxc.key: v`, `lxc.key = v`), a
//! privileged container, floor keys inside a snapshot or pending section (which
//! qemu-server's restore copies as they are), a hook script, a mount point or a drive on
//! a hidden guest's disk. The user confirms each restore, so only the policy stands in
//! the way; each must be refused, without naming the hidden guest.

use super::case::{Class, Expect, Who};
use super::runner::Runner;
use super::world::{LAB_CT, LAB_VM};
use serde_json::json;

pub async fn run(r: &mut Runner) {
    let c = Class::Parsing;
    let b = &r.world.backups;
    let cases = [
        ("raw lxc key", b.ct_apparmor.clone(), "pve2"),
        ("raw lxc line with =", b.ct_apparmor_raw.clone(), "pve2"),
        ("privileged container", b.ct_privileged.clone(), "pve2"),
        (
            "hostpci0 in a snapshot section",
            b.vm_snapshot_hostpci.clone(),
            "pve1",
        ),
        (
            "args in a pending section",
            b.vm_pending_args.clone(),
            "pve1",
        ),
        (
            "privileged in a snapshot section",
            b.ct_snapshot_privileged.clone(),
            "pve2",
        ),
        (
            "a mount point on a hidden guest's disk",
            b.ct_mp_hidden.clone(),
            "pve2",
        ),
        (
            "a hidden guest's disk on a drive the archive does not map",
            b.vm_disk_hidden.clone(),
            "pve1",
        ),
        (
            "a hook script and raw args",
            b.vm_hookscript.clone(),
            "pve1",
        ),
        ("a raw lxc.idmap", b.ct_idmap.clone(), "pve2"),
    ];
    for (what, volume, node) in cases {
        r.case(
            c,
            &format!("backup_restore new guest, {what}"),
            Who::UserSaysYes,
            "backup_restore",
            json!({"volume": volume, "node": node, "vmid": 9040}),
            Expect::Refused,
        )
        .await;
        let over = if volume.contains("-lxc-") {
            LAB_CT
        } else {
            LAB_VM
        };
        r.case(
            c,
            &format!("backup_restore over the lab guest, {what}"),
            Who::UserSaysYes,
            "backup_restore",
            json!({"volume": volume, "node": node, "vmid": over, "force": true}),
            Expect::Refused,
        )
        .await;
    }
}
