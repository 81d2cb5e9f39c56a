//! `decide` for moving a disk on its guest's node: to another storage, which `[bounds]
//! storages` must list (`disk.move`, and `disk.move.delete` as well when the source
//! volume is deleted after the copy), or into another guest in scope (`disk.move` on
//! both), which gains the disk and is judged for it as for any disk it would be given:
//! the fixed floor, `[bounds]` (size, storage) and whose volume it is. Pure: both guests'
//! configurations are facts gathered before.

use super::common::{denied, deny, operation, permitted, unread};
use crate::policy::bounds::{Origin, size_gib};
use crate::policy::decision::{Decision, Rule};
use crate::policy::facts::Facts;
use crate::policy::model::{Operation, Policy};
use pve_mcp_proto::{DiskMove, DiskSlot, GuestType, MoveTarget, StorageId, VmId};

pub(super) fn disk_move(policy: &Policy, m: &DiskMove, facts: &Facts) -> Decision {
    let mut d = operation(policy, m.vmid, Operation::DiskMove, m.confirmed, facts);
    if !permitted(&d) {
        return d;
    }
    if m.deletes_source() {
        let del = operation(
            policy,
            m.vmid,
            Operation::DiskMoveDelete,
            m.confirmed,
            facts,
        );
        if !permitted(&del) {
            return del;
        }
        d = stricter(d, del);
    }
    if let Some(target) = m.target_guest() {
        // Scope first: a guest outside it reads exactly like one that does not exist.
        let t = operation(policy, target, Operation::DiskMove, m.confirmed, facts);
        if !permitted(&t) {
            return t;
        }
        d = stricter(d, t);
    }
    let Some(config) = facts.configs.get(&m.vmid) else {
        return unread(m.vmid);
    };
    let Some(value) = config.get(m.disk.as_str()) else {
        return refuse(format!("guest {} has no disk {}", m.vmid, m.disk));
    };
    let source = match source_storage(value, m.vmid) {
        Ok(s) => s,
        Err(why) => return refuse(format!("disk {} of guest {} {why}", m.disk, m.vmid)),
    };
    let judged = match &m.to {
        MoveTarget::Storage { storage, .. } => to_storage(policy, m, value, source, storage),
        MoveTarget::Guest { vmid, disk } => to_guest(policy, m, value, *vmid, disk.as_ref(), facts),
    };
    judged.unwrap_or(d)
}

/// The storage of a drive's or mount point's volume, or why it cannot be moved: it
/// must be a volume of guest `vmid`'s own (a volume of another guest, attached by an
/// admin, would be copied, deleted or given away; its name is not echoed).
fn source_storage(value: &str, vmid: VmId) -> Result<&str, &'static str> {
    let mut items = value.split(',');
    let first = items.next().unwrap_or("");
    let volume = first
        .strip_prefix("file=")
        .or_else(|| first.strip_prefix("volume="))
        .unwrap_or(first);
    if value.split(',').any(|o| o == "media=cdrom") {
        return Err("is a CD/DVD drive, which is not moved");
    }
    let Some((storage, path)) = volume.split_once(':').filter(|_| !volume.starts_with('/')) else {
        return Err("is not a volume on a Proxmox storage");
    };
    let name = path.rsplit('/').next().unwrap_or(path);
    let own = ["vm", "base", "subvol", "basevol"]
        .iter()
        .any(|p| name.starts_with(&format!("{p}-{vmid}-")));
    if !own {
        return Err("is not a volume of its own guest, so it is not moved");
    }
    Ok(storage)
}

fn to_storage(
    policy: &Policy,
    m: &DiskMove,
    value: &str,
    source: &str,
    storage: &StorageId,
) -> Option<Decision> {
    if source == storage.as_str() {
        return Some(refuse(format!(
            "disk {} of guest {} is already on storage {storage}",
            m.disk, m.vmid
        )));
    }
    let what = format!("a copy of disk {} of guest {}", m.disk, m.vmid);
    if let Err(e) = policy.storage_allowed(storage.as_str(), &what) {
        return Some(deny(e));
    }
    let gib = value
        .split(',')
        .find_map(|o| o.strip_prefix("size="))
        .and_then(size_gib);
    match gib.map(|gib| policy.within_disk(gib, &format!("{what}, of {gib} GiB,"))) {
        Some(Err(e)) => Some(deny(e)),
        _ => None,
    }
}

/// A disk given to guest `target`: both on one node, of one kind, the slot free on the
/// target, and the disk judged as one the target would be given.
fn to_guest(
    policy: &Policy,
    m: &DiskMove,
    value: &str,
    target: VmId,
    slot: Option<&DiskSlot>,
    facts: &Facts,
) -> Option<Decision> {
    if target == m.vmid {
        return Some(refuse(format!(
            "guest {target} is the disk's own guest; give another guest, or a storage"
        )));
    }
    let (Some(from), Some(to)) = (facts.guests.get(&m.vmid), facts.guests.get(&target)) else {
        return Some(unread(target));
    };
    if from.guest_type != to.guest_type {
        return Some(refuse(format!(
            "guests {} and {target} are not of one kind: a disk moves between VMs or between \
             containers",
            m.vmid
        )));
    }
    if from.node != to.node {
        return Some(refuse(format!(
            "guest {} is on node {} and guest {target} on node {}: a disk moves only between \
             guests of one node",
            m.vmid, from.node, to.node
        )));
    }
    let key = slot.unwrap_or(&m.disk);
    if to.guest_type == GuestType::Lxc && (key.as_str() == "rootfs" || m.disk.as_str() == "rootfs")
    {
        return Some(refuse(
            "a container's rootfs cannot move to another container; mount points (mpN) can"
                .to_owned(),
        ));
    }
    let Some(config) = facts.configs.get(&target) else {
        return Some(unread(target));
    };
    if config.contains_key(key.as_str()) {
        return Some(refuse(format!("guest {target} already has a disk {key}")));
    }
    let mut after = config.clone();
    after.insert(key.to_string(), value.to_owned());
    let origin = Origin::Inherited {
        owner: m.vmid,
        storage_override: false,
    };
    policy
        .check_settings(
            target,
            to.guest_type,
            [(key.as_str(), value)],
            &after,
            origin,
        )
        .err()
        .map(|e| {
            deny(crate::policy::bounds::Denial {
                reason: format!("moving disk {} into guest {target}: {}", m.disk, e.reason),
                ..e
            })
        })
}

fn refuse(reason: String) -> Decision {
    denied(Rule::DiskMove, reason)
}

/// Of two permitted decisions, the one that asks for confirmation, if either does.
fn stricter(a: Decision, b: Decision) -> Decision {
    match (&a, &b) {
        (Decision::Confirm { .. }, _) => a,
        (_, Decision::Confirm { .. }) => b,
        _ => a,
    }
}
