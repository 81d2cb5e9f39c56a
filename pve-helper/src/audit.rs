//! The audit trail: one structured record per decision, through `tracing` with target
//! `pve_mcp::audit` (journald when run by systemd) and, when configured, as one JSON
//! line per record in an append-only file. Requests are rendered redacted: parameter
//! values of raw API calls never appear, and the token never reaches this module.

use crate::server::Peer;
use pve_mcp_proto::{ErrorBody, Payload, Request};
use serde::Serialize;
use std::{
    fmt::Write as _,
    io::Write as _,
    path::Path,
    sync::Mutex,
    time::{Instant, SystemTime},
};

/// A one-line rendering of a request that is safe to log.
pub fn describe(request: &Request) -> String {
    let mut s = request.op().to_owned();
    let _ = match request {
        Request::ListGuests(l) => {
            for (k, v) in [
                ("node", l.node.as_ref().map(ToString::to_string)),
                ("status", l.status.map(|s| s.as_str().to_owned())),
                ("type", l.guest_type.map(|t| t.as_str().to_owned())),
                ("tag", l.tag.as_ref().map(ToString::to_string)),
                ("name", l.name.as_ref().map(|n| format!("{:?}", n.as_str()))),
            ] {
                if let Some(v) = v {
                    let _ = write!(s, " {k}={v}");
                }
            }
            write!(s, " limit={} offset={}", l.limit.get(), l.offset)
        }
        Request::GuestStatus(g) => write!(s, " vmid={}", g.vmid),
        Request::GuestAction(a) => write!(
            s,
            " vmid={} action={}{}",
            a.vmid,
            a.action,
            if a.confirmed { " confirmed" } else { "" }
        ),
        Request::NodeStatus(n) => match &n.node {
            Some(node) => write!(s, " node={node}"),
            None => Ok(()),
        },
        Request::TaskStatus(t) => write!(s, " upid={}", t.upid),
        Request::TaskLog(t) => write!(s, " upid={} lines={}", t.upid, t.lines.get()),
        Request::ListTasks(q) => {
            for (k, v) in [
                ("node", q.node.as_ref().map(ToString::to_string)),
                ("vmid", q.vmid.map(|v| v.to_string())),
                ("type", q.task_type.as_ref().map(ToString::to_string)),
                ("status", q.status.map(|s| format!("{s:?}").to_lowercase())),
            ] {
                if let Some(v) = v {
                    let _ = write!(s, " {k}={v}");
                }
            }
            write!(s, " limit={}", q.limit.get())
        }
        Request::Api(c) => {
            let names: Vec<&str> = c.params.iter().map(|(k, _)| k.as_str()).collect();
            write!(s, " {} {} params=[{}]", c.method, c.path, names.join(","))
        }
        Request::RunCommand(c) => write!(s, " argv={}", c.argv),
        Request::SnapshotList(g) | Request::GuestConfig(g) | Request::ListBackups(g) => {
            write!(s, " vmid={}", g.vmid)
        }
        Request::BackupStart(b) => write!(
            s,
            " vmid={} storage={}{}",
            b.vmid,
            b.storage,
            if b.confirmed { " confirmed" } else { "" }
        ),
        Request::GuestAgent(q) => {
            write!(s, " vmid={} command={}", q.vmid, q.command.as_str())
        }
        Request::GuestMetrics(q) => {
            write!(s, " vmid={} timeframe={}", q.vmid, q.timeframe.as_str())
        }
        Request::ListStorage(q) => match &q.node {
            Some(node) => write!(s, " node={node}"),
            None => Ok(()),
        },
        Request::StorageContent(q) => write!(
            s,
            " node={} storage={}{}{}",
            q.node,
            q.storage,
            q.content
                .map(|c| format!(" content={}", c.as_str()))
                .unwrap_or_default(),
            q.vmid.map(|v| format!(" vmid={v}")).unwrap_or_default()
        ),
        Request::SnapshotCreate(c) => write!(
            s,
            " vmid={} name={}{}{}",
            c.vmid,
            c.name,
            if c.include_ram { " include_ram" } else { "" },
            if c.confirmed { " confirmed" } else { "" }
        ),
        Request::SnapshotRollback(t) | Request::SnapshotDelete(t) => write!(
            s,
            " vmid={} name={}{}",
            t.vmid,
            t.name,
            if t.confirmed { " confirmed" } else { "" }
        ),
        Request::Describe(_) | Request::ClusterStatus(_) => Ok(()),
    };
    s
}

/// One decision and its outcome.
#[derive(Debug, Serialize)]
pub struct Record<'a> {
    pub time: String,
    pub peer_uid: u32,
    pub peer_pid: i32,
    pub request: &'a str,
    /// `allow`, `deny`, `not_found`, `confirm`, `limited` or `error` (facts unavailable).
    pub decision: &'a str,
    pub rule: &'a str,
    /// `ok`, or the error kind of the answer.
    pub outcome: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upid: Option<&'a str>,
    pub duration_ms: u64,
}

impl<'a> Record<'a> {
    pub fn new(
        peer: &Peer,
        request: &'a str,
        decision: &'a str,
        rule: &'a str,
        result: &'a Result<Payload, ErrorBody>,
        started: Instant,
    ) -> Self {
        let (outcome, upstream_status, upid) = match result {
            Ok(Payload::Task(t)) => ("ok", None, Some(t.upid.as_str())),
            Ok(_) => ("ok", None, None),
            Err(e) => (e.kind.as_str(), e.upstream_status, None),
        };
        Self {
            time: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
            peer_uid: peer.uid,
            peer_pid: peer.pid,
            request,
            decision,
            rule,
            outcome,
            upstream_status,
            upid,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// Where records go: always `tracing`, and a JSON-lines file when configured.
#[derive(Debug, Default)]
pub struct Auditor {
    file: Option<Mutex<std::fs::File>>,
}

impl Auditor {
    /// Opens (creating, mode 0640) the JSON-lines file for appending.
    pub fn open(path: Option<&Path>) -> std::io::Result<Self> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = match path {
            None => None,
            Some(p) => Some(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .mode(0o640)
                    .open(p)?,
            )),
        };
        Ok(Self { file })
    }

    pub fn record(&self, r: &Record) {
        tracing::info!(
            target: "pve_mcp::audit",
            peer_uid = r.peer_uid,
            peer_pid = r.peer_pid,
            request = r.request,
            decision = r.decision,
            rule = r.rule,
            outcome = r.outcome,
            upstream_status = r.upstream_status,
            upid = r.upid,
            duration_ms = r.duration_ms,
            "audit"
        );
        if let Some(file) = &self.file {
            let Ok(mut line) = serde_json::to_vec(r) else {
                return;
            };
            line.push(b'\n');
            let mut f = file.lock().unwrap_or_else(|e| e.into_inner());
            if let Err(e) = f.write_all(&line) {
                tracing::error!("cannot write the audit file: {e}");
            }
        }
    }
}

/// Records a connection-level event (refused peer, malformed frame).
pub fn connection_event(peer: &Peer, event: &str, detail: &str) {
    tracing::warn!(
        target: "pve_mcp::audit",
        peer_uid = peer.uid,
        peer_pid = peer.pid,
        event,
        detail,
        "audit"
    );
}
