//! The world's backups: the lab guests' (as they are, too big, on other storages and
//! bridges, hiding floor keys in raw LXC lines or in snapshot and pending sections,
//! naming a hidden guest's disk, tagged to shed a confirmation), the hidden guests' and
//! the destroyed guest 9008's.

use super::world::{CAREFUL_RESTORE, LAB_CT, LAB_VM};
use super::world_guests::vm_config;
use pve_mcp_tests::sim::{GuestKind, NewGuest, SimHandle};
use std::collections::BTreeMap;

/// The config file's text as a backup keeps it (QEMU's with a `#qmdump#map` line per
/// disk), for [`SimHandle::add_backup`].
pub fn backup_text(
    kind: GuestKind,
    config: &BTreeMap<String, String>,
    tags: Option<&str>,
) -> String {
    let mut out = String::new();
    if kind == GuestKind::Qemu {
        for key in config
            .keys()
            .filter(|k| k.starts_with("scsi") && *k != "scsihw")
        {
            out.push_str(&format!("#qmdump#map:{key}:drive-{key}:local-lvm:raw:\n"));
        }
    }
    for (k, v) in config {
        out.push_str(&format!("{k}: {v}\n"));
    }
    if let Some(t) = tags {
        out.push_str(&format!("tags: {t}\n"));
    }
    out
}

/// The backups the world starts with, by what they are for.
#[derive(Debug, Default)]
pub struct Backups {
    /// Lab VM 9000 on `local` of pve1, as it is.
    pub lab_vm: String,
    /// Lab container 9001 on `local` of pve2, without `cores` (every core).
    pub ct_no_cores: String,
    /// Lab VM 9000 with 16 cores, 64 GiB, a disk on `nas`, a bridge `vmbr9`.
    pub vm_too_big: String,
    pub vm_too_much_memory: String,
    pub vm_other_storage: String,
    pub vm_other_bridge: String,
    /// Lab container 9001 with raw LXC keys (both spellings).
    pub ct_apparmor: String,
    pub ct_apparmor_raw: String,
    /// Lab container 9001 without `unprivileged` (a privileged container).
    pub ct_privileged: String,
    /// Lab VM 9000 with floor keys inside a snapshot section and a pending section.
    pub vm_snapshot_hostpci: String,
    pub vm_pending_args: String,
    pub ct_snapshot_privileged: String,
    /// Archives whose config names a hidden guest's disk (on a drive the archive does
    /// not map, or a mount point not backed up, which a restore keeps as it is), or
    /// holds floor keys at the top.
    pub ct_mp_hidden: String,
    pub vm_disk_hidden: String,
    pub vm_hookscript: String,
    pub ct_idmap: String,
    /// Careful VM 9012 tagged `scratch`.
    pub careful_as_scratch: String,
    /// Hidden guests' backups: 250 on nas and on local of pve1, 251 on nas, 9005 on pve2.
    pub hidden_250_nas: String,
    pub hidden_250_local: String,
    pub hidden_251_nas: String,
    pub hidden_9005_local: String,
    /// Backups of destroyed guest 9008, on nas and on local of pve2.
    pub gone_9008_nas: String,
    pub gone_9008_local: String,
}

fn with(
    mut m: BTreeMap<String, String>,
    changes: &[(&str, Option<&str>)],
) -> BTreeMap<String, String> {
    for (k, v) in changes {
        match v {
            Some(v) => m.insert((*k).to_owned(), (*v).to_owned()),
            None => m.remove(*k),
        };
    }
    m
}

