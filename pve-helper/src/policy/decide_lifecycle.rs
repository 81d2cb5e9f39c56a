//! `decide` for the lifecycle requests: where new guests may go and how big they may
//! be, what may change, move or be destroyed. Pure like `decide`: the configurations it
//! needs (clone source, guest to change, backup contents) are facts gathered before.
//! New guests are judged in `decide_create` and `decide_copy`, storage media and their
//! tasks in `decide_media`.

use super::bounds::{Denial, size_gib};
use super::decide::{Decision, Facts, GuestFacts, api_path_rule, in_scope, operation};
use super::decide_copy::{clone, restore};
use super::decide_create::{configure, create};
use super::decide_media::{download, volume_delete};
use super::{Operation, Policy};
use pve_mcp_proto::{
    AgentExec, ApiMethod, DiskResize, FirewallQuery, GuestDelete, GuestMigrate, GuestType,
    NodeName, Request, TaskCancel, VmId,
};

/// The guests a lifecycle request names (for facts).
pub fn referenced(request: &Request) -> Vec<VmId> {
    match request {
        Request::GuestCreate(_)
        | Request::StorageDownload(_)
        | Request::ListPools(_)
        | Request::HaResources(_)
        | Request::NextVmid(_) => Vec::new(),
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
        Request::TaskCancel(t) => super::refs::task_guest(&t.upid)
            .ok()
            .flatten()
            .into_iter()
            .collect(),
        Request::AgentExec(a) => vec![a.vmid],
        Request::Firewall(q) => q.vmid.into_iter().collect(),
        other_requests!() => Vec::new(),
    }
}

/// The guests whose configuration `decide` needs.
pub fn config_vmids(request: &Request) -> Vec<VmId> {
    if let Request::Api(call) = request {
        return super::decide_api::config_vmids(call);
    }
    if let Request::SnapshotRollback(t) = request {
        return vec![t.vmid];
    }
    match request {
        Request::GuestClone(c) => vec![c.vmid],
        Request::GuestConfigure(c) => vec![c.vmid],
        Request::DiskResize(r) => vec![r.vmid],
        Request::GuestDelete(d) => vec![d.vmid],
        Request::GuestMigrate(m) => vec![m.vmid],
        Request::GuestCreate(_)
        | Request::GuestTemplate(_)
        | Request::BackupRestore(_)
        | Request::VolumeDelete(_)
        | Request::StorageDownload(_)
        | Request::TaskCancel(_)
        | Request::AgentExec(_)
        | Request::Firewall(_)
        | Request::ListPools(_)
        | Request::HaResources(_)
        | Request::NextVmid(_) => Vec::new(),
        other_requests!() => Vec::new(),
    }
}

pub(super) fn deny(d: Denial) -> Decision {
    Decision::Deny {
        rule: d.rule,
        reason: d.reason,
    }
}

pub(super) fn denied(rule: &str, reason: String) -> Decision {
    Decision::Deny {
        rule: rule.to_owned(),
        reason,
    }
}

pub(super) fn allowed(d: &Decision) -> bool {
    matches!(d, Decision::Allow { .. })
}

/// Allowed, or allowed once confirmed.
pub(super) fn permitted(d: &Decision) -> bool {
    matches!(d, Decision::Allow { .. } | Decision::Confirm { .. })
}

/// Judges a lifecycle request.
pub fn decide(policy: &Policy, request: &Request, facts: &Facts) -> Decision {
    match request {
        Request::GuestCreate(c) => create(policy, c, facts),
        Request::GuestClone(c) => clone(policy, c, facts),
        Request::GuestTemplate(g) => {
            let d = operation(policy, g.vmid, Operation::Template, g.confirmed, facts);
            if permitted(&d) && facts.guests.get(&g.vmid).is_some_and(|g| g.running) {
                return denied(
                    "template",
                    format!(
                        "guest {} is running; stop it before converting it into a template",
                        g.vmid
                    ),
                );
            }
            d
        }
        Request::GuestConfigure(c) => configure(policy, c, facts),
        Request::DiskResize(r) => resize(policy, r, facts),
        Request::GuestMigrate(m) => migrate(policy, m, facts),
        Request::GuestDelete(d) => delete(policy, d, facts),
        Request::BackupRestore(r) => restore(policy, r, facts),
        Request::VolumeDelete(v) => volume_delete(policy, v, facts),
        Request::StorageDownload(s) => download(policy, s),
        Request::TaskCancel(t) => task_cancel(policy, t, facts),
        Request::AgentExec(a) => agent_exec(policy, a, facts),
        Request::Firewall(q) => firewall(policy, q, facts),
        Request::ListPools(q) => {
            let path = match &q.pool {
                Some(p) => format!("/pools/{p}"),
                None => "/pools".to_owned(),
            };
            api_path_rule(policy, ApiMethod::Get, &path, "pool listing")
        }
        Request::HaResources(_) => api_path_rule(
            policy,
            ApiMethod::Get,
            "/cluster/ha/resources",
            "HA resources",
        ),
        Request::NextVmid(_) => match &policy.create {
            Some(c) => Decision::Allow {
                rule: format!("create.vmids {:?}", c.vmids_text()),
            },
            None => no_create(policy),
        },
        other_requests!() => denied(
            "default deny",
            format!("{} is not a lifecycle request", request.op()),
        ),
    }
}

