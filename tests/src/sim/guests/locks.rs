//! Guest config locks as `PVE::AbstractConfig` keeps them while a task runs: vzdump
//! holds `backup` (`PVE::VZDump::{QemuServer,LXC}::lock_vm`), a snapshot worker
//! `snapshot`, `snapshot-delete` or `rollback` (`__snapshot_prepare`, `snapshot_delete`,
//! `snapshot_rollback`). Another worker that starts meanwhile runs `check_lock` first and
//! fails at once with `VM is locked (backup)` / `CT is locked (snapshot)` (no vmid: the
//! message is `guest_type() . " is locked ($lock)"`), instead of waiting for the lock
//! holder to end; the exemptions are qemu-server's (`vm_start`, `vm_suspend`,
//! `vm_resume` let a `backup` lock through, `destroy_vm` and `vm_start` a `suspended`
//! one) and pve-container's (`mounted` for start and stop). The lock holder's UPID is
//! kept with the lock, so that only that task's end (or stop) removes it. A backup or
//! snapshot forked while an earlier task on its guest holds the config's flock (a start,
//! say) takes its lock when that task ends, as `set_lock` would once it got the flock,
//! so the earlier task is not refused by a lock taken after it.

use std::time::Instant;

use super::lifecycle::power::{Action, Worker};
use super::lifecycle::work::what;
use crate::sim::cluster::dataset::GuestKind;
use crate::sim::cluster::state::{Cluster, Guest};
use crate::sim::tasks::store::{Job, Task, TaskState, Upid};

/// `check_lock`'s message.
pub fn refusal(kind: GuestKind, lock: &str) -> String {
    format!("{} is locked ({lock})", what(kind))
}

/// `check_lock` on guest `g`: its refusal, if it carries a lock.
pub fn check(g: &Guest) -> Result<(), String> {
    match g.lock {
        Some(lock) => Err(refusal(g.seed.kind, lock)),
        None => Ok(()),
    }
}

/// The lock a running task of this type holds on its guest (for tasks others ran).
pub fn held_by(task_type: &str) -> Option<&'static str> {
    match task_type {
        "vzdump" => Some("backup"),
        "qmsnapshot" | "vzsnapshot" => Some("snapshot"),
        "qmdelsnapshot" | "vzdelsnapshot" => Some("snapshot-delete"),
        "qmrollback" | "vzrollback" => Some("rollback"),
        _ => None,
    }
}

/// What a power action's worker does on a locked guest, before anything else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// No lock in the way: the worker goes on.
    Proceed,
    /// The worker ends at once, successfully, changing nothing (`vm_start` on a running
    /// VM being backed up resumes it; stopping a VM that is not running returns early).
    Nothing,
    /// The worker fails with this message.
    Refuse(String),
}

/// The lock checks of a power action's worker on `g` (not HA-managed: `hastart` and
/// `hastop` only ask the HA manager), as qemu-server's `vm_start`, `_do_vm_stop`,
/// `vm_reset`, `vm_reboot`, `RunState::vm_suspend`/`vm_resume` and pve-container's
/// `API2::LXC::Status` workers make them.
pub fn power(g: &Guest, action: Action, todisk: bool) -> Gate {
    let Some(lock) = g.lock else {
        return Gate::Proceed;
    };
    let running = g.is_running();
    let refuse = Gate::Refuse(refusal(g.seed.kind, lock));
    match (g.seed.kind, action) {
        (GuestKind::Qemu, _) if lock == "suspended" => Gate::Proceed,
        (GuestKind::Qemu, Action::Start) if g.seed.template => Gate::Proceed,
        (GuestKind::Qemu, Action::Start) if lock == "backup" && running => Gate::Nothing,
        (GuestKind::Qemu, Action::Stop | Action::Shutdown) if !running => Gate::Nothing,
        (GuestKind::Qemu, Action::Suspend) if lock == "backup" && todisk => {
            Gate::Refuse("cannot suspend to disk during backup".to_owned())
        }
        (GuestKind::Qemu, Action::Suspend) if lock == "backup" => Gate::Proceed,
        (GuestKind::Qemu, Action::Resume)
            if g.power == crate::sim::cluster::dataset::PowerState::Running =>
        {
            Gate::Nothing
        }
        (GuestKind::Qemu, Action::Resume) if lock == "backup" => Gate::Proceed,
        (GuestKind::Lxc, Action::Start | Action::Stop) if lock == "mounted" => Gate::Proceed,
        (GuestKind::Lxc, Action::Start) if g.seed.template => Gate::Proceed,
        // `vzresume` runs `lxc-checkpoint` without a lock check.
        (GuestKind::Lxc, Action::Resume) => Gate::Proceed,
        // `vm_reboot` stops the container, then its start fails in the prestart hook.
        (GuestKind::Lxc, Action::Reboot) => Gate::Proceed,
        _ => refuse,
    }
}

