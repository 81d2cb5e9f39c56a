//! Guest operations: the filtered listing, status, lifecycle actions and their tasks.

use super::outcome::{OpResult, upstream_error};
use super::state::Service;
use crate::policy::Policy;
use crate::pve::{
    resources::{Guest, Num, Snapshot},
    sanitize,
};
use crate::stages::{self, Stage};
use pve_mcp_proto::*;
use serde::Deserialize;

pub async fn list(svc: &Service, policy: &Policy, q: &ListGuests) -> OpResult {
    let snap = svc.cache.get(&svc.pve).await.map_err(upstream_error)?;
    let (total, counts, page) = stages::timed_sync(Stage::Judge, || select(policy, &snap, q));
    let guests = stages::timed_sync(Stage::Render, || {
        page.into_iter().map(Guest::summary).collect()
    });
    Ok(Payload::Guests(GuestPage {
        total,
        offset: q.offset,
        limit: q.limit.get(),
        counts,
        guests,
    }))
}

/// The guests in scope that match the query: how many, their counts, and the page's.
fn select<'s>(
    policy: &Policy,
    snap: &'s Snapshot,
    q: &ListGuests,
) -> (u32, GuestCounts, Vec<&'s Guest>) {
    let mut counts = GuestCounts::default();
    let mut total = 0u32;
    let mut page = Vec::new();
    let (offset, limit) = (q.offset as usize, q.limit.get() as usize);
    for g in snap.iter() {
        let keep = policy.guest_scope(g).is_some()
            && q.node.as_ref().is_none_or(|n| *g.node == *n)
            && q.status.is_none_or(|st| g.status == st)
            && q.guest_type.is_none_or(|t| g.guest_type == t)
            && q.tag
                .as_ref()
                .is_none_or(|t| g.tags.iter().any(|x| x.eq_ignore_ascii_case(t.as_str())))
            && q.name.as_ref().is_none_or(|n| n.matches(&g.name));
        if !keep {
            continue;
        }
        match g.status {
            GuestState::Running => counts.running += 1,
            GuestState::Stopped => counts.stopped += 1,
            _ => counts.other += 1,
        }
        match g.guest_type {
            GuestType::Qemu => counts.qemu += 1,
            GuestType::Lxc => counts.lxc += 1,
        }
        if (offset..offset + limit).contains(&(total as usize)) {
            page.push(g);
        }
        total += 1;
    }
    (total, counts, page)
}

#[derive(Deserialize)]
struct RawStatus {
    status: Option<String>,
    qmpstatus: Option<String>,
    name: Option<String>,
    lock: Option<String>,
    ha: Option<RawHa>,
    #[serde(default)]
    cpu: Num,
    #[serde(default)]
    cpus: Num,
    #[serde(default)]
    mem: Num,
    #[serde(default)]
    maxmem: Num,
    #[serde(default)]
    disk: Num,
    #[serde(default)]
    maxdisk: Num,
    #[serde(default)]
    uptime: Num,
    #[serde(default)]
    netin: Num,
    #[serde(default)]
    netout: Num,
    #[serde(default)]
    diskread: Num,
    #[serde(default)]
    diskwrite: Num,
}

#[derive(Deserialize)]
struct RawHa {
    state: Option<String>,
}

pub(super) fn guest_path(g: &GuestSummary) -> String {
    format!("/nodes/{}/{}/{}", g.node, g.guest_type, g.vmid)
}

pub(super) async fn lookup(svc: &Service, vmid: VmId) -> Result<GuestSummary, ErrorBody> {
    let snap = svc.cache.get(&svc.pve).await.map_err(upstream_error)?;
    snap.get(vmid).map(Guest::summary).ok_or_else(|| {
        ErrorBody::new(
            ErrorKind::NotFound,
            format!("guest {vmid} does not exist or is not visible to this client"),
        )
    })
}

