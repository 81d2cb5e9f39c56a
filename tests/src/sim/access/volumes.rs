//! Which volume a drive or mount point names, who owns a volume, and the access checks
//! on volumes (`PVE::Storage::check_volume_access`) and bridges (`check_vnet_access`,
//! `SDN.Use`) that the QEMU and container settings share. Values are untrusted; nothing
//! here changes state.

use super::role::{Role, storage_path, vms};
use crate::sim::errors::ApiError;
use crate::sim::guests::config::keys::{self as cs};

/// A QEMU drive's volume and whether it is a CD/DVD drive.
pub fn drive_volume(value: &str) -> (&str, bool) {
    let mut volume = "";
    let mut cdrom = false;
    for item in value.split(',') {
        match item.split_once('=') {
            Some(("file", v)) => volume = v,
            Some(("media", v)) => cdrom = v == "cdrom",
            Some(_) => {}
            None if volume.is_empty() => volume = item,
            None => {}
        }
    }
    (volume, cdrom)
}

/// A container mount point's volume (never a CD drive).
pub fn mount_volume(value: &str) -> (&str, bool) {
    let volume = value
        .split(',')
        .find_map(|i| match i.split_once('=') {
            Some(("volume", v)) => Some(v),
            Some(_) => None,
            None => Some(i),
        })
        .unwrap_or_default();
    (volume, false)
}

/// The guest a volume belongs to: `vm-N-...`, `base-N-...`, `N/...`, `vzdump-KIND-N-...`.
pub fn owner(volid: &str) -> Option<u32> {
    let name = volid.split_once(':')?.1;
    let file = name.rsplit('/').next().unwrap_or(name);
    let rest = file
        .strip_prefix("vm-")
        .or_else(|| file.strip_prefix("base-"))
        .or_else(|| {
            file.strip_prefix("vzdump-")
                .and_then(|r| r.split_once('-').map(|(_, r)| r))
        })?;
    rest.split('-').next()?.parse().ok()
}

/// The guest a backup volume belongs to.
pub fn backup_owner(volid: &str) -> Option<u32> {
    let name = volid.split_once(':')?.1;
    name.starts_with("backup/").then(|| owner(volid)).flatten()
}

/// `PVE::Storage::check_volume_access` for guest `vmid` (if any), wanting content
/// `want` (if given).
pub fn volume_access(
    role: Role<'_>,
    volid: &str,
    vmid: Option<&str>,
    want: Option<&str>,
) -> Result<(), ApiError> {
    if !volid.contains(':') {
        return Err(ApiError::Internal(
            "Only root can pass arbitrary filesystem paths.".into(),
        ));
    }
    let vtype = crate::sim::guests::config::disks::vtype(volid)?;
    if let Some(want) = want
        && vtype != want
        && !(want == "rootdir" && vtype == "images")
    {
        return Err(ApiError::Internal(format!(
            "unable to use volume {volid} - content type needs to be '{want}'"
        )));
    }
    let path = storage_path(volid);
    if role.check(&path, &["Datastore.Allocate"]).is_ok() {
        return Ok(());
    }
    let owner = owner(volid);
    match vtype {
        "iso" | "vztmpl" | "import" => {
            role.check_any(&path, &["Datastore.AllocateSpace", "Datastore.Audit"])
        }
        _ if owner.is_some() && owner.map(|o| o.to_string()).as_deref() == vmid => Ok(()),
        "backup" if owner.is_some() => {
            role.check(&path, &["Datastore.AllocateSpace"])?;
            role.check(&vms(&owner.unwrap_or(0).to_string()), &["VM.Backup"])
        }
        "images" | "rootdir" if owner.is_some() => {
            role.check(&path, &["Datastore.Audit"])?;
            role.check(&vms(&owner.unwrap_or(0).to_string()), &["VM.Config.Disk"])
        }
        _ => Err(ApiError::Internal(format!(
            "missing privileges to access {volid}"
        ))),
    }
}

/// `SDN.Use` on the bridge of every `netN` among `settings`.
pub fn bridges<'a>(
    role: Role<'_>,
    settings: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<(), ApiError> {
    for (key, value) in settings {
        if !matches!(cs::numbered(key), ("net", Some(_))) {
            continue;
        }
        if let Some(bridge) = value.split(',').find_map(|i| i.strip_prefix("bridge=")) {
            role.check_any(&format!("/sdn/zones/localnetwork/{bridge}"), &["SDN.Use"])?;
        }
    }
    Ok(())
}
