//! `decide` for a guest's or node's tasks: reading a task's status or log (its guest
//! in scope, or a node task that acts on no guest) and stopping a guest's task.

use super::common::{api_path_rule, denied, first_out_of_scope, in_scope, operation, policy_scope};
use super::media::media_task;
use crate::policy::decision::{Decision, Rule};
use crate::policy::facts::Facts;
use crate::policy::model::{Operation, Policy};
use crate::policy::refs::{task_guest, task_moved_between};
use pve_mcp_proto::{ApiMethod, TaskCancel, Upid};

/// Reading a task's status or log: its guest in scope (or, gone, a task this helper
/// started, such as its deletion); a node task this helper started for a media grant,
/// or else by its `[api]` pattern.
pub(super) fn task_access(policy: &Policy, upid: &Upid, what: &str, facts: &Facts) -> Decision {
    match task_guest(upid) {
        Err(e) => Decision::Deny {
            rule: Rule::Tasks,
            reason: e,
        },
        // A task this helper started was judged when it started: readable while its
        // guest is not in scope yet (a new guest joins its pool when its task ends) or
        // no more (a deleted guest).
        Ok(Some(vmid)) if facts.own_task && policy_scope(policy, vmid, facts).is_none() => {
            Decision::Allow {
                rule: Rule::OwnTask,
            }
        }
        Ok(Some(vmid)) => in_scope(policy, vmid, facts),
        // A disk moved between two guests: both in scope.
        Ok(None) if let Some((from, to)) = task_moved_between(upid) => {
            first_out_of_scope(policy, &[from, to], facts)
                .unwrap_or_else(|| in_scope(policy, from, facts))
        }
        Ok(None) => media_task(policy, upid, facts).unwrap_or_else(|| {
            if !node_task_names_no_guest(upid) {
                return Decision::Deny {
                    rule: Rule::Tasks,
                    reason: format!(
                        "task {upid} ({}) acts on guests without naming one; pve-mcp shows the \
                         {what} of such tasks only when it started them",
                        upid.task_type()
                    ),
                };
            }
            let path = format!("/nodes/{}/tasks/{upid}/{what}", upid.node());
            api_path_rule(policy, ApiMethod::Get, &path, &format!("task {what}"))
        }),
    }
}

/// Node tasks (whose object is no guest) that act on no guest either: services,
/// packages, disks, storages, Ceph, certificates, downloads. Any other node task
/// (`startall`, a `vzdump` of several guests, a type pve-mcp does not know) may act on
/// guests outside the scope, and stays hidden.
pub fn node_task_names_no_guest(upid: &Upid) -> bool {
    const NEUTRAL: &[&str] = &[
        "aptupdate",
        "srvstart",
        "srvstop",
        "srvrestart",
        "srvreload",
        "download",
        "ociregistrypull",
        "imgdel",
        "diskinit",
        "wipedisk",
        "dircreate",
        "dirremove",
        "lvmcreate",
        "lvmremove",
        "lvmthincreate",
        "lvmthinremove",
        "zfscreate",
        "zfsremove",
        "reloadnetworkall",
        "acmenewcert",
        "acmerenew",
        "acmerevoke",
        "acmeregister",
        "vncshell",
        "spiceshell",
        "termproxy",
    ];
    let t = upid.task_type();
    NEUTRAL.contains(&t) || t.starts_with("ceph")
}

pub(super) fn task_cancel(policy: &Policy, t: &TaskCancel, facts: &Facts) -> Decision {
    match task_guest(&t.upid) {
        Err(e) => denied(Rule::TaskCancel, e),
        Ok(Some(vmid)) => operation(policy, vmid, Operation::TaskCancel, t.confirmed, facts),
        Ok(None) => denied(
            Rule::TaskCancel,
            format!(
                "task {} belongs to no guest; only tasks of guests in scope can be stopped",
                t.upid
            ),
        ),
    }
}
