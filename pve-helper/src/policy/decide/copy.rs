//! `decide` for guests made from other guests: clones of a guest and restores of a
//! backup. The new guest inherits its source's configuration, so that configuration is
//! judged like settings given by the client, against the fixed floor and `[bounds]`
//! (not `[config] keys`: nobody chose them), and it lands where `[create]` says.

use super::common::{
    allowed, denied, deny, no_create, operation, operation_on, owner_facts, permitted, scoped,
    unread,
};
use super::create::{new_guest, retag};
use crate::policy::bounds::{Denial, Origin, tags_of};
use crate::policy::config_file::ConfigFile;
use crate::policy::config_file::GuestSettings;
use crate::policy::decision::{Decision, Rule};
use crate::policy::facts::Facts;
use crate::policy::floor;
use crate::policy::model::{Operation, Policy};
use pve_mcp_proto::{BackupRestore, GuestClone, GuestType, VmId};

pub(super) fn clone(policy: &Policy, c: &GuestClone, facts: &Facts) -> Decision {
    let d = operation(policy, c.vmid, Operation::Clone, c.confirmed, facts);
    if !allowed(&d) {
        return d;
    }
    let Some(src) = facts.guests.get(&c.vmid) else {
        return d;
    };
    let Some(config) = facts.configs.get(&c.vmid) else {
        return unread(c.vmid);
    };
    if let Some(d) = floor_of_copy(src.guest_type, config, &format!("cloning guest {}", c.vmid)) {
        return d;
    }
    let target = c.target.as_ref().unwrap_or(&src.node);
    let tags = tags_of(config);
    if let Err(d) = new_guest(
        policy,
        facts,
        c.newid,
        target,
        src.guest_type,
        &tags,
        "the clone",
    ) {
        return d;
    }
    if let Some(d) = required_tags(policy, &tags, "the source") {
        return d;
    }
    if !c.full && c.storage.is_some() {
        return denied(
            Rule::Clone,
            "a linked clone stays on its template's storage; pass full: true to pick a storage"
                .into(),
        );
    }
    if let Some(s) = &c.storage
        && let Err(e) = policy.storage_allowed(s.as_str(), "the clone's disks")
    {
        return deny(e);
    }
    let Some(newid) = c.newid else {
        return no_create(policy);
    };
    inherited(
        policy,
        newid,
        src.guest_type,
        config,
        c.vmid,
        c.storage.is_some(),
        d,
    )
}

/// The fixed floor on what a copy inherits, judged before anything else (`what`:
/// "cloning guest 117", "restoring VOLUME"): a privileged container stays privileged in
/// every copy, and a floor setting would be the copy's too.
fn floor_of_copy(kind: GuestType, config: &GuestSettings, what: &str) -> Option<Decision> {
    if let Some(why) = floor::inherited_floor(kind, config) {
        return Some(denied(
            Rule::FixedFloor,
            format!("{what} is refused: {why}"),
        ));
    }
    let why = inheritable(config).find_map(|(k, v)| floor::config_floor(k, v))?;
    Some(denied(
        Rule::FixedFloor,
        format!("{what} is refused: the new guest would inherit this: {why}"),
    ))
}

/// The fixed floor on a whole backup: what a restore gives the guest, and every
/// other section (snapshots and pending changes, which restores keep), raw LXC keys
/// however written, and no line Proxmox would read otherwise than pve-mcp did.
fn floor_of_archive(kind: GuestType, file: &ConfigFile, what: &str) -> Option<Decision> {
    if let Some(d) = floor_of_copy(kind, &file.main, what) {
        return Some(d);
    }
    if let Some(line) = file.unreadable.first() {
        return Some(denied(
            Rule::FixedFloor,
            format!(
                "{what} is refused: its configuration holds a line pve-mcp cannot judge \
                 ({line:?})"
            ),
        ));
    }
    for (section, settings) in &file.sections {
        if let Some(why) = settings.iter().find_map(|(k, v)| floor::config_floor(k, v)) {
            return Some(denied(
                Rule::FixedFloor,
                format!("{what} is refused: its section {section} holds this: {why}"),
            ));
        }
        if kind == GuestType::Lxc
            && settings
                .get("unprivileged")
                .is_some_and(|v| v.trim() != "1")
        {
            return Some(denied(
                Rule::FixedFloor,
                format!(
                    "{what} is refused: its section {section} makes the container privileged; \
                     privileged containers are on the fixed floor and can never be allowed"
                ),
            ));
        }
    }
    None
}

/// The settings a copy inherits (not the source's template flag, digest, lock or
/// snapshot parent).
fn inheritable(config: &GuestSettings) -> impl Iterator<Item = (&str, &str)> {
    config
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "template" | "digest" | "lock" | "parent"))
        .map(|(k, v)| (k.as_str(), v.as_str()))
}

