//! Task listings as `PVE::API2::Tasks::node_tasks` (`GET /nodes/{node}/tasks`) and
//! `PVE::API2::Cluster::tasks` (`GET /cluster/tasks`) give them: newest first, finished
//! tasks with `status` (the exit status text) and `endtime`, running ones without;
//! the node listing's filters (`source`, `vmid`, `typefilter`, `statusfilter`,
//! `errors`, `userfilter`, `since`, `until`) and paging (`start`, `limit`, `total`).
//! Filter values are untrusted client input, compared as plain text.

use serde_json::{Value, json};

use super::store::{Task, TaskState};
use crate::sim::cluster::state::Cluster;
use crate::sim::params::Params;
use crate::sim::server::auth::split_tokenid;

/// One listing entry.
fn entry(t: &Task) -> Value {
    let u = &t.upid;
    let mut v = json!({
        "upid": t.upid_text, "node": u.node, "pid": u.pid, "pstart": u.pstart,
        "starttime": u.starttime, "type": u.kind, "id": u.id, "user": u.user,
    });
    if let Some((user, tokenid)) = split_tokenid(&u.user) {
        v["user"] = json!(user);
        v["tokenid"] = json!(tokenid);
    }
    if let TaskState::Stopped(status) = &t.state {
        v["status"] = json!(status);
        v["endtime"] = json!(t.endtime.unwrap_or(u.starttime));
    }
    v
}

/// `PVE::Tools::upid_normalize_status_type`.
fn status_type(t: &Task) -> &'static str {
    match &t.state {
        TaskState::Running => "unknown",
        TaskState::Stopped(s) if s == "OK" => "ok",
        TaskState::Stopped(s) if s.starts_with("WARNINGS") => "warning",
        TaskState::Stopped(_) => "error",
    }
}

/// `GET /nodes/{node}/tasks`: returns the page and the total before paging.
pub fn node_tasks(c: &Cluster, node: &str, params: &Params) -> (Vec<Value>, u64) {
    let number = |name: &str| {
        params
            .get(name)
            .and_then(|v| v.trim_start_matches('+').parse::<u64>().ok())
    };
    let source = params.get("source").unwrap_or("archive");
    let statuses: Option<Vec<String>> = params
        .get("statusfilter")
        .map(|s| s.split(',').map(|x| x.trim().to_lowercase()).collect());
    let keep = |t: &&Task| {
        let running = t.state == TaskState::Running;
        t.upid.node == node
            && match source {
                "active" => running,
                "all" => true,
                _ => !running,
            }
            && params.get("vmid").is_none_or(|v| t.upid.id == v)
            && params
                .get("typefilter")
                .is_none_or(|f| t.upid.kind.contains(f))
            && params
                .get("userfilter")
                .is_none_or(|f| t.upid.user.contains(f))
            && statuses
                .as_ref()
                .is_none_or(|s| s.iter().any(|x| x == status_type(t)))
            && !(params.flag("errors") && matches!(status_type(t), "ok" | "unknown"))
            && number("since").is_none_or(|s| t.upid.starttime >= s)
            && number("until").is_none_or(|u| t.upid.starttime <= u)
    };
    let mut matched: Vec<&Task> = c.tasks.iter().rev().filter(keep).collect();
    matched.sort_by_key(|t| std::cmp::Reverse(t.upid.starttime));
    let total = matched.len() as u64;
    let start = usize::try_from(number("start").unwrap_or(0)).unwrap_or(usize::MAX);
    let limit = usize::try_from(number("limit").unwrap_or(50)).unwrap_or(usize::MAX);
    let page = matched
        .into_iter()
        .skip(start)
        .take(limit)
        .map(entry)
        .collect();
    (page, total)
}

/// `GET /cluster/tasks`: the recent tasks of every node, newest first.
pub fn cluster_tasks(c: &Cluster) -> Vec<Value> {
    let mut all: Vec<&Task> = c.tasks.iter().rev().collect();
    all.sort_by_key(|t| std::cmp::Reverse(t.upid.starttime));
    all.into_iter()
        .take(2000)
        .map(|t| {
            let mut v = entry(t);
            v["saved"] = json!(if t.state == TaskState::Running {
                "0"
            } else {
                "1"
            });
            v
        })
        .collect()
}
