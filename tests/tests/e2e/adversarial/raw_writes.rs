//! Raw writes whose path names only lab guests (or none) but whose body reaches out of
//! scope: attaching or importing a hidden guest's disk, an orphan disk or a destroyed
//! guest's disk; creating a guest from another guest's disk or backup; moving a disk to
//! a hidden guest; deleting or changing hidden volumes; a raw create outside
//! `[create]`; tags the policy refuses; a clear cloud-init password; and the same
//! through the tools. Each must be refused before it reaches Proxmox.

use super::case::{Class, Expect};
use super::runner::{Runner, api};
use super::world::{LAB_CT, LAB_VM};
use serde_json::{Value, json};

const DEBIAN: &str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";

pub async fn run(r: &mut Runner) {
    volumes(r).await;
    super::raw_creates::run(r).await;
    super::cluster_writes::run(r).await;
    super::downloads::run(r).await;
    tools(r).await;
}

/// Hidden guests' disks and backups, reached through a lab guest or a new one.
async fn volumes(r: &mut Runner) {
    let b = &r.world.backups;
    let vm_config = format!("/nodes/pve1/qemu/{LAB_VM}/config");
    let ct_config = format!("/nodes/pve2/lxc/{LAB_CT}/config");
    let mut cases: Vec<(String, Value)> = Vec::new();
    let mut add = |name: String, method: &str, path: &str, data: Value| {
        cases.push((name, api(method, path, data)));
    };
    for (what, disk) in [
        ("a hidden guest's disk", "local-lvm:vm-250-disk-0"),
        ("a hidden guest's orphan disk", "local-lvm:vm-250-disk-1"),
        ("a destroyed guest's disk", "local-lvm:vm-9007-disk-0"),
        (
            "a hidden guest's disk in the create range",
            "local-lvm:vm-9005-disk-0",
        ),
        ("a hidden template's base disk", "local-lvm:base-254-disk-0"),
        ("a hidden container's disk", "local-lvm:vm-251-disk-0"),
        ("a hidden disk by its path", "/dev/pve/vm-250-disk-0"),
    ] {
        for key in [
            "scsi5",
            "virtio5",
            "sata3",
            "ide3",
            "efidisk0",
            "tpmstate0",
            "unused5",
        ] {
            for method in ["PUT", "POST"] {
                add(
                    format!("{method} lab VM {key} on {what}"),
                    method,
                    &vm_config,
                    json!({key: disk}),
                );
            }
        }
        add(
            format!("PUT lab VM import-from {what}"),
            "PUT",
            &vm_config,
            json!({"scsi5": format!("local-lvm:0,import-from={disk}")}),
        );
        add(
            format!("PUT lab CT mp5 on {what}"),
            "PUT",
            &ct_config,
            json!({"mp5": format!("{disk},mp=/mnt/x")}),
        );
        add(
            format!("POST VM made of {what}"),
            "POST",
            "/nodes/pve1/qemu",
            json!({"vmid": 9044, "pool": "lab", "cores": 1, "memory": 512, "scsi0": disk}),
        );
        add(
            format!("POST VM importing {what}"),
            "POST",
            "/nodes/pve1/qemu",
            json!({"vmid": 9044, "pool": "lab", "cores": 1, "memory": 512,
                   "scsi0": format!("local-lvm:0,import-from={disk}")}),
        );
        add(
            format!("POST CT on {what}"),
            "POST",
            "/nodes/pve1/lxc",
            json!({"vmid": 9045, "pool": "lab", "cores": 1, "memory": 512, "unprivileged": 1,
                   "ostemplate": DEBIAN, "rootfs": disk}),
        );
    }
    add(
        "PUT lab CT mp5 on a hidden subvolume".into(),
        "PUT",
        &ct_config,
        json!({"mp5": "local-lvm:subvol-9005-disk-0,mp=/mnt/x"}),
    );
    add(
        "PUT lab CT rootfs on a hidden disk".into(),
        "PUT",
        &ct_config,
        json!({"rootfs": "local-lvm:vm-251-disk-0"}),
    );
    for (what, volume) in [
        ("a hidden container's backup", &b.hidden_251_nas),
        ("a hidden VM's backup", &b.hidden_250_nas),
        ("a destroyed guest's backup", &b.gone_9008_nas),
    ] {
        add(
            format!("POST CT from {what} as its template"),
            "POST",
            "/nodes/pve2/lxc",
            json!({"vmid": 9046, "pool": "lab", "cores": 1, "memory": 512, "unprivileged": 1,
                   "ostemplate": volume, "rootfs": "local-lvm:4"}),
        );
        add(
            format!("POST VM with {what} as a CD"),
            "POST",
            "/nodes/pve2/qemu",
            json!({"vmid": 9047, "pool": "lab", "cores": 1, "memory": 512,
                   "ide2": format!("{volume},media=cdrom")}),
        );
        add(
            format!("POST VM restoring {what}"),
            "POST",
            "/nodes/pve2/qemu",
            json!({"vmid": 9047, "pool": "lab", "archive": volume}),
        );
        let storage = volume.split(':').next().unwrap_or_default();
        for node in ["pve1", "pve2"] {
            let path = format!("/nodes/{node}/storage/{storage}/content/{volume}");
            add(
                format!("DELETE {what} on {node}"),
                "DELETE",
                &path,
                json!({}),
            );
            add(
                format!("PUT notes on {what} on {node}"),
                "PUT",
                &path,
                json!({"notes": "mine now"}),
            );
            add(
                format!("PUT protection off {what} on {node}"),
                "PUT",
                &path,
                json!({"protected": 0}),
            );
        }
    }
    for (what, volid, node) in [
        ("a hidden guest's disk", "local-lvm:vm-250-disk-0", "pve1"),
        (
            "a hidden guest's orphan disk",
            "local-lvm:vm-250-disk-1",
            "pve1",
        ),
        (
            "a destroyed guest's disk",
            "local-lvm:vm-9007-disk-0",
            "pve1",
        ),
        (
            "a hidden guest's disk in the create range",
            "local-lvm:vm-9005-disk-1",
            "pve2",
        ),
    ] {
        add(
            format!("DELETE {what}"),
            "DELETE",
            &format!("/nodes/{node}/storage/local-lvm/content/{volid}"),
            json!({}),
        );
    }
    add(
        "POST a disk for a hidden guest".into(),
        "POST",
        "/nodes/pve1/storage/local-lvm/content",
        json!({"vmid": 250, "filename": "vm-250-disk-5", "size": "1G"}),
    );
    add(
        "POST a disk for a destroyed guest".into(),
        "POST",
        "/nodes/pve1/storage/local-lvm/content",
        json!({"vmid": 9007, "filename": "vm-9007-disk-5", "size": "1G"}),
    );
    add(
        "DELETE prune a hidden guest's backups".into(),
        "DELETE",
        "/nodes/pve1/storage/nas/prunebackups",
        json!({"vmid": 250, "prune-backups": "keep-last=0"}),
    );
    add(
        "DELETE prune every backup".into(),
        "DELETE",
        "/nodes/pve1/storage/nas/prunebackups",
        json!({"prune-backups": "keep-last=1"}),
    );
    for (what, data) in [
        (
            "to a hidden VM",
            json!({"disk": "scsi0", "target-vmid": 250, "target-disk": "scsi5"}),
        ),
        (
            "to a destroyed guest",
            json!({"disk": "scsi0", "target-vmid": 9007, "target-disk": "scsi0"}),
        ),
        (
            "to another storage",
            json!({"disk": "scsi0", "storage": "nas"}),
        ),
    ] {
        add(
            format!("POST move_disk {what}"),
            "POST",
            &format!("/nodes/pve1/qemu/{LAB_VM}/move_disk"),
            data,
        );
    }
    add(
        "POST move_volume to a hidden CT".into(),
        "POST",
        &format!("/nodes/pve2/lxc/{LAB_CT}/move_volume"),
        json!({"volume": "rootfs", "target-vmid": 251, "target-volume": "mp5"}),
    );
    for (name, args) in cases {
        r.model(
            Class::RawWrites,
            &name,
            "proxmox_api",
            args,
            Expect::Refused,
        )
        .await;
    }
}

