//! `POST .../{qemu|lxc}/{vmid}/migrate` and `DELETE .../{qemu|lxc}/{vmid}`, as
//! `PVE::API2::Qemu`/`PVE::API2::LXC` and their migration modules do them: the early
//! checks (HTTP 400/500), then a `qmigrate`/`vzmigrate` worker (`hamigrate` for
//! HA-managed guests) that moves the guest to the target node (a VM's local disks to
//! the storage `targetstorage` maps them to: `volume 'local-lvm:vm-103-disk-0' is
//! 'nas:103/vm-103-disk-0.raw' on the target`), or a
//! `qmdestroy`/`vzdestroy` worker that removes it with its disks, pool membership and
//! firewall rules (its backups stay).

use std::time::Instant;

use super::work::{LifeWork, Spawn, what};
use crate::sim::cluster::dataset::{self, GuestKind};
use crate::sim::cluster::state::Cluster;
use crate::sim::errors::ApiError;
use crate::sim::params::Params;
use crate::sim::tasks::store::Job;

/// What a migration worker does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrateWork {
    pub node: String,
    pub kind: GuestKind,
    pub vmid: u32,
    pub target: String,
    pub online: bool,
    pub restart: bool,
    pub with_local_disks: bool,
    pub ha: bool,
    /// QEMU `targetstorage`: where local disks land (`PVE::JSONSchema::parse_idmap`).
    pub storagemap: Option<String>,
}

/// What a destroy worker does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestroyWork {
    pub node: String,
    pub kind: GuestKind,
    pub vmid: u32,
    pub purge: bool,
    pub force: bool,
}

fn err(msg: String) -> ApiError {
    ApiError::Internal(msg)
}

/// `10.10.x.y`, a node's address (as `/cluster/status` shows it).
fn node_ip(c: &Cluster, node: &str) -> String {
    let i = c.node(node).map_or(0, |n| n.index);
    format!("10.10.{}.{}", i / 250, i % 250 + 1)
}

/// `AbstractMigrate::migrate` on an error of `prepare` or `phase1`: it logs why and
/// the task ends `migration aborted`.
fn aborted(log: &mut Vec<String>, why: &str) -> String {
    log.push(format!(
        "ERROR: migration aborted (duration 00:00:00): {why}"
    ));
    "migration aborted".to_owned()
}

/// `PVE::LXC::Migrate::prepare`: a bind or device mount point not marked `shared`
/// cannot follow the container.
fn local_mount_point(g: &crate::sim::cluster::state::Guest) -> Option<String> {
    let map = g.config_map();
    map.iter()
        .filter(|(k, _)| {
            matches!(
                crate::sim::guests::config::keys::numbered(k),
                ("mp", Some(_))
            )
        })
        .find_map(|(k, v)| {
            let source = v.split(',').next().unwrap_or_default();
            let source = source.strip_prefix("volume=").unwrap_or(source);
            let shared = v.split(',').any(|p| p == "shared=1");
            let kind = if source.starts_with("/dev/") {
                "device"
            } else if source.starts_with('/') {
                "bind"
            } else {
                return None;
            };
            (!shared).then(|| format!("cannot migrate local {kind} mount point '{k}'"))
        })
}

