//! The `/api2/json` reads an auditor makes of what surrounds the guests, each answer
//! naming guests by vmid, name or volume: the cluster log, a node's syslog, journal and
//! report ([`crate::sim::tasks::logs`]), the ACL ([`crate::sim::access::acl`]), backup and replication jobs
//! ([`crate::sim::cluster::jobs`]), HA rules, the HA manager's status and one HA resource
//! ([`crate::sim::cluster::ha`]), a guest's pending config, cloud-init data and snapshot config
//! ([`crate::sim::guests::config::views`]), one volume's attributes and a storage's prune dry run
//! ([`crate::sim::storage::volume_info`]). Same steps as [`super::dispatch`], in PVE's order: find a
//! handler (501), resolve the node (500), verify parameters (400), check the role's
//! privileges (403), answer. Paths and parameters are untrusted.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::sim::access::role::Role;
use crate::sim::cluster::dataset::GuestKind;
use crate::sim::cluster::shared::SharedCluster;
use crate::sim::cluster::shared::read;
use crate::sim::cluster::state::Cluster;
use crate::sim::errors::{ApiError, schema};
use crate::sim::params::{Params, Ty, check_vmid, validate};
use crate::sim::server::reply::Reply;

/// A matched endpoint, with its raw path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    ClusterLog,
    Syslog(String),
    Journal(String),
    Report(String),
    Acl,
    BackupJobs,
    BackupJob(String),
    IncludedVolumes(String),
    NotBackedUp,
    ReplicationJobs,
    ReplicationJob(String),
    NodeReplication(String),
    NodeReplicationStatus(String, String),
    NodeReplicationLog(String, String),
    HaRules,
    HaRule(String),
    HaManagerStatus,
    HaResource(String),
    Pending(String, GuestKind, String),
    CloudinitDump(String, String),
    SnapshotConfig(String, GuestKind, String, String),
    VolumeInfo(String, String, String),
    PruneBackups(String, String),
}

fn kind_of(s: &str) -> Option<GuestKind> {
    match s {
        "qemu" => Some(GuestKind::Qemu),
        "lxc" => Some(GuestKind::Lxc),
        _ => None,
    }
}

/// The endpoint for `method` and path segments, if this module has it.
pub fn route(method: &str, s: &[&str]) -> Option<Route> {
    if method != "GET" {
        return None;
    }
    let o = |x: &str| x.to_owned();
    let r = match s {
        ["cluster", "log"] => Route::ClusterLog,
        ["nodes", n, "syslog"] => Route::Syslog(o(n)),
        ["nodes", n, "journal"] => Route::Journal(o(n)),
        ["nodes", n, "report"] => Route::Report(o(n)),
        ["access", "acl"] => Route::Acl,
        ["cluster", "backup"] => Route::BackupJobs,
        ["cluster", "backup", id] => Route::BackupJob(o(id)),
        ["cluster", "backup", id, "included_volumes"] => Route::IncludedVolumes(o(id)),
        ["cluster", "backup-info", "not-backed-up"] => Route::NotBackedUp,
        ["cluster", "replication"] => Route::ReplicationJobs,
        ["cluster", "replication", id] => Route::ReplicationJob(o(id)),
        ["nodes", n, "replication"] => Route::NodeReplication(o(n)),
        ["nodes", n, "replication", id, "status"] => Route::NodeReplicationStatus(o(n), o(id)),
        ["nodes", n, "replication", id, "log"] => Route::NodeReplicationLog(o(n), o(id)),
        ["cluster", "ha", "rules"] => Route::HaRules,
        ["cluster", "ha", "rules", id] => Route::HaRule(o(id)),
        ["cluster", "ha", "status", "manager_status"] => Route::HaManagerStatus,
        ["cluster", "ha", "resources", sid] => Route::HaResource(o(sid)),
        ["nodes", n, k, v, "pending"] => Route::Pending(o(n), kind_of(k)?, o(v)),
        ["nodes", n, "qemu", v, "cloudinit", "dump"] => Route::CloudinitDump(o(n), o(v)),
        ["nodes", n, k, v, "snapshot", snap, "config"] => {
            Route::SnapshotConfig(o(n), kind_of(k)?, o(v), o(snap))
        }
        ["nodes", n, "storage", st, "content", rest @ ..] if !rest.is_empty() => {
            Route::VolumeInfo(o(n), o(st), rest.join("/"))
        }
        ["nodes", n, "storage", st, "prunebackups"] => Route::PruneBackups(o(n), o(st)),
        _ => return None,
    };
    Some(r)
}

