//! Scheduled jobs that name guests, as pve-manager renders them: vzdump backup jobs
//! (`jobs.cfg`; `GET /cluster/backup`, `/cluster/backup/{id}`, `.../included_volumes`,
//! `GET /cluster/backup-info/not-backed-up`, from `PVE::API2::Backup` and
//! `PVE::API2::Cluster::BackupInfo`) and storage replication jobs (`replication.cfg`;
//! `GET /cluster/replication[/{id}]` from `PVE::API2::ReplicationConfig`, `GET
//! /nodes/{node}/replication[/{id}/status|log]` from `PVE::API2::Replication`). The
//! simulated cluster starts with none; an administrator adds them
//! ([`crate::sim::SimHandle::add_backup_job`], [`crate::sim::SimHandle::add_replication_job`]).
//! Job ids from clients are only compared.

use serde_json::{Value, json};

use super::dataset::GuestKind;
use super::state::Cluster;
use crate::sim::errors::ApiError;

/// A fixed "next run" for every job (PVE computes it from the schedule).
const NEXT_RUN: u64 = 1_735_000_000;
/// When every replication job last synced.
const LAST_SYNC: u64 = 1_734_999_100;

/// Which guests a backup job backs up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// `vmid: 250,251` (guests that no longer exist stay listed).
    Vmids(Vec<u32>),
    /// `all: 1`, with `exclude`.
    All { exclude: Vec<u32> },
    /// `pool: NAME`.
    Pool(String),
}

/// One `vzdump` job of `jobs.cfg`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupJob {
    pub id: String,
    pub schedule: String,
    pub storage: String,
    pub selection: Selection,
    pub enabled: bool,
    pub comment: Option<String>,
}

/// One job of `replication.cfg`: guest `guest`'s disks to node `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationJob {
    pub guest: u32,
    pub jobnum: u32,
    pub target: String,
    pub schedule: String,
    pub comment: Option<String>,
}

impl ReplicationJob {
    /// `{guest}-{jobnum}`.
    pub fn id(&self) -> String {
        format!("{}-{}", self.guest, self.jobnum)
    }
}

/// The cluster's jobs.
#[derive(Debug, Default)]
pub struct Jobs {
    pub backup: Vec<BackupJob>,
    pub replication: Vec<ReplicationJob>,
}

fn vmid_list(v: &[u32]) -> String {
    v.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

fn backup_entry(j: &BackupJob) -> Value {
    let mut v = json!({
        "id": j.id, "type": "vzdump", "schedule": j.schedule, "storage": j.storage,
        "mode": "snapshot", "compress": "zstd", "enabled": u8::from(j.enabled),
        "notes-template": "{{guestname}}", "next-run": NEXT_RUN,
    });
    match &j.selection {
        Selection::Vmids(ids) => v["vmid"] = json!(vmid_list(ids)),
        Selection::All { exclude } => {
            v["all"] = json!(1);
            if !exclude.is_empty() {
                v["exclude"] = json!(vmid_list(exclude));
            }
        }
        Selection::Pool(p) => v["pool"] = json!(p),
    }
    if let Some(c) = &j.comment {
        v["comment"] = json!(c);
    }
    v
}

/// `GET /cluster/backup`.
pub fn backup_jobs(c: &Cluster) -> Value {
    Value::Array(c.jobs.backup.iter().map(backup_entry).collect())
}

fn find_backup<'a>(c: &'a Cluster, id: &str) -> Result<&'a BackupJob, ApiError> {
    c.jobs
        .backup
        .iter()
        .find(|j| j.id == id)
        .ok_or_else(|| ApiError::param("id", format!("No such job '{id}'")))
}

/// `GET /cluster/backup/{id}`.
pub fn backup_job(c: &Cluster, id: &str) -> Result<Value, ApiError> {
    find_backup(c, id).map(backup_entry)
}

