//! Simulated PVE worker tasks: UPIDs in PVE's exact format, a bounded task store, the
//! deadline queue that finishes tasks, and task logs as `/tasks/{upid}/log` pages them.
//! UPIDs from clients are untrusted strings: they are parsed with PVE's own rules.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::time::Instant;

use crate::sim::guests::lifecycle::power::Effect;
use crate::sim::guests::snapshots::SnapshotWork;

/// At most this many tasks are remembered; the oldest finished ones are forgotten first.
const MAX_TASKS: usize = 100_000;

/// The queue entry of a worker's start is this prefix and the task's UPID.
pub const START: &str = "start:";

/// A parsed UPID: `UPID:{node}:{pid:08X}:{pstart:08X}:{starttime:08X}:{type}:{id}:{user}:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upid {
    pub node: String,
    pub pid: u32,
    pub pstart: u64,
    pub starttime: u64,
    pub kind: String,
    pub id: String,
    pub user: String,
}

impl Upid {
    /// Formats the UPID exactly as `PVE::UPID::encode` does.
    pub fn encode(&self) -> String {
        format!(
            "UPID:{}:{:08X}:{:08X}:{:08X}:{}:{}:{}:",
            self.node, self.pid, self.pstart, self.starttime, self.kind, self.id, self.user
        )
    }

    /// Parses a UPID with the rules of `PVE::UPID::decode`; `None` if PVE would not parse it.
    pub fn parse(s: &str) -> Option<Upid> {
        let rest = s.strip_prefix("UPID:")?.strip_suffix(':')?;
        let parts: Vec<&str> = rest.split(':').collect();
        let [node, pid, pstart, starttime, kind, id, user] = parts.as_slice() else {
            return None;
        };
        let hex = |v: &str, min: usize, max: usize| {
            (min..=max).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_hexdigit())
        };
        let plain = |v: &str| !v.bytes().any(|b| b == b'/' || b.is_ascii_whitespace());
        let node_ok = is_node_name(node);
        let fields_ok = hex(pid, 8, 8) && hex(pstart, 8, 9) && hex(starttime, 8, 8);
        let strings_ok = !kind.is_empty() && plain(kind) && plain(id) && !user.is_empty();
        if !(node_ok && fields_ok && strings_ok && plain(user)) {
            return None;
        }
        Some(Upid {
            node: (*node).to_owned(),
            pid: u32::from_str_radix(pid, 16).ok()?,
            pstart: u64::from_str_radix(pstart, 16).ok()?,
            starttime: u64::from_str_radix(starttime, 16).ok()?,
            kind: (*kind).to_owned(),
            id: (*id).to_owned(),
            user: (*user).to_owned(),
        })
    }
}

/// PVE's node name rule: `[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?`.
pub fn is_node_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// Where a task is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskState {
    Running,
    /// Finished; the exit status is `OK` or the error message.
    Stopped(String),
}

/// One task.
#[derive(Debug)]
pub struct Task {
    pub upid: Upid,
    pub upid_text: String,
    pub deadline: Instant,
    pub state: TaskState,
    /// When the task stopped, seconds since the epoch.
    pub endtime: Option<u64>,
    /// Log lines written so far (without the final `TASK OK` / `TASK ERROR:` line).
    pub log: Vec<String>,
    pub job: Job,
}

/// What a task's worker does when it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    Power(Effect),
    Snapshot(SnapshotWork),
    Backup(crate::sim::storage::vzdump::BackupWork),
    /// Creating, cloning, changing, moving or destroying guests, and storage work.
    Life(Box<crate::sim::guests::lifecycle::work::LifeWork>),
    /// A task someone else ran, recorded with its log ([`super::history`]): it
    /// changes nothing when it ends (but holds its guest's lock while it runs, see
    /// [`crate::sim::guests::locks::held_by`]).
    Record,
    /// A worker that fails at once with this message (its guest was locked).
    Fail(String),
}

impl Task {
    /// The log as PVE shows it: the lines, then the final status line once stopped.
    pub fn full_log(&self) -> Vec<String> {
        let mut lines = self.log.clone();
        match &self.state {
            TaskState::Running => {}
            TaskState::Stopped(s) if s == "OK" => lines.push("TASK OK".to_owned()),
            TaskState::Stopped(s) => lines.push(format!("TASK ERROR: {s}")),
        }
        lines
    }
}

/// All tasks, by UPID, plus the queue of running tasks ordered by deadline.
#[derive(Debug, Default)]
pub struct TaskStore {
    tasks: HashMap<String, Task>,
    order: VecDeque<String>,
    due: BinaryHeap<Reverse<(Instant, u64, String)>>,
    next_pid: u32,
    seq: u64,
}

impl TaskStore {
    /// The next fake worker pid.
    pub fn next_pid(&mut self) -> u32 {
        self.next_pid = self.next_pid.wrapping_add(1);
        0x0010_0000 + (self.next_pid & 0x000F_FFFF)
    }

