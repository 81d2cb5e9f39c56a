//! The privileges PVE checks for guest settings, for [`super::routes`]: qemu-server's
//! `check_vm_modify_config_perm` (option groups), `check_storage_access` and the drive
//! checks of `update_vm`, over the volume and bridge checks of [`super::volumes`].
//! Containers' are in [`super::lxc_config`]. Values are untrusted; nothing here changes
//! state.

use super::role::{Role, storage_path, vms};
use super::volumes::{bridges, drive_volume, owner, volume_access};
use crate::sim::cluster::dataset::GuestKind;
use crate::sim::cluster::state::Cluster;
use crate::sim::errors::ApiError;
use crate::sim::guests::config::keys::{self as cs};
use crate::sim::params::Params;

const QEMU_GROUPS: &[(&[&str], &str)] = &[
    (
        &[
            "cores", "cpu", "cpulimit", "cpuunits", "numa", "smp", "sockets", "vcpus",
        ],
        "VM.Config.CPU",
    ),
    (&["memory", "balloon", "shares"], "VM.Config.Memory"),
    (
        &[
            "acpi", "hotplug", "kvm", "machine", "scsihw", "smbios1", "tablet", "vga", "watchdog",
            "audio0", "rng0",
        ],
        "VM.Config.HWType",
    ),
    (
        &[
            "agent",
            "autostart",
            "bios",
            "description",
            "keyboard",
            "localtime",
            "migrate_downtime",
            "migrate_speed",
            "name",
            "onboot",
            "ostype",
            "protection",
            "reboot",
            "startdate",
            "startup",
            "tdf",
            "template",
        ],
        "VM.Config.Options",
    ),
    (&["freeze"], "VM.PowerMgmt"),
    (&["boot", "bootdisk", "vmstatestorage"], "VM.Config.Disk"),
];
const QEMU_CLOUDINIT: &[&str] = &[
    "cicustom",
    "cipassword",
    "citype",
    "ciuser",
    "ciupgrade",
    "nameserver",
    "searchdomain",
    "sshkeys",
];

/// Parameters of a config update that are not settings.
const UPDATE_EXTRA: &[&str] = &[
    "digest",
    "delete",
    "revert",
    "skiplock",
    "force",
    "background_delay",
];

/// qemu-server's `check_vm_modify_config_perm` for setting or deleting `keys`.
fn qemu_keys<'a>(
    role: Role<'_>,
    vmid: &str,
    keys: impl Iterator<Item = &'a str>,
) -> Result<(), ApiError> {
    for key in keys {
        let (stem, n) = cs::numbered(key);
        let skipped = cs::is_qemu_drive(key)
            || key == "cdrom"
            || key == "tags"
            || (n.is_some() && ["unused", "serial", "usb", "hostpci", "virtiofs"].contains(&stem));
        if skipped {
            continue;
        }
        if let Some((_, p)) = QEMU_GROUPS.iter().find(|(keys, _)| keys.contains(&key)) {
            role.check_vm(vmid, &[p])?;
            if key == "startup" {
                role.check("/", &["Sys.Modify"])?;
            }
        } else if stem == "numa" && n.is_some() {
            role.check_vm(vmid, &["VM.Config.CPU"])?;
        } else if stem == "net" && n.is_some() {
            role.check_vm(vmid, &["VM.Config.Network"])?;
        } else if QEMU_CLOUDINIT.contains(&key) || (stem == "ipconfig" && n.is_some()) {
            role.check_vm_any(vmid, &["VM.Config.Cloudinit", "VM.Config.Network"])?;
        } else if key == "vmstate" {
            role.check_vm(vmid, &["VM.Config.Disk", "VM.PowerMgmt"])?;
        } else {
            return Err(ApiError::Internal(format!(
                "only root can set '{key}' config"
            )));
        }
    }
    Ok(())
}

/// qemu-server's `check_storage_access` for one drive setting.
fn qemu_drive_access(role: Role<'_>, vmid: &str, value: &str) -> Result<(), ApiError> {
    let (volid, cdrom) = drive_volume(value);
    let volname = volid.split_once(':').map(|(_, n)| n);
    if volid.is_empty() || volid == "none" || volid == "cloudinit" || volname == Some("cloudinit") {
        // nothing to check
    } else if cdrom && volid == "cdrom" {
        role.check("/", &["Sys.Console"])?;
    } else if !cdrom && crate::sim::guests::config::disks::new_disk_size(volid).is_some() {
        role.check(&storage_path(volid), &["Datastore.AllocateSpace"])?;
    } else {
        volume_access(role, volid, Some(vmid), None)?;
    }
    if let Some(src) = value
        .split(',')
        .find_map(|i| i.strip_prefix("import-from="))
    {
        match owner(src)
            .filter(|_| crate::sim::guests::config::disks::vtype(src).ok() == Some("images"))
        {
            Some(src_vmid) => role.check(&vms(&src_vmid.to_string()), &["VM.Clone"])?,
            None => volume_access(role, src, Some(vmid), None)?,
        }
    }
    Ok(())
}

