//! The privileges PVE checks on the guest lifecycle routes, against the API token's
//! role (a set of privilege names on `/`, propagated, as `pve-helper setup` grants it):
//! the endpoints' own `permissions` and the checks their code makes before forking
//! (`PVE::API2::Qemu`, `PVE::API2::LXC`, `PVE::Storage::check_volume_access`,
//! `PVE::API2::Storage::Content`, `download-url`, `PVE::API2::Tasks`, vzdump). Failures
//! are PVE's 403 `Permission check failed (PATH, PRIVILEGE)`. The default role (none
//! set) is not checked at all. Parameters were verified before; values stay untrusted.

use super::qemu_config as pc;
use super::role::{Role, storage_path, vms};
use super::volumes as vol;
use crate::sim::api::lifecycle_endpoints::Route;
use crate::sim::cluster::dataset::GuestKind;
use crate::sim::cluster::state::Cluster;
use crate::sim::errors::ApiError;
use crate::sim::guests::config::keys::{self as cs};
use crate::sim::params::Params;
use crate::sim::tasks::store::Upid;

/// Checks route `r` called with `params` by `user` against the cluster's role.
pub fn check(c: &Cluster, r: &Route, params: &Params, user: &str) -> Result<(), ApiError> {
    let Some(role) = &c.role else {
        return Ok(());
    };
    let role = Role(role);
    match r {
        Route::Create(node, kind) => create(role, c, node, *kind, params),
        Route::Clone(_, kind, v) => clone(role, c, *kind, v, params),
        Route::Template(_, _, v) | Route::Destroy(_, _, v) => role.check(&vms(v), &["VM.Allocate"]),
        Route::Config(_, kind, v, _) => pc::update(role, c, *kind, v, params),
        Route::Resize(_, kind, v) => resize(role, c, *kind, v, params),
        Route::Migrate(_, _, v) => {
            role.check(&vms(v), &["VM.Migrate"])?;
            match params.get("targetstorage") {
                Some(s) if s != "1" => {
                    role.check(&format!("/storage/{s}"), &["Datastore.AllocateSpace"])
                }
                _ => Ok(()),
            }
        }
        Route::Move(_, kind, v) => move_disk(role, c, *kind, v, params),
        Route::DeleteVolume(_, storage, volume) => delete_volume(role, storage, volume),
        Route::Download(_, storage) => {
            role.check(
                &format!("/storage/{storage}"),
                &["Datastore.AllocateTemplate"],
            )?;
            // Or Sys.AccessNetwork on the node (PVE 8.1+).
            if role.has("Sys.AccessNetwork") {
                return Ok(());
            }
            role.check("/", &["Sys.Audit", "Sys.Modify"])
        }
        Route::StopTask(node, raw) => {
            let owner = Upid::parse(raw).map(|u| u.user);
            if owner.as_deref() == Some(user) {
                return Ok(());
            }
            role.check(&format!("/nodes/{node}"), &["Sys.Modify"])
        }
        Route::Exec(_, v) | Route::ExecStatus(_, v) => {
            role.check(&vms(v), &[c.pve.agent_exec_privilege()])
        }
        Route::ExtractConfig(_) => {
            let volume = params.get("volume").unwrap_or_default();
            vol::volume_access(role, volume, None, Some("backup"))
        }
        Route::GuestFw(_, _, v, _) => role.check(&vms(v), &["VM.Audit"]),
        // `rules_modify_permissions('vm')`, and the options' PUT.
        Route::GuestFwWrite(_, _, v, _) => role.check(&vms(v), &["VM.Config.Network"]),
        Route::ClusterFw(_) | Route::NodeFw(..) | Route::HaResources | Route::HaGroups => {
            role.check("/", &["Sys.Audit"])
        }
        // `user => 'all'`: any authenticated user lists a node's interfaces.
        Route::Pools | Route::Pool(_) | Route::NextId | Route::Network(_) => Ok(()),
    }
}

/// `POST /nodes/{node}/vzdump` for one guest: space on the storage, `VM.Backup` on it.
pub fn vzdump(c: &Cluster, vmid: &str, storage: &str) -> Result<(), ApiError> {
    let Some(role) = &c.role else {
        return Ok(());
    };
    let role = Role(role);
    role.check(&format!("/storage/{storage}"), &["Datastore.AllocateSpace"])?;
    role.check(&vms(vmid), &["VM.Backup"])
}

/// `VM.Allocate` on the new guest (or the pool it joins); a forced restore over an
/// existing guest of the same kind also passes with `VM.Backup` on it.
fn allocate(role: Role<'_>, c: &Cluster, kind: GuestKind, vmid: &str, params: &Params) -> bool {
    let restore = params.get("archive").is_some() || params.flag("restore");
    let exists = vmid
        .parse::<u32>()
        .ok()
        .and_then(|v| c.guest(v))
        .is_some_and(|g| g.seed.kind == kind);
    role.has("VM.Allocate") || (restore && params.flag("force") && exists && role.has("VM.Backup"))
}