    /// Records a new running task.
    pub fn insert(&mut self, task: Task) {
        let key = task.upid_text.clone();
        self.seq += 1;
        self.due
            .push(Reverse((task.deadline, self.seq, key.clone())));
        self.tasks.insert(key.clone(), task);
        self.order.push_back(key);
        self.evict();
    }

    fn evict(&mut self) {
        while self.tasks.len() > MAX_TASKS {
            let Some(oldest) = self.order.pop_front() else {
                return;
            };
            let running = self
                .tasks
                .get(&oldest)
                .is_some_and(|t| t.state == TaskState::Running);
            if running {
                self.order.push_back(oldest);
                return;
            }
            self.tasks.remove(&oldest);
        }
    }

    /// The earliest deadline of a running task.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.due.peek().map(|Reverse((at, _, _))| *at)
    }

    /// Removes and returns the next queue entry due at `now`, if any: a task's UPID
    /// (it ends), or [`START`] and a UPID (its worker starts), with when it is due.
    pub fn pop_due(&mut self, now: Instant) -> Option<(Instant, String)> {
        match self.due.peek() {
            Some(Reverse((at, _, _))) if *at <= now => {
                self.due.pop().map(|Reverse((at, _, k))| (at, k))
            }
            _ => None,
        }
    }

    /// Running task `upid`, queued behind its guest's earlier tasks, starts its worker
    /// at `at` (see [`crate::sim::guests::locks`]).
    pub fn schedule_start(&mut self, upid: &str, at: Instant) {
        self.seq += 1;
        self.due
            .push(Reverse((at, self.seq, format!("{START}{upid}"))));
    }

    /// Moves running task `upid`'s end to `deadline` (the old queue entry is skipped
    /// once the task has stopped).
    pub fn reschedule(&mut self, upid: &str, deadline: Instant) {
        let Some(task) = self.tasks.get_mut(upid) else {
            return;
        };
        task.deadline = deadline;
        self.seq += 1;
        self.due
            .push(Reverse((deadline, self.seq, upid.to_owned())));
    }

    pub fn get(&self, upid: &str) -> Option<&Task> {
        self.tasks.get(upid)
    }

    pub fn get_mut(&mut self, upid: &str) -> Option<&mut Task> {
        self.tasks.get_mut(upid)
    }

    /// Every remembered task, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Task> {
        self.order.iter().filter_map(|k| self.tasks.get(k))
    }

    /// Number of tasks still running.
    pub fn running(&self) -> usize {
        self.due
            .iter()
            .filter(|Reverse((_, _, k))| {
                self.tasks
                    .get(k)
                    .is_some_and(|t| t.state == TaskState::Running)
            })
            .count()
    }
}

/// Pages a log like `PVE::Tools::dump_logfile`: returns `(total, [(n, text)])`, where `n`
/// is 1-based, `limit == 0` means "to the end", and an empty log reads as one line
/// `no content`.
pub fn page_log(lines: &[String], start: u64, limit: u64) -> (u64, Vec<(u64, &str)>) {
    if lines.is_empty() {
        return (1, vec![(1, "no content")]);
    }
    let total = lines.len() as u64;
    let take = if limit == 0 { u64::MAX } else { limit };
    let page = lines
        .iter()
        .enumerate()
        .skip(usize::try_from(start).unwrap_or(usize::MAX))
        .take(usize::try_from(take).unwrap_or(usize::MAX))
        .map(|(i, t)| (i as u64 + 1, t.as_str()))
        .collect();
    (total, page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upid_round_trips() {
        let u = Upid {
            node: "pve1".into(),
            pid: 0x1234,
            pstart: 0xABCDEF,
            starttime: 0x6500_0000,
            kind: "qmstart".into(),
            id: "101".into(),
            user: "mcp@pve!mcp".into(),
        };
        let s = u.encode();
        assert_eq!(
            s,
            "UPID:pve1:00001234:00ABCDEF:65000000:qmstart:101:mcp@pve!mcp:"
        );
        assert_eq!(Upid::parse(&s), Some(u));
    }

    #[test]
    fn bad_upids_are_rejected() {
        for s in [
            "",
            "UPID:pve1:1:2:3:qmstart:101:u:",
            "UPID:-x:00000001:00000002:00000003:qmstart:101:u:",
            "UPID:pve1:00000001:00000002:00000003:qm/start:101:u:",
            "UPID:pve1:00000001:00000002:00000003:qmstart:101:u",
        ] {
            assert_eq!(Upid::parse(s), None, "{s}");
        }
    }

    #[test]
    fn log_paging_matches_pve() {
        let lines: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(
            page_log(&lines, 0, 50),
            (3, vec![(1, "a"), (2, "b"), (3, "c")])
        );
        assert_eq!(page_log(&lines, 1, 1), (3, vec![(2, "b")]));
        assert_eq!(page_log(&lines, 0, 0).1.len(), 3);
        assert_eq!(page_log(&[], 0, 50), (1, vec![(1, "no content")]));
    }
}
