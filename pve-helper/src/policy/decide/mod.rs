//! `decide`: the one pure function that judges every request against the policy, and
//! the two that say which facts it needs. No I/O; the facts (which node, pool and tags
//! a guest has, configurations) are gathered by the caller beforehand, for the guests
//! [`referenced_vmids`] and [`config_vmids`] name. Each of the three is one exhaustive
//! match over `Request` (no `_` arm: a new request compiles only once all three judge
//! it); the judging itself lives in the modules below, by kind of request, over the
//! shared words of `common`.

mod api;
mod commands;
mod common;
mod copy;
mod create;
mod disk_move;
mod firewall;
mod lifecycle;
mod media;
mod raw_params;
mod reads;
mod tasks;
#[cfg(test)]
mod tests;

pub use api::{equivalent_request, named_task, raw_create_vmid};
pub use create::create_settings;
pub use lifecycle::local_disk_storages;
pub use tasks::node_task_names_no_guest;

use super::refs::task_guests;
use crate::policy::decision::{Decision, Rule};
use crate::policy::facts::Facts;
use crate::policy::model::{Operation, Policy};
use common::{in_scope, operation};
use pve_mcp_proto::{Request, VmId};

/// The guests a request names, whose facts the caller must gather before [`decide`].
pub fn referenced_vmids(policy: &Policy, request: &Request) -> Vec<VmId> {
    match request {
        Request::ListGuests(_)
        | Request::NodeStatus(_)
        | Request::Describe(_)
        | Request::ClusterStatus(_)
        | Request::ListStorage(_)
        | Request::GuestCreate(_)
        | Request::StorageDownload(_)
        | Request::ListPools(_)
        | Request::HaResources(_)
        | Request::NextVmid(_)
        | Request::NodeNetworks(_) => Vec::new(),
        Request::GuestStatus(g)
        | Request::SnapshotList(g)
        | Request::GuestConfig(g)
        | Request::ListBackups(g) => vec![g.vmid],
        Request::StorageContent(q) => q.vmid.into_iter().collect(),
        Request::GuestMetrics(q) => vec![q.vmid],
        Request::GuestAgent(q) => vec![q.vmid],
        Request::BackupStart(b) => vec![b.vmid],
        Request::SnapshotCreate(c) => vec![c.vmid],
        Request::SnapshotRollback(t) | Request::SnapshotDelete(t) => vec![t.vmid],
        Request::GuestAction(a) => vec![a.vmid],
        Request::TaskStatus(t) => task_guests(&t.upid),
        Request::TaskLog(t) => task_guests(&t.upid),
        Request::TaskCancel(t) => task_guests(&t.upid),
        Request::ListTasks(q) => q.vmid.into_iter().collect(),
        Request::GuestClone(c) => vec![c.vmid],
        Request::GuestTemplate(g) => vec![g.vmid],
        Request::GuestConfigure(c) => vec![c.vmid],
        Request::DiskResize(r) => vec![r.vmid],
        Request::GuestMigrate(m) => vec![m.vmid],
        Request::GuestDelete(d) => vec![d.vmid],
        Request::BackupRestore(r) => {
            let mut v: Vec<VmId> = r.volume.backup_of().map(|(_, id)| id).into_iter().collect();
            v.extend(r.vmid.filter(|id| !v.contains(id)));
            v
        }
        Request::VolumeDelete(d) => d.volume.backup_of().map(|(_, id)| id).into_iter().collect(),
        Request::AgentExec(a) => vec![a.vmid],
        Request::Firewall(q) => q.vmid.into_iter().collect(),
        Request::Api(call) => {
            let (mut out, typed) = api::referenced(call);
            if let Some(r) = typed {
                out.extend(referenced_vmids(policy, &r));
            }
            out.sort();
            out.dedup();
            out
        }
        Request::RunCommand(c) => commands::referenced(policy, c),
        Request::DiskMove(m) => std::iter::once(m.vmid).chain(m.target_guest()).collect(),
        Request::FirewallEdit(e) => vec![e.vmid],
    }
}