fn node_of(r: &Route) -> Option<&str> {
    match r {
        Route::Syslog(n)
        | Route::Journal(n)
        | Route::Report(n)
        | Route::NodeReplication(n)
        | Route::NodeReplicationStatus(n, _)
        | Route::NodeReplicationLog(n, _)
        | Route::Pending(n, _, _)
        | Route::CloudinitDump(n, _)
        | Route::SnapshotConfig(n, _, _, _)
        | Route::VolumeInfo(n, _, _)
        | Route::PruneBackups(n, _) => Some(n),
        _ => None,
    }
}

fn path_vmid(r: &Route) -> Option<&str> {
    match r {
        Route::Pending(_, _, v)
        | Route::CloudinitDump(_, v)
        | Route::SnapshotConfig(_, _, v, _) => Some(v),
        _ => None,
    }
}

const GUEST_TYPES: Ty = Ty::Enum(&["qemu", "lxc"]);

fn params_of(r: &Route) -> (Vec<(&'static str, Ty)>, &'static [&'static str]) {
    let int = |min| Ty::Int { min };
    match r {
        Route::ClusterLog => (vec![("max", int(1))], &[]),
        Route::Syslog(_) => (
            vec![
                ("start", int(0)),
                ("limit", int(0)),
                ("since", Ty::Str),
                ("until", Ty::Str),
                ("service", Ty::Str),
            ],
            &[],
        ),
        Route::Journal(_) => (
            vec![
                ("lastentries", int(0)),
                ("since", int(0)),
                ("until", int(0)),
                ("startcursor", Ty::Str),
                ("endcursor", Ty::Str),
            ],
            &[],
        ),
        Route::NodeReplication(_) => (vec![("guest", int(100))], &[]),
        Route::NodeReplicationLog(..) => (vec![("start", int(0)), ("limit", int(0))], &[]),
        Route::HaRules => (
            vec![
                ("type", Ty::Enum(&["node-affinity", "resource-affinity"])),
                ("resource", Ty::Str),
            ],
            &[],
        ),
        Route::CloudinitDump(..) => (
            vec![("type", Ty::Enum(&["user", "network", "meta"]))],
            &["type"],
        ),
        Route::PruneBackups(..) => (
            vec![
                ("vmid", int(100)),
                ("type", GUEST_TYPES),
                ("prune-backups", Ty::Str),
            ],
            &[],
        ),
        _ => (Vec::new(), &[]),
    }
}

fn verify(r: &Route, params: &Params) -> Result<u32, ApiError> {
    let mut errors = BTreeMap::new();
    let mut vmid = 0;
    if let Some(raw) = path_vmid(r) {
        match check_vmid(raw) {
            Ok(v) => vmid = v,
            Err(e) => {
                errors.insert("vmid".to_owned(), e);
            }
        }
    }
    let (schema_of, required) = params_of(r);
    validate(params, &schema_of, &mut errors);
    for name in required {
        if params.get(name).is_none() {
            errors.insert((*name).to_owned(), schema::MISSING.to_owned());
        }
    }
    if errors.is_empty() {
        Ok(vmid)
    } else {
        Err(ApiError::Param(errors))
    }
}

/// The privileges PVE checks (only when the token's role is checked).
fn permitted(c: &Cluster, r: &Route, vmid: u32) -> Result<(), ApiError> {
    let Some(role) = &c.role else {
        return Ok(());
    };
    let role = Role(role);
    let vm = vmid.to_string();
    match r {
        Route::Syslog(n) | Route::Journal(n) => role.check(&format!("/nodes/{n}"), &["Sys.Syslog"]),
        Route::Report(n) => role.check(&format!("/nodes/{n}"), &["Sys.Audit"]),
        Route::Acl => role.check_any("/access", &["Sys.Audit", "Permissions.Modify"]),
        Route::Pending(..) | Route::CloudinitDump(..) | Route::SnapshotConfig(..) => {
            role.check_vm(&vm, &["VM.Audit"])
        }
        Route::VolumeInfo(_, st, _) | Route::PruneBackups(_, st) => role.check_any(
            &format!("/storage/{st}"),
            &["Datastore.Audit", "Datastore.AllocateSpace"],
        ),
        Route::ClusterLog | Route::NodeReplication(_) | Route::ReplicationJobs => Ok(()),
        _ => role.check("/", &["Sys.Audit"]),
    }
}

fn guest<'a>(
    c: &'a Cluster,
    node: &str,
    kind: GuestKind,
    vmid: u32,
) -> Result<&'a crate::sim::cluster::state::Guest, ApiError> {
    c.guest_on(node, kind, vmid)
        .ok_or_else(|| ApiError::no_config(node, kind.config_dir(), vmid))
}