/// What `update_vm` checks per drive it writes: a cloud-init drive needs
/// `VM.Config.Cloudinit` and `VM.Config.CDROM`, a CD drive `VM.Config.CDROM`, a disk
/// `VM.Config.Disk`.
fn qemu_drive_perm(role: Role<'_>, vmid: &str, value: &str) -> Result<(), ApiError> {
    let (volid, cdrom) = drive_volume(value);
    if volid.ends_with("cloudinit") {
        role.check_vm(vmid, &["VM.Config.Cloudinit", "VM.Config.CDROM"])
    } else if cdrom {
        role.check_vm(vmid, &["VM.Config.CDROM"])
    } else {
        role.check_vm(vmid, &["VM.Config.Disk"])
    }
}

/// The settings of a new VM (`create_vm`): storage access of its drives, the keys'
/// groups, hardware passthrough (root only), bridges, tags.
pub fn qemu_settings(role: Role<'_>, vmid: &str, keys: &[(&str, &str)]) -> Result<(), ApiError> {
    for (key, value) in keys {
        if cs::is_qemu_drive(key) {
            qemu_drive_access(role, vmid, value)?;
        }
    }
    qemu_keys(role, vmid, keys.iter().map(|(k, _)| *k))?;
    for (key, value) in keys {
        match cs::numbered(key) {
            ("serial", Some(_)) if *value == "socket" => {
                role.check_vm(vmid, &["VM.Config.HWType"])?
            }
            ("serial" | "usb" | "hostpci", Some(_)) => {
                return Err(ApiError::Internal(format!(
                    "only root can set '{key}' config for real devices"
                )));
            }
            _ => {}
        }
    }
    bridges(role, keys.iter().copied())?;
    if keys.iter().any(|(k, _)| *k == "tags") {
        role.check_vm(vmid, &["VM.Config.Options"])?;
    }
    Ok(())
}

/// `PUT|POST .../config`.
pub fn update(
    role: Role<'_>,
    c: &Cluster,
    kind: GuestKind,
    vmid: &str,
    params: &Params,
) -> Result<(), ApiError> {
    let delete: Vec<&str> = params
        .get("delete")
        .map(|d| d.split([',', ';', ' ']).filter(|k| !k.is_empty()).collect())
        .unwrap_or_default();
    let set: Vec<(&str, &str)> = params
        .iter()
        .filter(|(k, _)| !UPDATE_EXTRA.contains(k))
        .collect();
    let conf = vmid
        .parse::<u32>()
        .ok()
        .and_then(|v| c.guest(v))
        .map(|g| g.config_map().into_owned())
        .unwrap_or_default();
    if kind == GuestKind::Lxc {
        let unprivileged = conf.get("unprivileged").is_some_and(|v| v == "1");
        let changes = set
            .iter()
            .map(|(k, v)| (*k, Some(*v)))
            .chain(delete.iter().map(|k| (*k, None)));
        return super::lxc_config::keys(role, vmid, changes, unprivileged);
    }
    qemu_keys(role, vmid, delete.iter().copied())?;
    qemu_keys(role, vmid, set.iter().map(|(k, _)| *k))?;
    for (key, value) in &set {
        if cs::is_qemu_drive(key) {
            qemu_drive_access(role, vmid, value)?;
        }
    }
    bridges(role, set.iter().copied())?;
    for key in &delete {
        if cs::is_unused(key) {
            role.check_vm(vmid, &["VM.Config.Disk"])?;
        } else if let Some(value) = conf.get(*key).filter(|_| cs::is_qemu_drive(key)) {
            qemu_drive_perm(role, vmid, value)?;
        }
    }
    for (key, value) in &set {
        if cs::is_qemu_drive(key) {
            qemu_drive_perm(role, vmid, value)?;
        }
    }
    if set.iter().any(|(k, _)| *k == "tags") || delete.contains(&"tags") {
        role.check_vm(vmid, &["VM.Config.Options"])?;
    }
    Ok(())
}
