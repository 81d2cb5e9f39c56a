//! Task listings and logs. A listing comes from one call (`/cluster/tasks`, or
//! `/nodes/{node}/tasks` for one node) and is filtered before it leaves the helper:
//! tasks of guests outside the scope (any task whose object is such a vmid), and guest
//! tasks whose guest cannot be told (a `vzdump` of several guests), are dropped, so
//! they never show. Task text from Proxmox is untrusted: made one line and
//! bounded.

use super::answers::Viewer;
use super::outcome::{OpResult, upstream_error};
use super::state::Service;
use crate::policy::Policy;
use crate::pve::{resources::Num, sanitize};
use pve_mcp_proto::*;
use serde::Deserialize;
use serde_json::Value;

/// Most entries asked of one node's listing; the scope filter runs on these.
const NODE_FETCH: &str = "1000";

#[derive(Deserialize)]
struct RawTask {
    upid: String,
    #[serde(default)]
    starttime: Num,
    #[serde(default)]
    endtime: Option<Num>,
    #[serde(default)]
    status: Option<String>,
}

fn matches(q: &TaskQuery, e: &TaskEntry) -> bool {
    let state = match e.status.as_deref() {
        None => TaskStatusFilter::Running,
        Some("OK") => TaskStatusFilter::Ok,
        Some(s) if s.starts_with("WARNINGS") => TaskStatusFilter::Warning,
        Some(_) => TaskStatusFilter::Error,
    };
    q.node.as_ref().is_none_or(|n| &e.node == n)
        && q.vmid.is_none_or(|v| e.id == v.to_string())
        && q.task_type
            .as_ref()
            .is_none_or(|t| e.task_type.contains(t.as_str()))
        && q.status.is_none_or(|s| s == state)
}

pub async fn list(svc: &Service, policy: &Policy, q: &TaskQuery) -> OpResult {
    let raw: Vec<Value> = match &q.node {
        Some(node) => {
            let mut query = vec![("source", "all"), ("limit", NODE_FETCH)];
            let vmid = q.vmid.map(|v| v.to_string());
            if let Some(v) = &vmid {
                query.push(("vmid", v));
            }
            svc.pve
                .get(&format!("/nodes/{node}/tasks"), &query)
                .await
                .map_err(upstream_error)?
        }
        None => svc
            .pve
            .get("/cluster/tasks", &[])
            .await
            .map_err(upstream_error)?,
    };
    let snap = svc.cache.get(&svc.pve).await.map_err(upstream_error)?;
    let viewer = Viewer {
        policy,
        snap: &snap,
    };
    let mut tasks: Vec<TaskEntry> = raw
        .into_iter()
        .filter_map(|v| entry(&v))
        .filter(|e| viewer.task(e.upid.as_str(), false) && viewer.text(&e.id))
        .map(|mut e| {
            e.status = e.status.map(|s| viewer.scrub(&s));
            e
        })
        .filter(|e| matches(q, e))
        .collect();
    tasks.sort_by_key(|e| std::cmp::Reverse(e.starttime));
    let total = u32::try_from(tasks.len()).unwrap_or(u32::MAX);
    tasks.truncate(q.limit.get() as usize);
    Ok(Payload::Tasks(TaskList { total, tasks }))
}

/// A listing entry, typed; `None` when its UPID is not one.
fn entry(v: &Value) -> Option<TaskEntry> {
    let raw = RawTask::deserialize(v).ok()?;
    let upid = Upid::parse(&raw.upid).ok()?;
    let starttime = match raw.starttime.u64() {
        0 => upid.start_time(),
        t => t,
    };
    Some(TaskEntry {
        node: upid.node(),
        task_type: upid.task_type().to_owned(),
        id: upid.object_id().to_owned(),
        user: upid_user(&upid),
        starttime,
        endtime: raw.endtime.map(Num::u64),
        status: raw.status.map(|s| sanitize(&s)),
        upid,
    })
}

/// The user (or token) that started the task, from the UPID.
fn upid_user(upid: &Upid) -> String {
    upid.as_str().split(':').nth(7).unwrap_or("").to_owned()
}

#[derive(Deserialize)]
struct LogPage {
    #[serde(default)]
    data: Vec<LogLine>,
    #[serde(default)]
    total: Num,
}

#[derive(Deserialize)]
struct LogLine {
    #[serde(default)]
    n: Num,
    #[serde(default)]
    t: String,
}

pub async fn log(svc: &Service, q: &TaskLogQuery) -> OpResult {
    let path = format!("/nodes/{}/tasks/{}/log", q.upid.node(), q.upid);
    let page = |start: u64, limit: u64| {
        let path = path.clone();
        async move {
            let (start, limit) = (start.to_string(), limit.to_string());
            let body = svc
                .pve
                .get_body(&path, &[("start", &start), ("limit", &limit)])
                .await
                .map_err(upstream_error)?;
            serde_json::from_slice::<LogPage>(&body)
                .map_err(|e| upstream_error(crate::pve::PveError::Decode(e.to_string())))
        }
    };
    // The first call learns the length; the second reads the tail.
    let first = page(0, 1).await?;
    let total = first.total.u64().max(first.data.len() as u64);
    let want = u64::from(q.lines.get());
    let start = total.saturating_sub(want);
    let tail = if start == 0 && total <= 1 {
        first
    } else {
        page(start, want).await?
    };
    let first_line = tail.data.first().map_or(start + 1, |l| l.n.u64());
    Ok(Payload::TaskLog(TaskLogTail {
        upid: q.upid.clone(),
        total_lines: total,
        first_line,
        lines: tail.data.into_iter().map(|l| sanitize(&l.t)).collect(),
    }))
}