pub async fn status(svc: &Service, vmid: VmId) -> OpResult {
    let mut g = lookup(svc, vmid).await?;
    let raw: RawStatus = svc
        .pve
        .get(&format!("{}/status/current", guest_path(&g)), &[])
        .await
        .map_err(upstream_error)?;
    g.status = GuestState::from_pve(
        raw.status.as_deref().unwrap_or(""),
        raw.qmpstatus.as_deref(),
    );
    if let Some(n) = raw.name {
        g.name = sanitize(&n);
    }
    g.cpu = raw.cpu.0;
    g.maxcpu = raw.cpus.0;
    g.mem = raw.mem.u64();
    g.maxmem = raw.maxmem.u64();
    g.uptime = raw.uptime.u64();
    // The lock as of now, not as the cached listing had it.
    g.lock = raw.lock.as_deref().and_then(GuestLock::from_pve);
    Ok(Payload::Guest(GuestDetail {
        guest: g,
        qmpstatus: raw.qmpstatus.map(|s| sanitize(&s)),
        ha_state: raw.ha.and_then(|h| h.state).map(|s| sanitize(&s)),
        disk: raw.disk.u64(),
        maxdisk: raw.maxdisk.u64(),
        netin: raw.netin.u64(),
        netout: raw.netout.u64(),
        diskread: raw.diskread.u64(),
        diskwrite: raw.diskwrite.u64(),
    }))
}

pub async fn action(svc: &Service, vmid: VmId, action: GuestAction) -> OpResult {
    let g = lookup(svc, vmid).await?;
    if g.guest_type == GuestType::Lxc && action == GuestAction::Reset {
        return Err(ErrorBody::new(
            ErrorKind::Invalid,
            format!("container {vmid} cannot be reset (LXC has no reset); use reboot or stop"),
        ));
    }
    let path = format!("{}/status/{}", guest_path(&g), action);
    let data = svc
        .pve
        .call(ApiMethod::Post, &path, &ApiParams::default())
        .await
        .map_err(upstream_error)?;
    svc.cache.invalidate().await;
    started_task(&data)
}

/// The task a Proxmox call that forks a worker answered with (its UPID as `data`).
pub(super) fn started_task(data: &serde_json::Value) -> OpResult {
    let upid = data
        .as_str()
        .and_then(|s| Upid::parse(s).ok())
        .ok_or_else(|| {
            ErrorBody::new(
                ErrorKind::Upstream,
                "Proxmox did not return a task id for the action",
            )
        })?;
    Ok(Payload::Task(TaskInfo {
        node: upid.node(),
        task_type: upid.task_type().to_owned(),
        starttime: upid.start_time(),
        upid,
        status: TaskState::Running,
        exitstatus: None,
        log_tail: Vec::new(),
    }))
}

#[derive(Deserialize)]
struct RawTask {
    status: Option<String>,
    exitstatus: Option<String>,
}

#[derive(Deserialize)]
struct RawLogLine {
    #[serde(default)]
    t: String,
}

/// Lines of a failed task's log returned with its status.
const LOG_TAIL: usize = 20;

pub async fn task(svc: &Service, upid: &Upid) -> OpResult {
    let base = format!("/nodes/{}/tasks/{}", upid.node(), upid);
    let raw: RawTask = svc
        .pve
        .get(&format!("{base}/status"), &[])
        .await
        .map_err(upstream_error)?;
    let status = match raw.status.as_deref() {
        Some("stopped") => TaskState::Stopped,
        _ => TaskState::Running,
    };
    let mut info = TaskInfo {
        upid: upid.clone(),
        node: upid.node(),
        task_type: upid.task_type().to_owned(),
        status,
        exitstatus: raw.exitstatus.map(|s| sanitize(&s)),
        starttime: upid.start_time(),
        log_tail: Vec::new(),
    };
    if status == TaskState::Stopped {
        svc.cache.invalidate().await;
        if !info.succeeded() {
            let lines: Vec<RawLogLine> = svc
                .pve
                .get(&format!("{base}/log"), &[("start", "0"), ("limit", "1000")])
                .await
                .unwrap_or_default();
            let skip = lines.len().saturating_sub(LOG_TAIL);
            info.log_tail = lines
                .into_iter()
                .skip(skip)
                .map(|l| sanitize(&l.t))
                .collect();
        }
    }
    Ok(Payload::Task(info))
}