fn create(
    role: Role<'_>,
    c: &Cluster,
    node: &str,
    kind: GuestKind,
    params: &Params,
) -> Result<(), ApiError> {
    let vmid = params.get("vmid").unwrap_or_default();
    let restore = params.get("archive").is_some() || params.flag("restore");
    if kind == GuestKind::Lxc && !restore && params.get("unprivileged").is_some_and(|v| v == "0") {
        role.check("/", &["Sys.Modify"])?;
    }
    if let Some(s) = params.get("storage").filter(|_| kind == GuestKind::Qemu) {
        role.check(&format!("/storage/{s}"), &["Datastore.AllocateSpace"])?;
    }
    if params.flag("start") {
        role.check_vm(vmid, &["VM.PowerMgmt"])?;
    }
    if !allocate(role, c, kind, vmid, params) {
        return Err(ApiError::Permission(String::new()));
    }
    match kind {
        GuestKind::Qemu => {
            if let Some(archive) = params.get("archive") {
                vol::volume_access(role, archive, Some(vmid), Some("backup"))?;
            }
            let keys: Vec<(&str, &str)> = params
                .iter()
                .filter(|(k, _)| !crate::sim::guests::lifecycle::create::QEMU_EXTRA.contains(k))
                .collect();
            pc::qemu_settings(role, vmid, &keys)
        }
        GuestKind::Lxc => super::lxc_config::create(role, c, node, vmid, params, restore),
    }
}

/// Clones: `VM.Clone` on the source and `VM.Allocate` on the new guest or its pool
/// (the endpoint's own check), then space on every disk's storage (or the target
/// storage), `Sys.Console` for the host's CD drive, and the source's bridges.
fn clone(
    role: Role<'_>,
    c: &Cluster,
    kind: GuestKind,
    vmid: &str,
    params: &Params,
) -> Result<(), ApiError> {
    role.check(&vms(vmid), &["VM.Clone"])?;
    if !role.has("VM.Allocate") {
        return Err(ApiError::Permission(String::new()));
    }
    let Some(g) = vmid.parse::<u32>().ok().and_then(|v| c.guest(v)) else {
        return Ok(());
    };
    let config = g.config_map();
    let target = params.get("storage");
    for (key, value) in config.iter() {
        let volume = match kind {
            GuestKind::Qemu if cs::is_qemu_drive(key) => vol::drive_volume(value),
            GuestKind::Lxc if cs::is_lxc_volume(key) => vol::mount_volume(value),
            _ => continue,
        };
        match volume {
            ("none", _) | ("", _) => {}
            ("cdrom", true) => role.check("/", &["Sys.Console"])?,
            (_, true) => {}
            (volid, false) => {
                let path = match target {
                    Some(s) => format!("/storage/{s}"),
                    None => storage_path(volid),
                };
                role.check(&path, &["Datastore.AllocateSpace"])?;
            }
        }
    }
    vol::bridges(role, config.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// Resizes: `VM.Config.Disk` on the guest, space on the disk's storage.
fn resize(
    role: Role<'_>,
    c: &Cluster,
    kind: GuestKind,
    vmid: &str,
    params: &Params,
) -> Result<(), ApiError> {
    role.check(&vms(vmid), &["VM.Config.Disk"])?;
    let disk = params.get("disk").unwrap_or_default();
    let value = vmid
        .parse::<u32>()
        .ok()
        .and_then(|v| c.guest(v))
        .and_then(|g| g.config_map().get(disk).cloned());
    let Some(value) = value else {
        return Ok(());
    };
    let (volid, _) = match kind {
        GuestKind::Qemu => vol::drive_volume(&value),
        GuestKind::Lxc => vol::mount_volume(&value),
    };
    if volid.contains(':') {
        role.check(&storage_path(volid), &["Datastore.AllocateSpace"])?;
    }
    Ok(())
}

/// `DELETE .../storage/{storage}/content/{volume}`: a backup needs space on the storage
/// and `VM.Backup` on its guest, anything else `Datastore.Allocate`.
fn delete_volume(role: Role<'_>, storage: &str, volume: &str) -> Result<(), ApiError> {
    let volid = if volume.contains(':') {
        volume.to_owned()
    } else {
        format!("{storage}:{volume}")
    };
    let path = storage_path(&volid);
    match vol::backup_owner(&volid) {
        Some(owner) => {
            role.check(&path, &["Datastore.AllocateSpace"])?;
            role.check(&vms(&owner.to_string()), &["VM.Backup"])
        }
        None => role.check(&path, &["Datastore.Allocate"]),
    }
}

/// Disk moves: `VM.Config.Disk` on the guest (and on a target guest), space on the
/// target storage, or, into another guest, on the storage the volume stays on.
fn move_disk(
    role: Role<'_>,
    c: &Cluster,
    kind: GuestKind,
    vmid: &str,
    params: &Params,
) -> Result<(), ApiError> {
    role.check(&vms(vmid), &["VM.Config.Disk"])?;
    if let Some(storage) = params.get("storage") {
        return role.check(&storage_path(storage), &["Datastore.AllocateSpace"]);
    }
    let Some(target) = params.get("target-vmid") else {
        return Ok(());
    };
    role.check(&vms(target), &["VM.Config.Disk"])?;
    let key = match kind {
        GuestKind::Qemu => params.get("disk"),
        GuestKind::Lxc => params.get("volume"),
    };
    let volume = vmid
        .parse::<u32>()
        .ok()
        .and_then(|v| c.guest(v))
        .and_then(|g| {
            g.volumes()
                .into_iter()
                .find(|v| Some(v.key.as_str()) == key)
        });
    match volume.as_ref().and_then(|v| v.volid.split_once(':')) {
        Some((storage, _)) => role.check(&storage_path(storage), &["Datastore.AllocateSpace"]),
        None => Ok(()),
    }
}
