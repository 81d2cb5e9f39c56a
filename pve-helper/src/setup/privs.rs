//! Which Proxmox VE privileges a policy needs: one pure function from the policy's
//! grants to PVE privilege names, so that `setup` can create a role holding exactly
//! those and `status` can compare them with what the token really has.
//!
//! The mapping is deliberately conservative: it names the least privilege that makes a
//! grant work, and a raw API rule it cannot map gets a note instead of a guess, so the
//! admin grants such privileges by hand, knowingly.

use super::privs_keys::{self, KeyCheck};
use crate::policy::{ApiRule, Operation, Policy};
use crate::pve::release::Release;
use pve_mcp_proto::{ApiMethod, ApiPath, GuestType};
use std::collections::{BTreeMap, BTreeSet};

/// What a policy needs from Proxmox.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requirements {
    /// Each needed privilege, with the grants that need it.
    pub privileges: BTreeMap<&'static str, BTreeSet<String>>,
    /// Raw API rules no privilege is mapped for, and `[config] keys` Proxmox lets only
    /// `root@pam` set: the admin decides.
    pub unmapped: Vec<String>,
}

impl Requirements {
    /// The privilege names, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        self.privileges.keys().copied().collect()
    }

    fn need(&mut self, privilege: &'static str, reason: &str) {
        self.privileges
            .entry(privilege)
            .or_default()
            .insert(reason.to_owned());
    }
}

/// Representative API calls and the privileges Proxmox checks for them (from the
/// `permissions` of each endpoint in pve-manager, qemu-server and pve-container).
/// A raw API rule needs the union of the privileges of every sample it matches.
const API_SAMPLES: &[(ApiMethod, &str, &[&str])] = &[
    (ApiMethod::Get, "/", &[]),
    (ApiMethod::Get, "/version", &[]),
    (ApiMethod::Get, "/access/permissions", &[]),
    (ApiMethod::Get, "/cluster/resources", &["VM.Audit"]),
    (ApiMethod::Get, "/cluster/status", &["Sys.Audit"]),
    (ApiMethod::Get, "/cluster/tasks", &["Sys.Audit"]),
    (ApiMethod::Get, "/cluster/log", &["Sys.Syslog"]),
    (ApiMethod::Get, "/cluster/ha/status/current", &["Sys.Audit"]),
    (ApiMethod::Get, "/nodes", &["Sys.Audit"]),
    (ApiMethod::Get, "/nodes/n/status", &["Sys.Audit"]),
    (ApiMethod::Get, "/nodes/n/version", &["Sys.Audit"]),
    (ApiMethod::Get, "/nodes/n/tasks", &["Sys.Audit"]),
    (
        ApiMethod::Get,
        "/nodes/n/tasks/UPID:n:00000001:00000001:00000001:aptupdate::root@pam:/log",
        &["Sys.Audit"],
    ),
    (ApiMethod::Get, "/nodes/n/syslog", &["Sys.Syslog"]),
    (ApiMethod::Get, "/nodes/n/network", &["Sys.Audit"]),
    // cluster_health's reads.
    (ApiMethod::Get, "/cluster/ceph/status", &["Sys.Audit"]),
    (ApiMethod::Get, "/nodes/n/disks/zfs", &["Sys.Audit"]),
    (ApiMethod::Get, "/nodes/n/disks/list", &["Sys.Audit"]),
    (ApiMethod::Get, "/nodes/n/replication", &[]),
    (ApiMethod::Get, "/nodes/n/certificates/info", &[]),
    (ApiMethod::Get, "/nodes/n/qemu", &["VM.Audit"]),
    (
        ApiMethod::Get,
        "/nodes/n/qemu/100/status/current",
        &["VM.Audit"],
    ),
    (ApiMethod::Get, "/nodes/n/qemu/100/config", &["VM.Audit"]),
    (ApiMethod::Get, "/nodes/n/qemu/100/snapshot", &["VM.Audit"]),
    (ApiMethod::Get, "/nodes/n/lxc", &["VM.Audit"]),
    (
        ApiMethod::Get,
        "/nodes/n/lxc/100/status/current",
        &["VM.Audit"],
    ),
    (ApiMethod::Get, "/nodes/n/lxc/100/config", &["VM.Audit"]),
    (ApiMethod::Get, "/nodes/n/lxc/100/snapshot", &["VM.Audit"]),
    (
        ApiMethod::Post,
        "/nodes/n/qemu/100/status/start",
        &["VM.PowerMgmt"],
    ),
    (
        ApiMethod::Post,
        "/nodes/n/qemu/100/status/shutdown",
        &["VM.PowerMgmt"],
    ),
    (
        ApiMethod::Post,
        "/nodes/n/lxc/100/status/start",
        &["VM.PowerMgmt"],
    ),
    (
        ApiMethod::Post,
        "/nodes/n/lxc/100/status/shutdown",
        &["VM.PowerMgmt"],
    ),
    (
        ApiMethod::Post,
        "/nodes/n/qemu/100/snapshot",
        &["VM.Snapshot"],
    ),
    (
        ApiMethod::Delete,
        "/nodes/n/qemu/100/snapshot/s",
        &["VM.Snapshot"],
    ),
    (
        ApiMethod::Post,
        "/nodes/n/lxc/100/snapshot",
        &["VM.Snapshot"],
    ),
    (
        ApiMethod::Delete,
        "/nodes/n/lxc/100/snapshot/s",
        &["VM.Snapshot"],
    ),
    (
        ApiMethod::Post,
        "/nodes/n/qemu/100/snapshot/s/rollback",
        &["VM.Snapshot.Rollback"],
    ),
    (
        ApiMethod::Post,
        "/nodes/n/lxc/100/snapshot/s/rollback",
        &["VM.Snapshot.Rollback"],
    ),
    (ApiMethod::Get, "/storage", &["Datastore.Audit"]),
    (ApiMethod::Get, "/nodes/n/storage", &["Datastore.Audit"]),
    (
        ApiMethod::Get,
        "/nodes/n/storage/s/status",
        &["Datastore.Audit"],
    ),
    (
        ApiMethod::Get,
        "/nodes/n/storage/s/content",
        &["Datastore.Audit"],
    ),
    (ApiMethod::Get, "/pools", &["Pool.Audit"]),
    (ApiMethod::Get, "/pools/p", &["Pool.Audit"]),
    (ApiMethod::Get, "/cluster/firewall/rules", &["Sys.Audit"]),
    (ApiMethod::Get, "/cluster/firewall/options", &["Sys.Audit"]),
    (ApiMethod::Get, "/nodes/n/firewall/rules", &["Sys.Audit"]),
    (ApiMethod::Get, "/nodes/n/firewall/options", &["Sys.Audit"]),
    (
        ApiMethod::Get,
        "/nodes/n/qemu/100/firewall/rules",
        &["VM.Audit"],
    ),
    (
        ApiMethod::Get,
        "/nodes/n/lxc/100/firewall/rules",
        &["VM.Audit"],
    ),
    (ApiMethod::Get, "/cluster/ha/resources", &["Sys.Audit"]),
    (ApiMethod::Get, "/cluster/ha/groups", &["Sys.Audit"]),
];

