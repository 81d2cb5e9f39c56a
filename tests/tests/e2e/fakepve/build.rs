//! Building and tearing down lab guests, each step read back from fakepve: a VM from
//! an ISO image, a VM from a cloud image with cloud-init, a container from a template,
//! a linked and a full clone, a template, configuration changes, disk growth,
//! migrations, and deleting everything that was made.

use super::{Lab, api::encode};
use serde_json::{Value, json};

const ISO: &str = "local:iso/debian-12.8.0-amd64-netinst.iso";
const CLOUD_IMAGE: &str = "local:import/debian-12-genericcloud-amd64.qcow2";
const CT_TEMPLATE: &str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";
const SSH_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHh0ZXN0a2V5IGZvciBmYWtlcHZlIHRlc3Rz lab@example";

fn vmid(done: &Value) -> u32 {
    let v = done["vmid"]
        .as_u64()
        .unwrap_or_else(|| panic!("a new vmid: {done}"));
    u32::try_from(v).unwrap()
}

/// The guests made, in order: ISO VM, cloud VM, container, linked clone, full clone.
pub struct Made {
    pub iso_vm: u32,
    pub cloud_vm: u32,
    pub ct: u32,
    pub linked: u32,
    pub full: u32,
}

impl Made {
    fn all(&self) -> [u32; 5] {
        [self.iso_vm, self.cloud_vm, self.ct, self.linked, self.full]
    }
}

pub async fn create(lab: &mut Lab) -> Made {
    let iso_vm = json!({"type": "qemu", "node": "pve1", "name": "iso-vm", "cores": 2,
        "memory_mib": 2048, "disk": {"storage": "local-lvm", "size_gib": 16}, "iso": ISO,
        "bridge": "vmbr0"});
    let iso_vm = vmid(
        &lab.ok("create a VM from an ISO image", "guest_create", iso_vm)
            .await,
    );
    assert_eq!(iso_vm, 9000);
    let config = lab.root.config(iso_vm).await;
    assert_eq!(
        config["scsi0"], "local-lvm:vm-9000-disk-0,size=16G",
        "{config}"
    );
    assert_eq!(
        config["ide2"],
        format!("{ISO},media=cdrom,size=631M"),
        "{config}"
    );
    assert!(
        config["net0"].as_str().unwrap().ends_with(",bridge=vmbr0"),
        "{config}"
    );
    assert_eq!(
        (config["cores"].as_u64(), config["memory"].as_str()),
        (Some(2), Some("2048"))
    );
    assert_eq!(lab.root.guest(iso_vm).await.unwrap()["pool"], "lab");

    let cloud_vm = json!({"type": "qemu", "node": "pve2", "name": "cloud-vm", "cores": 2,
        "memory_mib": 2048, "disk": {"storage": "local-lvm", "size_gib": 20},
        "image": CLOUD_IMAGE, "bridge": "vmbr0",
        "cloud_init": {"user": "admin", "ipconfig": "ip=dhcp", "ssh_keys": [SSH_KEY]}});
    let created = lab
        .ok("create a VM from a cloud image", "guest_create", cloud_vm)
        .await;
    let cloud_vm = vmid(&created);
    // Proxmox sizes a disk imported from an image from the image: the answer says so
    // and what to grow it with, rather than promising the size asked.
    let note = created["notes"][0].as_str().unwrap_or_default();
    assert!(
        note.starts_with(&format!(
            "disk scsi0 is imported from {CLOUD_IMAGE} and takes its size"
        )) && note.ends_with("grow it with disk_resize to the 20 GiB asked"),
        "{created}"
    );
    let config = lab.root.config(cloud_vm).await;
    assert_eq!(
        (config["ciuser"].as_str(), config["ipconfig0"].as_str()),
        (Some("admin"), Some("ip=dhcp"))
    );
    assert_eq!(
        config["sshkeys"],
        encode(SSH_KEY).replace("%2B", "+"),
        "{config}"
    );
    let scsi0 = config["scsi0"].as_str().unwrap_or_default().to_owned();
    assert!(
        scsi0.contains(&format!("import-from={CLOUD_IMAGE}")),
        "{config}"
    );
    lab.gap(
        "create a VM from a cloud image",
        "a disk imported with import-from is allocated with size 0, and the cloud-init drive as vm-N-disk-0",
        scsi0.ends_with(",size=0") && config["ide0"] == format!("local-lvm:vm-{cloud_vm}-disk-0,media=cdrom"),
        &config.to_string(),
    );
    let sent = lab.fake.requests("POST", "/nodes/pve2/qemu").await;
    assert!(
        sent.iter()
            .any(|b| b.contains("&scsi0=local-lvm%3A0%2Cimport-from%3D")),
        "{sent:?}"
    );

    let ct = json!({"type": "lxc", "node": "pve3", "name": "ct-new", "cores": 1,
        "memory_mib": 512, "disk": {"storage": "local-lvm", "size_gib": 8},
        "ostemplate": CT_TEMPLATE, "bridge": "vmbr0", "ssh_keys": [SSH_KEY]});
    let ct = vmid(
        &lab.ok("create a container from a template", "guest_create", ct)
            .await,
    );
    let config = lab.root.config(ct).await;
    assert_eq!(
        config["rootfs"],
        format!("local-lvm:vm-{ct}-disk-0,size=8G"),
        "{config}"
    );
    assert_eq!(
        (config["hostname"].as_str(), config["unprivileged"].as_u64()),
        (Some("ct-new"), Some(1))
    );
    assert_eq!(lab.root.guest(ct).await.unwrap()["pool"], "lab");

    let linked = json!({"vmid": 120, "name": "linked", "full": false});
    let linked = vmid(
        &lab.ok("linked clone of the template", "guest_clone", linked)
            .await,
    );
    let scsi0 = lab.root.config_key(linked, "scsi0").await;
    // LVM-thin names a linked clone's volume as any other (no `base-N-disk-M/` prefix).
    assert_eq!(scsi0, format!("local-lvm:vm-{linked}-disk-0,size=4G"));
    assert_eq!(lab.root.guest(linked).await.unwrap()["pool"], "lab");

    let tmpl = json!({"vmid": iso_vm});
    lab.confirmed("make a template (confirmed)", "guest_template", tmpl)
        .await;
    assert_eq!(lab.root.config(iso_vm).await["template"], 1);
    assert!(
        lab.root
            .config_key(iso_vm, "scsi0")
            .await
            .starts_with("local-lvm:base-9000-disk-0")
    );
    let full = json!({"vmid": iso_vm, "name": "full", "full": true, "storage": "local-lvm"});
    let full = vmid(
        &lab.ok("full clone of the new template", "guest_clone", full)
            .await,
    );
    let scsi0 = lab.root.config_key(full, "scsi0").await;
    assert!(
        scsi0.starts_with(&format!("local-lvm:vm-{full}-disk-0")),
        "{scsi0}"
    );

    Made {
        iso_vm,
        cloud_vm,
        ct,
        linked,
        full,
    }
}