fn resize(policy: &Policy, r: &DiskResize, facts: &Facts) -> Decision {
    let d = operation(policy, r.vmid, Operation::DiskResize, r.confirmed, facts);
    if !allowed(&d) {
        return d;
    }
    let Some(config) = facts.configs.get(&r.vmid) else {
        return unread(r.vmid);
    };
    let Some(current) = config.get(r.disk.as_str()) else {
        return denied(
            "disk.resize",
            format!("guest {} has no disk {}", r.vmid, r.disk),
        );
    };
    let now = current
        .split(',')
        .find_map(|o| o.strip_prefix("size="))
        .and_then(size_gib);
    if let Some(now) = now
        && r.size_gib.get() <= now
    {
        return denied(
            "disk.resize",
            format!(
                "disk {} of guest {} is {now} GiB; disks only grow, ask for more than {now} GiB",
                r.disk, r.vmid
            ),
        );
    }
    if let Err(e) = policy.within_disk(
        r.size_gib.get(),
        &format!("{} of {} GiB", r.disk, r.size_gib),
    ) {
        return deny(e);
    }
    d
}

fn migrate(policy: &Policy, m: &GuestMigrate, facts: &Facts) -> Decision {
    let d = operation(policy, m.vmid, Operation::Migrate, m.confirmed, facts);
    if !allowed(&d) {
        return d;
    }
    if facts
        .guests
        .get(&m.vmid)
        .is_some_and(|g| g.node == m.target)
    {
        return denied(
            "migrate",
            format!("guest {} is already on node {}", m.vmid, m.target),
        );
    }
    if let Some(d) = local_disks(policy, m, facts) {
        return d;
    }
    if !policy.migrate_nodes.contains(&m.target) {
        return denied(
            "migrate.nodes",
            format!(
                "migrating to node {} is not allowed; to allow it, add {:?} to [migrate] nodes \
                 in {}",
                m.target,
                m.target.as_str(),
                policy.source.display()
            ),
        );
    }
    d
}

/// A migration copies the guest's disks on storages only its node reaches (a live one
/// only with `with-local-disks`): each lands on the storage of the same name on the
/// target, which `[bounds] storages` must list.
fn local_disks(policy: &Policy, m: &GuestMigrate, facts: &Facts) -> Option<Decision> {
    let (Some(config), Some(shared)) = (facts.configs.get(&m.vmid), &facts.shared_storages) else {
        return Some(denied(
            "facts",
            format!(
                "the disks of guest {} or the cluster's storages could not be read, so the \
                 migration is refused",
                m.vmid
            ),
        ));
    };
    let storage = local_disk_storages(config, shared)
        .into_iter()
        .find_map(|s| {
            policy
                .storage_allowed(&s, "a local disk copied by the migration")
                .err()
        })?;
    Some(deny(storage))
}

