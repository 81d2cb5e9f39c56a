//! `POST /nodes/{node}/vzdump` for one guest, as `PVE::API2::VZDump` runs it: the
//! synchronous checks (the guest must be on this node, the storage must hold
//! backups, HTTP 500 otherwise), then a `vzdump` worker (its UPID's id is the vmid)
//! that writes a new archive, listed from then on by the storage's content.

use std::time::Instant;

use super::actions::Worker;
use super::cluster::Cluster;
use super::dataset::{GuestKind, STORAGES};
use super::errors::ApiError;
use super::tasks::Job;

/// One backup written by a vzdump task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archive {
    pub storage: String,
    pub vmid: u32,
    pub kind: GuestKind,
    pub ctime: u64,
}

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
        let worker = Worker {
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
        Ok(self.spawn_worker(worker, Job::Backup(work), now))
    }

    /// Runs a vzdump worker: the archive appears on the storage.
    pub(super) fn apply_backup(&mut self, w: &BackupWork) -> Result<(), String> {
        if self.guest_on(&w.node, w.kind, w.vmid).is_none() {
            return Err(format!("guest {} is gone", w.vmid));
        }
        self.archives.push(Archive {
            storage: w.storage.clone(),
            vmid: w.vmid,
            kind: w.kind,
            ctime: Cluster::epoch_now(),
        });
        Ok(())
    }
}