impl Cluster {
    /// Forks worker `w`, which fails at once with `msg` (its first step, `check_lock`,
    /// refused), without waiting for the guest's earlier tasks; returns its UPID.
    pub(crate) fn spawn_refused(&mut self, w: Worker<'_>, msg: String, now: Instant) -> String {
        self.spawn_at(w, Job::Fail(msg), now)
    }

    /// Forks worker `w` that ends at `deadline`, neither waiting for the guest's other
    /// tasks nor making them wait (it does not hold the config's flock while it runs);
    /// returns its UPID.
    pub(crate) fn spawn_at(&mut self, w: Worker<'_>, job: Job, deadline: Instant) -> String {
        let pstart = self.node(&w.node).map_or(1, |n| n.pstart);
        let upid = Upid {
            node: w.node.clone(),
            pid: self.tasks.next_pid(),
            pstart,
            starttime: Cluster::epoch_now(),
            kind: w.task_type.to_owned(),
            id: w.vmid.to_string(),
            user: w.user.to_owned(),
        };
        let upid_text = upid.encode();
        self.tasks.insert(Task {
            upid,
            upid_text: upid_text.clone(),
            deadline,
            state: TaskState::Running,
            endtime: None,
            log: w.log,
            job,
        });
        upid_text
    }

    /// Guest `vmid` is locked `lock` by running task `upid` from now on.
    pub(crate) fn take_lock(&mut self, vmid: u32, lock: &'static str, upid: &str) {
        if let Some(g) = self.guest_mut(vmid) {
            g.lock = Some(lock);
            g.lock_task = Some(upid.to_owned());
        }
    }

    /// Task `upid` ended: the lock it held on guest `vmid`, if still its own, goes.
    pub(crate) fn release_lock(&mut self, vmid: u32, upid: &str) {
        if let Some(g) = self.guest_mut(vmid)
            && g.lock_task.as_deref() == Some(upid)
        {
            g.lock = None;
            g.lock_task = None;
        }
    }

    /// Task `upid` ended (its `job` done at `at`, or stopped): the lock it held goes (a
    /// stopped `snapshot-delete` or `rollback` leaves its lock, as PVE does: someone
    /// has to `qm unlock`), and the next vzdump waiting for the node's global lock
    /// (`/var/run/vzdump.lock`, one backup per node at a time) gets it.
    pub(crate) fn task_ended(&mut self, upid: &str, job: &Job, at: Instant, stopped: bool) {
        let (vmid, vzdump_node) = match job {
            Job::Backup(w) => (Some(w.vmid), Some(w.node.clone())),
            Job::Snapshot(w) => (Some(w.vmid), None),
            Job::Record => {
                let t = self.tasks.get(upid);
                let vmid = t.and_then(|t| t.upid.id.parse::<u32>().ok());
                let node = t
                    .filter(|t| t.upid.kind == "vzdump")
                    .map(|t| t.upid.node.clone());
                (vmid, node)
            }
            _ => return,
        };
        if let Some(vmid) = vmid {
            let lock = self.guest(vmid).and_then(|g| g.lock);
            if !(stopped && matches!(lock, Some("snapshot-delete" | "rollback"))) {
                self.release_lock(vmid, upid);
            }
        }
        if let Some(node) = vzdump_node {
            self.next_vzdump(&node, at);
        }
    }

