//! The world's guests, as an administrator made them: their configs (VMs with a disk
//! on local-lvm and a NIC on vmbr0, some with cloud-init; containers, unprivileged),
//! pools, tags, power states, HA, and snapshots that keep other tags.

use super::world::{
    ALLCORES_CT, BIG_VM, CAREFUL_CT, CAREFUL_RESTORE, CAREFUL_VM, LAB_CT, LAB_TPL, LAB_VM,
    SCRATCH_CT, SHARED_VM,
};
use pve_mcp_tests::sim::{GuestKind, NewGuest, NewSnapshot};
use std::collections::BTreeMap;

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

pub fn vm_config(
    vmid: u32,
    name: &str,
    cores: u32,
    sockets: u32,
    disk_gib: u32,
) -> BTreeMap<String, String> {
    let mut m = map(&[
        ("boot", "order=scsi0;net0"),
        ("cpu", "x86-64-v2-AES"),
        ("memory", "2048"),
        ("name", name),
        ("ostype", "l26"),
        ("scsihw", "virtio-scsi-single"),
    ]);
    m.insert("cores".into(), cores.to_string());
    m.insert("sockets".into(), sockets.to_string());
    m.insert(
        "scsi0".into(),
        format!("local-lvm:vm-{vmid}-disk-0,iothread=1,size={disk_gib}G"),
    );
    m.insert(
        "net0".into(),
        format!(
            "virtio=BC:24:11:{:02X}:{:02X}:01,bridge=vmbr0",
            vmid >> 8 & 0xff,
            vmid & 0xff
        ),
    );
    m
}

fn cloud_init(m: &mut BTreeMap<String, String>, vmid: u32, user: &str, salt: &str) {
    m.insert("agent".into(), "1".into());
    m.insert("ciuser".into(), user.into());
    m.insert(
        "cipassword".into(),
        format!("$5${salt}$Q1w2e3r4t5y6u7i8o9p0aSdFgHjKl"),
    );
    m.insert(
        "ide2".into(),
        format!("local-lvm:vm-{vmid}-cloudinit,media=cdrom"),
    );
    m.insert("ipconfig0".into(), "ip=dhcp".into());
    m.insert("boot".into(), "order=scsi0;ide2;net0".into());
}

fn ct_config(vmid: u32, name: &str, cores: Option<u32>, disk_gib: u32) -> BTreeMap<String, String> {
    let mut m = map(&[
        ("arch", "amd64"),
        ("hostname", name),
        ("memory", "1024"),
        ("ostype", "debian"),
        ("swap", "512"),
        ("unprivileged", "1"),
    ]);
    if let Some(c) = cores {
        m.insert("cores".into(), c.to_string());
    }
    m.insert(
        "rootfs".into(),
        format!("local-lvm:vm-{vmid}-disk-0,size={disk_gib}G"),
    );
    m.insert(
        "net0".into(),
        format!(
            "name=eth0,bridge=vmbr0,hwaddr=BC:24:11:{:02X}:{:02X}:02,ip=dhcp,type=veth",
            vmid >> 8 & 0xff,
            vmid & 0xff
        ),
    );
    m
}

struct G {
    vmid: u32,
    kind: GuestKind,
    node: &'static str,
    pool: Option<&'static str>,
    tags: Option<&'static str>,
    running: bool,
    template: bool,
    ha: bool,
    config: BTreeMap<String, String>,
    snapshots: Vec<NewSnapshot>,
}

impl G {
    fn into_new(self) -> NewGuest {
        NewGuest {
            vmid: self.vmid,
            kind: self.kind,
            node: self.node.into(),
            pool: self.pool.map(str::to_owned),
            tags: self.tags.map(str::to_owned),
            config: self.config,
            running: self.running,
            template: self.template,
            ha: self.ha,
            snapshots: self.snapshots,
        }
    }
}

