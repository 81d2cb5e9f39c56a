//! `POST .../qemu/{vmid}/move_disk` and `POST .../lxc/{vmid}/move_volume`, as
//! `PVE::API2::Qemu::move_vm_disk` and `PVE::API2::LXC::move_volume` do them: either
//! to another storage (a `qmmove`/`move_volume` worker copies the volume onto it under
//! a new name, and keeps the source as `unusedN` unless `delete`; a container is locked
//! `disk` meanwhile and must be stopped), or, with `target-vmid`, into another guest of
//! the same node (the volume renamed for it on its storage, the source's key removed;
//! task id `101-scsi0>102-scsi1`). The checks before the fork answer HTTP 400 or 500,
//! in PVE's words; parameters were verified against the schema before.

use std::time::Instant;

use super::work::{LifeWork, Spawn};
use crate::sim::cluster::dataset::{self, GuestKind};
use crate::sim::cluster::state::{Cluster, Guest};
use crate::sim::errors::ApiError;
use crate::sim::guests::config::file::{self as conf, ConfVolume};
use crate::sim::guests::config::keys as cs;
use crate::sim::params::Params;
use crate::sim::storage::volumes;
use crate::sim::tasks::store::Job;

/// What a move worker does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveWork {
    pub node: String,
    pub kind: GuestKind,
    pub vmid: u32,
    pub key: String,
    pub to: MoveTo,
}

/// Where the volume goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveTo {
    Storage { storage: String, delete: bool },
    Guest { vmid: u32, key: String },
}

fn err(msg: impl Into<String>) -> ApiError {
    ApiError::Internal(msg.into())
}