/// The guests whose configuration [`decide`] needs.
pub fn config_vmids(request: &Request) -> Vec<VmId> {
    match request {
        Request::Api(call) => api::judged_as(call)
            .map(|r| config_vmids(&r))
            .unwrap_or_default(),
        Request::SnapshotRollback(t) => vec![t.vmid],
        Request::GuestClone(c) => vec![c.vmid],
        Request::GuestConfigure(c) => vec![c.vmid],
        Request::DiskResize(r) => vec![r.vmid],
        Request::GuestDelete(d) => vec![d.vmid],
        Request::GuestMigrate(m) => vec![m.vmid],
        Request::DiskMove(m) => std::iter::once(m.vmid).chain(m.target_guest()).collect(),
        Request::ListGuests(_)
        | Request::GuestStatus(_)
        | Request::GuestAction(_)
        | Request::NodeStatus(_)
        | Request::TaskStatus(_)
        | Request::RunCommand(_)
        | Request::GuestAgent(_)
        | Request::GuestMetrics(_)
        | Request::ListStorage(_)
        | Request::StorageContent(_)
        | Request::BackupStart(_)
        | Request::ListBackups(_)
        | Request::ClusterStatus(_)
        | Request::ListTasks(_)
        | Request::TaskLog(_)
        | Request::GuestConfig(_)
        | Request::SnapshotList(_)
        | Request::SnapshotCreate(_)
        | Request::SnapshotDelete(_)
        | Request::Describe(_)
        | Request::GuestCreate(_)
        | Request::GuestTemplate(_)
        | Request::BackupRestore(_)
        | Request::VolumeDelete(_)
        | Request::StorageDownload(_)
        | Request::TaskCancel(_)
        | Request::AgentExec(_)
        | Request::FirewallEdit(_)
        | Request::Firewall(_)
        | Request::ListPools(_)
        | Request::HaResources(_)
        | Request::NextVmid(_)
        | Request::NodeNetworks(_) => Vec::new(),
    }
}

/// Judges `request` under `policy`, given the `facts` for [`referenced_vmids`] and
/// [`config_vmids`].
pub fn decide(policy: &Policy, request: &Request, facts: &Facts) -> Decision {
    match request {
        Request::ListGuests(_) => Decision::Allow {
            rule: Rule::ListingFiltered,
        },
        Request::Describe(_) => Decision::Allow {
            rule: Rule::Describe,
        },
        Request::GuestStatus(g) => in_scope(policy, g.vmid, facts),
        Request::GuestAction(a) => operation(
            policy,
            a.vmid,
            Operation::Power(a.action),
            a.confirmed,
            facts,
        ),
        Request::GuestConfig(g) => operation(policy, g.vmid, Operation::ConfigRead, false, facts),
        Request::SnapshotList(g) => {
            operation(policy, g.vmid, Operation::SnapshotList, false, facts)
        }
        Request::SnapshotCreate(c) => operation(
            policy,
            c.vmid,
            Operation::SnapshotCreate,
            c.confirmed,
            facts,
        ),
        Request::SnapshotRollback(t) => lifecycle::rollback(policy, t, facts),
        Request::SnapshotDelete(t) => operation(
            policy,
            t.vmid,
            Operation::SnapshotDelete,
            t.confirmed,
            facts,
        ),
        Request::ListBackups(g) => operation(policy, g.vmid, Operation::BackupList, false, facts),
        Request::BackupStart(b) => lifecycle::backup(policy, b, facts),
        Request::GuestAgent(q) => operation(policy, q.vmid, Operation::AgentRead, false, facts),
        Request::GuestMetrics(q) => operation(policy, q.vmid, Operation::MetricsRead, false, facts),
        Request::NodeStatus(q) => reads::node_status(policy, q),
        Request::ListStorage(q) => reads::storage_listing(policy, q),
        Request::StorageContent(q) => reads::storage_content(policy, q, facts),
        Request::ClusterStatus(_) => reads::cluster_status(policy),
        Request::ListTasks(q) => reads::task_listing(policy, q, facts),
        Request::ListPools(q) => reads::pools(policy, q),
        Request::HaResources(_) => reads::ha_resources(policy),
        Request::Firewall(q) => reads::firewall(policy, q, facts),
        Request::NodeNetworks(q) => reads::node_networks(policy, q),
        Request::TaskStatus(t) => tasks::task_access(policy, &t.upid, "status", facts),
        Request::TaskLog(t) => tasks::task_access(policy, &t.upid, "log", facts),
        Request::TaskCancel(t) => tasks::task_cancel(policy, t, facts),
        Request::GuestCreate(c) => create::create(policy, c, facts),
        Request::GuestConfigure(c) => create::configure(policy, c, facts),
        Request::NextVmid(_) => create::next_vmid(policy),
        Request::GuestClone(c) => copy::clone(policy, c, facts),
        Request::BackupRestore(r) => copy::restore(policy, r, facts),
        Request::GuestTemplate(g) => lifecycle::template(policy, g, facts),
        Request::DiskResize(r) => lifecycle::resize(policy, r, facts),
        Request::GuestMigrate(m) => lifecycle::migrate(policy, m, facts),
        Request::GuestDelete(d) => lifecycle::delete(policy, d, facts),
        Request::AgentExec(a) => lifecycle::agent_exec(policy, a, facts),
        Request::VolumeDelete(v) => media::volume_delete(policy, v, facts),
        Request::StorageDownload(s) => media::download(policy, s),
        Request::RunCommand(c) => commands::run(policy, c, facts),
        Request::DiskMove(m) => disk_move::disk_move(policy, m, facts),
        Request::FirewallEdit(e) => firewall::edit(policy, e, facts),
        // A raw write that a typed tool also makes is judged as that tool's request.
        Request::Api(call) => api::decide(policy, call, facts, |r| decide(policy, r, facts)),
    }
}
