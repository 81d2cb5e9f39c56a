//! Config writes, as `PVE::API2::Qemu` (`PUT`: synchronous, `POST`:
//! a `qmconfig` worker) and `PVE::API2::LXC::Config` (`PUT` only) do them: `delete` and
//! the root-only keys checked first, then `digest` and the config lock, then the change.
//! Changes apply at once, also to running guests (PVE would keep some as `pending` until
//! a reboot). A removed disk becomes `unusedN`; removing `unusedN` frees the volume.

use std::time::Instant;

use super::disks::{self, Alloc};
use super::file::{self as conf, ConfigMap};
use super::keys::{self as cs};
use super::values::{add_macs, check_features, normalize};
use crate::sim::cluster::dataset::GuestKind;
use crate::sim::cluster::state::Cluster;
use crate::sim::errors::ApiError;
use crate::sim::guests::lifecycle::work::{LifeWork, Spawn};
use crate::sim::params::Params;
use crate::sim::params::property_string as propstr;
use crate::sim::tasks::store::Job;

/// A config change, checked, waiting to be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWork {
    pub node: String,
    pub kind: GuestKind,
    pub vmid: u32,
    pub delete: Vec<String>,
    /// `(key, value)` to set, in PVE's (sorted) order.
    pub set: Vec<(String, String)>,
}

/// QEMU keys a token may not set (`$check_vm_modify_config_perm` leaves them to root).
fn qemu_root_only(key: &str) -> bool {
    [
        "args",
        "lock",
        "hookscript",
        "arch",
        "affinity",
        "ivshmem",
        "amd-sev",
        "vmgenid",
        "spice_enhancements",
        "hugepages",
        "keephugepages",
    ]
    .contains(&key)
        || matches!(cs::numbered(key), ("parallel" | "usb" | "hostpci", Some(_)))
}

fn err(msg: String) -> ApiError {
    ApiError::Internal(msg)
}