/// The same attacks through the tools.
async fn tools(r: &mut Runner) {
    let c = Class::RawWrites;
    use Expect::{Denied, Refused};
    for (what, set) in [
        ("tags granting delete", json!({"tags": "scratch"})),
        (
            "tags granting delete, in other case",
            json!({"tags": "Scratch"}),
        ),
        (
            "a clear cloud-init password",
            json!({"cipassword": "hunter22"}),
        ),
        (
            "scsi5 on a hidden disk",
            json!({"scsi5": "local-lvm:vm-250-disk-0"}),
        ),
        (
            "scsi5 on a destroyed guest's disk",
            json!({"scsi5": "local-lvm:vm-9007-disk-0"}),
        ),
        (
            "scsi5 importing a hidden disk",
            json!({"scsi5": "local-lvm:0,import-from=local-lvm:vm-250-disk-0"}),
        ),
    ] {
        r.model(
            c,
            &format!("guest_configure lab VM, {what}"),
            "guest_configure",
            json!({"vmid": LAB_VM, "set": set}),
            Refused,
        )
        .await;
    }
    r.model(
        c,
        "guest_configure lab CT, mp5 on a hidden disk",
        "guest_configure",
        json!({"vmid": LAB_CT, "set": {"mp5": "local-lvm:vm-251-disk-0,mp=/x"}}),
        Refused,
    )
    .await;
    r.model(
        c,
        "guest_configure lab VM, remove an unused disk",
        "guest_configure",
        json!({"vmid": LAB_VM, "delete": ["unused0"]}),
        Refused,
    )
    .await;
    r.model(
        c,
        "guest_migrate lab VM to a node not listed",
        "guest_migrate",
        json!({"vmid": LAB_VM, "target": "pve4"}),
        Refused,
    )
    .await;
    r.model(
        c,
        "backup_start lab VM to a storage not listed",
        "backup_start",
        json!({"vmid": LAB_VM, "storage": "nas"}),
        Denied("backup.storages"),
    )
    .await;
    r.model(
        c,
        "volume_delete of an ISO on a storage not listed",
        "volume_delete",
        json!({"node": "pve1", "volume": "nas:iso/debian-12.8.0-amd64-netinst.iso"}),
        Refused,
    )
    .await;
    r.model(
        c,
        "volume_delete of a hidden orphan disk",
        "volume_delete",
        json!({"node": "pve1", "volume": "local-lvm:vm-250-disk-1"}),
        Refused,
    )
    .await;
    r.model(
        c,
        "volume_delete of a destroyed guest's disk",
        "volume_delete",
        json!({"node": "pve1", "volume": "local-lvm:vm-9007-disk-0"}),
        Refused,
    )
    .await;
}
