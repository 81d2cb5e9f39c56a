//! The `/api2/json` dispatcher. Paths and parameters are untrusted; each request goes
//! through the steps of `PVE::HTTPServer::rest_handler` in PVE's order: find a handler
//! (501), check permissions (403), resolve the node to proxy to (500), verify parameters
//! (400), then run the handler (its own 500s). The first four are judged against the
//! release's published schema ([`crate::sim::schema::admit`]) before the handler's own
//! checks run.

use crate::sim::cluster::shared::{SharedCluster, read};
use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{Value, json};

use crate::sim::cluster::dataset::GuestKind;
use crate::sim::cluster::state::Cluster;
use crate::sim::errors::{ApiError, schema};
use crate::sim::guests::lifecycle::power::{Action, ActionOptions};
use crate::sim::guests::snapshots::{self, SnapshotOp, SnapshotWork};
use crate::sim::params::{Params, Ty, check_vmid, validate};
use crate::sim::render::cluster::{self as rc, ResourceType};
use crate::sim::render::guests as rg;
use crate::sim::schema::{self as api_schema, Judge, Tally, Verdict};
use crate::sim::server::auth::split_tokenid;
use crate::sim::server::reply::Reply;
use crate::sim::server::stats::Stats;
use crate::sim::tasks::list;
use crate::sim::tasks::store::{TaskState, Upid, page_log};