impl Cluster {
    /// `POST .../migrate`: the early checks, then the worker.
    pub fn request_migrate(
        &mut self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
        params: &Params,
        user: &str,
    ) -> Result<String, ApiError> {
        let now = Instant::now();
        self.settle(now);
        let target = params.get("target").unwrap_or_default();
        if target == node {
            return Err(ApiError::param("target", "target is local node."));
        }
        if self.node(target).is_none_or(|n| n.name != target) {
            return Err(err(format!("no such cluster node '{target}'")));
        }
        for root_only in ["force", "migration_type", "migration_network"] {
            if kind == GuestKind::Qemu && params.get(root_only).is_some_and(|v| v != "0") {
                return Err(ApiError::param(
                    root_only,
                    crate::sim::errors::schema::ROOT_ONLY,
                ));
            }
        }
        let g = self
            .guest_on(node, kind, vmid)
            .ok_or_else(|| ApiError::no_config(node, kind.config_dir(), vmid))?;
        let running = g.is_running();
        let online = params.flag("online");
        let restart = params.flag("restart");
        match kind {
            GuestKind::Qemu => {
                if let Some(lock) = g.lock {
                    return Err(err(format!("VM is locked ({lock})")));
                }
                if running && !online {
                    return Err(err("can't migrate running VM without --online".into()));
                }
            }
            GuestKind::Lxc => {
                if running && !online && !restart {
                    return Err(err(
                        "can't migrate running container without --online or --restart".into(),
                    ));
                }
            }
        }
        let storagemap = params
            .get("targetstorage")
            .filter(|_| kind == GuestKind::Qemu)
            .map(str::to_owned);
        if let Some(map) = &storagemap {
            crate::sim::storage::map::check(map).map_err(err)?;
        }
        let mut log = Vec::new();
        if kind == GuestKind::Qemu && online && !running {
            log.push("VM isn't running. Doing offline migration instead.".to_owned());
        }
        let ha = g.seed.ha;
        // `PVE::LXC::Migrate::prepare` runs `check_lock` in the worker.
        let refused = (kind == GuestKind::Lxc && !ha)
            .then(|| crate::sim::guests::locks::check(g).err())
            .flatten();
        if let Some(msg) = refused {
            let worker = super::power::Worker {
                node: node.to_owned(),
                kind,
                vmid,
                task_type: "vzmigrate",
                user,
                log: vec![format!(
                    "ERROR: migration aborted (duration 00:00:00): {msg}"
                )],
            };
            return Ok(self.spawn_refused(worker, "migration aborted".to_owned(), now));
        }
        let work = MigrateWork {
            node: node.to_owned(),
            kind,
            vmid,
            target: target.to_owned(),
            online: online && running,
            restart: restart && running,
            with_local_disks: params.flag("with-local-disks"),
            ha,
            storagemap,
        };
        let task_type = match (ha, kind) {
            (true, _) => "hamigrate",
            (false, GuestKind::Qemu) => "qmigrate",
            (false, GuestKind::Lxc) => "vzmigrate",
        };
        if ha {
            log.push(format!(
                "Requesting HA migration for {} {vmid} to node {target}",
                what(kind)
            ));
        }
        let spawn = Spawn {
            node,
            task_type,
            id: vmid.to_string(),
            user,
            log,
            guest: Some((kind, vmid)),
            length: 2,
        };
        let upid = self.spawn_task(spawn, Job::Life(Box::new(LifeWork::Migrate(work))), now);
        if !ha && let Some(g) = self.guest_mut(vmid) {
            g.lock = Some("migrate");
        }
        Ok(upid)
    }

    /// Runs a migration worker: the guest ends up on the target node.
    pub(crate) fn apply_migrate(
        &mut self,
        w: &MigrateWork,
        at: Instant,
        log: &mut Vec<String>,
    ) -> Result<(), String> {
        let ip = node_ip(self, &w.target);
        let exists = self.guest_on(&w.node, w.kind, w.vmid).is_some();
        let Some(g) = self.guest_mut(w.vmid).filter(|_| exists) else {
            return Err(format!(
                "Configuration file 'nodes/{}/{}/{}.conf' does not exist",
                w.node,
                w.kind.config_dir(),
                w.vmid
            ));
        };
        if g.lock == Some("migrate") {
            g.lock = None;
        }
        let w_what = what(w.kind);
        if !w.ha {
            log.push(format!(
                "starting migration of {w_what} {} to node '{}' ({ip})",
                w.vmid, w.target
            ));
        }
        let local: Vec<String> = g
            .volumes()
            .into_iter()
            .filter(|v| !v.cdrom)
            .filter(|v| {
                let sid = v.volid.split(':').next().unwrap_or_default();
                dataset::storage(sid).is_some_and(|s| !s.shared)
            })
            .map(|v| v.volid)
            .collect();
        match w.kind {
            GuestKind::Qemu if w.online && !w.with_local_disks && !w.ha && !local.is_empty() => {
                for volid in &local {
                    log.push(format!(
                        "can't migrate local disk '{volid}': can't live migrate attached local disks without with-local-disks option"
                    ));
                }
                // `phase1` logs its error, `AbstractMigrate::migrate` the abort.
                let why = "can't migrate VM - check log";
                log.push(format!("ERROR: {why}"));
                return Err(aborted(log, why));
            }
            GuestKind::Lxc if w.online => {
                let why = "lxc live migration is currently not implemented";
                return Err(aborted(log, why));
            }
            GuestKind::Lxc => {
                if let Some(why) = local_mount_point(g) {
                    return Err(aborted(log, &why));
                }
            }
            _ => {}
        }
        for volid in &local {
            log.push(format!("found local disk '{volid}' (attached)"));
        }
        if w.kind == GuestKind::Qemu && !w.ha {
            crate::sim::storage::map::move_local_disks(g, &local, w.storagemap.as_deref(), log);
        }
        if w.restart {
            log.push(format!("shutdown CT {}", w.vmid));
            g.halt();
        }
        g.seed.node = w.target.clone();
        if w.restart {
            log.push("start container on target node".into());
            g.boot(at);
        }
        if !w.ha {
            log.push("migration finished successfully (duration 00:00:01)".into());
        }
        Ok(())
    }

