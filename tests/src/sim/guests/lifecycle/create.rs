//! `POST /nodes/{node}/qemu` (and, with [`super::create_ct`], `POST /nodes/{node}/lxc`):
//! creating a guest, or
//! restoring one from a backup (`archive`, or `ostemplate` with `restore=1`), as
//! `PVE::API2::Qemu::create_vm` and `PVE::API2::LXC::create_vm` do it: synchronous
//! checks (400 per parameter, 403 for a missing pool or a bind mount, 500 for a taken
//! vmid), then a `qmcreate`/`qmrestore`/`vzcreate`/`vzrestore` worker. The guest exists,
//! locked `create`, while the worker runs; a worker failure removes it again.

use std::time::Instant;

use super::work::{self, LifeWork, Spawn, what};
use crate::sim::cluster::dataset::GuestKind;
use crate::sim::cluster::state::{Cluster, Guest};
use crate::sim::errors::ApiError;
use crate::sim::guests::config::disks::{self, Alloc};
use crate::sim::guests::config::file::{self as conf, ConfigMap};
use crate::sim::guests::config::keys::{self as cs};
use crate::sim::guests::config::values::{add_macs, normalize, pool};
use crate::sim::params::Params;
use crate::sim::params::property_string as propstr;
use crate::sim::tasks::store::Job;

/// The parameters of a create call that are not config keys.
pub const QEMU_EXTRA: [&str; 10] = [
    "vmid",
    "archive",
    "storage",
    "force",
    "unique",
    "live-restore",
    "pool",
    "bwlimit",
    "start",
    "import-working-storage",
];
pub const LXC_EXTRA: [&str; 13] = [
    "vmid",
    "ostemplate",
    "password",
    "storage",
    "force",
    "restore",
    "unique",
    "pool",
    "ignore-unpack-errors",
    "ssh-public-keys",
    "bwlimit",
    "start",
    "unprivileged",
];

/// The guest a create worker leaves behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    pub config: ConfigMap,
    pub template: bool,
    pub tags: Option<String>,
    pub agent_installed: bool,
}

/// What a create or restore worker does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateWork {
    pub node: String,
    pub kind: GuestKind,
    pub vmid: u32,
    pub restore: bool,
    /// The finished guest, or the worker's failure (found when the call came in, reported
    /// when the worker ends, as PVE's worker would).
    pub outcome: Result<Built, String>,
    pub pool: Option<&'static str>,
    pub start: bool,
    /// An existing guest is overwritten (`force`); it is kept if the worker fails.
    pub replaces: bool,
}

impl Cluster {
    /// The `create_and_lock_config` check: the vmid must be free, or (for a forced
    /// restore) be a guest of this kind on this node that is not locked.
    fn check_vmid_free(
        &self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
        emsg: &str,
        force: bool,
    ) -> Result<bool, ApiError> {
        let Some(g) = self.guest(vmid) else {
            return Ok(false);
        };
        let same = g.seed.node == node && g.seed.kind == kind;
        if !(force && same) {
            return Err(ApiError::Internal(format!(
                "{emsg} {} {vmid} already exists on node '{}'",
                what(g.seed.kind),
                g.seed.node
            )));
        }
        if let Some(lock) = g.lock {
            return Err(ApiError::Internal(format!(
                "{emsg} {} is locked ({lock})",
                what(kind)
            )));
        }
        Ok(true)
    }

