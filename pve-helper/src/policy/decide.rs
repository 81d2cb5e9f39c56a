//! `decide`: the one pure function that judges every request against the policy.
//! No I/O; the facts it needs (which node, pool and tags a guest has) are gathered by
//! the caller beforehand, for the guests [`referenced_vmids`] names.

use super::refs::task_guest;
use super::{Operation, Policy};
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
    pub backup_config: Option<super::ConfigFile>,
    /// The task a status or log request names was started by this helper.
    pub own_task: bool,
    /// Whether the vmid a new guest would take is free: no guest has it (visible or
    /// not) and no storage holds volumes or backups named for it. `None`: unknown, which
    /// refuses the new guest.
    pub vmid_free: Option<bool>,
    /// The configuration a snapshot rollback brings back.
    pub snapshot_config: Option<super::GuestSettings>,
    /// The storages every node can reach (a guest's disks elsewhere are local, and a
    /// migration copies them), for migrations.
    pub shared_storages: Option<std::collections::BTreeSet<String>>,
    /// The size in GiB of the image a new VM's disk is imported from (Proxmox sizes
    /// the disk from the image).
    pub image_gib: Option<u64>,
    /// The cluster's release, whose API schema judges raw calls (PVE 9's if unknown).
    pub release: Option<crate::pve::release::Release>,
}

/// The attributes of a guest that selectors look at.
#[derive(Debug, Clone, PartialEq)]
pub struct GuestFacts {
    pub vmid: VmId,
    pub node: NodeName,
    pub guest_type: GuestType,
    pub pool: Option<String>,
    pub tags: Vec<String>,
    /// Running (or paused): not stopped.
    pub running: bool,
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
        Request::TaskStatus(t) => task_guest(&t.upid).ok().flatten().into_iter().collect(),
        Request::TaskLog(t) => task_guest(&t.upid).ok().flatten().into_iter().collect(),
        Request::ListTasks(q) => q.vmid.into_iter().collect(),
        Request::Api(call) => super::decide_api::referenced(policy, call),
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
        Request::SnapshotRollback(t) => {
            let d = operation(
                policy,
                t.vmid,
                Operation::SnapshotRollback,
                t.confirmed,
                facts,
            );
            match facts.guests.get(&t.vmid) {
                Some(g) if matches!(d, Decision::Allow { .. } | Decision::Confirm { .. }) => {
                    rollback(policy, g, t, facts).unwrap_or(d)
                }
                _ => d,
            }
        }
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
        Request::Api(call) => super::decide_api::decide(policy, call, facts),
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

/// A rollback brings back the snapshot's configuration: judged like a restore over
/// the guest (the fixed floor, `[bounds]` on the whole guest, and its tags as a tag
/// change).
fn rollback(
    policy: &Policy,
    g: &GuestFacts,
    t: &pve_mcp_proto::SnapshotTarget,
    facts: &Facts,
) -> Option<Decision> {
    let deny = |rule: &str, reason: String| Decision::Deny {
        rule: rule.to_owned(),
        reason,
    };
    let Some(config) = &facts.snapshot_config else {
        return Some(deny(
            "facts",
            format!(
                "the configuration of snapshot {} of guest {} could not be read, so the \
                 rollback is refused",
                t.name, t.vmid
            ),
        ));
    };
    let what = format!("rolling guest {} back to snapshot {}", t.vmid, t.name);
    // The floor holds for what the rollback brings back that the guest lacks now: a
    // setting an admin gave the guest itself stays the admin's.
    let Some(now) = facts.configs.get(&t.vmid) else {
        return Some(deny(
            "facts",
            format!(
                "the configuration of guest {} could not be read, so the rollback is refused",
                t.vmid
            ),
        ));
    };
    let privileged_now = super::floor::inherited_floor(g.guest_type, now).is_some();
    let brought = |k: &String, v: &String| now.get(k) != Some(v);
    let why = super::floor::inherited_floor(g.guest_type, config)
        .filter(|_| !privileged_now)
        .or_else(|| {
            config
                .iter()
                .filter(|(k, v)| brought(k, v))
                .find_map(|(k, v)| super::floor::config_floor(k, v))
        });
    if let Some(why) = why {
        return Some(deny("fixed floor", format!("{what} is refused: {why}")));
    }
    if let Err(e) = policy.check_earlier(g.guest_type, config) {
        return Some(deny(&e.rule, format!("{what} is refused: {}", e.reason)));
    }
    super::decide_create::retag(
        policy,
        g,
        super::tags_of(config),
        &format!("the tags of snapshot {}", t.name),
    )
}

/// Reading a task's status or log: its guest in scope (or, gone, a task this helper
/// started, such as its deletion); a node task this helper started for a media grant,
/// or else by its `[api]` pattern.
fn task_access(policy: &Policy, upid: &Upid, what: &str, facts: &Facts) -> Decision {
    match task_guest(upid) {
        Err(e) => Decision::Deny {
            rule: "tasks".into(),
            reason: e,
        },
        // A task this helper started was judged when it started: readable while its
        // guest is not in scope yet (a new guest joins its pool when its task ends) or
        // no more (a deleted guest).
        Ok(Some(vmid)) if facts.own_task && policy_scope(policy, vmid, facts).is_none() => {
            Decision::Allow {
                rule: "task started through pve-mcp".into(),
            }
        }
        Ok(Some(vmid)) => in_scope(policy, vmid, facts),
        Ok(None) => super::decide_media::media_task(policy, upid, facts).unwrap_or_else(|| {
            if !node_task_names_no_guest(upid) {
                return Decision::Deny {
                    rule: "tasks".into(),
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

fn policy_scope<'p>(policy: &'p Policy, vmid: VmId, facts: &Facts) -> Option<&'p super::Selector> {
    facts.guests.get(&vmid).and_then(|g| policy.guest_scope(g))
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

pub(super) fn api_rule(policy: &Policy, method: ApiMethod, path: &ApiPath, what: &str) -> Decision {
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
