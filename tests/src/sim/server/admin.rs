//! What an administrator does to the simulated cluster behind the API, for tests that
//! need states no API call of the token makes: edit a guest's config file (a privileged
//! container, a host device), drop a backup holding any config onto a storage, change
//! the token's role; and, for tests that need a cluster shaped their way, add guests
//! with any vmid, pool and tags, tasks others ran, orphan disks, backup and replication
//! jobs, HA rules and ACL entries. Used by [`crate::sim::SimHandle`] and (the first three)
//! the `/_sim/` control endpoints.

use std::time::Instant;

use crate::sim::cluster::dataset::GuestKind;
use crate::sim::cluster::shared::SharedCluster;

/// Sets (`Some`) or removes (`None`) keys of guest `vmid`'s config, as editing
/// `/etc/pve/nodes/NODE/{qemu-server,lxc}/VMID.conf` does; `false` if there is no
/// such guest.
pub fn edit_config(
    cluster: &SharedCluster,
    vmid: u32,
    changes: &[(String, Option<String>)],
) -> bool {
    let mut c = cluster.write().unwrap_or_else(|e| e.into_inner());
    c.settle(Instant::now());
    let Some(g) = c.guest_mut(vmid) else {
        return false;
    };
    let config = g.config_mut();
    for (key, value) in changes {
        match value {
            Some(v) => {
                config.insert(key.clone(), v.clone());
            }
            None => {
                config.remove(key);
            }
        }
    }
    g.sync_traits();
    true
}

/// Puts a backup of guest `vmid` (of `kind`) holding `config` on `storage` of `node`;
/// returns its volume ID.
pub fn add_backup(
    cluster: &SharedCluster,
    node: &str,
    storage: &str,
    kind: GuestKind,
    vmid: u32,
    config: &str,
) -> Result<String, String> {
    let mut c = cluster.write().unwrap_or_else(|e| e.into_inner());
    c.add_backup(node, storage, kind, vmid, config)
}

/// Gives the token a role of exactly `privileges`, checked from now on; `None` goes
/// back to the default role, which is not checked.
pub fn set_role(cluster: &SharedCluster, privileges: Option<&[String]>) -> Result<(), String> {
    let mut c = cluster.write().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = privileges {
        c.pve.check_privileges(p)?;
    }
    c.role = privileges.map(|p| p.iter().cloned().collect());
    Ok(())
}

/// A guest as an administrator makes it behind the API (restored from elsewhere, or
/// written as a config file), with any vmid, pool, tags and config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGuest {
    pub vmid: u32,
    pub kind: GuestKind,
    pub node: String,
    /// One of the dataset's pools ([`crate::sim::cluster::dataset::POOLS`]), or none.
    pub pool: Option<String>,
    /// `a;b`, as the config keeps it.
    pub tags: Option<String>,
    /// The config file's keys and values (without `tags`, `template`, `lock`).
    pub config: std::collections::BTreeMap<String, String>,
    pub running: bool,
    pub template: bool,
    /// HA-managed (`hastart`/`hastop` tasks, listed by the HA endpoints).
    pub ha: bool,
    pub snapshots: Vec<NewSnapshot>,
}

/// A snapshot of a [`NewGuest`], oldest first; the guest's state derives from the last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSnapshot {
    pub name: String,
    pub description: String,
    /// The config and tags the snapshot section holds (what a rollback brings back).
    pub config: std::collections::BTreeMap<String, String>,
    pub tags: Option<String>,
}

