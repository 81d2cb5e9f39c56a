//! Guest snapshots as `PVE::API2::Qemu` / `PVE::API2::LXC::Snapshot` and
//! `PVE::AbstractConfig` handle them: the listing with its `current` entry, the
//! synchronous checks (reserved names, HTTP 500), and the worker tasks (`qmsnapshot`,
//! `qmrollback`, `qmdelsnapshot`, `vz*` for containers) whose failures ("snapshot name
//! 'x' already used", "snapshot 'x' does not exist") end up in the task's exit status.
//! A worker locks the guest's config (`snapshot`, `snapshot-delete`, `rollback`) while it
//! runs; one that finds the guest locked fails at once (`VM is locked (backup)`,
//! [`super::locks`]).
//! Snapshot names from clients are untrusted: they are checked like PVE's `pve-configid`.

use std::time::Instant;

use serde_json::{Value, json};

use super::lifecycle::power::Worker;
use crate::sim::cluster::dataset::GuestKind;
use crate::sim::cluster::state::{Cluster, Guest};
use crate::sim::errors::ApiError;
use crate::sim::tasks::store::Job;

/// One snapshot in a guest's config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub name: String,
    pub description: String,
    pub snaptime: u64,
    /// QEMU: the snapshot saved the VM's RAM.
    pub vmstate: bool,
    pub parent: Option<String>,
    /// The config (and tags) when the snapshot was taken, which a rollback restores;
    /// `None` for the dataset's snapshots, taken from the config the guest still has.
    pub saved: Option<SavedConfig>,
}

/// A guest's config as a snapshot section keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedConfig {
    pub config: super::config::file::ConfigMap,
    pub tags: Option<String>,
}

/// What a snapshot task does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotOp {
    Create { description: String, vmstate: bool },
    Rollback { start: bool },
    Delete,
}

/// A snapshot task's work, on one guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotWork {
    pub node: String,
    pub kind: GuestKind,
    pub vmid: u32,
    pub name: String,
    pub op: SnapshotOp,
}

/// PVE's `pve-configid` check for `snapname` (maxLength 40), as a 400 message.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.len() > 40 {
        return Err("value may only be 40 characters long".to_owned());
    }
    let b = name.as_bytes();
    let ok = b.len() >= 2
        && b[0].is_ascii_alphabetic()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid format - invalid configuration ID '{name}'\n"
        ))
    }
}

/// `GET .../snapshot`: every snapshot, then `current` ("You are here!").
pub fn list(g: &Guest) -> Value {
    let mut out: Vec<Value> = g
        .snapshots
        .iter()
        .map(|s| {
            let mut v = json!({
                "name": s.name, "description": s.description, "snaptime": s.snaptime,
            });
            if g.seed.kind == GuestKind::Qemu {
                v["vmstate"] = json!(u8::from(s.vmstate));
            }
            if let Some(p) = &s.parent {
                v["parent"] = json!(p);
            }
            v
        })
        .collect();
    let mut current = json!({
        "name": "current", "description": "You are here!",
        "running": u8::from(g.is_running()),
        "digest": format!("{:040x}", g.snapshots.len() as u64 * 7919 + u64::from(g.seed.vmid)),
    });
    if let Some(p) = &g.parent {
        current["parent"] = json!(p);
    }
    out.push(current);
    Value::Array(out)
}

fn task_type(kind: GuestKind, op: &SnapshotOp) -> &'static str {
    match (kind, op) {
        (GuestKind::Qemu, SnapshotOp::Create { .. }) => "qmsnapshot",
        (GuestKind::Qemu, SnapshotOp::Rollback { .. }) => "qmrollback",
        (GuestKind::Qemu, SnapshotOp::Delete) => "qmdelsnapshot",
        (GuestKind::Lxc, SnapshotOp::Create { .. }) => "vzsnapshot",
        (GuestKind::Lxc, SnapshotOp::Rollback { .. }) => "vzrollback",
        (GuestKind::Lxc, SnapshotOp::Delete) => "vzdelsnapshot",
    }
}