/// A matched API endpoint, with its raw path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route<'a> {
    Index,
    Version,
    Resources,
    ClusterStatus,
    Nodes,
    NodeStatus(&'a str),
    GuestList(&'a str, GuestKind),
    GuestStatus(&'a str, GuestKind, &'a str),
    GuestConfig(&'a str, GuestKind, &'a str),
    GuestAction(&'a str, GuestKind, &'a str, Action),
    TaskStatus(&'a str, &'a str),
    TaskLog(&'a str, &'a str),
    NodeTasks(&'a str),
    ClusterTasks,
    AccessPermissions,
    HaStatus,
    StorageList(&'a str),
    Vzdump(&'a str),
    StorageContent(&'a str, &'a str),
    SnapshotList(&'a str, GuestKind, &'a str),
    Rrd(&'a str, GuestKind, &'a str),
    Agent(&'a str, &'a str, crate::sim::guests::agent::AgentCommand),
    /// A snapshot write: create (no name in the path), rollback or delete.
    SnapshotWrite(&'a str, GuestKind, &'a str, SnapshotVerb, &'a str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SnapshotVerb {
    Create,
    Rollback,
    Delete,
}

fn kind_of(s: &str) -> Option<GuestKind> {
    match s {
        "qemu" => Some(GuestKind::Qemu),
        "lxc" => Some(GuestKind::Lxc),
        _ => None,
    }
}

fn route<'a>(method: &str, s: &[&'a str]) -> Option<Route<'a>> {
    let r = match (method, s) {
        ("GET", []) => Route::Index,
        ("GET", ["version"]) => Route::Version,
        ("GET", ["cluster", "resources"]) => Route::Resources,
        ("GET", ["cluster", "status"]) => Route::ClusterStatus,
        ("GET", ["cluster", "tasks"]) => Route::ClusterTasks,
        ("GET", ["access", "permissions"]) => Route::AccessPermissions,
        ("GET", ["cluster", "ha", "status", "current"]) => Route::HaStatus,
        ("GET", ["nodes", node, "tasks"]) => Route::NodeTasks(node),
        ("GET", ["nodes", node, "storage"]) => Route::StorageList(node),
        ("POST", ["nodes", node, "vzdump"]) => Route::Vzdump(node),
        ("GET", ["nodes", node, "storage", storage, "content"]) => {
            Route::StorageContent(node, storage)
        }
        ("GET", ["nodes"]) => Route::Nodes,
        ("GET", ["nodes", node, "status"]) => Route::NodeStatus(node),
        ("GET", ["nodes", node, k]) => Route::GuestList(node, kind_of(k)?),
        ("GET", ["nodes", node, k, vmid, "status", "current"]) => {
            Route::GuestStatus(node, kind_of(k)?, vmid)
        }
        ("GET", ["nodes", node, k, vmid, "config"]) => Route::GuestConfig(node, kind_of(k)?, vmid),
        ("POST", ["nodes", node, k, vmid, "status", action]) => {
            let kind = kind_of(k)?;
            Route::GuestAction(node, kind, vmid, Action::parse(kind, action)?)
        }
        (m, ["nodes", node, "qemu", vmid, "agent", name]) => Route::Agent(
            node,
            vmid,
            crate::sim::guests::agent::AgentCommand::parse(m, name)?,
        ),
        ("GET", ["nodes", node, k, vmid, "rrddata"]) => Route::Rrd(node, kind_of(k)?, vmid),
        ("GET", ["nodes", node, k, vmid, "snapshot"]) => {
            Route::SnapshotList(node, kind_of(k)?, vmid)
        }
        ("POST", ["nodes", node, k, vmid, "snapshot"]) => {
            Route::SnapshotWrite(node, kind_of(k)?, vmid, SnapshotVerb::Create, "")
        }
        ("POST", ["nodes", node, k, vmid, "snapshot", name, "rollback"]) => {
            Route::SnapshotWrite(node, kind_of(k)?, vmid, SnapshotVerb::Rollback, name)
        }
        ("DELETE", ["nodes", node, k, vmid, "snapshot", name]) => {
            Route::SnapshotWrite(node, kind_of(k)?, vmid, SnapshotVerb::Delete, name)
        }
        ("GET", ["nodes", node, "tasks", upid, "status"]) => Route::TaskStatus(node, upid),
        ("GET", ["nodes", node, "tasks", upid, "log"]) => Route::TaskLog(node, upid),
        _ => return None,
    };
    Some(r)
}

fn node_of<'a>(r: &Route<'a>) -> Option<&'a str> {
    match r {
        Route::NodeStatus(n)
        | Route::GuestList(n, _)
        | Route::GuestStatus(n, _, _)
        | Route::GuestConfig(n, _, _)
        | Route::GuestAction(n, _, _, _)
        | Route::TaskStatus(n, _)
        | Route::TaskLog(n, _)
        | Route::NodeTasks(n)
        | Route::StorageList(n)
        | Route::Vzdump(n)
        | Route::StorageContent(n, _)
        | Route::SnapshotList(n, _, _)
        | Route::Rrd(n, _, _)
        | Route::Agent(n, _, _)
        | Route::SnapshotWrite(n, _, _, _, _) => Some(n),
        _ => None,
    }
}

fn action_param_type(name: &str) -> Ty {
    match name {
        "timeout" => Ty::Int { min: 0 },
        "skiplock" | "forceStop" | "keepActive" | "todisk" | "nocheck" | "overrule-shutdown"
        | "debug" => Ty::Bool,
        "migration_type" => Ty::Enum(&["secure", "insecure"]),
        _ => Ty::Str,
    }
}

/// Parameters only `root@pam` may pass (never true for an API token).
const ROOT_ONLY: [&str; 5] = [
    "skiplock",
    "keepActive",
    "nocheck",
    "migratedfrom",
    "stateuri",
];