/// Adds guest `g`; fails when its vmid is taken, its node or pool does not exist.
pub fn add_guest(cluster: &SharedCluster, g: NewGuest) -> Result<(), String> {
    let mut c = cluster.write().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    c.settle(now);
    if c.guest(g.vmid).is_some() {
        return Err(format!("VM {} already exists", g.vmid));
    }
    if c.node(&g.node).is_none_or(|n| n.name != g.node) {
        return Err(format!("no node {:?}", g.node));
    }
    let pool = match g.pool.as_deref() {
        None => None,
        Some(p) => Some(
            *crate::sim::cluster::dataset::POOLS
                .iter()
                .find(|x| **x == p)
                .ok_or_else(|| format!("no pool {p:?}"))?,
        ),
    };
    let mut seed = crate::sim::cluster::dataset::guest(0, 1);
    seed.index = usize::try_from(g.vmid).unwrap_or(0);
    seed.vmid = g.vmid;
    seed.kind = g.kind;
    seed.node = g.node.clone();
    seed.pool = pool;
    seed.tags = Vec::new();
    seed.locked = false;
    seed.template = g.template;
    seed.ha = g.ha;
    let mut guest = crate::sim::cluster::state::Guest::created(seed, g.config, now);
    guest.tags = g.tags;
    if g.running && !g.template {
        guest.boot(now);
        guest.uptime_base = 86_400;
    }
    let mut parent: Option<String> = None;
    for (i, s) in g.snapshots.into_iter().enumerate() {
        guest
            .snapshots
            .push(crate::sim::guests::snapshots::Snapshot {
                name: s.name.clone(),
                description: s.description,
                snaptime: 1_734_000_000 + i as u64 * 3600,
                vmstate: false,
                parent: parent.clone(),
                saved: Some(crate::sim::guests::snapshots::SavedConfig {
                    config: s.config,
                    tags: s.tags,
                }),
            });
        parent = Some(s.name);
    }
    guest.parent = parent;
    c.insert_guest(guest);
    Ok(())
}

/// Removes guest `vmid` outright (its config file deleted behind the API; volumes,
/// tasks and jobs stay); `false` if there is no such guest.
pub fn remove_guest(cluster: &SharedCluster, vmid: u32) -> bool {
    let mut c = cluster.write().unwrap_or_else(|e| e.into_inner());
    c.settle(Instant::now());
    c.remove_guest(vmid).is_some()
}

/// Records a task someone else ran ([`crate::sim::tasks::history`]); returns its UPID.
pub fn add_task(
    cluster: &SharedCluster,
    record: crate::sim::tasks::history::TaskRecord,
) -> Result<String, String> {
    let mut c = cluster.write().unwrap_or_else(|e| e.into_inner());
    c.add_task(record)
}

/// Puts a disk volume no guest config references (an orphan, e.g. left by a guest
/// destroyed without purging, or detached and never deleted) on `node`'s storage.
pub fn add_orphan_disk(
    cluster: &SharedCluster,
    node: &str,
    volid: &str,
    vmid: u32,
    size: u64,
) -> Result<(), String> {
    let mut c = cluster.write().unwrap_or_else(|e| e.into_inner());
    let sid = volid.split(':').next().unwrap_or_default();
    let s =
        crate::sim::cluster::dataset::storage(sid).ok_or_else(|| format!("no storage {sid:?}"))?;
    if !s.holds("images") || c.node(node).is_none_or(|n| n.name != node) {
        return Err(format!("no disk storage {sid:?} on node {node:?}"));
    }
    let format = volid.rsplit_once('.').map_or("raw", |(_, ext)| ext);
    c.files.add(
        node,
        crate::sim::storage::volumes::FileVolume {
            volid: volid.to_owned(),
            content: "images",
            format: format.to_owned(),
            size,
            ctime: 1_718_000_000 + u64::from(vmid),
            vmid: Some(vmid),
            kind: None,
            notes: None,
            virtual_size: size,
            config: None,
        },
    );
    Ok(())
}

/// Adds a backup job, a replication job, an HA rule or an ACL entry.
pub fn add_record(cluster: &SharedCluster, record: Record) {
    let mut c = cluster.write().unwrap_or_else(|e| e.into_inner());
    match record {
        Record::BackupJob(j) => c.jobs.backup.push(j),
        Record::ReplicationJob(j) => c.jobs.replication.push(j),
        Record::HaRule(r) => c.ha_rules.push(r),
        Record::Acl(e) => c.acl.push(e),
    }
}

/// What an administrator configures around the guests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    BackupJob(crate::sim::cluster::jobs::BackupJob),
    ReplicationJob(crate::sim::cluster::jobs::ReplicationJob),
    HaRule(crate::sim::cluster::ha::HaRule),
    Acl(crate::sim::access::acl::AclEntry),
}
