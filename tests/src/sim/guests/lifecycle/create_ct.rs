//! `POST /nodes/{node}/lxc`: creating a container from a template, or restoring one
//! (`restore=1`, `ostemplate` a backup), as `PVE::API2::LXC::create_vm` does it: a
//! taken vmid, a bind mount, feature flags and a storage without `rootdir` are refused
//! before the `vzcreate`/`vzrestore` worker starts; a missing template fails the worker.

use std::time::Instant;

use super::create::{Built, LXC_EXTRA, vmid_of};
use super::work::what;
use crate::sim::cluster::dataset::GuestKind;
use crate::sim::cluster::state::Cluster;
use crate::sim::errors::ApiError;
use crate::sim::guests::config::disks::{self, Alloc};
use crate::sim::guests::config::file::ConfigMap;
use crate::sim::guests::config::keys::{self as cs};
use crate::sim::guests::config::values::{add_macs, check_features, normalize, pool};
use crate::sim::params::Params;
use crate::sim::params::property_string as propstr;
use crate::sim::storage::volumes;

impl Cluster {
    /// `POST /nodes/{node}/lxc`.
    pub fn request_create_ct(
        &mut self,
        node: &str,
        params: &Params,
        user: &str,
    ) -> Result<String, ApiError> {
        let now = Instant::now();
        self.settle(now);
        let vmid = vmid_of(params)?;
        let restore = params.flag("restore");
        let force = params.flag("force");
        let exists_here = self
            .guest(vmid)
            .is_some_and(|g| g.seed.node == node && g.seed.kind == GuestKind::Lxc);
        if !(exists_here && restore && force) {
            if let Some(g) = self.guest(vmid) {
                return Err(ApiError::Internal(format!(
                    "{} {vmid} already exists on node '{}'",
                    what(g.seed.kind),
                    g.seed.node
                )));
            }
        } else if let Some(g) = self.guest(vmid) {
            if g.is_running() {
                return Err(ApiError::Internal(
                    "can't overwrite running container".into(),
                ));
            }
            if g.protected() {
                return Err(ApiError::Internal(format!(
                    "unable to restore CT {vmid} - protection mode enabled"
                )));
            }
            // `create_and_lock_config($vmid, $force)` runs `check_lock`.
            if let Some(lock) = g.lock {
                return Err(ApiError::Internal(format!(
                    "unable to restore CT {vmid} - CT is locked ({lock})"
                )));
            }
        }
        if let Some(keys) = params.get("ssh-public-keys")
            && !cs::ssh_keys_valid(keys)
        {
            return Err(ApiError::Internal("SSH public key validation error".into()));
        }
        let pool = pool(params.get("pool"))?;
        let unprivileged = params.flag("unprivileged");
        check_features(params.get("features"), unprivileged)?;
        if params
            .iter()
            .any(|(k, v)| cs::is_lxc_volume(k) && v.starts_with('/'))
        {
            return Err(ApiError::Permission(
                "mount point type bind is only allowed for root@pam".into(),
            ));
        }
        let ostemplate = params.get("ostemplate").unwrap_or_default();
        let content = if restore { "backup" } else { "vztmpl" };
        let ty = disks::vtype(ostemplate)?;
        if ty != content {
            return Err(ApiError::Internal(format!(
                "unable to use volume {ostemplate} - content type needs to be '{content}'"
            )));
        }
        let storage = params.get("storage").unwrap_or("local");
        let mut allocs = Vec::new();
        for (key, value) in params.iter().filter(|(k, _)| cs::is_lxc_volume(k)) {
            let value = if value.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                format!("{storage}:{value}")
            } else {
                value.to_owned()
            };
            let format = cs::volume_format(GuestKind::Lxc, key);
            let props = propstr::parse(format, &value, key).map_err(|e| {
                ApiError::param(key, crate::sim::errors::schema::invalid_format(&e))
            })?;
            allocs.push((
                key.to_owned(),
                props.clone(),
                disks::check_mountpoint(&props, true)?,
            ));
        }
        allocs.sort_by_key(|(k, ..)| disks::alloc_order(k));
        if !allocs.is_empty() && !allocs.iter().any(|(k, ..)| k == "rootfs") {
            return Err(ApiError::Internal(
                "mount points configured, but 'rootfs' not set - aborting".into(),
            ));
        }
        if allocs.is_empty() {
            let s = crate::sim::cluster::dataset::storage(storage)
                .ok_or_else(|| ApiError::Internal(format!("storage '{storage}' does not exist")))?;
            if !s.holds("rootdir") {
                return Err(ApiError::param(
                    "storage",
                    format!("storage '{storage}' does not support container directories"),
                ));
            }
        }
        let emsg = format!(
            "unable to {} CT {vmid} -",
            if restore { "restore" } else { "create" }
        );
        let mut log = Vec::new();
        let outcome = if restore {
            self.restored(node, GuestKind::Lxc, vmid, ostemplate, params, &mut log)
        } else {
            self.new_ct(node, vmid, params, storage, &allocs, &mut log)
        }
        .map_err(|e| format!("{emsg} {e}"));
        self.fork_create(
            node,
            GuestKind::Lxc,
            vmid,
            restore,
            outcome,
            pool,
            params,
            exists_here,
            log,
            user,
            now,
        )
    }

    /// A new container's config.
    fn new_ct(
        &mut self,
        node: &str,
        vmid: u32,
        params: &Params,
        storage: &str,
        allocs: &[(String, propstr::Props, Alloc)],
        log: &mut Vec<String>,
    ) -> Result<Built, String> {
        let ostemplate = params.get("ostemplate").unwrap_or_default();
        if volumes::file(self, node, ostemplate).is_none() {
            return Err(format!("can't find file '{ostemplate}'"));
        }
        let mut config = ConfigMap::new();
        for (k, v) in params.iter() {
            if !LXC_EXTRA.contains(&k) && !cs::is_lxc_volume(k) {
                config.insert(k.to_owned(), normalize(GuestKind::Lxc, vmid, k, v));
            }
        }
        let mut allocs = allocs.to_vec();
        if allocs.is_empty() {
            let s =
                crate::sim::cluster::dataset::storage(storage).ok_or("storage does not exist")?;
            allocs.push((
                "rootfs".into(),
                vec![("volume".into(), format!("{storage}:4"))],
                Alloc::New(s, 4.0, None),
            ));
        }
        let mut taken = disks::taken(self);
        for (key, props, alloc) in &allocs {
            let value = disks::allocate(
                self,
                node,
                GuestKind::Lxc,
                vmid,
                key,
                props,
                alloc,
                &mut taken,
            )?;
            config.insert(key.clone(), value);
        }
        log.push(format!(
            "extracting archive '{}'",
            volumes::path(ostemplate)
        ));
        log.push("Total bytes read: 524288000 (500MiB, 112MiB/s)".into());
        config
            .entry("arch".into())
            .or_insert_with(|| "amd64".into());
        let ostype = ["ubuntu", "alpine", "fedora", "centos", "archlinux"]
            .into_iter()
            .find(|os| ostemplate.contains(os))
            .unwrap_or("debian");
        config
            .entry("ostype".into())
            .or_insert_with(|| ostype.into());
        config
            .entry("hostname".into())
            .or_insert_with(|| format!("CT{vmid}"));
        config
            .entry("memory".into())
            .or_insert_with(|| "512".into());
        config.entry("swap".into()).or_insert_with(|| "512".into());
        if params.flag("unprivileged") {
            config.insert("unprivileged".into(), "1".into());
        }
        add_macs(self, GuestKind::Lxc, &mut config);
        let tags = config.remove("tags").filter(|t| !t.is_empty());
        let template = config.remove("template").is_some_and(|t| t == "1");
        Ok(Built {
            config,
            template,
            tags,
            agent_installed: true,
        })
    }
}