impl Cluster {
    /// `PUT`/`POST .../config`: the synchronous part; `PUT` also applies the change
    /// (returns `None`), `POST` forks a `qmconfig` worker (returns its UPID).
    pub fn request_config(
        &mut self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
        params: &Params,
        user: &str,
        sync: bool,
    ) -> Result<Option<String>, ApiError> {
        let now = Instant::now();
        self.settle(now);
        let mut p = params.clone();
        let digest = p.take("digest");
        p.take("background_delay");
        p.take("import-working-storage");
        if p.take("skiplock").is_some_and(|v| v == "1") {
            return Err(ApiError::param(
                "skiplock",
                crate::sim::errors::schema::ROOT_ONLY,
            ));
        }
        let delete_str = params.all("delete").join(",");
        p.take("delete");
        let revert = params.all("revert").join(",");
        p.take("revert");
        p.take("force");
        if let Some(keys) = p.get("sshkeys")
            && !cs::ssh_keys_valid(&crate::sim::params::percent_decode(keys))
        {
            return Err(err("SSH public key validation error".into()));
        }
        if delete_str.is_empty() && revert.is_empty() && p.is_empty() {
            return Err(err("no options specified".into()));
        }
        for opt in cs::split_list(&revert) {
            if cs::config_key(kind, opt).is_none() {
                return Err(ApiError::param("revert", format!("unknown option '{opt}'")));
            }
        }
        let mut delete = Vec::new();
        for opt in cs::split_list(&delete_str) {
            let opt = if opt == "cdrom" && kind == GuestKind::Qemu {
                "ide2"
            } else {
                opt
            };
            if p.get(opt).is_some() {
                return Err(ApiError::param(
                    "delete",
                    format!("you can't use '-{opt}' and -delete {opt}' at the same time"),
                ));
            }
            if cs::config_key(kind, opt).is_none() {
                return Err(ApiError::param("delete", format!("unknown option '{opt}'")));
            }
            delete.push(opt.to_owned());
        }
        let g = self
            .guest_on(node, kind, vmid)
            .ok_or_else(|| ApiError::no_config(node, kind.config_dir(), vmid))?;
        match kind {
            GuestKind::Qemu => {
                for key in p.names().chain(delete.iter().map(String::as_str)) {
                    if qemu_root_only(key) {
                        return Err(err(format!("only root can set '{key}' config")));
                    }
                }
                for (key, value) in p.iter().filter(|(k, _)| cs::is_qemu_drive(k)) {
                    let props = propstr::parse(&cs::QEMU_DRIVE, value, key)
                        .map_err(|_| ApiError::param(key, "unable to parse drive options"))?;
                    disks::check_qemu_drive(key, &props, None)?;
                }
                if digest.as_deref().is_some_and(|d| d != conf::digest(g)) {
                    return Err(err("checksum mismatch (file change by other user?)".into()));
                }
                if let Some(lock) = g.lock {
                    return Err(err(format!("VM is locked ({lock})")));
                }
                check_balloon(&g.config_map(), &p)?;
            }
            GuestKind::Lxc => {
                if let Some(lock) = g.lock {
                    return Err(err(format!("CT is locked ({lock})")));
                }
                if digest.as_deref().is_some_and(|d| d != conf::digest(g)) {
                    return Err(err(
                        "detected modified configuration - file changed by other user? Try again."
                            .into(),
                    ));
                }
                check_ct_perms(&p, &delete, &g.config_map())?;
            }
        }
        let work = ConfigWork {
            node: node.to_owned(),
            kind,
            vmid,
            delete,
            set: p
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        };
        if sync {
            let mut log = Vec::new();
            self.apply_config(&work, &mut log).map_err(err)?;
            return Ok(None);
        }
        let mut args: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("-{k} {}", if k == "cipassword" { "<hidden>" } else { v }))
            .collect();
        args.sort();
        let spawn = Spawn {
            node,
            task_type: "qmconfig",
            id: vmid.to_string(),
            user,
            log: vec![format!("update VM {vmid}: {}", args.join(" "))],
            guest: Some((kind, vmid)),
            length: 1,
        };
        Ok(Some(self.spawn_task(
            spawn,
            Job::Life(Box::new(LifeWork::Config(work))),
            now,
        )))
    }

    /// Applies a config change (the worker, or a `PUT` at once).
    pub(crate) fn apply_config(
        &mut self,
        w: &ConfigWork,
        log: &mut Vec<String>,
    ) -> Result<(), String> {
        let kind = w.kind;
        let exists = self.guest_on(&w.node, kind, w.vmid).is_some();
        if !exists {
            return Err(format!(
                "Configuration file 'nodes/{}/{}/{}.conf' does not exist",
                w.node,
                kind.config_dir(),
                w.vmid
            ));
        }
        let mut taken = disks::taken(self);
        let mut prepared: Vec<(String, String)> = Vec::new();
        for (key, value) in &w.set {
            let is_volume = match kind {
                GuestKind::Qemu => cs::is_qemu_drive(key),
                GuestKind::Lxc => cs::is_lxc_volume(key),
            };
            if !is_volume {
                prepared.push((key.clone(), normalize(kind, w.vmid, key, value)));
                continue;
            }
            let format = cs::volume_format(kind, key);
            let props = propstr::parse(format, value, key).map_err(|e| format!("{key}: {e}"))?;
            let alloc = match kind {
                GuestKind::Qemu => disks::check_qemu_drive(key, &props, None),
                GuestKind::Lxc => disks::check_mountpoint(&props, false),
            }
            .map_err(|e| e.message().trim_end().to_owned())?;
            let new =
                disks::allocate(self, &w.node, kind, w.vmid, key, &props, &alloc, &mut taken)?;
            if matches!(alloc, Alloc::New(..)) {
                log.push(disks::created_line(key, &new));
            }
            prepared.push((key.clone(), new));
        }
        let mut nics: ConfigMap = prepared
            .iter()
            .filter(|(k, _)| matches!(cs::numbered(k), ("net", Some(_))))
            .cloned()
            .collect();
        add_macs(self, kind, &mut nics);
        let Some(g) = self.guest_mut(w.vmid) else {
            return Err("guest vanished".into());
        };
        let protected = g.protected();
        let vmid = g.seed.vmid;
        let mut tags = g.tags.clone();
        let mut template = g.seed.template;
        let mut lock = g.lock;
        let mut map = g.config_map().into_owned();
        for opt in &w.delete {
            if !(map.contains_key(opt) || opt == "tags" && tags.is_some()) {
                log.push(format!(
                    "cannot delete '{opt}' - not set in current configuration!"
                ));
                continue;
            }
            delete_key(kind, vmid, &mut map, opt, protected)?;
            match opt.as_str() {
                "tags" => tags = None,
                "template" => template = false,
                "lock" => lock = None,
                _ => {}
            }
        }
        for (key, value) in prepared {
            let value = nics.get(&key).cloned().unwrap_or(value);
            let is_volume = cs::is_qemu_drive(&key) || cs::is_lxc_volume(&key);
            if kind == GuestKind::Lxc && is_volume && protected {
                return Err(format!(
                    "can't update CT {vmid} drive '{key}' - protection mode enabled"
                ));
            }
            match key.as_str() {
                "tags" => tags = Some(value).filter(|t| !t.is_empty()),
                "template" => template = value == "1",
                "lock" => lock = lock_name(&value),
                "unprivileged" if kind == GuestKind::Lxc => {
                    return Err("unable to modify read-only option: 'unprivileged'".into());
                }
                "boot" => {
                    check_boot(&map, &value, &w.delete, &w.set)?;
                    map.insert(key, value);
                }
                _ => {
                    if is_volume && let Some(old) = map.get(&key).cloned() {
                        park_old_volume(kind, &mut map, &old, &value);
                    }
                    map.insert(key, value);
                }
            }
        }
        *g.config_mut() = map;
        g.tags = tags;
        g.seed.template = template;
        g.lock = lock;
        g.sync_traits();
        Ok(())
    }
}

