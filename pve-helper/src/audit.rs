//! The audit trail: one structured record per decision, through `tracing` with target
//! `pve_mcp::audit` (journald when run by systemd) and, when configured, as one JSON
//! line per record in an append-only file. Requests are rendered redacted: parameter
//! values of raw API calls never appear, and the token never reaches this module.
//!
//! Below it, `pve-helper audit` reads the trail back for the admin ([`command`]).

pub mod command;
pub mod entry;
pub mod filter;
pub mod source;
pub mod table;

use crate::peer::{Client, Peer};
use pve_mcp_proto::{ErrorBody, FirewallChange, MoveTarget, Payload, Request};
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
        Request::Describe(_)
        | Request::ClusterStatus(_)
        | Request::HaResources(_)
        | Request::NextVmid(_) => Ok(()),
        Request::GuestCreate(c) => {
            let keys: Vec<&str> = c.config.iter().map(|(k, _)| k.as_str()).collect();
            write!(
                s,
                " type={} node={} vmid={} name={} cores={} memory_mib={} disk={}:{}{}{}{}{} config=[{}]",
                c.guest_type.as_str(),
                c.node,
                c.vmid.map_or("next".to_owned(), |v| v.to_string()),
                c.name,
                c.cores,
                c.memory_mib,
                c.disk.storage,
                c.disk.size_gib,
                c.iso
                    .as_ref()
                    .map(|v| format!(" iso={v}"))
                    .unwrap_or_default(),
                c.image
                    .as_ref()
                    .map(|v| format!(" image={v}"))
                    .unwrap_or_default(),
                c.ostemplate
                    .as_ref()
                    .map(|v| format!(" ostemplate={v}"))
                    .unwrap_or_default(),
                c.bridge
                    .as_ref()
                    .map(|v| format!(" bridge={v}"))
                    .unwrap_or_default(),
                keys.join(",")
            )
        }
        Request::GuestClone(c) => write!(
            s,
            " vmid={} newid={} target={} full={}{}{}",
            c.vmid,
            c.newid.map_or("next".to_owned(), |v| v.to_string()),
            c.target
                .as_ref()
                .map_or("same".to_owned(), ToString::to_string),
            c.full,
            c.storage
                .as_ref()
                .map(|v| format!(" storage={v}"))
                .unwrap_or_default(),
            confirmed(c.confirmed)
        ),
        Request::GuestTemplate(g) => write!(s, " vmid={}{}", g.vmid, confirmed(g.confirmed)),
        Request::GuestConfigure(c) => {
            // Keys only: values may hold password hashes, keys or free text.
            let set: Vec<&str> = c.set.iter().map(|(k, _)| k.as_str()).collect();
            let del: Vec<&str> = c.delete.iter().map(|k| k.as_str()).collect();
            write!(
                s,
                " vmid={} set=[{}] delete=[{}]{}",
                c.vmid,
                set.join(","),
                del.join(","),
                confirmed(c.confirmed)
            )
        }
        Request::DiskResize(r) => write!(
            s,
            " vmid={} disk={} size_gib={}{}",
            r.vmid,
            r.disk,
            r.size_gib,
            confirmed(r.confirmed)
        ),
        Request::GuestMigrate(m) => write!(
            s,
            " vmid={} target={} online={}{}",
            m.vmid,
            m.target,
            m.online,
            confirmed(m.confirmed)
        ),
        Request::GuestDelete(d) => write!(
            s,
            " vmid={} purge={} destroy_unreferenced_disks={}{}",
            d.vmid,
            d.purge,
            d.destroy_unreferenced_disks,
            confirmed(d.confirmed)
        ),
        Request::BackupRestore(r) => write!(
            s,
            " volume={} node={} vmid={}{}{}{}",
            r.volume,
            r.node,
            r.vmid.map_or("next".to_owned(), |v| v.to_string()),
            if r.force { " force" } else { "" },
            r.storage
                .as_ref()
                .map(|v| format!(" storage={v}"))
                .unwrap_or_default(),
            confirmed(r.confirmed)
        ),
        Request::VolumeDelete(v) => write!(
            s,
            " node={} volume={}{}",
            v.node,
            v.volume,
            confirmed(v.confirmed)
        ),
        Request::StorageDownload(d) => write!(
            s,
            " node={} storage={} content={} filename={} url={}",
            d.node,
            d.storage,
            d.content.as_str(),
            d.filename,
            d.url
        ),
        Request::TaskCancel(t) => write!(s, " upid={}{}", t.upid, confirmed(t.confirmed)),
        Request::AgentExec(a) => write!(
            s,
            " vmid={} argv={}{}",
            a.vmid,
            a.argv,
            confirmed(a.confirmed)
        ),
        Request::Firewall(q) => write!(
            s,
            "{}{}",
            q.node
                .as_ref()
                .map(|n| format!(" node={n}"))
                .unwrap_or_default(),
            q.vmid.map(|v| format!(" vmid={v}")).unwrap_or_default()
        ),
        Request::ListPools(q) => match &q.pool {
            Some(p) => write!(s, " pool={p}"),
            None => Ok(()),
        },
        Request::FirewallEdit(e) => {
            let rule = |f: &pve_mcp_proto::FwFields| {
                f.pairs()
                    .into_iter()
                    .filter(|(k, _)| *k != "comment")
                    .map(|(k, v)| format!(" {k}={v:?}"))
                    .collect::<String>()
            };
            let change = match &e.change {
                FirewallChange::Add { rule: r, pos } => format!(
                    "add{}{}",
                    pos.map(|p| format!(" pos={p}")).unwrap_or_default(),
                    rule(r)
                ),
                FirewallChange::Update { pos, set, delete } => format!(
                    "update pos={pos}{}{}",
                    rule(set),
                    if delete.is_empty() {
                        String::new()
                    } else {
                        let d: Vec<&str> = delete.iter().map(|d| d.as_str()).collect();
                        format!(" delete={:?}", d.join(","))
                    }
                ),
                FirewallChange::Delete { pos } => format!("delete pos={pos}"),
                FirewallChange::Move { pos, to } => format!("move pos={pos} to={to}"),
                FirewallChange::Enable { enable } => format!("enable={enable}"),
            };
            write!(s, " vmid={} {change}{}", e.vmid, confirmed(e.confirmed))
        }
        Request::DiskMove(m) => {
            let to = match &m.to {
                MoveTarget::Storage {
                    storage,
                    delete_source,
                } => format!(
                    "storage={storage}{}",
                    if *delete_source { " delete_source" } else { "" }
                ),
                MoveTarget::Guest { vmid, disk } => format!(
                    "target_vmid={vmid}{}",
                    disk.as_ref()
                        .map(|d| format!(" target_disk={d}"))
                        .unwrap_or_default()
                ),
            };
            write!(
                s,
                " vmid={} disk={} {to}{}",
                m.vmid,
                m.disk,
                confirmed(m.confirmed)
            )
        }
        Request::NodeNetworks(q) => match q.iface_type {
            Some(t) => write!(s, " node={} type={}", q.node, t.as_str()),
            None => write!(s, " node={}", q.node),
        },
    };
    s
}

fn confirmed(c: bool) -> &'static str {
    if c { " confirmed" } else { "" }
}

/// One decision and its outcome.
#[derive(Debug, Serialize)]
pub struct Record<'a> {
    pub time: String,
    pub peer_uid: u32,
    pub peer_pid: i32,
    /// The peer's login name: whose policy judged the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<&'a str>,
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
        client: &'a Client,
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
            peer_uid: client.peer.uid,
            peer_pid: client.peer.pid,
            client: client.name.as_deref(),
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
            client = r.client,
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