fn number(params: &Params, name: &str) -> Option<u64> {
    params
        .get(name)
        .and_then(|v| v.trim_start_matches('+').parse::<u64>().ok())
}

/// Handles one request for a route of this module; `user` is the caller's token id.
pub fn handle(
    cluster: &SharedCluster,
    r: Route,
    params: &Params,
    user: &str,
) -> Result<Reply, ApiError> {
    let c = read(cluster, Instant::now());
    let node = match node_of(&r) {
        Some(name) => c
            .node(name)
            .ok_or_else(|| ApiError::unknown_node(name))?
            .name
            .clone(),
        None => String::new(),
    };
    let vmid = verify(&r, params)?;
    permitted(&c, &r, vmid)?;
    let data = match &r {
        Route::ClusterLog => crate::sim::tasks::logs::cluster_log(&c, number(params, "max")),
        Route::Syslog(_) => {
            let start = number(params, "start").unwrap_or(0);
            let limit = number(params, "limit").unwrap_or(50);
            let (page, total) = crate::sim::tasks::logs::syslog(&c, &node, start, limit);
            return Ok(Reply::data_total(&page, total));
        }
        Route::Journal(_) => {
            crate::sim::tasks::logs::journal(&c, &node, number(params, "lastentries"))
        }
        Route::Report(_) => crate::sim::tasks::logs::report(&c, &node),
        Route::Acl => crate::sim::access::acl::list(&c, user),
        Route::BackupJobs => crate::sim::cluster::jobs::backup_jobs(&c),
        Route::BackupJob(id) => crate::sim::cluster::jobs::backup_job(&c, id)?,
        Route::IncludedVolumes(id) => crate::sim::cluster::jobs::included_volumes(&c, id)?,
        Route::NotBackedUp => crate::sim::cluster::jobs::not_backed_up(&c),
        Route::ReplicationJobs => crate::sim::cluster::jobs::replication_jobs(&c),
        Route::ReplicationJob(id) => crate::sim::cluster::jobs::replication_job(&c, id)?,
        Route::NodeReplication(_) => {
            let guest = number(params, "guest").and_then(|g| u32::try_from(g).ok());
            crate::sim::cluster::jobs::node_replication(&c, &node, guest)
        }
        Route::NodeReplicationStatus(_, id) => {
            crate::sim::cluster::jobs::node_replication_status(&c, &node, id)?
        }
        Route::NodeReplicationLog(_, id) => {
            crate::sim::cluster::jobs::node_replication_log(&c, &node, id)?
        }
        Route::HaRules => {
            crate::sim::cluster::ha::rules(&c, params.get("type"), params.get("resource"))
        }
        Route::HaRule(id) => crate::sim::cluster::ha::rule(&c, id)?,
        Route::HaManagerStatus => crate::sim::cluster::ha::manager_status(&c),
        Route::HaResource(sid) => crate::sim::cluster::ha::resource(&c, sid)?,
        Route::Pending(_, kind, _) => {
            crate::sim::guests::config::views::pending(guest(&c, &node, *kind, vmid)?)
        }
        Route::CloudinitDump(..) => {
            let g = guest(&c, &node, GuestKind::Qemu, vmid)?;
            crate::sim::guests::config::views::cloudinit_dump(
                &c,
                g,
                params.get("type").unwrap_or("user"),
            )
        }
        Route::SnapshotConfig(_, kind, _, snap) => {
            crate::sim::guests::config::views::snapshot_config(
                guest(&c, &node, *kind, vmid)?,
                snap,
            )?
        }
        Route::VolumeInfo(_, storage, volume) => {
            crate::sim::storage::volume_info::info(&c, &node, storage, volume)?
        }
        Route::PruneBackups(_, storage) => {
            crate::sim::storage::volume_info::prune_dry_run(&c, &node, storage, params)?
        }
    };
    Ok(Reply::data(&data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route("GET", &["cluster", "log"]), Some(Route::ClusterLog));
        assert_eq!(route("POST", &["cluster", "log"]), None);
        assert_eq!(
            route(
                "GET",
                &[
                    "nodes",
                    "pve1",
                    "storage",
                    "nas",
                    "content",
                    "nas:backup",
                    "x.vma.zst"
                ]
            ),
            Some(Route::VolumeInfo(
                "pve1".into(),
                "nas".into(),
                "nas:backup/x.vma.zst".into()
            ))
        );
        assert_eq!(
            route("GET", &["nodes", "pve1", "lxc", "101", "cloudinit", "dump"]),
            None
        );
        assert_eq!(route("GET", &["cluster", "firewall", "aliases"]), None);
    }
}