/// PVE's `lock` values.
fn lock_name(v: &str) -> Option<&'static str> {
    [
        "backup",
        "clone",
        "create",
        "destroyed",
        "disk",
        "fstrim",
        "migrate",
        "mounted",
        "rollback",
        "snapshot",
        "snapshot-delete",
        "suspended",
        "suspending",
    ]
    .into_iter()
    .find(|l| *l == v)
}

/// The balloon check `update_vm_api` makes before forking.
fn check_balloon(map: &ConfigMap, p: &Params) -> Result<(), ApiError> {
    if p.get("memory").is_none() && p.get("balloon").is_none() {
        return Ok(());
    }
    let memory = p
        .get("memory")
        .map(conf::qemu_memory)
        .or_else(|| map.get("memory").map(|m| conf::qemu_memory(m)))
        .unwrap_or(512);
    let balloon = p
        .get("balloon")
        .or(map.get("balloon").map(String::as_str))
        .and_then(|b| b.parse::<u64>().ok())
        .unwrap_or(0);
    if balloon > memory {
        return Err(err(
            "balloon value too large (must be smaller than assigned memory)".into(),
        ));
    }
    Ok(())
}

/// `check_ct_modify_config_perm` for a token (not root@pam).
fn check_ct_perms(p: &Params, delete: &[String], map: &ConfigMap) -> Result<(), ApiError> {
    let unprivileged = map.get("unprivileged").is_some_and(|v| v == "1");
    for key in p.names().chain(delete.iter().map(String::as_str)) {
        if matches!(cs::numbered(key), ("dev", Some(_))) {
            return Err(ApiError::Permission(
                "configuring device passthrough is only allowed for root@pam".into(),
            ));
        }
        if key == "hookscript" {
            return Err(ApiError::Permission(
                "changing the hookscript is only allowed for root@pam".into(),
            ));
        }
    }
    if p.iter()
        .any(|(k, v)| cs::is_lxc_volume(k) && v.starts_with('/'))
    {
        return Err(ApiError::Permission(
            "mount point type bind is only allowed for root@pam".into(),
        ));
    }
    if let Some(f) = p.get("features") {
        let old = map.get("features").cloned().unwrap_or_default();
        let old = propstr::parse(&cs::FEATURES, &old, "features").unwrap_or_default();
        let new = propstr::parse(&cs::FEATURES, f, "features").unwrap_or_default();
        let changed_other = new
            .iter()
            .chain(old.iter())
            .any(|(k, _)| k != "nesting" && propstr::get(&old, k) != propstr::get(&new, k));
        if !unprivileged {
            check_features(Some(f), false)?;
        } else if changed_other {
            return Err(ApiError::Permission(
                "changing feature flags (except nesting) is only allowed for root@pam".into(),
            ));
        }
    }
    Ok(())
}

