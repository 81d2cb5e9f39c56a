//! `POST .../{qemu|lxc}/{vmid}/clone` and `POST .../{vmid}/template`, as
//! `PVE::API2::Qemu` and `PVE::API2::LXC` do them: a full copy of every disk for a
//! normal guest, a linked clone (the default) only from a template's base images, another
//! node only when every disk is on shared storage; the new guest exists (locked `clone`
//! for VMs, `create` for containers, whose source is locked `disk`) while the `qmclone`/
//! `vzclone` worker runs. Templates: `qmtemplate` worker, containers at once.

use std::time::Instant;

use super::work::{self, LifeWork, Spawn, what};
use crate::sim::cluster::dataset::{self, GuestKind};
use crate::sim::cluster::state::{Cluster, Guest};
use crate::sim::errors::ApiError;
use crate::sim::guests::config::file::{self as conf, ConfigMap};
use crate::sim::guests::config::keys::{self as cs};
use crate::sim::guests::config::values::{add_macs, pool};
use crate::sim::params::Params;
use crate::sim::storage::volumes;
use crate::sim::tasks::store::Job;

/// What a clone worker does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloneWork {
    pub node: String,
    pub kind: GuestKind,
    pub vmid: u32,
    pub newid: u32,
    pub target: String,
    pub pool: Option<&'static str>,
}

fn err(msg: String) -> ApiError {
    ApiError::Internal(msg)
}

impl Cluster {
    /// `POST .../clone`: the checks PVE makes before forking, then the worker.
    pub fn request_clone(
        &mut self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
        params: &Params,
        user: &str,
    ) -> Result<String, ApiError> {
        let now = Instant::now();
        self.settle(now);
        let newid = params
            .get("newid")
            .and_then(|v| crate::sim::params::check_vmid(v).ok())
            .unwrap_or(0);
        let target = params
            .get("target")
            .filter(|t| *t != node && *t != "localhost")
            .map(str::to_owned);
        let pool = pool(params.get("pool"))?;
        if let Some(t) = &target
            && self.node(t).is_none()
        {
            return Err(err(format!("no such cluster node '{t}'")));
        }
        let storage = params.get("storage");
        if let Some(sid) = storage {
            let s = dataset::storage(sid)
                .ok_or_else(|| err(format!("storage '{sid}' does not exist")))?;
            let needs = if kind == GuestKind::Qemu {
                "images"
            } else {
                "rootdir"
            };
            if kind == GuestKind::Qemu && !s.holds(needs) {
                return Err(ApiError::param(
                    "storage",
                    format!("storage '{sid}' does not support vm images"),
                ));
            }
            if target.is_some() && !s.shared {
                return Err(err(format!("can't clone to non-shared storage '{sid}'")));
            }
        }
        let g = self
            .guest_on(node, kind, vmid)
            .ok_or_else(|| ApiError::no_config(node, kind.config_dir(), vmid))?;
        if let Some(lock) = g.lock {
            return Err(err(format!("{} is locked ({lock})", what(kind))));
        }
        if kind == GuestKind::Lxc
            && let Some(other) = self.guest(newid)
        {
            return Err(err(format!(
                "{} {newid} already exists on node '{}'",
                what(other.seed.kind),
                other.seed.node
            )));
        }
        let snapname = params.get("snapname");
        if let Some(snap) = snapname
            && !g.snapshots.iter().any(|s| s.name == snap)
        {
            return Err(err(format!("snapshot '{snap}' does not exist")));
        }
        let full = params.get("full").map_or(!g.seed.template, |f| f == "1");
        if storage.is_some() && !full {
            return Err(err(
                "parameter 'storage' not allowed for linked clones".into()
            ));
        }
        if params.get("format").is_some() && !full {
            return Err(err(
                "parameter 'format' not allowed for linked clones".into()
            ));
        }
        if kind == GuestKind::Lxc && full && g.is_running() && snapname.is_none() {
            return Err(err(
                "Cannot do full clones on a running container without snapshots".into(),
            ));
        }
        let source = g.config_map().into_owned();
        let (config, shared) =
            self.clone_config(g, &source, newid, full, snapname.is_some(), storage)?;
        if let Some(t) = &target
            && !shared
        {
            return Err(err(format!(
                "can't clone {} to node '{t}' ({} uses local storage)",
                what(kind),
                what(kind)
            )));
        }
        if kind == GuestKind::Qemu && self.guest(newid).is_some() {
            return Err(err(format!(
                "unable to create VM {newid}: config file already exists"
            )));
        }
        let (tags, firewall) = (g.tags.clone(), g.firewall);
        if !full {
            self.record_linked(kind, &source, &config);
        }
        let mut config = config;
        match kind {
            GuestKind::Qemu => {
                let name = params.get("name").map(str::to_owned).unwrap_or_else(|| {
                    format!(
                        "Copy-of-VM-{}",
                        source.get("name").cloned().unwrap_or(vmid.to_string())
                    )
                });
                config.insert("name".into(), name);
                config.insert("smbios1".into(), format!("uuid={}", conf::uuid(newid, 21)));
                if config.contains_key("vmgenid") {
                    config.insert("vmgenid".into(), conf::uuid(newid, 22));
                }
            }
            GuestKind::Lxc => {
                if let Some(h) = params.get("hostname") {
                    config.insert("hostname".into(), h.to_owned());
                }
            }
        }
        if let Some(d) = params.get("description") {
            config.insert("description".into(), d.to_owned());
        }
        super::restore::strip_macs(kind, &mut config);
        add_macs(self, kind, &mut config);
        let mut new = Guest::created(work::new_seed(newid, kind, node), config, now);
        new.tags = tags;
        new.firewall = firewall;
        new.agent_installed = true;
        new.lock = Some(if kind == GuestKind::Qemu {
            "clone"
        } else {
            "create"
        });
        self.insert_guest(new);
        if kind == GuestKind::Lxc
            && let Some(src) = self.guest_mut(vmid)
        {
            src.lock = Some("disk");
        }
        let work = CloneWork {
            node: node.to_owned(),
            kind,
            vmid,
            newid,
            target: target.unwrap_or_else(|| node.to_owned()),
            pool,
        };
        let log = vec![format!(
            "create {} clone of drive{}",
            if full { "full" } else { "linked" },
            if kind == GuestKind::Qemu { "s" } else { "" }
        )];
        let spawn = Spawn {
            node,
            task_type: if kind == GuestKind::Qemu {
                "qmclone"
            } else {
                "vzclone"
            },
            id: vmid.to_string(),
            user,
            log,
            guest: Some((kind, vmid)),
            length: 1,
        };
        let upid = self.spawn_task(spawn, Job::Life(Box::new(LifeWork::Clone(work))), now);
        let busy = self.guest(vmid).and_then(|g| g.busy_until);
        if let Some(g) = self.guest_mut(newid) {
            g.busy_until = busy;
        }
        Ok(upid)
    }