/// The parameter error PVE raises on both `storage` and `target-vmid`.
fn both(msg: &str) -> ApiError {
    ApiError::Param(
        [("storage", msg), ("target-vmid", msg)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    )
}

/// Whether a snapshot of `g` references `volid` (`is_volume_in_use` over snapshots).
fn in_snapshots(g: &Guest, volid: &str) -> bool {
    let now = g.config_map();
    g.snapshots.iter().any(|s| {
        let map = s.saved.as_ref().map_or(&*now, |c| &c.config);
        conf::volumes(g.seed.kind, map)
            .iter()
            .any(|v| v.volid == volid)
    })
}

/// The volume of key `key`, or PVE's complaint.
fn volume_of(g: &Guest, key: &str, reassign: bool) -> Result<ConfVolume, ApiError> {
    let vmid = g.seed.vmid;
    let map = g.config_map();
    if !map.contains_key(key) {
        return Err(err(match (g.seed.kind, reassign) {
            (GuestKind::Qemu, false) => format!("disk '{key}' does not exist"),
            (GuestKind::Qemu, true) => format!("Disk '{key}' for VM '{vmid}' does not exist"),
            (GuestKind::Lxc, _) => format!("volume '{key}' for container '{vmid}' does not exist"),
        }));
    }
    let raw = map.get(key).cloned().unwrap_or_default();
    let found = g.volumes().into_iter().find(|v| v.key == key);
    match found {
        Some(v) if v.cdrom && reassign => {
            Err(err("CD drive contents can't be moved to another VM"))
        }
        Some(v) if v.cdrom => Err(err("you can't move a cdrom")),
        Some(v) if v.volid.starts_with('/') && g.seed.kind == GuestKind::Lxc && reassign => Err(
            err("Cannot move a bindmount or device mount to another container"),
        ),
        Some(v) if v.volid.starts_with('/') => {
            Err(err(format!("unable to parse volume ID '{}'", v.volid)))
        }
        Some(v) => Ok(v),
        None if raw.contains("media=cdrom") => Err(err("you can't move a cdrom")),
        None => Err(err(format!("disk '{key}' has no associated volume"))),
    }
}

impl Cluster {
    /// `POST .../move_disk` or `.../move_volume`: the handler's checks, then the worker.
    pub fn request_move(
        &mut self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
        params: &Params,
        user: &str,
    ) -> Result<String, ApiError> {
        let now = Instant::now();
        self.settle(now);
        let (disk, target_disk) = match kind {
            GuestKind::Qemu => ("disk", "target-disk"),
            GuestKind::Lxc => ("volume", "target-volume"),
        };
        let key = params.get(disk).unwrap_or_default().to_owned();
        let target = params.get("target-vmid");
        let storage = params.get("storage");
        let to = match (storage, target) {
            (Some(_), Some(_)) => {
                return Err(both("either set 'storage' or 'target-vmid', but not both"));
            }
            (None, None) => {
                return Err(both(
                    "both 'storage' and 'target-vmid' missing, either needs to be set",
                ));
            }
            (Some(s), None) => MoveTo::Storage {
                storage: s.to_owned(),
                delete: params.flag("delete"),
            },
            (None, Some(t)) => {
                let t = crate::sim::params::check_vmid(t).unwrap_or(0);
                if kind == GuestKind::Qemu && t == vmid {
                    return Err(ApiError::param(
                        "target-vmid",
                        "must be different than source VMID to reassign disk",
                    ));
                }
                let tkey = params.get(target_disk).unwrap_or(&key).to_owned();
                MoveTo::Guest { vmid: t, key: tkey }
            }
        };
        let work = MoveWork {
            node: node.to_owned(),
            kind,
            vmid,
            key,
            to,
        };
        let id = match &work.to {
            MoveTo::Storage { storage, .. } => {
                self.check_to_storage(&work, storage, params)?;
                vmid.to_string()
            }
            MoveTo::Guest { vmid: t, key: tkey } => {
                self.check_reassign(&work, *t, tkey)?;
                format!("{vmid}-{}>{t}-{tkey}", work.key)
            }
        };
        let task_type = match kind {
            GuestKind::Qemu => "qmmove",
            GuestKind::Lxc => "move_volume",
        };
        let lxc_copy = kind == GuestKind::Lxc && matches!(work.to, MoveTo::Storage { .. });
        let spawn = Spawn {
            node,
            task_type,
            id,
            user,
            log: Vec::new(),
            guest: Some((kind, vmid)),
            length: 2,
        };
        let upid = self.spawn_task(spawn, Job::Life(Box::new(LifeWork::Move(work))), now);
        if lxc_copy && let Some(g) = self.guest_mut(vmid) {
            g.lock = Some("disk");
        }
        Ok(upid)
    }

    /// `$load_and_check_move` (QEMU) and `$move_to_storage_checks` (LXC).
    fn check_to_storage(
        &self,
        w: &MoveWork,
        storage: &str,
        params: &Params,
    ) -> Result<(), ApiError> {
        let g = self
            .guest_on(&w.node, w.kind, w.vmid)
            .ok_or_else(|| ApiError::no_config(&w.node, w.kind.config_dir(), w.vmid))?;
        crate::sim::guests::locks::check(g).map_err(err)?;
        if params.get("digest").is_some_and(|d| d != conf::digest(g)) {
            return Err(err(
                "detected modified configuration - file changed by other user? Try again.",
            ));
        }
        if w.kind == GuestKind::Lxc {
            if g.is_running() {
                return Err(err("cannot move volumes of a running container"));
            }
            if cs::is_unused(&w.key) {
                return Err(err(format!(
                    "cannot move volume '{}', only configured volumes can be moved to another \
                     storage",
                    w.key
                )));
            }
        }
        let v = volume_of(g, &w.key, false)?;
        let delete = matches!(w.to, MoveTo::Storage { delete: true, .. });
        if w.kind == GuestKind::Qemu {
            let source = v.volid.split(':').next().unwrap_or_default();
            let format = params.get("format");
            if source == storage && format.is_none_or(|f| f == volume_format(&v.volid)) {
                return Err(err("you can't move to the same storage with same format"));
            }
            let s = dataset::storage(storage)
                .ok_or_else(|| err(format!("storage '{storage}' does not exist")))?;
            if !s.holds("images") {
                return Err(ApiError::param(
                    "storage",
                    format!("storage '{storage}' does not support vm images"),
                ));
            }
        }
        if delete && in_snapshots(g, &v.volid) {
            return Err(err(match w.kind {
                GuestKind::Qemu => "you can't move a disk with snapshots and delete the source",
                GuestKind::Lxc => "you can't move a volume with snapshots and delete the source",
            }));
        }
        Ok(())
    }

    /// `$load_and_check_reassign_configs` of both modules.
    fn check_reassign(&self, w: &MoveWork, target: u32, tkey: &str) -> Result<(), ApiError> {
        let (what, ct) = match w.kind {
            GuestKind::Qemu => ("VM", false),
            GuestKind::Lxc => ("CT", true),
        };
        if ct {
            if w.key == "rootfs" || tkey == "rootfs" {
                return Err(err("Cannot move to/from 'rootfs'"));
            }
            if cs::is_unused(&w.key) && !cs::is_unused(tkey) {
                return Err(err("Moving an unused volume to a used one is not possible"));
            }
        }
        let source = self
            .guest(w.vmid)
            .ok_or_else(|| err(format!("could not find {what} {}", w.vmid)))?;
        let other = self.guest(target).ok_or_else(|| match w.kind {
            GuestKind::Qemu => err(format!("could not find target VM {target}")),
            GuestKind::Lxc => err(format!("could not find CT {target}")),
        })?;
        if source.seed.node != other.seed.node {
            let (a, b) = (&source.seed.node, &other.seed.node);
            return Err(err(if ct {
                format!("Both containers need to be on the same node ({a} != {b})")
            } else {
                format!("Both VMs need to be on the same node ({a} != {b})")
            }));
        }
        if other.seed.kind != w.kind {
            return Err(ApiError::no_config(&w.node, w.kind.config_dir(), target));
        }
        crate::sim::guests::locks::check(source).map_err(err)?;
        crate::sim::guests::locks::check(other).map_err(err)?;
        if source.seed.template || other.seed.template {
            return Err(err(if ct {
                "Can't move volumes from or to template CT"
            } else {
                "Can't move disks from or to template VMs"
            }));
        }
        let v = volume_of(source, &w.key, true)?;
        if other.config_map().contains_key(tkey) {
            return Err(err(if ct {
                format!("Target volume key '{tkey}' is already in use for container '{target}'")
            } else {
                format!("Target disk key '{tkey}' is already in use for VM '{target}'")
            }));
        }
        if in_snapshots(source, &v.volid) {
            return Err(err(if ct {
                "Cannot move volume used by a snapshot to another container"
            } else {
                "Can't move disk used by a snapshot to another VM"
            }));
        }
        if source.is_running() && !cs::is_unused(&w.key) {
            return Err(err(if ct {
                "Cannot move in-use volume while the source CT is running - detach or shutdown \
                 first"
            } else {
                "Cannot move disk to another VM while the source VM is running - detach first"
            }));
        }
        Ok(())
    }

    /// Runs a move worker.
    pub(crate) fn apply_move(&mut self, w: &MoveWork, log: &mut Vec<String>) -> Result<(), String> {
        let taken = crate::sim::guests::config::disks::taken(self);
        let exists = self.guest_on(&w.node, w.kind, w.vmid).is_some();
        let Some(g) = self.guest_mut(w.vmid).filter(|_| exists) else {
            return Err(format!(
                "Configuration file 'nodes/{}/{}/{}.conf' does not exist",
                w.node,
                w.kind.config_dir(),
                w.vmid
            ));
        };
        if g.lock == Some("disk") {
            g.lock = None;
        }
        let Some(v) = g.volumes().into_iter().find(|v| v.key == w.key) else {
            return Err(format!("disk '{}' does not exist", w.key));
        };
        match &w.to {
            MoveTo::Storage { storage, delete } => {
                let s = dataset::storage(storage)
                    .filter(|s| w.kind == GuestKind::Qemu || s.holds("rootdir"))
                    .ok_or_else(|| {
                        format!("storage '{storage}' does not support container directories")
                    })?;
                let source = v.volid.split(':').next().unwrap_or_default();
                log.push(format!(
                    "copying volume '{}' from current storage '{source}' to target storage \
                     '{storage}'",
                    v.volid
                ));
                let new = volumes::new_disk(s, w.vmid, w.kind, &taken);
                let value = conf::with_volume(w.kind, &w.key, &v.props, &new, Some(v.size));
                keep_snapshots(g);
                let map = g.config_mut();
                map.insert(w.key.clone(), value);
                if *delete {
                    log.push(format!(
                        "removing source volume '{}' after successful copy",
                        v.volid
                    ));
                } else if let Some(unused) = next_unused(map) {
                    log.push(format!(
                        "adding source volume '{}' as '{unused}' to config",
                        v.volid
                    ));
                    map.insert(unused, v.volid.clone());
                }
                g.sync_traits();
                Ok(())
            }
            MoveTo::Guest { vmid: target, key } => {
                let source = v.volid.split(':').next().unwrap_or_default();
                let s = dataset::storage(source)
                    .ok_or_else(|| format!("storage '{source}' does not exist"))?;
                let new = volumes::new_disk(s, *target, w.kind, &taken);
                let map = g.config_mut();
                map.remove(&w.key);
                drop_from_boot(w.kind, map, &w.key);
                g.sync_traits();
                log.push(match w.kind {
                    GuestKind::Qemu => format!(
                        "reassign disk '{}' from VM '{}' as '{key}' to VM '{target}'",
                        w.key, w.vmid
                    ),
                    GuestKind::Lxc => format!(
                        "moving volume '{}' from container '{}' to '{target}'",
                        w.key, w.vmid
                    ),
                });
                let value = if cs::is_unused(key) {
                    new.clone()
                } else {
                    conf::with_volume(w.kind, key, &v.props, &new, Some(v.size))
                };
                let t = self
                    .guest_mut(*target)
                    .ok_or_else(|| format!("could not find target VM {target}"))?;
                t.config_mut().insert(key.clone(), value);
                t.sync_traits();
                Ok(())
            }
        }
    }
}

/// A snapshot taken from the config the guest still has keeps that config: the move
/// changes only the current one.
fn keep_snapshots(g: &mut Guest) {
    let now = g.config_map().into_owned();
    let tags = g.tags.clone();
    for s in g.snapshots.iter_mut().filter(|s| s.saved.is_none()) {
        s.saved = Some(crate::sim::guests::snapshots::SavedConfig {
            config: now.clone(),
            tags: tags.clone(),
        });
    }
}

/// `device_bootorder`: a disk that leaves the guest leaves its boot order.
fn drop_from_boot(kind: GuestKind, map: &mut conf::ConfigMap, key: &str) {
    if kind == GuestKind::Qemu
        && let Some(boot) = map.get("boot").cloned()
        && let Some(order) = boot.strip_prefix("order=")
        && order.split(';').any(|d| d == key)
    {
        let rest: Vec<&str> = order.split(';').filter(|d| *d != key).collect();
        map.insert("boot".into(), format!("order={}", rest.join(";")));
    }
}

/// The next free `unusedN` key.
fn next_unused(map: &conf::ConfigMap) -> Option<String> {
    (0..256)
        .map(|n| format!("unused{n}"))
        .find(|k| !map.contains_key(k))
}

/// A volume's format as its name tells it (`raw` for block storages).
fn volume_format(volid: &str) -> &str {
    volid.rsplit_once('.').map_or("raw", |(_, ext)| ext)
}