/// Puts every backup on its storage.
pub fn add(sim: &SimHandle, guests: &[NewGuest]) -> Backups {
    let conf = |vmid: u32| {
        guests
            .iter()
            .find(|g| g.vmid == vmid)
            .map(|g| g.config.clone())
            .unwrap_or_default()
    };
    let add = |node: &str, storage: &str, kind, vmid, text: String| {
        sim.add_backup(node, storage, kind, vmid, &text)
            .expect("backup added")
    };
    let vm = |changes: &[(&str, Option<&str>)]| {
        backup_text(
            GuestKind::Qemu,
            &with(conf(LAB_VM), changes),
            Some("mcp;web"),
        )
    };
    let ct = |changes: &[(&str, Option<&str>)]| {
        backup_text(GuestKind::Lxc, &with(conf(LAB_CT), changes), Some("mcp"))
    };
    use GuestKind::{Lxc, Qemu};
    let mut b = Backups {
        lab_vm: add("pve1", "local", Qemu, LAB_VM, vm(&[])),
        ct_no_cores: add("pve2", "local", Lxc, LAB_CT, ct(&[("cores", None)])),
        vm_too_big: add("pve1", "local", Qemu, LAB_VM, vm(&[("cores", Some("16"))])),
        vm_too_much_memory: add(
            "pve1",
            "local",
            Qemu,
            LAB_VM,
            vm(&[("memory", Some("65536"))]),
        ),
        vm_other_storage: add(
            "pve1",
            "local",
            Qemu,
            LAB_VM,
            vm(&[("scsi1", Some("nas:9000/vm-9000-disk-1.qcow2,size=8G"))]),
        ),
        vm_other_bridge: add(
            "pve1",
            "local",
            Qemu,
            LAB_VM,
            vm(&[("net1", Some("virtio=BC:24:11:00:99:01,bridge=vmbr9"))]),
        ),
        ct_apparmor: add(
            "pve2",
            "local",
            Lxc,
            LAB_CT,
            ct(&[("lxc.apparmor.profile", Some("unconfined"))]),
        ),
        ct_apparmor_raw: add(
            "pve2",
            "local",
            Lxc,
            LAB_CT,
            ct(&[]) + "lxc.apparmor.profile = unconfined\nlxc.cgroup2.devices.allow = a\n",
        ),
        ct_privileged: add("pve2", "local", Lxc, LAB_CT, ct(&[("unprivileged", None)])),
        vm_snapshot_hostpci: add(
            "pve1",
            "local",
            Qemu,
            LAB_VM,
            vm(&[])
                + "\n[before]\nhostpci0: 0000:01:00.0\nhookscript: local:snippets/evil.sh\nsnaptime: 1734000000\n",
        ),
        vm_pending_args: add(
            "pve1",
            "local",
            Qemu,
            LAB_VM,
            vm(&[]) + "\n[PENDING]\nargs: -device vfio-pci,host=01:00.0\n",
        ),
        ct_snapshot_privileged: add(
            "pve2",
            "local",
            Lxc,
            LAB_CT,
            ct(&[]) + "\n[before]\nunprivileged: 0\nmp0: /srv/host,mp=/host\n",
        ),
        ct_mp_hidden: add(
            "pve2",
            "local",
            Lxc,
            LAB_CT,
            ct(&[(
                "mp1",
                Some("local-lvm:vm-251-disk-0,mp=/data,backup=0,size=8G"),
            )]),
        ),
        vm_disk_hidden: add(
            "pve1",
            "local",
            Qemu,
            LAB_VM,
            vm(&[
                ("virtio1", Some("local-lvm:vm-250-disk-0,size=16G")),
                ("unused0", Some("local-lvm:vm-250-disk-1")),
            ]),
        ),
        vm_hookscript: add(
            "pve1",
            "local",
            Qemu,
            LAB_VM,
            vm(&[
                ("hookscript", Some("local:snippets/evil.sh")),
                ("args", Some("-S")),
            ]),
        ),
        ct_idmap: add(
            "pve2",
            "local",
            Lxc,
            LAB_CT,
            ct(&[("lxc.idmap", Some("u 0 0 65536"))]),
        ),
        careful_as_scratch: add(
            "pve1",
            "local",
            Qemu,
            CAREFUL_RESTORE,
            backup_text(Qemu, &conf(CAREFUL_RESTORE), Some("scratch")),
        ),
        ..Backups::default()
    };
    b.hidden_250_nas = add(
        "pve1",
        "nas",
        Qemu,
        250,
        backup_text(Qemu, &conf(250), Some("mcp;web")),
    );
    b.hidden_250_local = add(
        "pve1",
        "local",
        Qemu,
        250,
        backup_text(Qemu, &conf(250), Some("mcp;web")),
    );
    b.hidden_251_nas = add(
        "pve2",
        "nas",
        Lxc,
        251,
        backup_text(Lxc, &conf(251), Some("scratch")),
    );
    b.hidden_9005_local = add(
        "pve2",
        "local",
        Qemu,
        9005,
        backup_text(Qemu, &conf(9005), Some("mcp")),
    );
    let gone = vm_config(9008, "hidden-gone", 2, 1, 16);
    b.gone_9008_nas = add(
        "pve2",
        "nas",
        Qemu,
        9008,
        backup_text(Qemu, &gone, Some("mcp")),
    );
    b.gone_9008_local = add(
        "pve2",
        "local",
        Qemu,
        9008,
        backup_text(Qemu, &gone, Some("mcp")),
    );
    b
}