    /// The clone's config: snapshot and unused entries dropped, disks copied or linked.
    /// Also tells whether every disk is on shared storage (`$sharedvm`).
    fn clone_config(
        &self,
        g: &Guest,
        source: &ConfigMap,
        newid: u32,
        full: bool,
        from_snapshot: bool,
        storage: Option<&str>,
    ) -> Result<(ConfigMap, bool), ApiError> {
        let kind = g.seed.kind;
        let mut config = ConfigMap::new();
        let mut shared = true;
        let mut taken = crate::sim::guests::config::disks::taken(self);
        for (key, value) in source {
            if cs::is_unused(key)
                || ["parent", "snaptime", "vmstate", "lock"].contains(&key.as_str())
            {
                continue;
            }
            let is_volume = match kind {
                GuestKind::Qemu => cs::is_qemu_drive(key),
                GuestKind::Lxc => cs::is_lxc_volume(key),
            };
            let vol = conf::volumes(kind, &ConfigMap::from([(key.clone(), value.clone())]))
                .into_iter()
                .next();
            let Some(v) = vol.filter(|_| is_volume) else {
                config.insert(key.clone(), value.clone());
                continue;
            };
            let sid = v.volid.split(':').next().unwrap_or_default();
            let src = dataset::storage(sid)
                .ok_or_else(|| err(format!("storage '{sid}' does not exist")))?;
            if v.cdrom && !v.cloudinit {
                shared &= src.shared;
                config.insert(key.clone(), value.clone());
                continue;
            }
            let dest_id = match kind {
                GuestKind::Lxc => storage.unwrap_or(sid),
                GuestKind::Qemu => sid,
            };
            shared &= dataset::storage(dest_id).is_some_and(|s| s.shared);
            if v.cloudinit {
                let volid = volumes::cloudinit_disk(src, newid);
                config.insert(
                    key.clone(),
                    conf::with_volume(kind, key, &v.props, &volid, None),
                );
                continue;
            }
            let linkable = volumes::is_base(&v.volid) || (from_snapshot && src.path.is_none());
            if !full && !linkable {
                return Err(err(match kind {
                    GuestKind::Qemu => format!(
                        "Linked clone feature is not supported for {}'{}' ({key})",
                        if from_snapshot { "a snapshot of " } else { "" },
                        v.volid
                    ),
                    GuestKind::Lxc => {
                        format!("Linked clone feature for '{}' is not available", v.volid)
                    }
                }));
            }
            let dest = if full { storage.unwrap_or(sid) } else { sid };
            let s = dataset::storage(dest)
                .ok_or_else(|| err(format!("storage '{dest}' does not exist")))?;
            let mut volid = volumes::new_disk(s, newid, kind, &taken);
            taken.push(volid.clone());
            if !full && s.path.is_some() {
                let name = volid.split_once(':').map(|x| x.1).unwrap_or_default();
                let base = v.volid.split_once(':').map(|x| x.1).unwrap_or_default();
                volid = format!("{}:{base}/{name}", s.id);
            }
            config.insert(
                key.clone(),
                conf::with_volume(kind, key, &v.props, &volid, Some(v.size)),
            );
        }
        Ok((config, shared))
    }