/// The vmids a job covers, ascending (explicit ones even if the guest is gone).
fn covered(c: &Cluster, j: &BackupJob) -> Vec<u32> {
    let mut out: Vec<u32> = match &j.selection {
        Selection::Vmids(ids) => ids.clone(),
        Selection::All { exclude } => c
            .guests
            .iter()
            .map(|g| g.seed.vmid)
            .filter(|v| !exclude.contains(v))
            .collect(),
        Selection::Pool(p) => c
            .guests
            .iter()
            .filter(|g| g.seed.pool == Some(p.as_str()))
            .map(|g| g.seed.vmid)
            .collect(),
    };
    out.sort_unstable();
    out.dedup();
    out
}

/// `GET /cluster/backup/{id}/included_volumes`: the job's guests and their disks.
pub fn included_volumes(c: &Cluster, id: &str) -> Result<Value, ApiError> {
    let job = find_backup(c, id)?;
    let children: Vec<Value> = covered(c, job)
        .into_iter()
        .map(|vmid| match c.guest(vmid) {
            None => json!({"id": vmid, "type": "unknown", "leaf": 1}),
            Some(g) => {
                let disks: Vec<Value> = g
                    .volumes()
                    .into_iter()
                    .filter(|v| !v.cdrom && !v.cloudinit && !v.key.starts_with("unused"))
                    .map(|v| {
                        json!({"id": format!("{vmid}:{}", v.key), "name": v.volid,
                               "included": 1, "reason": "backup=yes", "leaf": 1})
                    })
                    .collect();
                let leaf = u8::from(disks.is_empty());
                json!({"id": vmid, "type": g.seed.kind.as_str(), "name": g.seed.name,
                       "children": disks, "leaf": leaf})
            }
        })
        .collect();
    Ok(json!({ "children": children }))
}

/// `GET /cluster/backup-info/not-backed-up`: guests no enabled job covers.
pub fn not_backed_up(c: &Cluster) -> Value {
    let mut covered_all: Vec<u32> = c
        .jobs
        .backup
        .iter()
        .filter(|j| j.enabled)
        .flat_map(|j| covered(c, j))
        .collect();
    covered_all.sort_unstable();
    let list: Vec<Value> = c
        .guests
        .iter()
        .filter(|g| covered_all.binary_search(&g.seed.vmid).is_err())
        .map(|g| json!({"vmid": g.seed.vmid, "name": g.seed.name, "type": g.seed.kind.as_str()}))
        .collect();
    Value::Array(list)
}

fn replication_entry(c: &Cluster, j: &ReplicationJob) -> Value {
    let mut v = json!({
        "id": j.id(), "type": "local", "guest": j.guest, "jobnum": j.jobnum,
        "target": j.target, "schedule": j.schedule,
    });
    if let Some(g) = c.guest(j.guest) {
        v["source"] = json!(g.seed.node);
    }
    if let Some(comment) = &j.comment {
        v["comment"] = json!(comment);
    }
    v
}

/// `GET /cluster/replication`.
pub fn replication_jobs(c: &Cluster) -> Value {
    Value::Array(
        c.jobs
            .replication
            .iter()
            .map(|j| replication_entry(c, j))
            .collect(),
    )
}

fn find_replication<'a>(c: &'a Cluster, id: &str) -> Option<&'a ReplicationJob> {
    c.jobs.replication.iter().find(|j| j.id() == id)
}

/// `GET /cluster/replication/{id}`.
pub fn replication_job(c: &Cluster, id: &str) -> Result<Value, ApiError> {
    find_replication(c, id)
        .map(|j| replication_entry(c, j))
        .ok_or_else(|| ApiError::Internal(format!("replication job '{id}' does not exist")))
}

fn replication_status(c: &Cluster, j: &ReplicationJob) -> Value {
    let mut v = replication_entry(c, j);
    v["last_sync"] = json!(LAST_SYNC);
    v["last_try"] = json!(LAST_SYNC);
    v["next_sync"] = json!(LAST_SYNC + 900);
    v["duration"] = json!(2.1);
    v["fail_count"] = json!(0);
    if let Some(g) = c.guest(j.guest) {
        v["vmtype"] = json!(g.seed.kind.as_str());
    }
    v
}