/// The privileges `policy` needs on `release`, each with the grants that need it.
pub fn required_privileges(policy: &Policy, release: Release) -> Requirements {
    let mut req = Requirements::default();
    if !policy.guests.allow.is_empty() {
        // Listing and status go through /cluster/resources and the guest status calls.
        req.need("VM.Audit", "[guests] allow: see guests and their status");
    }
    for op in policy.granted_operations() {
        let (privileges, what) = operation_privileges(op, release);
        for privilege in privileges {
            req.need(privilege, &format!("{what} ({op})"));
        }
        if op == Operation::BackupCreate {
            // vzdump also writes the archive to the storage.
            req.need(
                "Datastore.AllocateSpace",
                "writing backups to [backup] storages (backup.create)",
            );
        }
    }
    lifecycle_privileges(policy, &mut req);
    for rule in &policy.api {
        api_rule(&mut req, rule);
    }
    // [commands] run on this node as the helper's user: no Proxmox privilege.
    req
}

/// The privileges every policy of `policies` needs together: the token serves every
/// client, so it holds the union, each privilege with every grant that needs it.
pub fn required_by_all<'a>(
    policies: impl IntoIterator<Item = &'a Policy>,
    release: Release,
) -> Requirements {
    let mut all = Requirements::default();
    for policy in policies {
        let req = required_privileges(policy, release);
        for (privilege, reasons) in req.privileges {
            all.privileges.entry(privilege).or_default().extend(reasons);
        }
        for note in req.unmapped {
            if !all.unmapped.contains(&note) {
                all.unmapped.push(note);
            }
        }
    }
    all
}