/// Removes `opt` from a config as the worker does: a disk becomes `unusedN`, an
/// `unusedN` (or a cloud-init drive) frees its volume, a deleted device leaves the boot
/// order.
fn delete_key(
    kind: GuestKind,
    vmid: u32,
    map: &mut ConfigMap,
    opt: &str,
    protected: bool,
) -> Result<(), String> {
    let value = map.get(opt).cloned().unwrap_or_default();
    let vols = conf::volumes(kind, &ConfigMap::from([(opt.to_owned(), value.clone())]));
    let vol = vols.first();
    match kind {
        GuestKind::Qemu if cs::is_unused(opt) && protected => {
            let volid = vol.map(|v| v.volid.clone()).unwrap_or_default();
            return Err(format!(
                "can't remove unused disk '{volid}' - protection mode enabled"
            ));
        }
        GuestKind::Qemu if cs::is_qemu_drive(opt) && protected => {
            return Err(format!(
                "can't remove drive '{opt}' - protection mode enabled"
            ));
        }
        GuestKind::Lxc if (cs::is_unused(opt) || cs::is_lxc_volume(opt)) && protected => {
            return Err(format!(
                "can't remove CT {vmid} drive '{opt}' - protection mode enabled"
            ));
        }
        GuestKind::Lxc if ["memory", "rootfs", "ostype"].contains(&opt) => {
            return Err(format!("unable to delete required option '{opt}'"));
        }
        GuestKind::Lxc if opt == "unprivileged" => {
            return Err(format!("unable to delete read-only option: '{opt}'"));
        }
        _ => {}
    }
    map.remove(opt);
    if let Some(v) = vol
        && !cs::is_unused(opt)
        && !v.cdrom
    {
        add_unused(map, &v.volid);
    }
    if kind == GuestKind::Qemu
        && let Some(boot) = map.get("boot").cloned()
        && let Some(order) = boot.strip_prefix("order=")
    {
        let rest: Vec<&str> = order.split(';').filter(|d| *d != opt).collect();
        map.insert("boot".into(), format!("order={}", rest.join(";")));
    }
    Ok(())
}

/// Records a detached volume as the next free `unusedN`.
fn add_unused(map: &mut ConfigMap, volid: &str) {
    if map.values().any(|v| v == volid) {
        return;
    }
    if let Some(key) = (0..256)
        .map(|n| format!("unused{n}"))
        .find(|k| !map.contains_key(k))
    {
        map.insert(key, volid.to_owned());
    }
}

/// A drive replaced by another volume: the old one (a disk, not a CD-ROM) stays as unused.
fn park_old_volume(kind: GuestKind, map: &mut ConfigMap, old: &str, new: &str) {
    let key = match kind {
        GuestKind::Qemu => "scsi0",
        GuestKind::Lxc => "rootfs",
    };
    let volid = |v: &str| {
        conf::volumes(kind, &ConfigMap::from([(key.to_owned(), v.to_owned())]))
            .into_iter()
            .next()
    };
    let (old_vol, new_vol) = (volid(old), volid(new));
    if let Some(o) = old_vol
        && !o.cdrom
        && new_vol.is_none_or(|n| n.volid != o.volid)
    {
        add_unused(map, &o.volid);
    }
}

/// `invalid bootorder: device 'x' does not exist'` (PVE's message, quote included).
fn check_boot(
    map: &ConfigMap,
    value: &str,
    delete: &[String],
    set: &[(String, String)],
) -> Result<(), String> {
    let order = value
        .split(',')
        .find_map(|p| p.strip_prefix("order="))
        .unwrap_or("");
    for dev in order.split(';').filter(|d| !d.is_empty()) {
        let exists = map.contains_key(dev) || set.iter().any(|(k, _)| k == dev);
        if !exists || delete.iter().any(|d| d == dev) {
            return Err(format!("invalid bootorder: device '{dev}' does not exist'"));
        }
    }
    Ok(())
}