/// The lock a snapshot worker holds while it runs.
pub(crate) fn snapshot_lock(op: &SnapshotOp) -> &'static str {
    match op {
        SnapshotOp::Create { .. } => "snapshot",
        SnapshotOp::Delete => "snapshot-delete",
        SnapshotOp::Rollback { .. } => "rollback",
    }
}

/// The worker's first steps, up to taking its lock, in `PVE::AbstractConfig`'s order:
/// `__snapshot_prepare` (template, `check_lock`, name in use), `snapshot_delete` and
/// `snapshot_rollback` (the snapshot must exist, then `check_lock`).
pub(crate) fn prepare(g: &Guest, w: &SnapshotWork) -> Result<(), String> {
    let exists = g.snapshots.iter().any(|s| s.name == w.name);
    match &w.op {
        SnapshotOp::Create { .. } => {
            if g.seed.template {
                return Err("you can't take a snapshot if it's a template".to_owned());
            }
            super::locks::check(g)?;
            if exists {
                return Err(format!("snapshot name '{}' already used", w.name));
            }
        }
        SnapshotOp::Delete | SnapshotOp::Rollback { .. } => {
            if !exists {
                return Err(format!("snapshot '{}' does not exist", w.name));
            }
            super::locks::check(g)?;
        }
    }
    Ok(())
}

impl Cluster {
    /// The synchronous part of a snapshot call, then its worker; returns the UPID.
    pub fn request_snapshot(&mut self, work: SnapshotWork, user: &str) -> Result<String, ApiError> {
        let now = Instant::now();
        self.settle(now);
        if self.guest_on(&work.node, work.kind, work.vmid).is_none() {
            return Err(ApiError::no_config(
                &work.node,
                work.kind.config_dir(),
                work.vmid,
            ));
        }
        let reserved = work.name == "current" || work.name.eq_ignore_ascii_case("pending");
        if reserved && matches!(work.op, SnapshotOp::Create { .. }) {
            return Err(ApiError::Internal(format!(
                "unable to use snapshot name '{}' (reserved name)",
                work.name.to_lowercase()
            )));
        }
        let worker = Worker {
            node: work.node.clone(),
            kind: work.kind,
            vmid: work.vmid,
            task_type: task_type(work.kind, &work.op),
            user,
            log: Vec::new(),
        };
        let (vmid, lock) = (work.vmid, snapshot_lock(&work.op));
        if let Some(start) = self.busy_until(vmid, now) {
            let deadline = start + self.task_duration;
            let upid = self.spawn_at(worker, Job::Snapshot(work), deadline);
            self.tasks.schedule_start(&upid, start);
            return Ok(upid);
        }
        if let Some(Err(msg)) = self.guest(vmid).map(|g| prepare(g, &work)) {
            return Ok(self.spawn_refused(worker, msg, now));
        }
        let upid = self.spawn_at(worker, Job::Snapshot(work), now + self.task_duration);
        self.take_lock(vmid, lock, &upid);
        Ok(upid)
    }

