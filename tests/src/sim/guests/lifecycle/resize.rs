//! `PUT .../{qemu|lxc}/{vmid}/resize`, as `PVE::API2::Qemu::resize_vm` (every check in
//! its `resize` worker: "shrinking disks is not supported" ends the task) and
//! `PVE::API2::LXC::resize_vm` (checks first, HTTP 500 "unable to shrink disk size")
//! do it. The disk's `size=` and the guest's `maxdisk` follow.

use std::time::Instant;

use super::work::{LifeWork, Spawn};
use crate::sim::cluster::dataset::GuestKind;
use crate::sim::cluster::state::Cluster;
use crate::sim::errors::ApiError;
use crate::sim::guests::config::file::{self as conf, ConfigMap};
use crate::sim::guests::config::keys::{self as cs};
use crate::sim::params::Params;
use crate::sim::params::property_string::{self as propstr, format_size, parse_size};
use crate::sim::tasks::store::Job;

/// What a resize worker does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResizeWork {
    pub node: String,
    pub kind: GuestKind,
    pub vmid: u32,
    pub disk: String,
    pub size: String,
    pub digest: Option<String>,
}

fn err(msg: String) -> ApiError {
    ApiError::Internal(msg)
}

impl Cluster {
    /// `PUT .../resize`: QEMU checks everything in its `resize` worker; pve-container
    /// checks first (HTTP 500) and only resizes in the worker.
    pub fn request_resize(
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
        let work = ResizeWork {
            node: node.to_owned(),
            kind,
            vmid,
            disk: params.get("disk").unwrap_or_default().to_owned(),
            size: params.get("size").unwrap_or_default().to_owned(),
            digest: params.get("digest").map(str::to_owned),
        };
        if kind == GuestKind::Lxc {
            if let Some(lock) = g.lock {
                return Err(err(format!("CT is locked ({lock})")));
            }
            if work.digest.as_deref().is_some_and(|d| d != conf::digest(g)) {
                return Err(err(
                    "detected modified configuration - file changed by other user? Try again."
                        .into(),
                ));
            }
            let (old, new) = resize_sizes(&g.config_map(), kind, &work).map_err(err)?;
            if new < old {
                return Err(err("unable to shrink disk size".into()));
            }
            if new == old {
                return Err(err("disk is already at specified size".into()));
            }
        }
        let refused = (kind == GuestKind::Qemu && !self.guest_busy(vmid, now))
            .then(|| {
                self.guest(vmid)
                    .and_then(|g| crate::sim::guests::locks::check(g).err())
            })
            .flatten();
        if let Some(msg) = refused {
            let worker = super::power::Worker {
                node: node.to_owned(),
                kind,
                vmid,
                task_type: "resize",
                user,
                log: Vec::new(),
            };
            return Ok(self.spawn_refused(worker, msg, now));
        }
        let spawn = Spawn {
            node,
            task_type: "resize",
            id: vmid.to_string(),
            user,
            log: Vec::new(),
            guest: Some((kind, vmid)),
            length: 1,
        };
        Ok(self.spawn_task(spawn, Job::Life(Box::new(LifeWork::Resize(work))), now))
    }

    /// Runs a resize worker.
    pub(crate) fn apply_resize(
        &mut self,
        w: &ResizeWork,
        log: &mut Vec<String>,
    ) -> Result<(), String> {
        let exists = self.guest_on(&w.node, w.kind, w.vmid).is_some();
        let Some(g) = self.guest_mut(w.vmid).filter(|_| exists) else {
            return Err(format!(
                "Configuration file 'nodes/{}/{}/{}.conf' does not exist",
                w.node,
                w.kind.config_dir(),
                w.vmid
            ));
        };
        if w.kind == GuestKind::Qemu {
            if w.digest.as_deref().is_some_and(|d| d != conf::digest(g)) {
                return Err("checksum mismatch (file change by other user?)".into());
            }
            if let Some(lock) = g.lock {
                return Err(format!("VM is locked ({lock})"));
            }
        }
        let map = g.config_map().into_owned();
        let (old, new) = resize_sizes(&map, w.kind, w)?;
        if new < old {
            return Err(match w.kind {
                GuestKind::Qemu => "shrinking disks is not supported".into(),
                GuestKind::Lxc => "unable to shrink disk size".into(),
            });
        }
        if new == old {
            return Ok(());
        }
        let value = map.get(&w.disk).cloned().unwrap_or_default();
        let format = cs::volume_format(w.kind, &w.disk);
        let mut props =
            propstr::parse(format, &value, &w.disk).map_err(|e| e.trim_end().to_owned())?;
        propstr::set(&mut props, "size", &format_size(new));
        let text = propstr::print(&props, format);
        if w.kind == GuestKind::Lxc {
            log.push(format!(
                "Resizing image: {} -> {}",
                format_size(old),
                format_size(new)
            ));
        }
        g.config_mut().insert(w.disk.clone(), text);
        g.sync_traits();
        Ok(())
    }
}

/// The disk's current and requested size, or the worker's complaint.
fn resize_sizes(map: &ConfigMap, kind: GuestKind, w: &ResizeWork) -> Result<(u64, u64), String> {
    let Some(value) = map.get(&w.disk) else {
        return Err(format!("disk '{}' does not exist", w.disk));
    };
    let format = cs::volume_format(kind, &w.disk);
    let props = propstr::parse(format, value, &w.disk).map_err(|e| e.trim_end().to_owned())?;
    let volid = propstr::get(&props, format.default_key.unwrap_or("file")).unwrap_or_default();
    if volid.is_empty() || volid == "none" {
        return Err(format!("disk '{}' has no associated volume", w.disk));
    }
    if propstr::get(&props, "media") == Some("cdrom") {
        return Err("you can't resize a cdrom".into());
    }
    let old = propstr::get(&props, "size")
        .and_then(parse_size)
        .unwrap_or(0);
    let (grow, amount) = match w.size.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, w.size.as_str()),
    };
    let amount = parse_size(amount).ok_or("invalid size string")?;
    Ok((
        old,
        if grow {
            old.saturating_add(amount)
        } else {
            amount
        },
    ))
}
