//! `decide`: the one pure function that judges every request against the policy.
//! No I/O; the facts it needs (which node, pool and tags a guest has) are gathered by
//! the caller beforehand, for the guests [`referenced_vmids`] names.

use super::decide_media::task_guest;
use super::{Operation, Policy, floor};
use pve_mcp_proto::{ApiMethod, ApiPath, GuestType, NodeName, Request, Upid, VmId};
use std::collections::{BTreeSet, HashMap};

/// What the helper learned from Proxmox about the guests a request names.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Guests that exist, by vmid. A vmid missing here does not exist.
    pub guests: HashMap<VmId, GuestFacts>,
    /// Configurations of the guests [`config_vmids`] names (clone sources, guests to
    /// change, resize or delete).
    pub configs: HashMap<VmId, super::GuestSettings>,
    /// The configuration inside the backup a restore names.
    pub backup_config: Option<super::GuestSettings>,
    /// The task a status or log request names was started by this helper.
    pub own_task: bool,
}

/// The attributes of a guest that selectors look at.
#[derive(Debug, Clone, PartialEq)]
pub struct GuestFacts {
    pub vmid: VmId,
    pub node: NodeName,
    pub guest_type: GuestType,
    pub pool: Option<String>,
    pub tags: Vec<String>,
}

/// What selectors read of a guest: [`GuestFacts`], which `decide` is given, or a guest
/// of the helper's cached listing, so that scoping thousands of guests copies nothing.
pub trait GuestAttrs {
    fn vmid(&self) -> VmId;
    fn node(&self) -> &NodeName;
    fn guest_type(&self) -> GuestType;
    fn pool(&self) -> Option<&str>;
    fn tags(&self) -> &[String];
}

impl GuestAttrs for GuestFacts {
    fn vmid(&self) -> VmId {
        self.vmid
    }
    fn node(&self) -> &NodeName {
        &self.node
    }
    fn guest_type(&self) -> GuestType {
        self.guest_type
    }
    fn pool(&self) -> Option<&str> {
        self.pool.as_deref()
    }
    fn tags(&self) -> &[String] {
        &self.tags
    }
}

/// The verdict on one request, naming the rule that decided it.
#[must_use]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow {
        rule: String,
    },
    /// Refused by the policy or the fixed floor; `reason` says what to change.
    Deny {
        rule: String,
        reason: String,
    },
    /// A guest the request names does not exist or is out of scope: the two are
    /// indistinguishable on purpose.
    NotFound {
        reason: String,
    },
    /// Allowed once the user confirms it (the policy marks the action `confirm`).
    Confirm {
        rule: String,
        reason: String,
    },
}

impl Decision {
    pub fn rule(&self) -> &str {
        match self {
            Self::Allow { rule } | Self::Deny { rule, .. } | Self::Confirm { rule, .. } => rule,
            Self::NotFound { .. } => "guests (out of scope)",
        }
    }

    /// `allow`, `deny`, `not_found` or `confirm`.
    pub fn verdict(&self) -> &'static str {
        match self {
            Self::Allow { .. } => "allow",
            Self::Deny { .. } => "deny",
            Self::NotFound { .. } => "not_found",
            Self::Confirm { .. } => "confirm",
        }
    }
}

/// The guests a request names, whose facts the caller must gather before [`decide`].
pub fn referenced_vmids(policy: &Policy, request: &Request) -> Vec<VmId> {
    match request {
        Request::ListGuests(_)
        | Request::NodeStatus(_)
        | Request::Describe(_)
        | Request::ClusterStatus(_) => Vec::new(),
        Request::GuestStatus(g)
        | Request::SnapshotList(g)
        | Request::GuestConfig(g)
        | Request::ListBackups(g) => vec![g.vmid],
        Request::StorageContent(q) => q.vmid.into_iter().collect(),
        Request::GuestMetrics(q) => vec![q.vmid],
        Request::GuestAgent(q) => vec![q.vmid],
        Request::BackupStart(b) => vec![b.vmid],
        Request::ListStorage(_) => Vec::new(),
        Request::SnapshotCreate(c) => vec![c.vmid],
        Request::SnapshotRollback(t) | Request::SnapshotDelete(t) => vec![t.vmid],
        Request::GuestAction(a) => vec![a.vmid],
        Request::TaskStatus(t) => task_guest(&t.upid).into_iter().collect(),
        Request::TaskLog(t) => task_guest(&t.upid).into_iter().collect(),
        Request::ListTasks(q) => q.vmid.into_iter().collect(),
        Request::Api(call) => path_vmids(&call.path),
        lifecycle_requests!() => super::decide_lifecycle::referenced(request),
        Request::RunCommand(c) => {
            let set: BTreeSet<VmId> = policy
                .commands
                .allow
                .iter()
                .flat_map(|r| r.vmids(&c.argv))
                .collect();
            set.into_iter().collect()
        }
    }
}