/// Verifies the parameters of a route; the vmid from the path is checked like a parameter.
fn verify(r: &Route<'_>, params: &Params) -> Result<Option<u32>, ApiError> {
    let mut errors = BTreeMap::new();
    let mut vmid = None;
    let schema: Vec<(&str, Ty)> = match r {
        Route::Resources => vec![("type", Ty::Enum(&ResourceType::NAMES))],
        Route::GuestList(_, GuestKind::Qemu) => vec![("full", Ty::Bool)],
        Route::GuestConfig(..) => vec![("current", Ty::Bool), ("snapshot", Ty::Str)],
        Route::GuestAction(_, kind, _, action) => action
            .params(*kind)
            .iter()
            .map(|n| (*n, action_param_type(n)))
            .collect(),
        Route::SnapshotWrite(_, kind, _, verb, _) => match (verb, kind) {
            (SnapshotVerb::Create, GuestKind::Qemu) => vec![
                ("snapname", Ty::Str),
                ("description", Ty::Str),
                ("vmstate", Ty::Bool),
            ],
            (SnapshotVerb::Create, GuestKind::Lxc) => {
                vec![("snapname", Ty::Str), ("description", Ty::Str)]
            }
            (SnapshotVerb::Rollback, _) => vec![("start", Ty::Bool)],
            (SnapshotVerb::Delete, _) => vec![("force", Ty::Bool)],
        },
        Route::Rrd(..) => vec![
            (
                "timeframe",
                Ty::Enum(&["hour", "day", "week", "month", "year"]),
            ),
            ("cf", Ty::Enum(&["AVERAGE", "MAX"])),
        ],
        Route::Vzdump(_) => vec![
            ("vmid", Ty::Str),
            ("storage", Ty::Str),
            ("mode", Ty::Enum(&["snapshot", "suspend", "stop"])),
            ("compress", Ty::Enum(&["0", "1", "gzip", "lzo", "zstd"])),
            ("notes-template", Ty::Str),
            ("remove", Ty::Bool),
        ],
        Route::StorageList(_) => vec![
            ("content", Ty::Str),
            ("enabled", Ty::Bool),
            ("format", Ty::Bool),
            ("storage", Ty::Str),
            ("target", Ty::Str),
        ],
        Route::StorageContent(..) => vec![("content", Ty::Str), ("vmid", Ty::Int { min: 100 })],
        Route::AccessPermissions => vec![("path", Ty::Str), ("userid", Ty::Str)],
        Route::NodeTasks(_) => vec![
            ("start", Ty::Int { min: 0 }),
            ("limit", Ty::Int { min: 0 }),
            ("vmid", Ty::Int { min: 100 }),
            ("typefilter", Ty::Str),
            ("statusfilter", Ty::Str),
            ("userfilter", Ty::Str),
            ("errors", Ty::Bool),
            ("since", Ty::Int { min: 0 }),
            ("until", Ty::Int { min: 0 }),
            ("source", Ty::Enum(&["archive", "active", "all"])),
        ],
        Route::TaskLog(..) => vec![
            ("start", Ty::Int { min: 0 }),
            ("limit", Ty::Int { min: 0 }),
            ("download", Ty::Bool),
        ],
        _ => Vec::new(),
    };
    if let Route::GuestStatus(_, _, raw)
    | Route::GuestConfig(_, _, raw)
    | Route::GuestAction(_, _, raw, _)
    | Route::SnapshotList(_, _, raw)
    | Route::Rrd(_, _, raw)
    | Route::Agent(_, raw, _)
    | Route::SnapshotWrite(_, _, raw, _, _) = r
    {
        match check_vmid(raw) {
            Ok(v) => vmid = Some(v),
            Err(e) => {
                errors.insert("vmid".to_owned(), e);
            }
        }
    }
    validate(params, &schema, &mut errors);
    if let Route::SnapshotWrite(_, _, _, verb, name) = r {
        let name = match verb {
            SnapshotVerb::Create => params.get("snapname"),
            SnapshotVerb::Rollback | SnapshotVerb::Delete => Some(*name),
        };
        match name.map(snapshots::check_name) {
            None => {
                errors.insert("snapname".into(), schema::MISSING.to_owned());
            }
            Some(Err(e)) => {
                errors.insert("snapname".into(), e);
            }
            Some(Ok(())) => {}
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Param(errors));
    }
    if matches!(r, Route::GuestAction(..)) {
        let root_only = ROOT_ONLY
            .iter()
            .filter(|n| params.get(n).is_some_and(|v| !v.is_empty() && v != "0"))
            .map(|n| ((*n).to_owned(), schema::ROOT_ONLY.to_owned()));
        let errors: BTreeMap<String, String> = root_only.collect();
        if !errors.is_empty() {
            return Err(ApiError::Param(errors));
        }
    }
    Ok(vmid)
}