    /// Runs a snapshot worker at time `at`.
    pub(crate) fn apply_snapshot(&mut self, w: &SnapshotWork, at: Instant) -> Result<(), String> {
        let exists = self.guest_on(&w.node, w.kind, w.vmid).is_some();
        let Some(g) = self.guest_mut(w.vmid).filter(|_| exists) else {
            return Err(format!(
                "Configuration file 'nodes/{}/{}/{}.conf' does not exist",
                w.node,
                w.kind.config_dir(),
                w.vmid
            ));
        };
        let missing = || format!("snapshot '{}' does not exist", w.name);
        let index = g.snapshots.iter().position(|s| s.name == w.name);
        match (&w.op, index) {
            (SnapshotOp::Create { .. }, Some(_)) => {
                Err(format!("snapshot name '{}' already used", w.name))
            }
            (
                SnapshotOp::Create {
                    description,
                    vmstate,
                },
                None,
            ) => {
                let vmstate = *vmstate && g.is_running();
                let saved = SavedConfig {
                    config: g.config_map().into_owned(),
                    tags: g.tags.clone(),
                };
                g.snapshots.push(Snapshot {
                    name: w.name.clone(),
                    description: description.clone(),
                    snaptime: Cluster::epoch_now(),
                    vmstate,
                    parent: g.parent.clone(),
                    saved: Some(saved),
                });
                g.parent = Some(w.name.clone());
                Ok(())
            }
            (SnapshotOp::Rollback { .. } | SnapshotOp::Delete, None) => Err(missing()),
            (SnapshotOp::Rollback { start }, Some(i)) => {
                let with_ram = g.snapshots[i].vmstate;
                if let Some(saved) = g.snapshots[i].saved.clone() {
                    g.config = Some(Box::new(saved.config));
                    g.tags = saved.tags;
                    g.sync_traits();
                }
                g.parent = Some(w.name.clone());
                g.halt();
                if with_ram || *start {
                    g.boot(at);
                }
                Ok(())
            }
            (SnapshotOp::Delete, Some(i)) => {
                let removed = g.snapshots.remove(i);
                for s in &mut g.snapshots {
                    if s.parent.as_deref() == Some(w.name.as_str()) {
                        s.parent = removed.parent.clone();
                    }
                }
                if g.parent.as_deref() == Some(w.name.as_str()) {
                    g.parent = removed.parent;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn work(vmid: u32, name: &str, op: SnapshotOp) -> SnapshotWork {
        SnapshotWork {
            node: "pve1".into(),
            kind: GuestKind::Qemu,
            vmid,
            name: name.into(),
            op,
        }
    }

    #[test]
    fn names_follow_pve_configid() {
        assert!(check_name("pre-upgrade").is_ok());
        assert!(check_name("a").is_err());
        assert!(check_name("1a").is_err());
        assert!(check_name("a.b").is_err());
        assert_eq!(
            check_name(&"a".repeat(41)).unwrap_err(),
            "value may only be 40 characters long"
        );
    }

    #[test]
    fn create_rollback_delete_keep_the_tree() {
        let mut c = Cluster::new(1, 3, Duration::ZERO, String::new());
        let create = SnapshotOp::Create {
            description: "d".into(),
            vmstate: false,
        };
        // Guest 100 (index 0) starts with "base".
        assert_eq!(c.guest(100).unwrap().parent.as_deref(), Some("base"));
        c.apply_snapshot(&work(100, "s1", create.clone()), Instant::now())
            .unwrap();
        let err = c.apply_snapshot(&work(100, "s1", create), Instant::now());
        assert_eq!(err.unwrap_err(), "snapshot name 's1' already used");
        let g = c.guest(100).unwrap();
        assert_eq!(g.snapshots[1].parent.as_deref(), Some("base"));
        assert_eq!(g.parent.as_deref(), Some("s1"));
        c.apply_snapshot(&work(100, "base", SnapshotOp::Delete), Instant::now())
            .unwrap();
        let g = c.guest(100).unwrap();
        assert_eq!(g.snapshots.len(), 1);
        assert_eq!(g.snapshots[0].parent, None);
        let rb = SnapshotOp::Rollback { start: false };
        assert_eq!(
            c.apply_snapshot(&work(100, "base", rb.clone()), Instant::now())
                .unwrap_err(),
            "snapshot 'base' does not exist"
        );
        c.apply_snapshot(&work(100, "s1", rb), Instant::now())
            .unwrap();
        assert!(!c.guest(100).unwrap().is_running());
        let listed = list(c.guest(100).unwrap());
        assert_eq!(listed[1]["name"], "current");
        assert_eq!(listed[1]["parent"], "s1");
    }

    #[test]
    fn rollback_brings_back_the_config_and_tags_it_kept() {
        let mut c = Cluster::new(1, 3, Duration::ZERO, String::new());
        let create = SnapshotOp::Create {
            description: String::new(),
            vmstate: false,
        };
        c.apply_snapshot(&work(100, "kept", create), Instant::now())
            .unwrap();
        let g = c.guest_mut(100).unwrap();
        g.config_mut().insert("cores".into(), "8".into());
        g.tags = Some("other".into());
        g.sync_traits();
        let rb = SnapshotOp::Rollback { start: false };
        c.apply_snapshot(&work(100, "kept", rb), Instant::now())
            .unwrap();
        let g = c.guest(100).unwrap();
        assert_eq!(g.config_value("cores").as_deref(), Some("1"));
        assert_eq!(g.tags.as_deref(), Some("mcp;web"));
    }
}