/// Vmids carried by an API path: `/nodes/N/{qemu,lxc}/VMID/...` and task UPIDs.
fn path_vmids(path: &ApiPath) -> Vec<VmId> {
    let segs: Vec<&str> = path.segments().collect();
    match segs.as_slice() {
        ["nodes", _, "qemu" | "lxc", id, ..] => id.parse().ok().into_iter().collect(),
        ["nodes", _, "tasks", upid, ..] => Upid::parse(upid)
            .ok()
            .and_then(|u| task_guest(&u))
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

/// Judges `request` under `policy`, given the `facts` for [`referenced_vmids`].
pub fn decide(policy: &Policy, request: &Request, facts: &Facts) -> Decision {
    match request {
        Request::ListGuests(_) => Decision::Allow {
            rule: "guests.allow (listing filtered to scope)".into(),
        },
        Request::Describe(_) => Decision::Allow {
            rule: "describe (a client may read its own permissions)".into(),
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
        Request::SnapshotRollback(t) => operation(
            policy,
            t.vmid,
            Operation::SnapshotRollback,
            t.confirmed,
            facts,
        ),
        Request::SnapshotDelete(t) => operation(
            policy,
            t.vmid,
            Operation::SnapshotDelete,
            t.confirmed,
            facts,
        ),
        Request::NodeStatus(q) => {
            let path = match &q.node {
                Some(n) => format!("/nodes/{n}/status"),
                None => "/nodes".to_owned(),
            };
            api_path_rule(policy, ApiMethod::Get, &path, "node status")
        }
        Request::TaskStatus(t) => task_access(policy, &t.upid, "status", facts),
        Request::TaskLog(t) => task_access(policy, &t.upid, "log", facts),
        Request::ListBackups(g) => operation(policy, g.vmid, Operation::BackupList, false, facts),
        Request::BackupStart(b) => {
            let d = operation(policy, b.vmid, Operation::BackupCreate, b.confirmed, facts);
            let storage_ok = policy.backup_storages.contains(&b.storage);
            match d {
                Decision::Allow { .. } | Decision::Confirm { .. } if !storage_ok => {
                    Decision::Deny {
                        rule: "backup.storages".into(),
                        reason: format!(
                            "backups to storage {:?} are not allowed; to allow them, add {:?} \
                             to [backup] storages in {} (allowed now: {})",
                            b.storage.as_str(),
                            b.storage.as_str(),
                            policy.source.display(),
                            if policy.backup_storages.is_empty() {
                                "none".to_owned()
                            } else {
                                policy
                                    .backup_storages
                                    .iter()
                                    .map(ToString::to_string)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            }
                        ),
                    }
                }
                d => d,
            }
        }
        Request::GuestAgent(q) => operation(policy, q.vmid, Operation::AgentRead, false, facts),
        Request::GuestMetrics(q) => operation(policy, q.vmid, Operation::MetricsRead, false, facts),
        Request::ListStorage(q) => match &q.node {
            Some(n) => api_path_rule(
                policy,
                ApiMethod::Get,
                &format!("/nodes/{n}/storage"),
                "storage listing",
            ),
            None => api_path_rule(
                policy,
                ApiMethod::Get,
                "/cluster/resources",
                "storage listing of every node",
            ),
        },
        Request::StorageContent(q) => {
            if let Some(d) = q.vmid.and_then(|v| first_out_of_scope(policy, &[v], facts)) {
                return d;
            }
            let path = format!("/nodes/{}/storage/{}/content", q.node, q.storage);
            api_path_rule(policy, ApiMethod::Get, &path, "storage content")
        }
        Request::ClusterStatus(_) => {
            api_path_rule(policy, ApiMethod::Get, "/cluster/status", "cluster status")
        }
        Request::ListTasks(q) => {
            if let Some(d) = q.vmid.and_then(|v| first_out_of_scope(policy, &[v], facts)) {
                return d;
            }
            let path = match &q.node {
                Some(n) => format!("/nodes/{n}/tasks"),
                None => "/cluster/tasks".to_owned(),
            };
            api_path_rule(policy, ApiMethod::Get, &path, "task listing")
        }
        Request::Api(call) => {
            if let Some(reason) = floor::floor_reason(call.method, &call.path, &call.params) {
                return Decision::Deny {
                    rule: "fixed floor".into(),
                    reason: format!("{} {}: {reason}", call.method, call.path),
                };
            }
            if let Some(d) = first_out_of_scope(policy, &path_vmids(&call.path), facts) {
                return d;
            }
            api_rule(policy, call.method, &call.path, "API call")
        }
        lifecycle_requests!() => super::decide_lifecycle::decide(policy, request, facts),
        Request::RunCommand(c) => {
            let Some(i) = policy
                .commands
                .allow
                .iter()
                .position(|r| r.matches(&c.argv))
            else {
                return Decision::Deny {
                    rule: "default deny".into(),
                    reason: format!(
                        "command {} matches no [commands] allow entry in {}; commands run \
                         without a shell and must match an entry argument for argument",
                        c.argv,
                        policy.source.display()
                    ),
                };
            };
            let rule = &policy.commands.allow[i];
            if let Some(d) = first_out_of_scope(policy, &rule.vmids(&c.argv), facts) {
                return d;
            }
            Decision::Allow {
                rule: format!("commands.allow[{i}] {:?}", rule.to_string()),
            }
        }
    }
}

/// Reading a task's status or log: its guest in scope (or, gone, a task this helper
/// started, such as its deletion); a node task this helper started for a media grant,
/// or else by its `[api]` pattern.
fn task_access(policy: &Policy, upid: &Upid, what: &str, facts: &Facts) -> Decision {
    match task_guest(upid) {
        Some(vmid) if facts.own_task && !facts.guests.contains_key(&vmid) => Decision::Allow {
            rule: "task started through pve-mcp".into(),
        },
        Some(vmid) => in_scope(policy, vmid, facts),
        None => super::decide_media::media_task(policy, upid, facts).unwrap_or_else(|| {
            let path = format!("/nodes/{}/tasks/{upid}/{what}", upid.node());
            api_path_rule(policy, ApiMethod::Get, &path, &format!("task {what}"))
        }),
    }
}

pub(super) fn first_out_of_scope(
    policy: &Policy,
    vmids: &[VmId],
    facts: &Facts,
) -> Option<Decision> {
    vmids
        .iter()
        .map(|v| in_scope(policy, *v, facts))
        .find(|d| !matches!(d, Decision::Allow { .. }))
}

pub(super) fn in_scope(policy: &Policy, vmid: VmId, facts: &Facts) -> Decision {
    let not_found = || Decision::NotFound {
        reason: format!("guest {vmid} does not exist or is not visible to this client"),
    };
    let Some(g) = facts.guests.get(&vmid) else {
        return not_found();
    };
    match policy.guest_scope(g) {
        Some(sel) => Decision::Allow {
            rule: format!("guests.allow {:?}", sel.to_string()),
        },
        None => not_found(),
    }
}

/// An operation on a guest: in scope, granted by some grant covering the guest, and
/// confirmed if any such grant marks it `confirm`.
pub(super) fn operation(
    policy: &Policy,
    vmid: VmId,
    op: Operation,
    confirmed: bool,
    facts: &Facts,
) -> Decision {
    let scope = in_scope(policy, vmid, facts);
    let (Decision::Allow { .. }, Some(g)) = (&scope, facts.guests.get(&vmid)) else {
        return scope;
    };
    operation_on(policy, g, op, confirmed)
}

/// [`operation`] for a guest known by its facts (which the caller found in scope).
pub(super) fn operation_on(
    policy: &Policy,
    g: &GuestFacts,
    op: Operation,
    confirmed: bool,
) -> Decision {
    let vmid = g.vmid;
    let granting: Vec<&super::Grant> = policy
        .grants
        .iter()
        .filter(|gr| gr.operations.contains(&op) && gr.covers(g))
        .collect();
    let Some(first) = granting.first() else {
        return Decision::Deny {
            rule: "guests.actions".into(),
            reason: format!(
                "action {:?} on guest {vmid} is not allowed; to allow it, add {:?} to [guests] \
                 actions, or to a [[rule]] whose guests include {vmid}, in {}",
                op.as_str(),
                op.as_str(),
                policy.source.display()
            ),
        };
    };
    let rule_name = |gr: &super::Grant| {
        if gr.name == "guests" {
            "guests.actions".to_owned()
        } else {
            format!("rule {:?}", gr.name)
        }
    };
    if let Some(gr) = granting
        .iter()
        .find(|gr| gr.confirm.contains(&op))
        .filter(|_| !confirmed)
    {
        let place = if gr.name == "guests" {
            "[guests] confirm".to_owned()
        } else {
            format!("confirm of rule {:?}", gr.name)
        };
        return Decision::Confirm {
            rule: rule_name(gr),
            reason: format!(
                "action {:?} on guest {vmid} needs the user's confirmation (listed in {place} in {})",
                op.as_str(),
                policy.source.display()
            ),
        };
    }
    Decision::Allow {
        rule: rule_name(first),
    }
}

pub(super) fn api_path_rule(
    policy: &Policy,
    method: ApiMethod,
    path: &str,
    what: &str,
) -> Decision {
    match ApiPath::parse(path) {
        Ok(p) => api_rule(policy, method, &p, what),
        Err(e) => Decision::Deny {
            rule: "default deny".into(),
            reason: e.to_string(),
        },
    }
}

fn api_rule(policy: &Policy, method: ApiMethod, path: &ApiPath, what: &str) -> Decision {
    match policy
        .api
        .iter()
        .position(|r| r.method == method && r.pattern.matches(path))
    {
        Some(i) => Decision::Allow {
            rule: format!("api.allow[{i}] {:?}", policy.api[i].to_string()),
        },
        None => Decision::Deny {
            rule: "default deny".into(),
            reason: format!(
                "{what} {method} {path} matches no [api] allow pattern; to allow it, add a \
                 pattern such as \"{method} {path}\" to [api] allow in {}",
                policy.source.display()
            ),
        },
    }
}