    /// `POST /nodes/{node}/qemu`.
    pub fn request_create_vm(
        &mut self,
        node: &str,
        params: &Params,
        user: &str,
    ) -> Result<String, ApiError> {
        let now = Instant::now();
        self.settle(now);
        let vmid = vmid_of(params)?;
        if let Some(keys) = params.get("sshkeys")
            && !cs::ssh_keys_valid(&crate::sim::params::percent_decode(keys))
        {
            return Err(ApiError::Internal("SSH public key validation error".into()));
        }
        let pool = pool(params.get("pool"))?;
        let archive = params.get("archive");
        let storage = params.get("storage");
        if let Some(a) = archive {
            if let Some(k) = params.names().find(|k| cs::is_qemu_drive(k)) {
                return Err(ApiError::param(k, "option conflicts with option 'archive'"));
            }
            crate::sim::guests::config::values::check_backup_volume(a)?;
        }
        let mut allocs = Vec::new();
        for (key, value) in params.iter().filter(|(k, _)| cs::is_qemu_drive(k)) {
            let props = propstr::parse(&cs::QEMU_DRIVE, value, key)
                .map_err(|_| ApiError::param(key, "unable to parse drive options"))?;
            let alloc = disks::check_qemu_drive(key, &props, storage)?;
            allocs.push((key.to_owned(), props, alloc));
        }
        allocs.sort_by_key(|(k, ..)| disks::alloc_order(k));
        let restore = archive.is_some();
        let emsg = format!(
            "unable to {} VM {vmid} -",
            if restore { "restore" } else { "create" }
        );
        let force = restore && params.flag("force");
        let replaces = self.check_vmid_free(node, GuestKind::Qemu, vmid, &emsg, force)?;
        let mut log = Vec::new();
        let outcome = match archive {
            Some(a) => self.restored(node, GuestKind::Qemu, vmid, a, params, &mut log),
            None => self.new_vm(node, vmid, params, &allocs, &mut log),
        }
        .map_err(|e| format!("{emsg} {e}"));
        self.fork_create(
            node,
            GuestKind::Qemu,
            vmid,
            restore,
            outcome,
            pool,
            params,
            replaces,
            log,
            user,
            now,
        )
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn fork_create(
        &mut self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
        restore: bool,
        outcome: Result<Built, String>,
        pool: Option<&'static str>,
        params: &Params,
        replaces: bool,
        log: Vec<String>,
        user: &str,
        now: Instant,
    ) -> Result<String, ApiError> {
        if replaces {
            if let Some(g) = self.guest_mut(vmid) {
                g.lock = Some("create");
            }
        } else {
            let config = match &outcome {
                Ok(b) => b.config.clone(),
                Err(_) => ConfigMap::new(),
            };
            let mut g = Guest::created(work::new_seed(vmid, kind, node), config, now);
            g.lock = Some("create");
            self.insert_guest(g);
        }
        let work = CreateWork {
            node: node.to_owned(),
            kind,
            vmid,
            restore,
            outcome,
            pool,
            start: params.flag("start"),
            replaces,
        };
        let task_type = match (kind, restore) {
            (GuestKind::Qemu, false) => "qmcreate",
            (GuestKind::Qemu, true) => "qmrestore",
            (GuestKind::Lxc, false) => "vzcreate",
            (GuestKind::Lxc, true) => "vzrestore",
        };
        let spawn = Spawn {
            node,
            task_type,
            id: vmid.to_string(),
            user,
            log,
            guest: Some((kind, vmid)),
            length: 1,
        };
        Ok(self.spawn_task(spawn, Job::Life(Box::new(LifeWork::Create(work))), now))
    }

    /// A new VM's config: the parameters, disks allocated, MACs, boot order, identifiers.
    fn new_vm(
        &mut self,
        node: &str,
        vmid: u32,
        params: &Params,
        allocs: &[(String, propstr::Props, Alloc)],
        log: &mut Vec<String>,
    ) -> Result<Built, String> {
        let mut config = ConfigMap::new();
        for (k, v) in params.iter() {
            if !QEMU_EXTRA.contains(&k) && !cs::is_qemu_drive(k) {
                config.insert(k.to_owned(), normalize(GuestKind::Qemu, vmid, k, v));
            }
        }
        let mut taken = disks::taken(self);
        let mut imported = false;
        for (key, props, alloc) in allocs {
            let value = disks::allocate(
                self,
                node,
                GuestKind::Qemu,
                vmid,
                key,
                props,
                alloc,
                &mut taken,
            )?;
            if matches!(alloc, Alloc::New(..) | Alloc::CloudInit(_)) {
                log.push(disks::created_line(key, &value));
            }
            imported |= matches!(alloc, Alloc::New(_, _, Some(_)));
            config.insert(key.clone(), value);
        }
        add_macs(self, GuestKind::Qemu, &mut config);
        if !config.contains_key("boot") {
            config.insert("boot".into(), conf::default_boot(&config));
        }
        config.insert(
            "meta".into(),
            format!("creation-qemu=9.0.2,ctime={}", Cluster::epoch_now()),
        );
        config
            .entry("smbios1".into())
            .or_insert_with(|| format!("uuid={}", conf::uuid(vmid, 11)));
        if config.get("vmgenid").is_none_or(|v| v == "1") {
            config.insert("vmgenid".into(), conf::uuid(vmid, 12));
        }
        let tags = config.remove("tags").filter(|t| !t.is_empty());
        let template = config.remove("template").is_some_and(|t| t == "1");
        Ok(Built {
            config,
            template,
            tags,
            agent_installed: imported,
        })
    }

    /// Runs a create or restore worker.
    pub(crate) fn apply_create(
        &mut self,
        w: &CreateWork,
        at: Instant,
        log: &mut Vec<String>,
    ) -> Result<(), String> {
        let built = match &w.outcome {
            Ok(b) => b.clone(),
            Err(e) => {
                self.undo_create(w);
                return Err(e.clone());
            }
        };
        if w.replaces {
            let g = self.guest(w.vmid).ok_or("guest vanished")?;
            let emsg = format!("unable to restore {} {} -", what(w.kind), w.vmid);
            if g.protected() {
                self.unlock(w.vmid);
                return Err(format!("{emsg} protection mode enabled"));
            }
            if g.is_running() {
                self.unlock(w.vmid);
                return Err(format!("{emsg} vm is running"));
            }
        }
        let Some(g) = self.guest_mut(w.vmid) else {
            return Err(format!(
                "unable to create {} {} - config vanished",
                what(w.kind),
                w.vmid
            ));
        };
        g.config = Some(Box::new(built.config));
        g.sync_traits();
        g.tags = built.tags;
        g.seed.template = built.template;
        g.agent_installed = built.agent_installed;
        g.snapshots.clear();
        g.parent = None;
        g.lock = None;
        if w.pool.is_some() {
            g.seed.pool = w.pool;
        }
        if built.template && w.restore {
            log.push("Convert to template.".into());
        }
        if w.start && !built.template {
            log.push("Execute autostart".into());
            g.boot(at);
        }
        Ok(())
    }

    /// Removes what a failed or interrupted create leaves (a restore over an existing
    /// guest only loses its lock).
    pub(crate) fn undo_create(&mut self, w: &CreateWork) {
        if w.replaces {
            self.unlock(w.vmid);
        } else if self.guest(w.vmid).is_some_and(|g| g.lock == Some("create")) {
            self.remove_guest(w.vmid);
        }
    }
}

pub(crate) fn vmid_of(params: &Params) -> Result<u32, ApiError> {
    params
        .get("vmid")
        .and_then(|v| crate::sim::params::check_vmid(v).ok())
        .ok_or_else(|| ApiError::param("vmid", crate::sim::errors::schema::MISSING))
}