/// Whether the simulator has a handler for `method` and the path's `segments`.
pub(crate) fn served(method: &str, segments: &[&str]) -> bool {
    route(method, segments).is_some()
        || super::lifecycle_endpoints::route(method, segments).is_some()
        || super::audit_routes::route(method, segments).is_some()
        || super::health_routes::route(method, segments).is_some()
}

/// Judges a request against the schema of the cluster's release, with its role.
fn admit(
    cluster: &SharedCluster,
    tally: &Tally,
    req: &api_schema::Request<'_>,
    served: bool,
) -> Result<(), ApiError> {
    let c = read(cluster, Instant::now());
    let node = |name: &str| c.node(name).map(|n| n.name.clone());
    let judge = Judge {
        version: c.pve,
        role: c.role.as_ref(),
        served,
        node: &node,
        tally,
    };
    match api_schema::admit(&judge, req) {
        Verdict::Admitted { .. } => Ok(()),
        Verdict::Refused(e) => Err(e),
    }
}

/// Handles one authenticated API request. `rel` is the decoded path after `/api2/json`.
pub fn handle(
    cluster: &SharedCluster,
    stats: &Stats,
    tally: &Tally,
    method: &str,
    rel: &str,
    params: &Params,
    user: &str,
) -> Result<Reply, ApiError> {
    let segments: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();
    let served = served(method, &segments);
    let req = api_schema::Request {
        method,
        rel,
        segments: &segments,
        params,
        userid: user,
    };
    admit(cluster, tally, &req, served)?;
    let Some(r) = route(method, &segments) else {
        if let Some(r) = super::lifecycle_endpoints::route(method, &segments) {
            return super::lifecycle_routes::handle(cluster, stats, r, params, user);
        }
        if let Some(r) = super::health_routes::route(method, &segments) {
            return super::health_routes::handle(cluster, r);
        }
        return match super::audit_routes::route(method, &segments) {
            Some(r) => super::audit_routes::handle(cluster, r, params, user),
            None => Err(ApiError::no_handler(method, rel)),
        };
    };
    let now = Instant::now();
    let needs = match &r {
        Route::GuestAction(_, _, raw, _) => Some((raw, "VM.PowerMgmt")),
        Route::SnapshotWrite(_, _, raw, SnapshotVerb::Rollback, _) => {
            Some((raw, "VM.Snapshot.Rollback"))
        }
        Route::SnapshotWrite(_, _, raw, _, _) => Some((raw, "VM.Snapshot")),
        _ => None,
    };
    if let Some((raw, privilege)) = needs {
        let c = read(cluster, now);
        let locked = check_vmid(raw)
            .ok()
            .and_then(|v| c.guest(v))
            .is_some_and(|g| g.seed.locked);
        if locked {
            return Err(ApiError::permission(&format!("/vms/{raw}"), privilege));
        }
    }
    let node = match node_of(&r) {
        Some(name) => {
            let c = read(cluster, now);
            let node = c.node(name).ok_or_else(|| ApiError::unknown_node(name))?;
            Some(node.name.clone())
        }
        None => None,
    };
    let node = node.as_deref().unwrap_or("");
    let vmid = verify(&r, params)?;
    let vmid = vmid.unwrap_or(0);
    match r {
        Route::GuestAction(_, kind, _, action) => {
            let opts = ActionOptions {
                force_stop: params.flag("forceStop"),
                todisk: params.flag("todisk"),
            };
            let mut c = cluster.write().unwrap_or_else(|e| e.into_inner());
            let upid = c.request_action(node, kind, vmid, action, opts, user)?;
            stats.task_started();
            Ok(Reply::data(&upid))
        }
        Route::Vzdump(_) => {
            let vmid = params
                .get("vmid")
                .and_then(|v| check_vmid(v).ok())
                .ok_or_else(|| ApiError::param("vmid", "a single vmid is required here"))?;
            let storage = params.get("storage").unwrap_or("local");
            let mut c = cluster.write().unwrap_or_else(|e| e.into_inner());
            crate::sim::access::routes::vzdump(&c, &vmid.to_string(), storage)?;
            let upid = c.request_vzdump(node, vmid, storage, user)?;
            stats.task_started();
            Ok(Reply::data(&upid))
        }
        Route::SnapshotWrite(_, kind, _, verb, name) => {
            let op = match verb {
                SnapshotVerb::Create => SnapshotOp::Create {
                    description: params.get("description").unwrap_or_default().to_owned(),
                    vmstate: params.flag("vmstate"),
                },
                SnapshotVerb::Rollback => SnapshotOp::Rollback {
                    start: params.flag("start"),
                },
                SnapshotVerb::Delete => SnapshotOp::Delete,
            };
            let name = match verb {
                SnapshotVerb::Create => params.get("snapname").unwrap_or_default(),
                SnapshotVerb::Rollback | SnapshotVerb::Delete => name,
            };
            let work = SnapshotWork {
                node: node.to_owned(),
                kind,
                vmid,
                name: name.to_owned(),
                op,
            };
            let mut c = cluster.write().unwrap_or_else(|e| e.into_inner());
            let upid = c.request_snapshot(work, user)?;
            stats.task_started();
            Ok(Reply::data(&upid))
        }
        r => {
            let c = read(cluster, now);
            answer(cluster, &c, &r, node, vmid, params, now)
        }
    }
}