pub async fn change(lab: &mut Lab, made: &Made) {
    let vm = made.cloud_vm;
    let set = json!({"vmid": vm, "set": {"cores": 4, "memory": 4096, "net1": "virtio,bridge=vmbr1",
        "description": "lab vm", "onboot": true, "ciuser": "ops", "ipconfig0": "ip=10.0.0.5/24,gw=10.0.0.1"}});
    lab.ok("configure a VM", "guest_configure", set).await;
    let config = lab.root.config(vm).await;
    for (key, value) in [
        ("cores", "4"),
        ("memory", "4096"),
        ("net1", "virtio,bridge=vmbr1"),
        ("description", "lab vm"),
        ("onboot", "1"),
        ("ciuser", "ops"),
        ("ipconfig0", "ip=10.0.0.5/24,gw=10.0.0.1"),
    ] {
        assert_eq!(lab.root.config_key(vm, key).await, value, "{key}: {config}");
    }
    lab.ok(
        "remove a NIC",
        "guest_configure",
        json!({"vmid": vm, "delete": ["net1"]}),
    )
    .await;
    assert_eq!(lab.root.config_key(vm, "net1").await, "");
    let ct = json!({"vmid": made.ct, "set": {"memory": 1024, "cores": 2}});
    lab.ok("configure a container", "guest_configure", ct).await;
    assert_eq!(lab.root.config_key(made.ct, "memory").await, "1024");

    let grow = json!({"vmid": made.linked, "disk": "scsi0", "size_gib": 8});
    lab.ok("grow a VM disk", "disk_resize", grow).await;
    let scsi0 = lab.root.config_key(made.linked, "scsi0").await;
    lab.gap(
        "grow a VM disk",
        "a VM's resize is generic: the task ends OK and the disk keeps its size",
        scsi0.ends_with(",size=4G"),
        &scsi0,
    );
    let grow = json!({"vmid": made.ct, "disk": "rootfs", "size_gib": 12});
    lab.ok("grow a container's root disk", "disk_resize", grow)
        .await;
    let rootfs = lab.root.config_key(made.ct, "rootfs").await;
    assert_eq!(rootfs, format!("local-lvm:vm-{}-disk-0,size=12G", made.ct));
}

pub async fn migrate(lab: &mut Lab, made: &Made) {
    let ct = json!({"vmid": made.ct, "target": "pve1"});
    lab.ok("migrate a container", "guest_migrate", ct).await;
    assert_eq!(lab.root.node_of(made.ct).await, "pve1");
    let vm = json!({"vmid": made.cloud_vm, "target": "pve3"});
    lab.ok("migrate a stopped VM", "guest_migrate", vm).await;
    let node = lab.root.node_of(made.cloud_vm).await;
    lab.gap(
        "migrate a stopped VM",
        "a VM's migrate is generic: the task ends OK and the VM stays where it was",
        node == "pve2",
        &node,
    );
    let running = json!({"vmid": 100, "target": "pve2"});
    lab.ok(
        "migrate a running VM with a local disk",
        "guest_migrate",
        running,
    )
    .await;
    let node = lab.root.node_of(100).await;
    lab.gap(
        "migrate a running VM with a local disk",
        "a VM's migrate is generic: no check of local disks (PVE refuses an online migration of one without with-local-disks)",
        node == "pve1",
        &node,
    );
    // fakepve cannot tell, so the request shows it: PVE refuses an online migration
    // of a VM with a local disk unless it is asked to copy the disk.
    let sent = lab
        .fake
        .requests("POST", "/nodes/pve1/qemu/100/migrate")
        .await;
    assert_eq!(
        sent,
        ["target=pve2&online=1&with-local-disks=1"],
        "the migration request"
    );
    lab.checked(
        "migrate a running VM with a local disk",
        "sends with-local-disks=1",
    );
}

pub async fn delete(lab: &mut Lab, made: &Made) {
    for vmid in made.all() {
        let gone = json!({"vmid": vmid});
        lab.confirmed(&format!("delete {vmid} (confirmed)"), "guest_delete", gone)
            .await;
        assert!(lab.root.guest(vmid).await.is_none(), "{vmid} is gone");
    }
    let left: Vec<String> = lab
        .root
        .volumes("pve1", "local-lvm")
        .await
        .into_iter()
        .filter(|v| made.all().iter().any(|id| v.contains(&format!("-{id}-"))))
        .collect();
    assert!(left.is_empty(), "volumes left: {left:?}");
    lab.checked("delete everything made", "no guest and no volume left");
}
