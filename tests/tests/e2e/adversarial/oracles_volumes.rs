//! Existence oracles on what hidden and destroyed guests left on the storages: their
//! backups (deleted, restored, read, addressed) against the same names for a vmid no
//! guest has; and a `[create]` vmid taken by an invisible guest (9005) against vmids
//! left unusable by a destroyed guest's disk (9007) or backups (9008).

use super::case::{Class, Expect, Who};
use super::runner::{Runner, api, get};
use super::world::{LAB_TPL, ghost};
use serde_json::{Value, json};

pub async fn run(r: &mut Runner) {
    volumes(r).await;
    create_range(r).await;
}

/// Backups of hidden and destroyed guests, against the same names for a ghost.
async fn volumes(r: &mut Runner) {
    let b = &r.world.backups;
    let hidden = [
        (250, "pve1", b.hidden_250_nas.clone()),
        (250, "pve1", b.hidden_250_local.clone()),
        (251, "pve2", b.hidden_251_nas.clone()),
        (9005, "pve2", b.hidden_9005_local.clone()),
        (9008, "pve2", b.gone_9008_nas.clone()),
        (9008, "pve2", b.gone_9008_local.clone()),
    ];
    for (v, node, volume) in hidden {
        let storage = volume.split(':').next().unwrap_or_default().to_owned();
        let cases = [
            (
                "volume_delete",
                Who::UserSaysYes,
                "volume_delete",
                json!({"node": node, "volume": volume}),
            ),
            (
                "backup_restore",
                Who::UserSaysYes,
                "backup_restore",
                json!({"node": node, "volume": volume}),
            ),
            (
                "GET extractconfig",
                Who::Model,
                "proxmox_api",
                api(
                    "GET",
                    &format!("/nodes/{node}/vzdump/extractconfig"),
                    json!({"volume": volume}),
                ),
            ),
            (
                "GET volume",
                Who::Model,
                "proxmox_api",
                get(&format!("/nodes/{node}/storage/{storage}/content/{volume}")),
            ),
            (
                "DELETE volume",
                Who::Model,
                "proxmox_api",
                api(
                    "DELETE",
                    &format!("/nodes/{node}/storage/{storage}/content/{volume}"),
                    json!({}),
                ),
            ),
        ];
        for (what, who, tool, args) in cases {
            let name = format!("{what} {volume}");
            // PVE addresses a backup by a path with a `/` in the volume; refusing such a
            // path for every volume alike is as good as "not found".
            let expect = if what.ends_with("volume") {
                Expect::Refused
            } else {
                Expect::NotFound
            };
            r.oracle(Class::Oracles, &name, who, tool, args, v, ghost(v), expect)
                .await;
        }
    }
    for v in [9007, 9008] {
        r.oracle(
            Class::Oracles,
            &format!("list_backups {v}"),
            Who::Model,
            "list_backups",
            json!({"vmid": v}),
            v,
            ghost(v),
            Expect::NotFound,
        )
        .await;
        r.oracle(
            Class::Oracles,
            &format!("storage_content vmid {v}"),
            Who::Model,
            "storage_content",
            json!({"node": "pve1", "storage": "local-lvm", "vmid": v}),
            v,
            ghost(v),
            Expect::RefusedOrClean,
        )
        .await;
    }
}

/// A vmid taken by an invisible guest, against vmids left unusable by destroyed ones.
async fn create_range(r: &mut Runner) {
    let lab_backup = r.world.backups.lab_vm.clone();
    let template = LAB_TPL;
    for unusable in [9007, 9008] {
        let cases: [(&str, Who, &str, Value); 4] = [
            (
                "guest_create",
                Who::Model,
                "guest_create",
                json!({
                "type": "lxc", "node": "pve2", "name": "probe", "vmid": 9005, "cores": 1,
                "memory_mib": 512, "disk": {"storage": "local-lvm", "size_gib": 4},
                "ostemplate": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", "bridge": "vmbr1"}),
            ),
            (
                "guest_clone",
                Who::Model,
                "guest_clone",
                json!({"vmid": template, "newid": 9005}),
            ),
            (
                "backup_restore",
                Who::UserSaysYes,
                "backup_restore",
                json!({"volume": lab_backup, "node": "pve1", "vmid": 9005}),
            ),
            (
                "POST /nodes/pve2/qemu",
                Who::Model,
                "proxmox_api",
                api(
                    "POST",
                    "/nodes/pve2/qemu",
                    json!({
                "vmid": 9005, "name": "probe", "cores": 1, "memory": 512, "pool": "lab",
                "scsi0": "local-lvm:4", "net0": "virtio,bridge=vmbr1"}),
                ),
            ),
        ];
        for (what, who, tool, args) in cases {
            let name = format!("{what} at 9005 (hidden) vs {unusable}");
            r.oracle(
                Class::Oracles,
                &name,
                who,
                tool,
                args,
                9005,
                unusable,
                Expect::Refused,
            )
            .await;
        }
    }
}
