//! Tasks that someone other than the token ran (an administrator, a backup job, the HA
//! manager, another user's console), recorded with their log and end, so that task
//! listings, `/tasks/{upid}/status` and `/log`, the cluster log and the syslog hold every
//! task type a real cluster shows. The record's fields are the test's, checked like a
//! UPID PVE would write (`PVE::UPID::encode` of a type and id without `:` or spaces).
//! A recorded task that still runs holds what its worker holds: a `vzdump` of a guest
//! (a backup job) locks its config `backup` and the node's global vzdump lock, a
//! snapshot task `snapshot`, `snapshot-delete` or `rollback` ([`crate::sim::guests::locks`]), until
//! someone stops it (`DELETE /nodes/{node}/tasks/{upid}`).

use std::time::{Duration, Instant};

use super::store::{Job, Task, TaskState, Upid};
use crate::sim::cluster::state::Cluster;

/// How long a recorded task that is still running goes on (it never ends in a test).
const STILL_RUNNING: Duration = Duration::from_secs(24 * 3600);

/// A task as its worker left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRecord {
    pub node: String,
    /// The task type, e.g. `qmstart`, `vzdump`, `imgdel`, `startall`.
    pub kind: String,
    /// The worker id: a vmid, `VMID@STORAGE` for `imgdel`, empty for node-wide tasks.
    pub id: String,
    /// `root@pam`, or a token `USER@REALM!TOKENID`.
    pub user: String,
    /// Seconds since the epoch.
    pub starttime: u64,
    /// Seconds it ran; `None` while it still runs.
    pub duration: Option<u64>,
    /// The exit status once it stopped: `OK`, `WARNINGS: 1` or an error message.
    pub status: String,
    /// The log lines, without the final `TASK OK` / `TASK ERROR:` line.
    pub log: Vec<String>,
}

impl Cluster {
    /// Records a task; returns its UPID. Fails for an unknown node or a type, id or user
    /// that no UPID can hold.
    pub fn add_task(&mut self, r: TaskRecord) -> Result<String, String> {
        let pstart = self
            .node(&r.node)
            .filter(|n| n.name == r.node)
            .map(|n| n.pstart)
            .ok_or_else(|| format!("no node {:?}", r.node))?;
        let upid = loop {
            let upid = Upid {
                node: r.node.clone(),
                pid: self.tasks.next_pid(),
                pstart,
                starttime: r.starttime,
                kind: r.kind.clone(),
                id: r.id.clone(),
                user: r.user.clone(),
            };
            if self.tasks.get(&upid.encode()).is_none() {
                break upid;
            }
        };
        let text = upid.encode();
        if Upid::parse(&text).as_ref() != Some(&upid) {
            return Err(format!("not a UPID PVE writes: {text}"));
        }
        let now = Instant::now();
        let (deadline, state, endtime) = match r.duration {
            Some(d) => (now, TaskState::Stopped(r.status), Some(r.starttime + d)),
            None => (now + STILL_RUNNING, TaskState::Running, None),
        };
        let running = state == TaskState::Running;
        self.tasks.insert(Task {
            upid,
            upid_text: text.clone(),
            deadline,
            state,
            endtime,
            log: r.log,
            job: Job::Record,
        });
        let vmid = r.id.parse::<u32>().ok();
        let guest = vmid
            .and_then(|v| self.guest(v))
            .filter(|g| g.seed.node == r.node);
        if running
            && let (Some(lock), Some(g)) = (crate::sim::guests::locks::held_by(&r.kind), guest)
            && g.lock.is_none()
        {
            let vmid = g.seed.vmid;
            self.take_lock(vmid, lock, &text);
        }
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: &str, id: &str, duration: Option<u64>) -> TaskRecord {
        TaskRecord {
            node: "pve1".into(),
            kind: kind.into(),
            id: id.into(),
            user: "root@pam".into(),
            starttime: 1_735_000_000,
            duration,
            status: "OK".into(),
            log: vec!["Starting VM 250".into()],
        }
    }

    #[test]
    fn recorded_tasks_keep_their_end_and_log() {
        let mut c = Cluster::new(2, 0, Duration::ZERO, String::new());
        let done = c.add_task(record("startall", "", Some(5))).unwrap();
        assert!(done.starts_with("UPID:pve1:") && done.ends_with(":startall::root@pam:"));
        let running = c.add_task(record("vncproxy", "250", None)).unwrap();
        c.settle(Instant::now());
        let t = c.tasks.get(&done).unwrap();
        assert_eq!(t.full_log(), ["Starting VM 250", "TASK OK"]);
        assert_eq!(t.endtime, Some(1_735_000_005));
        assert_eq!(c.tasks.get(&running).unwrap().state, TaskState::Running);
        assert!(c.add_task(record("qm start", "1", Some(1))).is_err());
        let mut elsewhere = record("aptupdate", "", Some(1));
        elsewhere.node = "pve3".into();
        assert!(c.add_task(elsewhere).is_err());
    }
}