fn inherited(
    policy: &Policy,
    newid: VmId,
    kind: GuestType,
    config: &GuestSettings,
    owner: VmId,
    storage_override: bool,
    d: Decision,
) -> Decision {
    let pairs = inheritable(config);
    let origin = Origin::Inherited {
        owner,
        storage_override,
    };
    match policy
        .check_settings(newid, kind, pairs, config, origin)
        .and_then(|()| policy.check_result(kind, config, &[]))
    {
        Ok(()) => d,
        Err(e) => deny(Denial {
            rule: e.rule,
            reason: format!("the new guest would inherit this: {}", e.reason),
        }),
    }
}

/// Clones and restores keep their source's tags; they must already carry `[create]
/// tags`.
fn required_tags(policy: &Policy, tags: &[String], whose: &str) -> Option<Decision> {
    let missing = policy.create.as_ref()?.missing_tags(tags);
    (!missing.is_empty()).then(|| {
        denied(
            Rule::CreateTags,
            format!(
                "{whose} lacks tag(s) {} that [create] tags requires of every new guest; tag it \
                 first",
                missing.join(", ")
            ),
        )
    })
}

pub(super) fn restore(policy: &Policy, r: &BackupRestore, facts: &Facts) -> Decision {
    let Some((kind, owner)) = r.volume.backup_of() else {
        return denied(
            Rule::BackupRestore,
            format!(
                "{} is not a vzdump backup of a guest (backup/vzdump-TYPE-VMID-...)",
                r.volume
            ),
        );
    };
    if r.force && r.vmid.is_none() {
        return denied(
            Rule::BackupRestore,
            "force restores over an existing guest: give vmid, the guest whose disks the \
             backup replaces (or leave force out to restore to a new guest)"
                .into(),
        );
    }
    // The backup's guest first: one that exists outside the scope reads as missing,
    // before anything about the backup itself is told.
    if let Some(g) = facts.guests.get(&owner) {
        let d = scoped(policy, g);
        if !allowed(&d) {
            return d;
        }
    }
    let Some(file) = &facts.backup_config else {
        if !facts.guests.contains_key(&owner) {
            // A backup of no guest that cannot be read reads like one of a guest
            // outside the scope.
            return Decision::NotFound {
                reason: format!("guest {owner} does not exist or is not visible to this client"),
            };
        }
        return denied(
            Rule::Facts,
            format!(
                "the configuration inside {} could not be read, so the restore is refused",
                r.volume
            ),
        );
    };
    let config = &file.main;
    let tags = tags_of(config);
    let source = owner_facts(facts, owner, kind, &r.node, &tags);
    let d = scoped(policy, &source);
    if !allowed(&d) {
        return d;
    }
    let d = operation_on(policy, &source, Operation::BackupRestore, r.confirmed);
    if !permitted(&d) {
        return d;
    }
    if let Some(d) = floor_of_archive(kind, file, &format!("restoring {}", r.volume)) {
        return d;
    }
    if let Some(s) = &r.storage
        && let Err(e) = policy.storage_allowed(s.as_str(), "the restored disks")
    {
        return deny(e);
    }
    let (newid, d) = if r.force {
        // Over an existing guest: it must be in scope, which a guest that does not exist
        // or is invisible is not, in the same words.
        let Some(vmid) = r.vmid else {
            return no_create(policy);
        };
        let d2 = operation(policy, vmid, Operation::BackupRestore, r.confirmed, facts);
        if !permitted(&d2) {
            return d2;
        }
        let Some(target) = facts.guests.get(&vmid) else {
            return d2;
        };
        if target.guest_type != kind {
            return denied(
                Rule::BackupRestore,
                format!(
                    "{} holds a {} guest and guest {} is {}",
                    r.volume,
                    kind.as_str(),
                    target.vmid,
                    target.guest_type.as_str()
                ),
            );
        }
        // The restored guest takes the backup's tags: judged as a tag change.
        if let Some(d) = retag(
            policy,
            target,
            tags.clone(),
            &format!("the tags of {}", r.volume),
        ) {
            return d;
        }
        // Confirmation of either guest's grant is enough reason to ask.
        let d = if matches!(d, Decision::Confirm { .. }) {
            d
        } else {
            d2
        };
        (vmid, d)
    } else {
        if let Err(d) = new_guest(
            policy,
            facts,
            r.vmid,
            &r.node,
            kind,
            &tags,
            "the restored guest",
        ) {
            return d;
        }
        if let Some(d) = required_tags(policy, &tags, "the backup") {
            return d;
        }
        let Some(v) = r.vmid else {
            return no_create(policy);
        };
        (v, d)
    };
    inherited(policy, newid, kind, config, owner, r.storage.is_some(), d)
}
