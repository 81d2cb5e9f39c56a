//! Disk moves, through `disk_move` and the raw `move_disk`/`move_volume`: to a storage
//! not listed in `[bounds] storages`, into a hidden guest (which must read like one that
//! does not exist), into a lab guest of another node, with both a storage and a target,
//! a hidden guest's disk that a lab VM holds (neither copied, deleted nor given away),
//! and deleting the source, which this policy wants confirmed and the raw API cannot
//! ask for. Each must be refused before it reaches Proxmox.

use super::case::{Class, Expect, Who};
use super::runner::{Runner, api};
use super::world::{LAB_CT, LAB_VM, SCRATCH_CT, SHARED_VM, ghost};
use serde_json::json;

pub async fn run(r: &mut Runner) {
    use Expect::{Confirm, Denied, NotFound};
    let vm_move = format!("/nodes/pve1/qemu/{LAB_VM}/move_disk");
    let ct_move = format!("/nodes/pve2/lxc/{LAB_CT}/move_volume");
    let shared_move = format!("/nodes/pve1/qemu/{SHARED_VM}/move_disk");

    let c = Class::Bounds;
    r.model(
        c,
        "POST move_disk to a storage not listed",
        "proxmox_api",
        api("POST", &vm_move, json!({"disk": "scsi0", "storage": "nas"})),
        Denied("bounds.storages"),
    )
    .await;
    r.model(
        c,
        "disk_move to a storage not listed",
        "disk_move",
        json!({"vmid": LAB_VM, "disk": "scsi0", "storage": "nas"}),
        Denied("bounds.storages"),
    )
    .await;

    let c = Class::Oracles;
    for (hidden, kind_path, disk, slot) in [
        (250, vm_move.as_str(), "disk", "target-disk"),
        (252, vm_move.as_str(), "disk", "target-disk"),
    ] {
        r.oracle(
            c,
            &format!("POST move_disk into hidden guest {hidden}"),
            Who::Model,
            "proxmox_api",
            api(
                "POST",
                kind_path,
                json!({disk: "scsi0", "target-vmid": hidden, slot: "scsi7"}),
            ),
            hidden,
            ghost(hidden),
            NotFound,
        )
        .await;
        r.oracle(
            c,
            &format!("disk_move into hidden guest {hidden}"),
            Who::UserSaysYes,
            "disk_move",
            json!({"vmid": LAB_VM, "disk": "scsi0", "target_vmid": hidden, "target_disk": "scsi7"}),
            hidden,
            ghost(hidden),
            NotFound,
        )
        .await;
    }
    r.oracle(
        c,
        "POST move_volume of a lab container into hidden container 253",
        Who::Model,
        "proxmox_api",
        api(
            "POST",
            &format!("/nodes/pve1/lxc/{SCRATCH_CT}/move_volume"),
            json!({"volume": "mp0", "target-vmid": 253, "target-volume": "mp7"}),
        ),
        253,
        ghost(253),
        NotFound,
    )
    .await;

    let c = Class::RawWrites;
    for (what, data) in [
        (
            "into a lab VM, as its own",
            json!({"disk": "scsi1", "target-vmid": LAB_VM, "target-disk": "scsi7"}),
        ),
        (
            "to another storage, deleting it",
            json!({"disk": "scsi1", "storage": "local-lvm", "delete": 1}),
        ),
    ] {
        r.model(
            c,
            &format!("POST move_disk of the hidden disk a lab VM holds {what}"),
            "proxmox_api",
            api("POST", &shared_move, data),
            Denied("disk.move"),
        )
        .await;
    }
    r.model(
        c,
        "disk_move of the hidden disk a lab VM holds, into a lab VM",
        "disk_move",
        json!({"vmid": SHARED_VM, "disk": "scsi1", "target_vmid": LAB_VM, "target_disk": "scsi7"}),
        Denied("disk.move"),
    )
    .await;
    r.model(
        c,
        "POST move_volume into a lab container on another node",
        "proxmox_api",
        api(
            "POST",
            &ct_move,
            json!({"volume": "rootfs", "target-vmid": SCRATCH_CT, "target-volume": "mp7"}),
        ),
        Denied("disk.move"),
    )
    .await;
    r.model(
        c,
        "POST move_disk to a storage and a guest at once",
        "proxmox_api",
        api(
            "POST",
            &vm_move,
            json!({"disk": "scsi0", "storage": "local-lvm", "target-vmid": SHARED_VM}),
        ),
        Denied("api.params"),
    )
    .await;

    // Deleting the source needs the user's yes: the raw API cannot ask. The lab
    // container gets a mount point on nas first (an admin's doing), so that the move
    // is otherwise allowed.
    let c = Class::Confirm;
    r.world.sim().edit_config(
        LAB_CT,
        &[("mp0", Some("nas:9001/vm-9001-disk-1.raw,mp=/data,size=4G"))],
    );
    r.model(
        c,
        "POST move_volume deleting the source",
        "proxmox_api",
        api(
            "POST",
            &ct_move,
            json!({"volume": "mp0", "storage": "local-lvm", "delete": 1}),
        ),
        Denied("guests.actions"),
    )
    .await;
    r.model(
        c,
        "disk_move deleting the source, unasked",
        "disk_move",
        json!({"vmid": LAB_CT, "disk": "mp0", "storage": "local-lvm", "delete_source": true}),
        Confirm,
    )
    .await;
    r.repair();
}