fn answer(
    shared: &SharedCluster,
    c: &Cluster,
    r: &Route<'_>,
    node: &str,
    vmid: u32,
    params: &Params,
    now: Instant,
) -> Result<Reply, ApiError> {
    let guest = |kind: GuestKind| {
        c.guest_on(node, kind, vmid)
            .ok_or_else(|| ApiError::no_config(node, kind.config_dir(), vmid))
    };
    let reply = match r {
        Route::Index => Reply::data(&rc::root_index()),
        Route::Version => Reply::data(&rc::version(c.pve)),
        Route::Resources => {
            let filter = params.get("type").and_then(ResourceType::parse);
            Reply::json_bytes(shared.resources(c, filter, now))
        }
        Route::ClusterStatus => Reply::data(&rc::cluster_status(c)),
        Route::Nodes => Reply::data(&rc::nodes(c, now)),
        Route::NodeStatus(_) => match c.node(node) {
            Some(n) => Reply::data(&rc::node_status(c, n, now)),
            None => return Err(ApiError::unknown_node(node)),
        },
        Route::GuestList(_, kind) => {
            let full = params.flag("full");
            let list: Vec<Value> = c
                .guests
                .iter()
                .filter(|g| g.seed.node == node && g.seed.kind == *kind)
                .map(|g| Value::Object(rg::vmstatus(g, now, full)))
                .collect();
            Reply::data(&list)
        }
        Route::GuestStatus(_, kind, _) => Reply::data(&rg::status_current(guest(*kind)?, now)),
        Route::GuestConfig(_, kind, _) => Reply::data(&rg::config(guest(*kind)?)),
        Route::Agent(_, _, cmd) => Reply::data(&crate::sim::guests::agent::answer(
            guest(GuestKind::Qemu)?,
            *cmd,
        )?),
        Route::Rrd(_, kind, _) => {
            let Some(timeframe) = params.get("timeframe") else {
                return Err(ApiError::param(
                    "timeframe",
                    crate::sim::errors::schema::MISSING,
                ));
            };
            let max = params.get("cf") == Some("MAX");
            Reply::data(&crate::sim::render::rrd::rrddata(
                guest(*kind)?,
                timeframe,
                max,
            ))
        }
        Route::SnapshotList(_, kind, _) => Reply::data(&snapshots::list(guest(*kind)?)),
        Route::TaskStatus(_, upid) => task_status(c, node, upid)?,
        Route::NodeTasks(_) => {
            let (page, total) = list::node_tasks(c, node, params);
            Reply::data_total(&page, total)
        }
        Route::ClusterTasks => Reply::data(&list::cluster_tasks(c)),
        Route::StorageList(_) => match c.node(node) {
            Some(n) => Reply::data(&crate::sim::storage::status::list(n, params)),
            None => return Err(ApiError::unknown_node(node)),
        },
        Route::StorageContent(_, storage) => Reply::data(&crate::sim::storage::volumes::content(
            c, node, storage, params,
        )?),
        Route::HaStatus => Reply::data(&crate::sim::cluster::ha::status_current(c)),
        Route::AccessPermissions => Reply::data(&rc::access_permissions(c, params.get("path"))),
        Route::TaskLog(_, upid) => task_log(c, node, upid, params)?,
        Route::GuestAction(..) | Route::SnapshotWrite(..) | Route::Vzdump(_) => {
            return Err(ApiError::Internal("internal error".into()));
        }
    };
    Ok(reply)
}