/// The storages of a guest's disks that are not shared (not CD-ROMs, not empty
/// drives): a migration copies those disks.
pub fn local_disk_storages(
    config: &super::GuestSettings,
    shared: &std::collections::BTreeSet<String>,
) -> Vec<String> {
    let mut out: Vec<String> = config
        .iter()
        .filter(|(k, _)| pve_mcp_proto::is_disk_key(k))
        .filter(|(_, v)| !v.contains("media=cdrom"))
        .filter_map(|(_, v)| {
            let volume = v.split(',').next()?;
            let (storage, _) = volume.split_once(':')?;
            (!shared.contains(storage)).then(|| storage.to_owned())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn delete(policy: &Policy, del: &GuestDelete, facts: &Facts) -> Decision {
    let d = operation(policy, del.vmid, Operation::Delete, del.confirmed, facts);
    if !permitted(&d) {
        return d;
    }
    let Some(config) = facts.configs.get(&del.vmid) else {
        return unread(del.vmid);
    };
    if config.get("protection").is_some_and(|p| p.trim() == "1") {
        return denied(
            "pve protection",
            format!(
                "guest {} has the Proxmox protection flag set, which forbids deleting it; clear \
                 it first (guest_configure delete [\"protection\"], if [config] keys lists \
                 protection) or in Proxmox",
                del.vmid
            ),
        );
    }
    d
}

fn task_cancel(policy: &Policy, t: &TaskCancel, facts: &Facts) -> Decision {
    match super::refs::task_guest(&t.upid) {
        Err(e) => denied("task.cancel", e),
        Ok(Some(vmid)) => operation(policy, vmid, Operation::TaskCancel, t.confirmed, facts),
        Ok(None) => denied(
            "task.cancel",
            format!(
                "task {} belongs to no guest; only tasks of guests in scope can be stopped",
                t.upid
            ),
        ),
    }
}

fn agent_exec(policy: &Policy, a: &AgentExec, facts: &Facts) -> Decision {
    let d = operation(policy, a.vmid, Operation::AgentExec, a.confirmed, facts);
    if !permitted(&d) {
        return d;
    }
    if policy.agent.matching(&a.argv).is_none() {
        return denied(
            "agent.exec",
            format!(
                "running {} in the guest matches no [agent] exec entry in {}; entries match \
                 argument for argument",
                a.argv,
                policy.source.display()
            ),
        );
    }
    d
}

/// A firewall is read as its rules and its options: `[api] allow` must let both be
/// read, as the helper reads both.
fn firewall(policy: &Policy, q: &FirewallQuery, facts: &Facts) -> Decision {
    let (base, what) = match (&q.node, q.vmid) {
        (_, Some(vmid)) => {
            let d = in_scope(policy, vmid, facts);
            let (true, Some(g)) = (allowed(&d), facts.guests.get(&vmid)) else {
                return d;
            };
            let base = format!(
                "/nodes/{}/{}/{vmid}/firewall",
                g.node,
                g.guest_type.as_str()
            );
            (base, "guest firewall")
        }
        (Some(node), None) => (format!("/nodes/{node}/firewall"), "node firewall"),
        (None, None) => ("/cluster/firewall".to_owned(), "cluster firewall"),
    };
    let rules = api_path_rule(
        policy,
        ApiMethod::Get,
        &format!("{base}/rules"),
        &format!("{what} rules"),
    );
    if !allowed(&rules) {
        return rules;
    }
    let options = api_path_rule(
        policy,
        ApiMethod::Get,
        &format!("{base}/options"),
        &format!("{what} options"),
    );
    if !allowed(&options) {
        return options;
    }
    rules
}

pub(super) fn unread(vmid: VmId) -> Decision {
    denied(
        "facts",
        format!("the configuration of guest {vmid} could not be read, so the request is refused"),
    )
}

pub(super) fn no_create(policy: &Policy) -> Decision {
    denied(
        "create",
        format!(
            "making new guests is not allowed; to allow it, add a [create] section (vmids, \
             nodes, pool) to {}",
            policy.source.display()
        ),
    )
}

/// Scope of a guest known by facts (in scope: allow; else not found).
pub(super) fn scoped(policy: &Policy, g: &GuestFacts) -> Decision {
    match policy.guest_scope(g) {
        Some(sel) => Decision::Allow {
            rule: format!("guests.allow {:?}", sel.to_string()),
        },
        None => Decision::NotFound {
            reason: format!(
                "guest {} does not exist or is not visible to this client",
                g.vmid
            ),
        },
    }
}

/// The owner of a backup: the guest if it exists, else what the backup itself says
/// (its vmid and kind, the restore's node and the backup's tags), so backups of
/// deleted guests stay reachable through vmid-range and tag selectors only.
pub(super) fn owner_facts(
    facts: &Facts,
    owner: VmId,
    kind: GuestType,
    node: &NodeName,
    tags: &[String],
) -> GuestFacts {
    facts.guests.get(&owner).cloned().unwrap_or(GuestFacts {
        vmid: owner,
        node: node.clone(),
        guest_type: kind,
        pool: None,
        tags: tags.to_vec(),
        running: false,
    })
}

impl Policy {
    pub(super) fn within_disk(&self, gib: u64, what: &str) -> Result<(), Denial> {
        match self.bounds.max_disk_gib {
            Some(m) if gib <= m => Ok(()),
            Some(m) => Err(Denial {
                rule: "bounds.max_disk_gib".into(),
                reason: format!(
                    "{what} is above [bounds] max_disk_gib = {m} in {}",
                    self.source.display()
                ),
            }),
            None => Err(Denial {
                rule: "bounds.max_disk_gib".into(),
                reason: format!(
                    "{what} is refused: [bounds] max_disk_gib is not set in {}",
                    self.source.display()
                ),
            }),
        }
    }
}