    /// `DELETE .../{vmid}`: the early checks, then the destroy worker.
    pub fn request_destroy(
        &mut self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
        params: &Params,
        user: &str,
    ) -> Result<String, ApiError> {
        let now = Instant::now();
        self.settle(now);
        if params.flag("skiplock") {
            return Err(ApiError::param(
                "skiplock",
                crate::sim::errors::schema::ROOT_ONLY,
            ));
        }
        let g = self
            .guest_on(node, kind, vmid)
            .ok_or_else(|| ApiError::no_config(node, kind.config_dir(), vmid))?;
        let w = what(kind);
        if g.protected() {
            return Err(err(format!(
                "can't remove {w} {vmid} - protection mode enabled"
            )));
        }
        if kind == GuestKind::Lxc
            && let Some(lock) = g.lock
        {
            return Err(err(format!("CT is locked ({lock})")));
        }
        let purge = params.flag("purge");
        if g.seed.ha && !purge {
            return Err(err(format!(
                "unable to remove {w} {vmid} - used in HA resources and purge parameter not set."
            )));
        }
        let force = params.flag("force");
        if g.is_running() && !(kind == GuestKind::Lxc && force) {
            return Err(err(match kind {
                GuestKind::Qemu => format!("VM {vmid} is running - destroy failed"),
                GuestKind::Lxc => format!("unable to destroy CT {vmid} - container is running"),
            }));
        }
        // `destroy_vm` runs `check_lock` in the worker, letting a `suspended` lock through.
        let refused = (kind == GuestKind::Qemu && !self.guest_busy(vmid, now))
            .then(|| self.guest(vmid).and_then(|g| g.lock))
            .flatten()
            .filter(|l| *l != "suspended")
            .map(|l| crate::sim::guests::locks::refusal(kind, l));
        if let Some(msg) = refused {
            let worker = super::power::Worker {
                node: node.to_owned(),
                kind,
                vmid,
                task_type: "qmdestroy",
                user,
                log: Vec::new(),
            };
            return Ok(self.spawn_refused(worker, msg, now));
        }
        let work = DestroyWork {
            node: node.to_owned(),
            kind,
            vmid,
            purge,
            force,
        };
        let spawn = Spawn {
            node,
            task_type: if kind == GuestKind::Qemu {
                "qmdestroy"
            } else {
                "vzdestroy"
            },
            id: vmid.to_string(),
            user,
            log: Vec::new(),
            guest: Some((kind, vmid)),
            length: 1,
        };
        Ok(self.spawn_task(spawn, Job::Life(Box::new(LifeWork::Destroy(work))), now))
    }

    /// Runs a destroy worker.
    pub(crate) fn apply_destroy(
        &mut self,
        w: &DestroyWork,
        log: &mut Vec<String>,
    ) -> Result<(), String> {
        let exists = self.guest_on(&w.node, w.kind, w.vmid).is_some();
        let Some(g) = self.guest(w.vmid).filter(|_| exists) else {
            return Err(format!(
                "Configuration file 'nodes/{}/{}/{}.conf' does not exist",
                w.node,
                w.kind.config_dir(),
                w.vmid
            ));
        };
        let wt = what(w.kind);
        let exempt = w.kind == GuestKind::Qemu && g.lock == Some("suspended");
        if let Some(lock) = g.lock.filter(|_| !exempt) {
            return Err(format!("{wt} is locked ({lock})"));
        }
        if g.protected() {
            return Err(format!(
                "can't remove {wt} {} - protection mode enabled",
                w.vmid
            ));
        }
        if let Some(msg) = self.linked_clone_refusal(g) {
            return Err(msg);
        }
        if g.is_running() {
            if !(w.kind == GuestKind::Lxc && w.force) {
                return Err(match w.kind {
                    GuestKind::Qemu => format!("VM {} is running - destroy failed", w.vmid),
                    GuestKind::Lxc => {
                        format!("unable to destroy CT {} - container is running", w.vmid)
                    }
                });
            }
            log.push(format!("forced to stop CT {} before destroying!", w.vmid));
        }
        let ha = g.seed.ha;
        for v in g.volumes().iter().filter(|v| !v.cdrom || v.cloudinit) {
            let (sid, name) = v.volid.split_once(':').unwrap_or_default();
            match dataset::storage(sid).and_then(|s| s.path) {
                None => log.push(format!("  Logical volume \"{name}\" successfully removed.")),
                Some(_) => log.push(format!("Removed volume '{}'", v.volid)),
            }
        }
        if w.purge {
            log.push(format!(
                "purging {wt} {} from related configurations..",
                w.vmid
            ));
            if ha {
                log.push(format!(
                    "NOTE: removed {wt} {} from HA resource configuration.",
                    w.vmid
                ));
            }
        }
        self.remove_guest(w.vmid);
        Ok(())
    }
}
