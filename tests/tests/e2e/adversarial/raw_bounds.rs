//! Bounds through the raw API: `PUT .../config` that removes a container's `cores`,
//! raises cores, sockets, memory or swap, adds a disk too big or on another storage,
//! a bridge, a CD or an import from a source not listed, puts RAM state, an EFI disk or
//! a TPM state elsewhere; `POST /nodes/*/{qemu,lxc}` of a guest beyond `[bounds]` (a
//! container without `cores` has every core); a resize beyond `max_disk_gib`.

use super::case::{Class, Expect};
use super::runner::{Runner, api};
use super::world::{LAB_CT, LAB_VM};
use serde_json::{Value, json};

const DEBIAN: &str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";

pub async fn run(r: &mut Runner) {
    let c = Class::Bounds;
    // The same through the raw API.
    let put_ct = |data: Value| api("PUT", &format!("/nodes/pve2/lxc/{LAB_CT}/config"), data);
    let put_vm = |data: Value| api("PUT", &format!("/nodes/pve1/qemu/{LAB_VM}/config"), data);
    let ct_create = |extra: Value| {
        let mut d = json!({"vmid": 9042, "ostemplate": DEBIAN, "rootfs": "local-lvm:4",
                           "unprivileged": 1, "pool": "lab", "memory": 512, "cores": 1});
        for (k, v) in extra.as_object().into_iter().flatten() {
            if v.is_null() {
                d.as_object_mut().map(|m| m.remove(k));
            } else {
                d[k] = v.clone();
            }
        }
        api("POST", "/nodes/pve1/lxc", d)
    };
    let vm_create = |extra: Value| {
        let mut d = json!({"vmid": 9043, "name": "raw", "pool": "lab", "memory": 512, "cores": 1,
                           "scsi0": "local-lvm:4", "net0": "virtio,bridge=vmbr1"});
        for (k, v) in extra.as_object().into_iter().flatten() {
            d[k] = v.clone();
        }
        api("POST", "/nodes/pve1/qemu", d)
    };
    let raw: Vec<(&str, Value)> = vec![
        (
            "PUT container delete=cores",
            put_ct(json!({"delete": "cores"})),
        ),
        ("PUT container swap", put_ct(json!({"swap": 65536}))),
        ("PUT container cores", put_ct(json!({"cores": 32}))),
        ("PUT VM cores", put_vm(json!({"cores": 64}))),
        ("PUT VM sockets", put_vm(json!({"sockets": 8}))),
        ("PUT VM memory", put_vm(json!({"memory": 65536}))),
        (
            "PUT VM memory as current=",
            put_vm(json!({"memory": "current=65536"})),
        ),
        (
            "PUT VM disk too big",
            put_vm(json!({"scsi1": "local-lvm:200"})),
        ),
        ("PUT VM disk on nas", put_vm(json!({"scsi1": "nas:10"}))),
        (
            "PUT VM bridge",
            put_vm(json!({"net1": "virtio,bridge=vmbr9"})),
        ),
        (
            "PUT VM RAM state on nas",
            put_vm(json!({"vmstatestorage": "nas"})),
        ),
        (
            "PUT VM EFI disk on nas",
            put_vm(json!({"efidisk0": "nas:1"})),
        ),
        (
            "PUT VM TPM state on nas",
            put_vm(json!({"tpmstate0": "nas:1,version=v2.0"})),
        ),
        (
            "PUT VM CD from a source not listed",
            put_vm(json!({"ide3": "nas:iso/debian-12.8.0-amd64-netinst.iso,media=cdrom"})),
        ),
        (
            "PUT VM import from a source not listed",
            put_vm(
                json!({"scsi2": "local-lvm:0,import-from=nas:iso/debian-12.8.0-amd64-netinst.iso"}),
            ),
        ),
        (
            "PUT CT mount point on nas",
            put_ct(json!({"mp0": "nas:4,mp=/data"})),
        ),
        (
            "POST container from a template not listed",
            ct_create(json!({"ostemplate": "nas:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"})),
        ),
        (
            "POST container without cores",
            ct_create(json!({"cores": null})),
        ),
        (
            "POST container of 64 cores",
            ct_create(json!({"cores": 64})),
        ),
        ("POST container swap", ct_create(json!({"swap": 65536}))),
        (
            "POST container rootfs too big",
            ct_create(json!({"rootfs": "local-lvm:500"})),
        ),
        (
            "POST container rootfs on nas",
            ct_create(json!({"rootfs": "nas:4"})),
        ),
        ("POST VM of 64 cores", vm_create(json!({"cores": 64}))),
        (
            "POST VM sockets",
            vm_create(json!({"cores": 4, "sockets": 4})),
        ),
        ("POST VM memory", vm_create(json!({"memory": 65536}))),
        (
            "POST VM disk too big",
            vm_create(json!({"scsi0": "local-lvm:500"})),
        ),
        (
            "POST VM bridge",
            vm_create(json!({"net0": "virtio,bridge=vmbr9"})),
        ),
        (
            "POST VM from a source outside",
            vm_create(json!({"ide2": "nas:iso/debian-12.8.0-amd64-netinst.iso,media=cdrom"})),
        ),
        (
            "PUT VM resize",
            api(
                "PUT",
                &format!("/nodes/pve1/qemu/{LAB_VM}/resize"),
                json!({"disk": "scsi0", "size": "200G"}),
            ),
        ),
        (
            "PUT VM resize relative",
            api(
                "PUT",
                &format!("/nodes/pve1/qemu/{LAB_VM}/resize"),
                json!({"disk": "scsi0", "size": "+200G"}),
            ),
        ),
    ];
    for (what, args) in raw {
        r.model(c, what, "proxmox_api", args, Expect::Refused).await;
    }
}