/// Every guest of the world, as made at the start.
pub fn guests() -> Vec<NewGuest> {
    use GuestKind::{Lxc, Qemu};
    let vm = |vmid, node, pool, tags, name: &str| G {
        vmid,
        kind: Qemu,
        node,
        pool,
        tags,
        running: true,
        template: false,
        ha: false,
        config: vm_config(vmid, name, 2, 1, 16),
        snapshots: Vec::new(),
    };
    let ct = |vmid, node, pool, tags, name: &str| G {
        vmid,
        kind: Lxc,
        node,
        pool,
        tags,
        running: false,
        template: false,
        ha: false,
        config: ct_config(vmid, name, Some(2), 8),
        snapshots: Vec::new(),
    };
    let lab = Some("lab");
    let prod = Some("prod");

    let mut lab_vm = vm(LAB_VM, "pve1", lab, Some("mcp;web"), "lab-web");
    cloud_init(&mut lab_vm.config, LAB_VM, "admin", "labsalt");
    lab_vm.ha = true;
    lab_vm.snapshots = vec![NewSnapshot {
        name: "before".into(),
        description: "before the upgrade".into(),
        config: lab_vm.config.clone(),
        tags: Some("mcp;web".into()),
    }];
    let lab_ct = ct(LAB_CT, "pve2", lab, Some("mcp"), "lab-ct");
    let mut careful_vm = vm(CAREFUL_VM, "pve3", lab, Some("careful"), "lab-careful");
    careful_vm.running = false;
    careful_vm.snapshots = vec![NewSnapshot {
        name: "scratchy".into(),
        description: "when it was a scratch guest".into(),
        config: careful_vm.config.clone(),
        tags: Some("scratch".into()),
    }];
    let scratch_ct = ct(SCRATCH_CT, "pve1", lab, Some("scratch"), "lab-scratch");
    let mut allcores = ct(ALLCORES_CT, "pve3", lab, Some("mcp"), "lab-allcores");
    allcores.config = ct_config(ALLCORES_CT, "lab-allcores", None, 4);
    let careful_ct = ct(CAREFUL_CT, "pve2", lab, Some("careful"), "lab-careful-ct");
    let mut careful_restore = vm(CAREFUL_RESTORE, "pve1", lab, Some("careful"), "lab-keep");
    careful_restore.running = false;
    let mut shared = vm(SHARED_VM, "pve1", lab, Some("mcp"), "lab-shared");
    shared.running = false;
    shared.config.insert(
        "scsi1".into(),
        "local-lvm:vm-250-disk-0,iothread=1,size=32G".into(),
    );
    let mut big = vm(BIG_VM, "pve1", lab, Some("mcp"), "lab-big");
    big.running = false;
    big.config = vm_config(BIG_VM, "lab-big", 4, 4, 16);
    let mut tpl = ct(LAB_TPL, "pve3", lab, Some("mcp"), "lab-tpl");
    tpl.template = true;
    tpl.config
        .insert("rootfs".into(), "local-lvm:base-310-disk-0,size=4G".into());

    let mut db = vm(250, "pve1", prod, Some("mcp;web"), "hidden-db");
    cloud_init(&mut db.config, 250, "dbadmin", "hidesalt");
    db.ha = true;
    db.snapshots = vec![NewSnapshot {
        name: "before".into(),
        description: "hidden-db before the upgrade".into(),
        config: db.config.clone(),
        tags: Some("mcp;web".into()),
    }];
    let mut hct = ct(251, "pve2", prod, Some("scratch"), "hidden-ct");
    hct.ha = true;
    let same_name = vm(252, "pve3", Some("ci"), Some("mcp;web"), "lab-web");
    let mut boxed = ct(253, "pve1", prod, Some("careful"), "hidden-box");
    boxed.running = true;
    let mut htpl = vm(254, "pve1", prod, Some("mcp"), "hidden-tpl");
    htpl.running = false;
    htpl.template = true;
    htpl.config.insert(
        "scsi0".into(),
        "local-lvm:base-254-disk-0,iothread=1,size=16G".into(),
    );
    let mut vault = ct(777, "pve3", None, Some("careful;mcp"), "hidden-vault");
    vault.running = true;
    let mut range = vm(9005, "pve2", prod, Some("mcp"), "hidden-range");
    range.running = false;

    [
        lab_vm,
        lab_ct,
        careful_vm,
        scratch_ct,
        allcores,
        careful_ct,
        careful_restore,
        shared,
        big,
        tpl,
        db,
        hct,
        same_name,
        boxed,
        htpl,
        vault,
        range,
    ]
    .into_iter()
    .map(G::into_new)
    .collect()
}
