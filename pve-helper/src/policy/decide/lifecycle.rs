//! `decide` for what changes, moves or destroys an existing guest: snapshot rollbacks,
//! backups, templates, disk growth, migrations, deletion and programs run through the
//! guest agent. Pure like `decide`: the configurations it needs (guest to change,
//! snapshot to bring back) are facts gathered before. New guests are judged in
//! `create` and `copy`, storage media in `media`.

use super::common::{allowed, denied, deny, operation, permitted, unread};
use super::create::retag;
use crate::policy::bounds::size_gib;
use crate::policy::bounds::tags_of;
use crate::policy::config_file::GuestSettings;
use crate::policy::decision::{Decision, Rule};
use crate::policy::facts::{Facts, GuestFacts};
use crate::policy::floor;
use crate::policy::model::{Operation, Policy};
use pve_mcp_proto::{
    AgentExec, BackupRequest, DiskResize, GuestDelete, GuestMigrate, GuestOp, SnapshotTarget,
};

/// A snapshot rollback: granted on the guest, and then what it brings back judged.
pub(super) fn rollback(policy: &Policy, t: &SnapshotTarget, facts: &Facts) -> Decision {
    let d = operation(
        policy,
        t.vmid,
        Operation::SnapshotRollback,
        t.confirmed,
        facts,
    );
    match facts.guests.get(&t.vmid) {
        Some(g) if permitted(&d) => brought_back(policy, g, t, facts).unwrap_or(d),
        _ => d,
    }
}

/// A rollback brings back the snapshot's configuration: judged like a restore over
/// the guest (the fixed floor, `[bounds]` on the whole guest, and its tags as a tag
/// change).
fn brought_back(
    policy: &Policy,
    g: &GuestFacts,
    t: &SnapshotTarget,
    facts: &Facts,
) -> Option<Decision> {
    let deny = |rule: Rule, reason: String| Decision::Deny { rule, reason };
    let Some(config) = &facts.snapshot_config else {
        return Some(deny(
            Rule::Facts,
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
            Rule::Facts,
            format!(
                "the configuration of guest {} could not be read, so the rollback is refused",
                t.vmid
            ),
        ));
    };
    let privileged_now = floor::inherited_floor(g.guest_type, now).is_some();
    let brought = |k: &String, v: &String| now.get(k) != Some(v);
    let why = floor::inherited_floor(g.guest_type, config)
        .filter(|_| !privileged_now)
        .or_else(|| {
            config
                .iter()
                .filter(|(k, v)| brought(k, v))
                .find_map(|(k, v)| floor::config_floor(k, v))
        });
    if let Some(why) = why {
        return Some(deny(Rule::FixedFloor, format!("{what} is refused: {why}")));
    }
    if let Err(e) = policy.check_earlier(g.guest_type, config) {
        return Some(deny(e.rule, format!("{what} is refused: {}", e.reason)));
    }
    retag(
        policy,
        g,
        tags_of(config),
        &format!("the tags of snapshot {}", t.name),
    )
}

/// Converting a guest into a template: granted, and the guest stopped.
pub(super) fn template(policy: &Policy, g: &GuestOp, facts: &Facts) -> Decision {
    let d = operation(policy, g.vmid, Operation::Template, g.confirmed, facts);
    if permitted(&d) && facts.guests.get(&g.vmid).is_some_and(|g| g.running) {
        return denied(
            Rule::Template,
            format!(
                "guest {} is running; stop it before converting it into a template",
                g.vmid
            ),
        );
    }
    d
}

/// A backup: granted on the guest, to a storage `[backup] storages` lists.
pub(super) fn backup(policy: &Policy, b: &BackupRequest, facts: &Facts) -> Decision {
    let d = operation(policy, b.vmid, Operation::BackupCreate, b.confirmed, facts);
    let storage_ok = policy.backup_storages.contains(&b.storage);
    match d {
        Decision::Allow { .. } | Decision::Confirm { .. } if !storage_ok => Decision::Deny {
            rule: Rule::BackupStorages,
            reason: format!(
                "backups to storage {:?} are not allowed; to allow them, add {:?} to [backup] \
                 storages in {} (allowed now: {})",
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
        },
        d => d,
    }
}

pub(super) fn resize(policy: &Policy, r: &DiskResize, facts: &Facts) -> Decision {
    let d = operation(policy, r.vmid, Operation::DiskResize, r.confirmed, facts);
    if !allowed(&d) {
        return d;
    }
    let Some(config) = facts.configs.get(&r.vmid) else {
        return unread(r.vmid);
    };
    let Some(current) = config.get(r.disk.as_str()) else {
        return denied(
            Rule::DiskResize,
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
            Rule::DiskResize,
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

pub(super) fn migrate(policy: &Policy, m: &GuestMigrate, facts: &Facts) -> Decision {
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
            Rule::Migrate,
            format!("guest {} is already on node {}", m.vmid, m.target),
        );
    }
    if let Some(d) = local_disks(policy, m, facts) {
        return d;
    }
    if !policy.migrate_nodes.contains(&m.target) {
        return denied(
            Rule::MigrateNodes,
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
            Rule::Facts,
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
    config: &GuestSettings,
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

pub(super) fn delete(policy: &Policy, del: &GuestDelete, facts: &Facts) -> Decision {
    let d = operation(policy, del.vmid, Operation::Delete, del.confirmed, facts);
    if !permitted(&d) {
        return d;
    }
    let Some(config) = facts.configs.get(&del.vmid) else {
        return unread(del.vmid);
    };
    if config.get("protection").is_some_and(|p| p.trim() == "1") {
        return denied(
            Rule::PveProtection,
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

pub(super) fn agent_exec(policy: &Policy, a: &AgentExec, facts: &Facts) -> Decision {
    let d = operation(policy, a.vmid, Operation::AgentExec, a.confirmed, facts);
    if !permitted(&d) {
        return d;
    }
    if policy.agent.matching(&a.argv).is_none() {
        return denied(
            Rule::AgentExec,
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
