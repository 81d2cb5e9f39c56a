//! The worker tasks of the guest lifecycle and of storage work: what each one does when
//! it runs ([`LifeWork`]), how a task is forked (type, id, log, which guest it keeps
//! busy), and what stopping a running task leaves behind.

use std::time::Instant;

use super::clone::CloneWork;
use super::create::CreateWork;
use super::migrate::{DestroyWork, MigrateWork};
use super::move_disk::MoveWork;
use super::resize::ResizeWork;
use crate::sim::cluster::dataset::{FIRST_VMID, GuestKind, GuestSeed, PowerState, ROLES};
use crate::sim::cluster::state::Cluster;
use crate::sim::guests::config::update::ConfigWork;
use crate::sim::storage::download::{DeleteWork, DownloadWork};
use crate::sim::tasks::store::{Job, Task, TaskState, Upid};

/// What a lifecycle or storage task does when it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LifeWork {
    Create(CreateWork),
    Clone(CloneWork),
    Template {
        node: String,
        kind: GuestKind,
        vmid: u32,
    },
    Config(ConfigWork),
    Resize(ResizeWork),
    Migrate(MigrateWork),
    Destroy(DestroyWork),
    Download(DownloadWork),
    Delete(DeleteWork),
    Move(MoveWork),
    /// A task whose effect already happened (an LXC `vztemplate`, a no-op resize).
    Done,
}

/// A task about to be forked.
pub struct Spawn<'a> {
    pub node: &'a str,
    pub task_type: &'static str,
    /// The UPID's id: usually the vmid.
    pub id: String,
    pub user: &'a str,
    pub log: Vec<String>,
    /// The guest the task runs on: it queues after that guest's earlier tasks.
    pub guest: Option<(GuestKind, u32)>,
    /// How many task durations it takes.
    pub length: u32,
}

impl Cluster {
    /// Forks a task; returns its UPID.
    pub(crate) fn spawn_task(&mut self, s: Spawn<'_>, job: Job, now: Instant) -> String {
        let pstart = self.node(s.node).map_or(1, |n| n.pstart);
        let upid = Upid {
            node: s.node.to_owned(),
            pid: self.tasks.next_pid(),
            pstart,
            starttime: Cluster::epoch_now(),
            kind: s.task_type.to_owned(),
            id: s.id,
            user: s.user.to_owned(),
        };
        let guest = s.guest.and_then(|(kind, vmid)| {
            self.guest(vmid)
                .filter(|g| g.seed.kind == kind)
                .map(|_| vmid)
        });
        let queue_after = guest
            .and_then(|vmid| self.guest(vmid))
            .and_then(|g| g.busy_until)
            .filter(|at| *at > now)
            .unwrap_or(now);
        let deadline = queue_after + self.task_duration * s.length.max(1);
        if let Some(g) = guest.and_then(|vmid| self.guest_mut(vmid)) {
            g.busy_until = Some(deadline);
        }
        let upid_text = upid.encode();
        self.tasks.insert(Task {
            upid,
            upid_text: upid_text.clone(),
            deadline,
            state: TaskState::Running,
            endtime: None,
            log: s.log,
            job,
        });
        upid_text
    }

    /// Runs a lifecycle task's work at time `at`, adding lines to its log.
    pub(crate) fn apply_life(
        &mut self,
        work: &LifeWork,
        at: Instant,
        log: &mut Vec<String>,
    ) -> Result<(), String> {
        match work {
            LifeWork::Create(w) => self.apply_create(w, at, log),
            LifeWork::Clone(w) => self.apply_clone(w, log),
            LifeWork::Template { node, kind, vmid } => self.apply_template(node, *kind, *vmid),
            LifeWork::Config(w) => self.apply_config(w, log),
            LifeWork::Resize(w) => self.apply_resize(w, log),
            LifeWork::Migrate(w) => self.apply_migrate(w, at, log),
            LifeWork::Destroy(w) => self.apply_destroy(w, log),
            LifeWork::Download(w) => self.apply_download(w, log),
            LifeWork::Delete(w) => self.apply_delete(w, log),
            LifeWork::Move(w) => self.apply_move(w, log),
            LifeWork::Done => Ok(()),
        }
    }

    /// Stops a running task as `DELETE /nodes/{node}/tasks/{upid}` does (SIGTERM to the
    /// worker): it ends with the worker's interrupt message, and what it was building is
    /// cleaned up like the worker's error path does.
    pub fn stop_task(&mut self, upid: &str) {
        let Some(task) = self.tasks.get(upid) else {
            return;
        };
        if task.state != TaskState::Running {
            return;
        }
        let job = task.job.clone();
        let status = match &job {
            Job::Life(w) => match w.as_ref() {
                LifeWork::Create(w) => {
                    self.undo_create(w);
                    let what = if w.restore { "restore" } else { "create" };
                    let ty = if w.kind == GuestKind::Qemu {
                        "VM"
                    } else {
                        "CT"
                    };
                    format!("unable to {what} {ty} {} - received interrupt", w.vmid)
                }
                LifeWork::Clone(w) => {
                    self.undo_clone(w);
                    "clone failed: interrupted by signal".to_owned()
                }
                LifeWork::Download(_) => "got interrupted by signal".to_owned(),
                LifeWork::Migrate(w) => {
                    self.unlock(w.vmid);
                    "received interrupt".to_owned()
                }
                LifeWork::Destroy(w) => {
                    self.unlock(w.vmid);
                    "received interrupt".to_owned()
                }
                LifeWork::Move(w) => {
                    self.unlock(w.vmid);
                    "storage migration failed: interrupted by signal".to_owned()
                }
                _ => "received interrupt".to_owned(),
            },
            _ => "received interrupt".to_owned(),
        };
        if let Some(task) = self.tasks.get_mut(upid) {
            task.endtime = Some(Cluster::epoch_now());
            task.state = TaskState::Stopped(status);
        }
        self.task_ended(upid, &job, Instant::now(), true);
    }

    /// Removes a config lock left by a task.
    pub(crate) fn unlock(&mut self, vmid: u32) {
        if let Some(g) = self.guest_mut(vmid)
            && g.lock != Some("suspended")
        {
            g.lock = None;
        }
    }
}

/// The traits of a guest a lifecycle call creates (the config fills them in).
pub fn new_seed(vmid: u32, kind: GuestKind, node: &str) -> GuestSeed {
    let index = vmid.saturating_sub(FIRST_VMID) as usize;
    GuestSeed {
        index,
        vmid,
        kind,
        node: node.to_owned(),
        name: String::new(),
        role: ROLES[index % ROLES.len()],
        pool: None,
        tags: Vec::new(),
        locked: false,
        template: false,
        ha: false,
        initial: PowerState::Stopped,
        cores: Some(1),
        sockets: 1,
        cpulimit: None,
        memory_mib: 512,
        disk_gib: 0,
    }
}

/// "VM" or "CT", as PVE's messages name a guest.
pub fn what(kind: GuestKind) -> &'static str {
    match kind {
        GuestKind::Qemu => "VM",
        GuestKind::Lxc => "CT",
    }
}
