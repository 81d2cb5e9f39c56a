//! Reused vmids: guest 9007 was destroyed leaving its disk `vm-9007-disk-0`, guest 9008
//! leaving its backups, and 9005 belongs to an invisible guest; all three are inside the
//! `[create]` range. A new guest at one of them would be handed the old guest's data
//! (Proxmox attaches the orphan disk by name, lists the backups under the new guest), so
//! the helper must treat these vmids as unusable: refuse creating, cloning or
//! restoring to them (through the tools and the raw API), never offer them from
//! `next_vmid`, and keep the old data invisible.

use super::case::{Class, Expect, Who};
use super::runner::{Runner, api};
use super::world::{LAB_TPL, LAB_VM};
use serde_json::json;

const DEBIAN: &str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";

pub async fn run(r: &mut Runner) {
    let c = Class::Reuse;
    let lab_backup = r.world.backups.lab_vm.clone();
    for v in [9007, 9008, 9005] {
        r.model(c, &format!("guest_create container at {v}"), "guest_create", json!({
            "type": "lxc", "node": "pve1", "name": "reuse", "vmid": v, "cores": 1, "memory_mib": 512,
            "disk": {"storage": "local-lvm", "size_gib": 4}, "ostemplate": DEBIAN, "bridge": "vmbr1"}),
            Expect::Denied(""))
            .await;
        r.model(c, &format!("guest_create VM at {v}"), "guest_create", json!({
            "type": "qemu", "node": "pve1", "name": "reuse", "vmid": v, "cores": 1, "memory_mib": 512,
            "disk": {"storage": "local-lvm", "size_gib": 4}}),
            Expect::Denied(""))
            .await;
        r.model(
            c,
            &format!("guest_clone to {v}"),
            "guest_clone",
            json!({"vmid": LAB_TPL, "newid": v}),
            Expect::Denied(""),
        )
        .await;
        r.model(
            c,
            &format!("guest_clone of the lab VM to {v}"),
            "guest_clone",
            json!({"vmid": LAB_VM, "newid": v}),
            Expect::Denied(""),
        )
        .await;
        r.case(
            c,
            &format!("backup_restore to {v}"),
            Who::UserSaysYes,
            "backup_restore",
            json!({"volume": lab_backup, "node": "pve1", "vmid": v}),
            Expect::Denied(""),
        )
        .await;
        r.model(
            c,
            &format!("POST /nodes/pve1/qemu at {v}"),
            "proxmox_api",
            api(
                "POST",
                "/nodes/pve1/qemu",
                json!({"vmid": v, "name": "reuse", "pool": "lab",
                "cores": 1, "memory": 512, "scsi0": "local-lvm:4", "net0": "virtio,bridge=vmbr1"}),
            ),
            Expect::Refused,
        )
        .await;
        r.model(
            c,
            &format!("POST /nodes/pve1/qemu at {v} with its old disk"),
            "proxmox_api",
            api(
                "POST",
                "/nodes/pve1/qemu",
                json!({"vmid": v, "name": "reuse", "pool": "lab",
                "cores": 1, "memory": 512, "scsi0": format!("local-lvm:vm-{v}-disk-0")}),
            ),
            Expect::Refused,
        )
        .await;
        r.model(
            c,
            &format!("POST /nodes/pve1/lxc at {v}"),
            "proxmox_api",
            api(
                "POST",
                "/nodes/pve1/lxc",
                json!({"vmid": v, "hostname": "reuse", "pool": "lab",
                "cores": 1, "memory": 512, "unprivileged": 1, "ostemplate": DEBIAN,
                "rootfs": "local-lvm:4"}),
            ),
            Expect::Refused,
        )
        .await;
    }
    let a = r
        .case(
            c,
            "next_vmid skips the unusable vmids",
            Who::Model,
            "next_vmid",
            json!({}),
            Expect::Answer,
        )
        .await;
    let offered: Vec<u32> = [9005, 9007, 9008]
        .into_iter()
        .filter(|v| super::case::has_number(&a.everything, *v))
        .collect();
    let bad = if offered.is_empty() {
        Vec::new()
    } else {
        vec![format!("next_vmid offered {offered:?}: {}", a.message)]
    };
    r.finish(
        c,
        "next_vmid never offers a reused vmid",
        bad,
        Vec::new(),
        None,
    );
    for v in [9007, 9008] {
        r.model(
            c,
            &format!("list_backups of destroyed {v}"),
            "list_backups",
            json!({"vmid": v}),
            Expect::NotFound,
        )
        .await;
        r.model(
            c,
            &format!("storage_content of destroyed {v}"),
            "storage_content",
            json!({"node": "pve1", "storage": "local-lvm", "vmid": v}),
            Expect::RefusedOrClean,
        )
        .await;
        r.model(
            c,
            &format!("storage_content nas of destroyed {v}"),
            "storage_content",
            json!({"node": "pve2", "storage": "nas", "vmid": v}),
            Expect::RefusedOrClean,
        )
        .await;
    }
    let gone = r.world.backups.gone_9008_nas.clone();
    r.case(
        c,
        "backup_restore of a destroyed guest's backup",
        Who::UserSaysYes,
        "backup_restore",
        json!({"volume": gone, "node": "pve2"}),
        Expect::NotFound,
    )
    .await;
    r.case(
        c,
        "volume_delete of a destroyed guest's backup",
        Who::UserSaysYes,
        "volume_delete",
        json!({"volume": gone, "node": "pve2"}),
        Expect::NotFound,
    )
    .await;
}