/// The jobs whose guest runs on `node` (replication runs on the guest's node).
fn node_jobs<'a>(c: &'a Cluster, node: &'a str) -> impl Iterator<Item = &'a ReplicationJob> {
    c.jobs
        .replication
        .iter()
        .filter(move |j| c.guest(j.guest).is_some_and(|g| g.seed.node == node))
}

/// `GET /nodes/{node}/replication[?guest=]`: the status of the node's jobs.
pub fn node_replication(c: &Cluster, node: &str, guest: Option<u32>) -> Value {
    Value::Array(
        node_jobs(c, node)
            .filter(|j| guest.is_none_or(|g| g == j.guest))
            .map(|j| replication_status(c, j))
            .collect(),
    )
}

/// `GET /nodes/{node}/replication/{id}/status`.
pub fn node_replication_status(c: &Cluster, node: &str, id: &str) -> Result<Value, ApiError> {
    node_jobs(c, node)
        .find(|j| j.id() == id)
        .map(|j| replication_status(c, j))
        .ok_or_else(|| ApiError::Internal(format!("no such replication job '{id}'")))
}

/// `GET /nodes/{node}/replication/{id}/log`: the last run's log, `{n, t}` lines.
pub fn node_replication_log(c: &Cluster, node: &str, id: &str) -> Result<Value, ApiError> {
    let j = node_jobs(c, node)
        .find(|j| j.id() == id)
        .ok_or_else(|| ApiError::Internal(format!("no such replication job '{id}'")))?;
    let g = c.guest(j.guest);
    let kind = match g.map(|g| g.seed.kind) {
        Some(GuestKind::Lxc) => "CT",
        _ => "VM",
    };
    let mut lines = vec![
        format!("2024-12-24 00:15:00 {id}: start replication job"),
        format!(
            "2024-12-24 00:15:00 {id}: guest => {kind} {}, running => 1",
            j.guest
        ),
    ];
    for v in g.map(|g| g.volumes()).unwrap_or_default() {
        lines.push(format!("2024-12-24 00:15:01 {id}: volumes => {}", v.volid));
    }
    lines.push(format!("2024-12-24 00:15:02 {id}: end replication job"));
    let list: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"n": i + 1, "t": t}))
        .collect();
    Ok(Value::Array(list))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn jobs_name_their_guests() {
        let mut c = Cluster::new(3, 12, Duration::ZERO, String::new());
        c.jobs.backup.push(BackupJob {
            id: "backup-a".into(),
            schedule: "daily".into(),
            storage: "nas".into(),
            selection: Selection::Vmids(vec![101, 9008]),
            enabled: true,
            comment: None,
        });
        c.jobs.replication.push(ReplicationJob {
            guest: 101,
            jobnum: 0,
            target: "pve3".into(),
            schedule: "*/15".into(),
            comment: None,
        });
        assert_eq!(backup_jobs(&c)[0]["vmid"], "101,9008");
        let inc = included_volumes(&c, "backup-a").unwrap();
        assert_eq!(inc["children"][0]["children"][0]["id"], "101:scsi0");
        assert_eq!(inc["children"][1]["type"], "unknown");
        let not = not_backed_up(&c);
        assert!(not.as_array().unwrap().iter().all(|g| g["vmid"] != 101));
        assert_eq!(replication_jobs(&c)[0]["id"], "101-0");
        assert_eq!(node_replication(&c, "pve2", None)[0]["guest"], 101);
        assert_eq!(node_replication(&c, "pve1", None), json!([]));
        let log = node_replication_log(&c, "pve2", "101-0").unwrap();
        assert!(
            log[1]["t"]
                .as_str()
                .unwrap()
                .ends_with("guest => VM 101, running => 1")
        );
        assert!(backup_job(&c, "nope").is_err());
    }
}
