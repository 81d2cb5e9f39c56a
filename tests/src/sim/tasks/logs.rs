//! What the cluster's logs say about its tasks, as PVE writes them: every worker logs
//! `starting task UPID` when it forks and `end task UPID STATUS` when it ends
//! (`PVE::RESTEnvironment::fork_worker`, through `log_cluster_msg`), into the cluster
//! log (`GET /cluster/log`, pmxcfs' JSON entries, newest first) and the node's syslog
//! (`GET /nodes/{node}/syslog`, `{n, t}` lines; `GET /nodes/{node}/journal`, plain
//! lines). `GET /nodes/{node}/report` is a short `pvereport`: the node's `qm list` and
//! `pct list`. Paging parameters are untrusted numbers.

use serde_json::{Value, json};

use super::store::TaskState;
use crate::sim::cluster::dataset::{GuestKind, PowerState};
use crate::sim::cluster::state::Cluster;
use crate::sim::storage::volumes::backup_stamp;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Dec 23 00:26:40`, syslog's time stamp (UTC here).
fn syslog_time(t: u64) -> String {
    let stamp = backup_stamp(t);
    let (date, time) = stamp.split_once('-').unwrap_or((&stamp, ""));
    let mut d = date.split('_').skip(1);
    let month: usize = d.next().and_then(|m| m.parse().ok()).unwrap_or(1);
    let day = d.next().unwrap_or("01");
    let month = MONTHS[month.clamp(1, 12) - 1];
    format!("{month} {day} {}", time.replace('_', ":"))
}

/// One logged event: (time, node, pid, user, message).
struct Event<'a> {
    time: u64,
    node: &'a str,
    pid: u32,
    user: &'a str,
    msg: String,
}

/// Every task's start and end, oldest first.
fn events(c: &Cluster) -> Vec<Event<'_>> {
    let mut out = Vec::new();
    for t in c.tasks.iter() {
        out.push(Event {
            time: t.upid.starttime,
            node: &t.upid.node,
            pid: t.upid.pid,
            user: &t.upid.user,
            msg: format!("starting task {}", t.upid_text),
        });
        if let TaskState::Stopped(status) = &t.state {
            out.push(Event {
                time: t.endtime.unwrap_or(t.upid.starttime),
                node: &t.upid.node,
                pid: t.upid.pid,
                user: &t.upid.user,
                msg: format!("end task {} {status}", t.upid_text),
            });
        }
    }
    out.sort_by_key(|e| e.time);
    out
}

/// `GET /cluster/log[?max=N]`: the newest `max` (default 50) entries, newest first.
pub fn cluster_log(c: &Cluster, max: Option<u64>) -> Value {
    let max = usize::try_from(max.unwrap_or(50)).unwrap_or(usize::MAX);
    let list: Vec<Value> = events(c)
        .into_iter()
        .enumerate()
        .rev()
        .take(max)
        .map(|(i, e)| {
            json!({"uid": i + 1, "time": e.time, "pri": 6, "tag": "pvedaemon", "pid": e.pid,
                   "node": e.node, "user": e.user, "msg": e.msg})
        })
        .collect();
    Value::Array(list)
}

/// The node's syslog lines about tasks, oldest first.
fn syslog_lines(c: &Cluster, node: &str) -> Vec<String> {
    events(c)
        .into_iter()
        .filter(|e| e.node == node)
        .map(|e| {
            format!(
                "{} {node} pvedaemon[{}]: <{}> {}",
                syslog_time(e.time),
                e.pid,
                e.user,
                e.msg
            )
        })
        .collect()
}

/// `GET /nodes/{node}/syslog[?start=&limit=]`: `{n, t}` lines and the total.
pub fn syslog(c: &Cluster, node: &str, start: u64, limit: u64) -> (Vec<Value>, u64) {
    let lines = syslog_lines(c, node);
    let (total, page) = super::store::page_log(&lines, start, limit);
    let page = page
        .into_iter()
        .map(|(n, t)| json!({"n": n, "t": t}))
        .collect();
    (page, total)
}

/// `GET /nodes/{node}/journal[?lastentries=N]`: plain lines, the last `N` (all by default).
pub fn journal(c: &Cluster, node: &str, last: Option<u64>) -> Value {
    let lines = syslog_lines(c, node);
    let keep = usize::try_from(last.unwrap_or(u64::MAX)).unwrap_or(usize::MAX);
    let skip = lines.len().saturating_sub(keep);
    Value::Array(lines.into_iter().skip(skip).map(Value::String).collect())
}

/// `GET /nodes/{node}/report`: a short `pvereport` with the node's guests.
pub fn report(c: &Cluster, node: &str) -> Value {
    let mut out = format!(
        "==== general system info ====\n\n# hostname\n{node}\n\n# pveversion --verbose\n\
         proxmox-ve: {}\n\n==== info about virtual guests ====\n\n# qm list\n",
        c.pve.version()
    );
    out.push_str("      VMID NAME                 STATUS     MEM(MB)    BOOTDISK(GB) PID       \n");
    let here = c.guests.iter().filter(|g| g.seed.node == node);
    for g in here.clone().filter(|g| g.seed.kind == GuestKind::Qemu) {
        let status = if g.power == PowerState::Stopped {
            "stopped"
        } else {
            "running"
        };
        let pid = if g.is_running() { g.pid } else { 0 };
        out.push_str(&format!(
            "{:>10} {:<20} {:<10} {:<10} {:>12.2} {:<10}\n",
            g.seed.vmid,
            g.seed.name,
            status,
            g.seed.memory_mib,
            g.maxdisk as f64 / f64::from(1u32 << 30),
            pid
        ));
    }
    out.push_str("\n# pct list\nVMID       Status     Lock         Name                \n");
    for g in here.filter(|g| g.seed.kind == GuestKind::Lxc) {
        let status = if g.is_running() { "running" } else { "stopped" };
        out.push_str(&format!(
            "{:<10} {:<10} {:<12} {:<20}\n",
            g.seed.vmid,
            status,
            g.lock.unwrap_or(""),
            g.seed.name
        ));
    }
    Value::String(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::tasks::history::TaskRecord;
    use std::time::Duration;

    #[test]
    fn tasks_show_up_in_every_log() {
        let mut c = Cluster::new(2, 0, Duration::ZERO, String::new());
        let upid = c
            .add_task(TaskRecord {
                node: "pve2".into(),
                kind: "qmstart".into(),
                id: "250".into(),
                user: "root@pam".into(),
                starttime: 1_734_913_600,
                duration: Some(2),
                status: "OK".into(),
                log: Vec::new(),
            })
            .unwrap();
        let log = cluster_log(&c, None);
        assert_eq!(log[0]["msg"], format!("end task {upid} OK"));
        assert_eq!(log[1]["msg"], format!("starting task {upid}"));
        assert_eq!(log[1]["node"], "pve2");
        let (lines, total) = syslog(&c, "pve2", 0, 50);
        assert_eq!(total, 2);
        let first = lines[0]["t"].as_str().unwrap();
        assert!(
            first.starts_with("Dec 23 00:26:40 pve2 pvedaemon["),
            "{first}"
        );
        assert!(first.ends_with(&format!("<root@pam> starting task {upid}")));
        assert_eq!(journal(&c, "pve2", Some(1)).as_array().unwrap().len(), 1);
        assert_eq!(
            syslog(&c, "pve1", 0, 50).1,
            1,
            "an empty log reads `no content`"
        );
        assert!(report(&c, "pve1").as_str().unwrap().contains("# qm list"));
    }
}