    /// Runs a clone worker: the new guest moves to its node and is unlocked.
    pub(crate) fn apply_clone(
        &mut self,
        w: &CloneWork,
        log: &mut Vec<String>,
    ) -> Result<(), String> {
        self.unlock(w.vmid);
        let Some(g) = self.guest_mut(w.newid) else {
            return Err("clone failed: new guest vanished".into());
        };
        g.lock = None;
        g.seed.node = w.target.clone();
        if w.pool.is_some() {
            g.seed.pool = w.pool;
        }
        let moved = w.target != w.node;
        if moved {
            log.push(format!("moving config to node '{}'", w.target));
        }
        Ok(())
    }

    /// Removes what an interrupted clone leaves.
    pub(crate) fn undo_clone(&mut self, w: &CloneWork) {
        self.unlock(w.vmid);
        if self.guest(w.newid).is_some_and(|g| g.lock.is_some()) {
            self.remove_guest(w.newid);
        }
    }

    /// `POST .../template`: checks, then a `qmtemplate` worker (VMs, returns its UPID) or
    /// the conversion at once plus a `vztemplate` task (containers, returns `None`).
    pub fn request_template(
        &mut self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
        user: &str,
    ) -> Result<Option<String>, ApiError> {
        let now = Instant::now();
        self.settle(now);
        let g = self
            .guest_on(node, kind, vmid)
            .ok_or_else(|| ApiError::no_config(node, kind.config_dir(), vmid))?;
        let w = what(kind);
        if let Some(lock) = g.lock {
            return Err(err(format!("{w} is locked ({lock})")));
        }
        if !g.snapshots.is_empty() {
            return Err(err(format!(
                "unable to create template, because {w} contains snapshots"
            )));
        }
        if g.seed.template {
            return Err(err("you can't convert a template to a template".into()));
        }
        if g.is_running() {
            return Err(err(match kind {
                GuestKind::Qemu => "you can't convert a VM to template if VM is running".into(),
                GuestKind::Lxc => "you can't convert a CT to template if the CT is running".into(),
            }));
        }
        let work = match kind {
            GuestKind::Qemu => LifeWork::Template {
                node: node.to_owned(),
                kind,
                vmid,
            },
            GuestKind::Lxc => {
                self.apply_template(node, kind, vmid).map_err(err)?;
                LifeWork::Done
            }
        };
        let spawn = Spawn {
            node,
            task_type: if kind == GuestKind::Qemu {
                "qmtemplate"
            } else {
                "vztemplate"
            },
            id: vmid.to_string(),
            user,
            log: Vec::new(),
            guest: Some((kind, vmid)),
            length: 1,
        };
        let upid = self.spawn_task(spawn, Job::Life(Box::new(work)), now);
        Ok((kind == GuestKind::Qemu).then_some(upid))
    }

    /// Makes a guest a template: `template: 1`, disks renamed to base images.
    pub(crate) fn apply_template(
        &mut self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
    ) -> Result<(), String> {
        let exists = self.guest_on(node, kind, vmid).is_some();
        let Some(g) = self.guest_mut(vmid).filter(|_| exists) else {
            return Err(format!(
                "Configuration file 'nodes/{node}/{}/{vmid}.conf' does not exist",
                kind.config_dir()
            ));
        };
        if g.is_running() {
            return Err(format!(
                "you can't convert a {} to template if {} is running",
                what(kind),
                what(kind)
            ));
        }
        let vols = g.volumes();
        let map = g.config_mut();
        for v in vols
            .iter()
            .filter(|v| !v.cdrom && !volumes::is_base(&v.volid))
        {
            let base = volumes::base_of(&v.volid);
            map.insert(
                v.key.clone(),
                conf::with_volume(kind, &v.key, &v.props, &base, Some(v.size)),
            );
        }
        g.sync_traits();
        g.seed.template = true;
        Ok(())
    }
}
