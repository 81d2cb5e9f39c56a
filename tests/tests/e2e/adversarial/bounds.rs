//! Bounds judge the guest that results, not the keys of the request: a container whose
//! `cores` is removed uses every core of its node, so `delete: ["cores"]` is above
//! `max_cores`; so are clones and restores of guests and archives without `cores` or
//! with too many, settings that multiply (`sockets` × `cores`), sizes spelled as
//! property strings (`memory: current=...`), a container's swap, new disks and bridges,
//! and the same through the raw API (`PUT .../config`, `POST /nodes/*/{qemu,lxc}`),
//! where a container created without `cores` has them all.

use super::case::{Class, Expect, Who};
use super::runner::Runner;
use super::world::{ALLCORES_CT, BIG_VM, LAB_CT, LAB_VM};
use serde_json::{Value, json};

const DEBIAN: &str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";

pub async fn run(r: &mut Runner) {
    let c = Class::Bounds;
    use Expect::Denied;
    let configure: Vec<(&str, u32, Value, &'static str)> = vec![
        (
            "container without cores",
            LAB_CT,
            json!({"delete": ["cores"]}),
            "bounds.max_cores",
        ),
        (
            "container without cores, among others",
            LAB_CT,
            json!({"delete": ["description", "cores"]}),
            "bounds.max_cores",
        ),
        (
            "container without cores, set memory",
            ALLCORES_CT,
            json!({"set": {"memory": 2048}}),
            "bounds.max_cores",
        ),
        (
            "container swap",
            LAB_CT,
            json!({"set": {"swap": 65536}}),
            "bounds.max_memory_mib",
        ),
        (
            "container memory",
            LAB_CT,
            json!({"set": {"memory": 65536}}),
            "bounds.max_memory_mib",
        ),
        (
            "container cpulimit only",
            LAB_CT,
            json!({"set": {"cpulimit": 4}, "delete": ["cores"]}),
            "bounds",
        ),
        (
            "VM sockets times cores",
            LAB_VM,
            json!({"set": {"sockets": 8}}),
            "bounds.max_cores",
        ),
        (
            "VM cores and sockets",
            LAB_VM,
            json!({"set": {"cores": 8, "sockets": 2}}),
            "bounds.max_cores",
        ),
        (
            "VM already above, set memory",
            BIG_VM,
            json!({"set": {"memory": 1024}}),
            "bounds.max_cores",
        ),
        (
            "VM memory as current=",
            LAB_VM,
            json!({"set": {"memory": "current=65536"}}),
            "bounds.max_memory_mib",
        ),
        (
            "VM memory",
            LAB_VM,
            json!({"set": {"memory": 65536}}),
            "bounds.max_memory_mib",
        ),
        (
            "VM balloon above memory",
            LAB_VM,
            json!({"set": {"balloon": 65536}}),
            "bounds",
        ),
        (
            "VM new disk too big",
            LAB_VM,
            json!({"set": {"scsi1": "local-lvm:200"}}),
            "bounds.max_disk_gib",
        ),
        (
            "VM new disk on another storage",
            LAB_VM,
            json!({"set": {"scsi1": "nas:10"}}),
            "bounds.storages",
        ),
        (
            "VM new disk on another storage, file=",
            LAB_VM,
            json!({"set": {"scsi1": "file=nas:10"}}),
            "bounds.storages",
        ),
        (
            "VM bridge",
            LAB_VM,
            json!({"set": {"net1": "virtio,bridge=vmbr9"}}),
            "bounds.bridges",
        ),
        (
            "VM bridge, model=",
            LAB_VM,
            json!({"set": {"net1": "model=virtio,bridge=vmbr9"}}),
            "bounds.bridges",
        ),
        (
            "VM network without a bridge",
            LAB_VM,
            json!({"set": {"net1": "virtio"}}),
            "bounds",
        ),
        (
            "container mount point too big",
            LAB_CT,
            json!({"set": {"mp0": "local-lvm:200,mp=/data"}}),
            "bounds.max_disk_gib",
        ),
        (
            "container mount point on another storage",
            LAB_CT,
            json!({"set": {"mp0": "nas:4,mp=/data"}}),
            "bounds.storages",
        ),
        (
            "container bridge",
            LAB_CT,
            json!({"set": {"net1": "name=eth1,bridge=vmbr9"}}),
            "bounds.bridges",
        ),
    ];
    for (what, vmid, mut args, rule) in configure {
        args["vmid"] = json!(vmid);
        r.model(
            c,
            &format!("guest_configure {what}"),
            "guest_configure",
            args,
            Denied(rule),
        )
        .await;
    }
    r.model(
        c,
        "disk_resize above max_disk_gib",
        "disk_resize",
        json!({"vmid": LAB_VM, "disk": "scsi0", "size_gib": 200}),
        Denied("bounds.max_disk_gib"),
    )
    .await;
    r.model(
        c,
        "disk_resize of a container above max_disk_gib",
        "disk_resize",
        json!({"vmid": LAB_CT, "disk": "rootfs", "size_gib": 129}),
        Denied("bounds.max_disk_gib"),
    )
    .await;
    for (what, src) in [
        ("container without cores", ALLCORES_CT),
        ("VM of 16 vCPUs", BIG_VM),
    ] {
        r.model(
            c,
            &format!("guest_clone {what}"),
            "guest_clone",
            json!({"vmid": src}),
            Denied("bounds.max_cores"),
        )
        .await;
        r.model(
            c,
            &format!("guest_clone {what}, linked"),
            "guest_clone",
            json!({"vmid": src, "full": false}),
            Denied(""),
        )
        .await;
    }
    let b = &r.world.backups;
    for (what, volume, node, rule) in [
        (
            "an archive without cores",
            b.ct_no_cores.clone(),
            "pve2",
            "bounds.max_cores",
        ),
        (
            "an archive of 16 cores",
            b.vm_too_big.clone(),
            "pve1",
            "bounds.max_cores",
        ),
        (
            "an archive of 64 GiB",
            b.vm_too_much_memory.clone(),
            "pve1",
            "bounds.max_memory_mib",
        ),
        (
            "an archive with a disk on nas",
            b.vm_other_storage.clone(),
            "pve1",
            "bounds.storages",
        ),
        (
            "an archive with bridge vmbr9",
            b.vm_other_bridge.clone(),
            "pve1",
            "bounds.bridges",
        ),
    ] {
        r.case(
            c,
            &format!("backup_restore {what}"),
            Who::UserSaysYes,
            "backup_restore",
            json!({"volume": volume, "node": node, "vmid": 9041}),
            Denied(rule),
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
            Denied(rule),
        )
        .await;
    }
    super::raw_bounds::run(r).await;
    for (what, args, rule) in [
        (
            "clone to a storage not listed",
            json!({"vmid": super::world::LAB_TPL, "storage": "nas"}),
            "bounds.storages",
        ),
        (
            "clone to a node not listed",
            json!({"vmid": super::world::LAB_TPL, "target": "pve4"}),
            "",
        ),
    ] {
        r.model(
            c,
            &format!("guest_clone {what}"),
            "guest_clone",
            args,
            Denied(rule),
        )
        .await;
    }
    r.case(
        c,
        "backup_restore to a storage not listed",
        Who::UserSaysYes,
        "backup_restore",
        json!({"volume": r.world.backups.lab_vm, "node": "pve1", "storage": "nas"}),
        Denied("bounds.storages"),
    )
    .await;
    for (what, extra) in [
        (
            "disk on a storage not listed",
            json!({"disk": {"storage": "nas", "size_gib": 4}}),
        ),
        ("on a bridge not listed", json!({"bridge": "vmbr9"})),
        (
            "from a template not listed",
            json!({"ostemplate": "nas:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"}),
        ),
        ("of 9 cores", json!({"cores": 9})),
        ("of 16385 MiB", json!({"memory_mib": 16385})),
        (
            "of a 129 GiB disk",
            json!({"disk": {"storage": "local-lvm", "size_gib": 129}}),
        ),
        (
            "sockets in config",
            json!({"config": {"sockets": 4}, "cores": 4, "type": "qemu"}),
        ),
        ("swap in config", json!({"config": {"swap": 65536}})),
    ] {
        let mut args = json!({"type": "lxc", "node": "pve1", "name": "sized", "cores": 1, "memory_mib": 512,
            "disk": {"storage": "local-lvm", "size_gib": 4}, "ostemplate": DEBIAN, "bridge": "vmbr1"});
        for (k, v) in extra.as_object().into_iter().flatten() {
            args[k] = v.clone();
        }
        if args["type"] == "qemu" {
            args.as_object_mut().map(|m| m.remove("ostemplate"));
        }
        r.model(
            c,
            &format!("guest_create {what}"),
            "guest_create",
            args,
            Denied("bounds"),
        )
        .await;
    }
}