fn parse_upid(raw: &str) -> Result<Upid, ApiError> {
    Upid::parse(raw).ok_or_else(|| ApiError::param("upid", "unable to parse worker upid"))
}

fn task_status(c: &Cluster, node: &str, raw: &str) -> Result<Reply, ApiError> {
    let upid = parse_upid(raw)?;
    let task = c
        .tasks
        .get(raw)
        .filter(|t| t.upid.node == node)
        .ok_or_else(|| ApiError::param("upid", "no such task"))?;
    let mut m = json!({
        "upid": raw, "node": upid.node, "pid": upid.pid, "pstart": upid.pstart,
        "starttime": upid.starttime, "type": upid.kind, "id": upid.id, "user": upid.user,
    });
    if let Some((user, tokenid)) = split_tokenid(&upid.user) {
        m["user"] = json!(user);
        m["tokenid"] = json!(tokenid);
    }
    match &task.state {
        TaskState::Running => m["status"] = json!("running"),
        TaskState::Stopped(exit) => {
            m["status"] = json!("stopped");
            m["exitstatus"] = json!(exit);
        }
    }
    Ok(Reply::data(&m))
}

fn task_log(c: &Cluster, node: &str, raw: &str, params: &Params) -> Result<Reply, ApiError> {
    parse_upid(raw)?;
    let Some(task) = c.tasks.get(raw).filter(|t| t.upid.node == node) else {
        let line = json!([{"n": 1, "t": "unable to open file - No such file or directory"}]);
        return Ok(Reply::data_total(&line, 1));
    };
    let number = |name: &str, default: u64| {
        params
            .get(name)
            .and_then(|v| v.trim_start_matches('+').parse::<u64>().ok())
            .unwrap_or(default)
    };
    let lines = task.full_log();
    let (total, page) = page_log(&lines, number("start", 0), number("limit", 50));
    let data: Vec<Value> = page.iter().map(|(n, t)| json!({"n": n, "t": t})).collect();
    Ok(Reply::data_total(&data, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            route("GET", &["cluster", "resources"]),
            Some(Route::Resources)
        );
        assert_eq!(
            route("POST", &["nodes", "pve1", "qemu", "101", "status", "reset"]),
            Some(Route::GuestAction(
                "pve1",
                GuestKind::Qemu,
                "101",
                Action::Reset
            ))
        );
        assert_eq!(
            route("POST", &["nodes", "pve1", "lxc", "101", "status", "reset"]),
            None
        );
        assert_eq!(
            route("GET", &["nodes", "pve1", "qemu", "101", "status", "start"]),
            None
        );
        assert_eq!(route("DELETE", &["nodes"]), None);
        assert_eq!(
            route("GET", &["nodes", "pve1", "storage"]),
            Some(Route::StorageList("pve1"))
        );
        assert_eq!(route("GET", &["nodes", "pve1", "network"]), None);
    }
}