/// The privileges Proxmox checks for one guest operation, and what they are for.
fn operation_privileges(op: Operation, release: Release) -> (Vec<&'static str>, &'static str) {
    let (privileges, what): (&[&'static str], &'static str) = match op {
        Operation::Power(_) => (&["VM.PowerMgmt"], "power actions"),
        Operation::SnapshotList => (&["VM.Audit"], "listing snapshots"),
        Operation::SnapshotCreate | Operation::SnapshotDelete => (&["VM.Snapshot"], "snapshots"),
        Operation::SnapshotRollback => (&["VM.Snapshot.Rollback"], "snapshot rollback"),
        Operation::ConfigRead => (&["VM.Audit"], "reading guest configuration"),
        Operation::BackupList => (&["Datastore.Audit"], "listing backups"),
        Operation::MetricsRead => (&["VM.Audit"], "reading resource usage"),
        Operation::AgentRead => {
            return (vec![release.agent_read_privilege()], "guest agent queries");
        }
        Operation::BackupCreate => (&["VM.Backup"], "starting backups"),
        Operation::Clone => (
            &[
                "VM.Clone",
                "VM.Allocate",
                "Datastore.AllocateSpace",
                "SDN.Use",
            ],
            "cloning into new guests",
        ),
        Operation::Template => (&["VM.Allocate"], "converting to templates"),
        // The keys' own privileges come from [config] keys (lifecycle_privileges).
        Operation::ConfigWrite => (&[], "changing configuration"),
        Operation::DiskResize => (
            &["VM.Config.Disk", "Datastore.AllocateSpace"],
            "growing disks",
        ),
        Operation::Migrate => (&["VM.Migrate"], "migrating"),
        Operation::Delete => (&["VM.Allocate"], "deleting guests"),
        // Restores check the backed-up bridges too (`check_restore_permissions`).
        Operation::BackupRestore => (
            &[
                "VM.Backup",
                "VM.Allocate",
                "Datastore.AllocateSpace",
                "SDN.Use",
            ],
            "restoring backups",
        ),
        Operation::BackupDelete => (
            &["VM.Backup", "Datastore.AllocateSpace"],
            "deleting backups",
        ),
        Operation::TaskCancel => (&["Sys.Modify"], "stopping tasks"),
        Operation::AgentExec => {
            return (
                vec![release.agent_exec_privilege()],
                "running programs through the guest agent",
            );
        }
        // `move_disk`, `move_volume`: the disk on the guest (and on a target guest),
        // space on the target storage (or, into a guest, on the volume's storage).
        Operation::DiskMove | Operation::DiskMoveDelete => (
            &["VM.Config.Disk", "Datastore.AllocateSpace"],
            "moving disks",
        ),
        // pve-firewall's `rules_modify_permissions('vm')` and the guest options' PUT:
        // `VM.Config.Network` on `/vms/{vmid}`.
        Operation::FirewallRules => (&["VM.Config.Network"], "changing guest firewall rules"),
        Operation::FirewallEnable => (&["VM.Config.Network"], "turning guest firewalls on or off"),
    };
    (privileges.to_vec(), what)
}

/// The privileges PVE checks for setting `key` (a `[config] keys` entry, `net*` for a
/// family) on whichever kind of guest has it, and a note when Proxmox reserves it to
/// `root@pam`.
fn config_key_privileges(key: &str) -> (Vec<&'static str>, Option<String>) {
    let sample = match key.strip_suffix('*') {
        Some(stem) => format!("{stem}0"),
        None => key.to_owned(),
    };
    let mut out: Vec<&'static str> = Vec::new();
    let mut root_only = false;
    for check in [privs_keys::qemu(&sample), privs_keys::lxc(&sample)] {
        match check {
            KeyCheck::Needs(needs) => {
                for p in needs {
                    if !out.contains(p) {
                        out.push(p);
                    }
                }
            }
            KeyCheck::RootOnly => root_only = true,
            KeyCheck::NoSuchKey => {}
        }
    }
    let note = (root_only || out.is_empty()).then(|| {
        format!(
            "[config] keys \"{key}\": Proxmox lets only root@pam set it{}; no privilege of the \
             role allows it",
            if out.is_empty() {
                ""
            } else {
                " on some guests"
            }
        )
    });
    (out, note)
}

/// What guest_create sends for a new guest of each kind, by the privileges Proxmox
/// checks for it: QEMU `name` (Options), `cores`, `memory`, `scsihw` (HWType), `net0`,
/// cloud-init keys, `description` and tags; LXC `hostname` and `net0` (Network),
/// `cores`, `memory`, `rootfs` (Disk), `description` and tags. Disks of a new VM
/// only need space on their storage.
const CREATE_PRIVILEGES: &[(GuestType, &[&str])] = &[
    (
        GuestType::Qemu,
        &[
            "VM.Config.CPU",
            "VM.Config.Memory",
            "VM.Config.HWType",
            "VM.Config.Network",
            "VM.Config.Options",
            "VM.Config.Cloudinit",
        ],
    ),
    (
        GuestType::Lxc,
        &[
            "VM.Config.CPU",
            "VM.Config.Memory",
            "VM.Config.Disk",
            "VM.Config.Network",
            "VM.Config.Options",
        ],
    ),
];

/// Privileges of `[create]`, `[config] keys`, `[migrate]` and `[storage]`.
fn lifecycle_privileges(policy: &Policy, req: &mut Requirements) {
    if let Some(create) = &policy.create {
        let why = "[create]: making new guests";
        for p in ["VM.Allocate", "Datastore.AllocateSpace", "SDN.Use"] {
            req.need(p, why);
        }
        for (kind, privileges) in CREATE_PRIVILEGES {
            if create.types.contains(kind) {
                let why = format!(
                    "[create] types \"{}\": configuring new guests",
                    kind.as_str()
                );
                for p in *privileges {
                    req.need(p, &why);
                }
            }
        }
    }
    // Listed keys may be set by guest_configure and given to guest_create.
    let settable = policy
        .granted_operations()
        .contains(&Operation::ConfigWrite)
        || policy.create.as_ref().is_some_and(|c| !c.types.is_empty());
    if settable {
        for key in &policy.config_keys.0 {
            config_key_requirements(req, key);
        }
    }
    if !policy.media.download_from.is_empty() {
        for p in ["Datastore.AllocateTemplate", "Sys.Audit", "Sys.Modify"] {
            req.need(
                p,
                "[storage] download_from: downloading ISO images and templates",
            );
        }
    }
    if policy.media.delete {
        req.need(
            "Datastore.Allocate",
            "[storage] delete: deleting ISO images and templates",
        );
    }
}

fn config_key_requirements(req: &mut Requirements, key: &str) {
    let (privileges, note) = config_key_privileges(key);
    let why = format!("[config] keys \"{key}\"");
    for p in &privileges {
        req.need(p, &why);
    }
    if privileges.contains(&"VM.Config.Disk") {
        req.need(
            "Datastore.AllocateSpace",
            &format!("[config] keys \"{key}\": new disks"),
        );
    }
    if privileges.contains(&"VM.Config.Network") && key.starts_with("net") {
        req.need("SDN.Use", &format!("[config] keys \"{key}\": bridges"));
    }
    req.unmapped.extend(note);
}

fn api_rule(req: &mut Requirements, rule: &ApiRule) {
    let reason = format!("[api] \"{rule}\"");
    let mut matched = false;
    for (method, sample, privileges) in API_SAMPLES {
        let hit = *method == rule.method
            && ApiPath::parse(sample).is_ok_and(|p| rule.pattern.matches(&p));
        if hit {
            matched = true;
            for p in *privileges {
                req.need(p, &reason);
            }
        }
    }
    // Proxmox asks Sys.Modify, a privilege to change the node, even to list pending
    // updates: granted only for a rule that names that read, never for a wildcard.
    let updates = ApiPath::parse(UPDATES_SAMPLE).is_ok_and(|p| rule.pattern.matches(&p));
    if rule.method == ApiMethod::Get && updates {
        matched = true;
        if rule.to_string().contains("/apt/update") {
            req.need("Sys.Modify", &reason);
        } else {
            req.unmapped.push(format!(
                "\"{rule}\" covers GET /nodes/*/apt/update, for which Proxmox asks Sys.Modify: \
                 not granted for a wildcard; name \"GET /nodes/*/apt/update\" in [api] allow to \
                 have it granted"
            ));
        }
    }
    if !matched {
        req.unmapped.push(format!(
            "\"{rule}\": no privilege is mapped for this call; grant what it needs to role by hand"
        ));
    }
}

/// The pending updates of a node (`cluster_health`'s `updates` part).
const UPDATES_SAMPLE: &str = "/nodes/n/apt/update";

#[cfg(test)]
mod tests;