    /// The running vzdump tasks on `node`: deadline, UPID, and the guest of the
    /// simulator's own (`None` for a task others ran, which holds the global lock).
    fn vzdumps(&self, node: &str) -> Vec<(Instant, String, Option<u32>)> {
        self.tasks
            .iter()
            .filter(|t| t.state == TaskState::Running && t.upid.node == node)
            .filter(|t| t.upid.kind == "vzdump")
            .filter_map(|t| match &t.job {
                Job::Backup(w) => Some((t.deadline, t.upid_text.clone(), Some(w.vmid))),
                Job::Record => Some((t.deadline, t.upid_text.clone(), None)),
                _ => None,
            })
            .collect()
    }

    /// When the vzdumps running on `node` end, if any runs (a new one waits for them).
    pub(crate) fn vzdump_busy_until(&self, node: &str) -> Option<Instant> {
        self.vzdumps(node).into_iter().map(|(at, _, _)| at).max()
    }

    /// Hands the node's global vzdump lock to the first waiting backup, unless a
    /// vzdump still holds it; a backup whose guest is locked by now fails.
    fn next_vzdump(&mut self, node: &str, at: Instant) {
        loop {
            let running = self.vzdumps(node);
            let active = running.iter().any(|(_, upid, vmid)| match vmid {
                None => true,
                Some(v) => self
                    .guest(*v)
                    .is_some_and(|g| g.lock_task.as_deref() == Some(upid)),
            });
            let next = running
                .into_iter()
                .filter_map(|(deadline, upid, vmid)| Some((deadline, upid, vmid?)))
                .min_by_key(|(deadline, _, _)| *deadline);
            let (false, Some((_, upid, vmid))) = (active, next) else {
                return;
            };
            let refused = self.guest(vmid).map(check);
            let Some(task) = self.tasks.get_mut(&upid) else {
                return;
            };
            task.log.push("INFO: got global lock".to_owned());
            if let Some(Err(msg)) = refused {
                let kind = self.guest(vmid).map_or(GuestKind::Qemu, |g| g.seed.kind);
                let lines = backup_failed(vmid, kind, &msg);
                self.end_task(&upid, lines, "job errors".to_owned());
                continue;
            }
            self.take_lock(vmid, "backup", &upid);
            let deadline = at + self.task_duration;
            self.tasks.reschedule(&upid, deadline);
            return;
        }
    }

    /// Whether guest `vmid` has a task that holds the flock of its config (tasks on a
    /// guest that does run one after the other).
    pub(crate) fn guest_busy(&self, vmid: u32, now: Instant) -> bool {
        self.busy_until(vmid, now).is_some()
    }

    /// When guest `vmid`'s tasks that hold its config's flock end, if one runs.
    pub(crate) fn busy_until(&self, vmid: u32, now: Instant) -> Option<Instant> {
        self.guest(vmid)
            .and_then(|g| g.busy_until)
            .filter(|at| *at > now)
    }

    /// The worker of queued task `upid` (a backup or snapshot forked while its guest's
    /// earlier task held the flock) starts at `at`: it takes its lock, or fails at once
    /// because the guest is locked by now.
    pub(crate) fn task_started(&mut self, upid: &str, at: Instant) {
        let Some(job) = self
            .tasks
            .get(upid)
            .filter(|t| t.state == TaskState::Running)
            .map(|t| t.job.clone())
        else {
            return;
        };
        let failed = match &job {
            Job::Backup(w) => {
                let judged = self.guest(w.vmid).map(check);
                match judged {
                    Some(Err(msg)) => Some((backup_failed(w.vmid, w.kind, &msg), "job errors")),
                    _ => {
                        self.take_lock(w.vmid, "backup", upid);
                        None
                    }
                }
            }
            Job::Snapshot(w) => {
                let judged = self.guest(w.vmid).map(|g| super::snapshots::prepare(g, w));
                match judged {
                    Some(Err(msg)) => {
                        self.end_task(upid, Vec::new(), msg);
                        None
                    }
                    _ => {
                        let lock = super::snapshots::snapshot_lock(&w.op);
                        self.take_lock(w.vmid, lock, upid);
                        None
                    }
                }
            }
            _ => None,
        };
        if let (Some((lines, status)), Job::Backup(w)) = (failed, &job) {
            self.end_task(upid, lines, status.to_owned());
            self.next_vzdump(&w.node, at);
        }
    }

