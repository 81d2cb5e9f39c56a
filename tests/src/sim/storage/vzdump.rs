//! `POST /nodes/{node}/vzdump` for one guest, as `PVE::API2::VZDump` runs it: the
//! synchronous checks (the guest must be on this node, the storage must hold
//! backups, HTTP 500 otherwise), then a `vzdump` worker (its UPID's id is the vmid)
//! that waits for the node's global vzdump lock while another backup runs there
//! (`trying to get global lock - waiting...`), locks the guest's config `backup` for as
//! long as it runs (a guest locked otherwise fails the job: `ERROR: Backup of VM 100
//! failed - VM is locked (snapshot)`, exit status `job errors`; [`crate::sim::guests::locks`]), and
//! writes a new archive, listed from then on by the storage's content, with the
//! guest's config as a backup stores it ([`backup_text`], what `extractconfig` returns).

use std::time::Instant;

use super::volumes::{FileVolume, backup_ext, backup_stamp};
use crate::sim::cluster::dataset::{GuestKind, STORAGES};
use crate::sim::cluster::state::Cluster;
use crate::sim::errors::ApiError;
use crate::sim::guests::lifecycle::power::Worker;
use crate::sim::guests::locks;
use crate::sim::tasks::store::Job;

/// What a vzdump worker does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupWork {
    pub node: String,
    pub kind: GuestKind,
    pub vmid: u32,
    pub storage: String,
}

impl Cluster {
    /// Checks a vzdump call for one vmid and forks its worker; returns the UPID.
    pub fn request_vzdump(
        &mut self,
        node: &str,
        vmid: u32,
        storage: &str,
        user: &str,
    ) -> Result<String, ApiError> {
        let now = Instant::now();
        self.settle(now);
        let Some(kind) = self
            .guest(vmid)
            .filter(|g| g.seed.node == node)
            .map(|g| g.seed.kind)
        else {
            return Err(ApiError::Internal(format!(
                "guest {vmid} is not on node '{node}'"
            )));
        };
        let holds_backups = STORAGES
            .iter()
            .any(|s| s.id == storage && s.content.split(',').any(|c| c == "backup"));
        if !holds_backups {
            return Err(ApiError::Internal(format!(
                "storage '{storage}' does not support backups"
            )));
        }
        let mut worker = Worker {
            node: node.to_owned(),
            kind,
            vmid,
            task_type: "vzdump",
            user,
            log: vec![format!(
                "INFO: starting new backup job: vzdump {vmid} --mode snapshot --storage {storage} --compress zstd"
            )],
        };
        let work = BackupWork {
            node: node.to_owned(),
            kind,
            vmid,
            storage: storage.to_owned(),
        };
        if let Some(until) = self.vzdump_busy_until(node) {
            worker
                .log
                .push("INFO: trying to get global lock - waiting...".to_owned());
            let deadline = until + self.task_duration;
            return Ok(self.spawn_at(worker, Job::Backup(work), deadline));
        }
        if let Some(start) = self.busy_until(vmid, now) {
            let upid = self.spawn_at(worker, Job::Backup(work), start + self.task_duration);
            self.tasks.schedule_start(&upid, start);
            return Ok(upid);
        }
        if let Some(Err(msg)) = self.guest(vmid).map(locks::check) {
            worker.log.extend(locks::backup_failed(vmid, kind, &msg));
            return Ok(self.spawn_at(worker, Job::Fail("job errors".to_owned()), now));
        }
        let upid = self.spawn_at(worker, Job::Backup(work), now + self.task_duration);
        self.take_lock(vmid, "backup", &upid);
        Ok(upid)
    }

    /// Runs a vzdump worker: the archive (with the guest's config) appears on the
    /// storage.
    pub(crate) fn apply_backup(&mut self, w: &BackupWork) -> Result<(), String> {
        let Some(g) = self.guest_on(&w.node, w.kind, w.vmid) else {
            return Err(format!("guest {} is gone", w.vmid));
        };
        let mut file = backup_file(&w.storage, w.kind, w.vmid, Cluster::epoch_now());
        file.notes = Some(g.seed.name.clone());
        file.config = Some(backup_text(g));
        let node = w.node.clone();
        self.files.add(&node, file);
        Ok(())
    }
}

impl Cluster {
    /// Puts a backup of guest `vmid` holding `config` (a config file's text) on
    /// `storage` as `node` sees it, as if vzdump had written it (or it was copied
    /// there); returns its volume ID. For tests that need backups no API call makes.
    pub fn add_backup(
        &mut self,
        node: &str,
        storage: &str,
        kind: GuestKind,
        vmid: u32,
        config: &str,
    ) -> Result<String, String> {
        let holds =
            crate::sim::cluster::dataset::storage(storage).is_some_and(|s| s.holds("backup"));
        if !holds || self.node(node).is_none() {
            return Err(format!("no backup storage {storage:?} on node {node:?}"));
        }
        let mut ctime = Cluster::epoch_now();
        let mut file = loop {
            let file = backup_file(storage, kind, vmid, ctime);
            if super::volumes::file(self, node, &file.volid).is_none() {
                break file;
            }
            ctime += 1;
        };
        file.config = Some(config.to_owned());
        let volid = file.volid.clone();
        self.files.add(node, file);
        Ok(volid)
    }
}

/// A 1 GiB vzdump archive of guest `vmid` on `storage`, written at `ctime`, with
/// neither notes nor config yet.
fn backup_file(storage: &str, kind: GuestKind, vmid: u32, ctime: u64) -> FileVolume {
    let (word, ext) = backup_ext(kind);
    FileVolume {
        volid: format!(
            "{storage}:backup/vzdump-{word}-{vmid}-{}.{ext}",
            backup_stamp(ctime)
        ),
        content: "backup",
        format: ext.to_owned(),
        size: 1_073_741_824,
        ctime,
        vmid: Some(vmid),
        kind: Some(kind),
        notes: None,
        virtual_size: 0,
        config: None,
    }
}

/// The config as a backup stores it: the file text, QEMU's with a `#qmdump#map` line per
/// disk (`vma` maps drives to their storage).
pub fn backup_text(g: &crate::sim::cluster::state::Guest) -> String {
    let mut out = String::new();
    if g.seed.kind == GuestKind::Qemu {
        for v in crate::sim::guests::config::file::volumes(GuestKind::Qemu, &g.config_map()) {
            if v.cdrom || crate::sim::guests::config::keys::is_unused(&v.key) {
                continue;
            }
            let storage = v.volid.split(':').next().unwrap_or_default();
            out.push_str(&format!(
                "#qmdump#map:{}:drive-{}:{storage}:raw:\n",
                v.key, v.key
            ));
        }
    }
    out + &crate::sim::guests::config::file::file_text(g)
}
