//! Runs the handlers of [`super::lifecycle_endpoints`]' routes, after their parameters were
//! verified: writes take the cluster's write guard (so `/cluster/resources` renders
//! anew), reads the read guard.

use std::time::Instant;

use serde_json::Value;

use super::lifecycle_endpoints::{Fw, Route};
use crate::sim::cluster::dataset::GuestKind;
use crate::sim::cluster::pools;
use crate::sim::cluster::shared::SharedCluster;
use crate::sim::cluster::shared::read;
use crate::sim::errors::ApiError;
use crate::sim::guests::firewall;
use crate::sim::params::Params;
use crate::sim::server::reply::Reply;
use crate::sim::server::stats::Stats;
use crate::sim::tasks::store::{TaskState, Upid};

fn upid(stats: &Stats, r: Result<String, ApiError>) -> Result<Reply, ApiError> {
    let upid = r?;
    stats.task_started();
    Ok(Reply::data(&upid))
}

/// Runs route `r` on `node` (resolved) for guest `vmid` (0 if none).
#[allow(clippy::too_many_arguments)]
pub fn run(
    cluster: &SharedCluster,
    stats: &Stats,
    r: &Route,
    node: &str,
    vmid: u32,
    params: &Params,
    user: &str,
    now: Instant,
) -> Result<Reply, ApiError> {
    let write = || cluster.write().unwrap_or_else(|e| e.into_inner());
    match r {
        Route::Create(_, GuestKind::Qemu) => {
            upid(stats, write().request_create_vm(node, params, user))
        }
        Route::Create(_, GuestKind::Lxc) => {
            upid(stats, write().request_create_ct(node, params, user))
        }
        Route::Clone(_, kind, _) => upid(
            stats,
            write().request_clone(node, *kind, vmid, params, user),
        ),
        Route::Template(_, kind, _) => {
            let result = write().request_template(node, *kind, vmid, user)?;
            stats.task_started();
            Ok(Reply::data(&result))
        }
        Route::Config(_, kind, _, sync) => {
            let result = write().request_config(node, *kind, vmid, params, user, *sync)?;
            if result.is_some() {
                stats.task_started();
            }
            Ok(Reply::data(&result))
        }
        Route::Resize(_, kind, _) => upid(
            stats,
            write().request_resize(node, *kind, vmid, params, user),
        ),
        Route::Migrate(_, kind, _) => upid(
            stats,
            write().request_migrate(node, *kind, vmid, params, user),
        ),
        Route::Move(_, kind, _) => {
            upid(stats, write().request_move(node, *kind, vmid, params, user))
        }
        Route::Destroy(_, kind, _) => upid(
            stats,
            write().request_destroy(node, *kind, vmid, params, user),
        ),
        Route::DeleteVolume(_, storage, volume) => upid(
            stats,
            write().request_delete_volume(node, storage, volume, user),
        ),
        Route::Download(_, storage) => {
            upid(stats, write().request_download(node, storage, params, user))
        }
        Route::StopTask(_, raw) => {
            let mut c = write();
            c.settle(now);
            Ok(Reply::data(&stop_task(&mut c, node, raw)?))
        }
        Route::Exec(..) => {
            let command = params.all("command");
            let result = write().agent_exec(node, vmid, &command, params.get("input-data"))?;
            Ok(Reply::data(&result))
        }
        Route::GuestFwWrite(_, _, _, w) => Ok(Reply::data(&write().fw_write(vmid, w, params)?)),
        Route::ExecStatus(..) => {
            let pid = params
                .get("pid")
                .and_then(|p| p.trim_start_matches('+').parse::<u32>().ok())
                .unwrap_or(u32::MAX);
            Ok(Reply::data(&write().agent_exec_status(node, vmid, pid)?))
        }
        _ => {
            let c = read(cluster, now);
            let value: Value = match r {
                Route::ClusterFw(Fw::Rules) => firewall::cluster_rules(),
                Route::ClusterFw(Fw::Options) => firewall::cluster_options(),
                Route::NodeFw(_, Fw::Rules) => firewall::node_rules(),
                Route::NodeFw(_, Fw::Options) => firewall::node_options(),
                Route::GuestFw(_, _, _, Fw::Rules) => firewall::guest_rules(&c, vmid),
                Route::GuestFw(_, _, _, Fw::Options) => firewall::guest_options(&c, vmid),
                Route::Pools => pools::list(&c, params.get("poolid"), params.get("type"), now)?,
                Route::Pool(id) => pools::read(&c, id, params.get("type"), now)?,
                Route::HaResources => crate::sim::cluster::ha::resources(&c, params.get("type")),
                Route::HaGroups => crate::sim::cluster::ha::groups(&c)?,
                Route::NextId => {
                    let want = params
                        .get("vmid")
                        .and_then(|v| crate::sim::params::check_vmid(v).ok());
                    pools::nextid(&c, want)?
                }
                Route::Network(_) => match c.node(node) {
                    Some(n) => crate::sim::cluster::network::list(n, params.get("type")),
                    None => return Err(ApiError::unknown_node(node)),
                },
                Route::ExtractConfig(_) => {
                    pools::extractconfig(&c, node, params.get("volume").unwrap_or_default())?
                }
                _ => return Err(ApiError::Internal("internal error".into())),
            };
            Ok(Reply::data(&value))
        }
    }
}

/// `DELETE /nodes/{node}/tasks/{upid}`: `null`, for a running task (which it stops) and
/// for a finished one alike.
pub fn stop_task(
    c: &mut crate::sim::cluster::state::Cluster,
    node: &str,
    raw: &str,
) -> Result<Value, ApiError> {
    Upid::parse(raw).ok_or_else(|| ApiError::param("upid", "unable to parse worker upid"))?;
    let running = match c.tasks.get(raw).filter(|t| t.upid.node == node) {
        None => return Err(ApiError::param("upid", "no such task")),
        Some(t) => t.state == TaskState::Running,
    };
    if running {
        c.stop_task(raw);
    }
    Ok(Value::Null)
}