    /// Ends running task `upid` now with `status`, after `lines` of log.
    fn end_task(&mut self, upid: &str, lines: Vec<String>, status: String) {
        if let Some(task) = self.tasks.get_mut(upid) {
            task.log.extend(lines);
            task.state = TaskState::Stopped(status);
            task.endtime = Some(Cluster::epoch_now());
        }
    }
}

/// What vzdump logs for a guest it could not back up (`exec_backup_task`, whose
/// messages say "VM" for containers too), after which the job ends `job errors`.
pub fn backup_failed(vmid: u32, kind: GuestKind, msg: &str) -> Vec<String> {
    vec![
        format!("INFO: Starting Backup of VM {vmid} ({})", kind.as_str()),
        format!("ERROR: Backup of VM {vmid} failed - {msg}"),
        "INFO: Backup job finished with errors".to_owned(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn check_lock_names_the_guest_type_not_the_vmid() {
        assert_eq!(refusal(GuestKind::Qemu, "backup"), "VM is locked (backup)");
        assert_eq!(
            refusal(GuestKind::Lxc, "snapshot"),
            "CT is locked (snapshot)"
        );
    }

    #[test]
    fn a_snapshot_queued_behind_a_start_locks_the_vm_only_once_the_start_is_done() {
        let hour = Duration::from_secs(3600);
        let mut c = Cluster::new(1, 4, hour, String::new());
        // 103: a stopped VM with snapshot `base`.
        let start = c
            .request_action(
                "pve1",
                GuestKind::Qemu,
                103,
                Action::Start,
                Default::default(),
                "u",
            )
            .unwrap();
        let work = crate::sim::guests::snapshots::SnapshotWork {
            node: "pve1".into(),
            kind: GuestKind::Qemu,
            vmid: 103,
            name: "after-start".into(),
            op: crate::sim::guests::snapshots::SnapshotOp::Create {
                description: String::new(),
                vmstate: false,
            },
        };
        let snap = c.request_snapshot(work, "u").unwrap();
        assert_eq!(
            c.guest(103).unwrap().lock,
            None,
            "not before the start ends"
        );
        c.settle(Instant::now() + hour + hour / 2);
        let state = |c: &Cluster, upid: &str| c.tasks.get(upid).unwrap().state.clone();
        assert_eq!(state(&c, &start), TaskState::Stopped("OK".into()));
        assert_eq!(state(&c, &snap), TaskState::Running);
        assert_eq!(c.guest(103).unwrap().lock, Some("snapshot"));
        c.settle(Instant::now() + 3 * hour);
        assert_eq!(state(&c, &snap), TaskState::Stopped("OK".into()));
        assert_eq!(c.guest(103).unwrap().lock, None);
        assert!(c.guest(103).unwrap().is_running());
    }

    #[test]
    fn a_backup_lock_lets_qemu_pause_and_resume_through() {
        let mut c = Cluster::new(1, 3, Duration::ZERO, String::new());
        let g = c.guest_mut(100).unwrap();
        g.boot(Instant::now());
        g.lock = Some("backup");
        let g = c.guest(100).unwrap();
        assert_eq!(power(g, Action::Suspend, false), Gate::Proceed);
        assert_eq!(
            power(g, Action::Suspend, true),
            Gate::Refuse("cannot suspend to disk during backup".into())
        );
        assert_eq!(power(g, Action::Start, false), Gate::Nothing);
        assert_eq!(power(g, Action::Resume, false), Gate::Nothing);
        for a in [
            Action::Stop,
            Action::Shutdown,
            Action::Reboot,
            Action::Reset,
        ] {
            assert_eq!(
                power(g, a, false),
                Gate::Refuse("VM is locked (backup)".into()),
                "{a:?}"
            );
        }
        let g = c.guest_mut(100).unwrap();
        g.lock = Some("snapshot");
        let g = c.guest(100).unwrap();
        assert_eq!(
            power(g, Action::Suspend, false),
            Gate::Refuse("VM is locked (snapshot)".into())
        );
    }
}
