//! `decide` for raw `proxmox_api` calls. After the fixed floor, the call is read
//! against Proxmox's schema ([`analyze`]); every guest it names, anywhere, must be in
//! scope; then its endpoint's class decides: writes that a typed tool also makes are
//! judged exactly as that tool's request (`[create]`, `[bounds]`, `[config] keys`,
//! tags, confirmations; by the dispatcher's `decide`, handed in), writes that name no guest need only their `[api]` pattern,
//! and the rest is refused whatever the pattern says.

use super::common::{api_rule, denied, first_out_of_scope, operation};
use super::create::raw_create;
use super::raw_params::{bad, only, parsed, path_vmid};
use super::tasks::node_task_names_no_guest;
use crate::policy::api_call::{Analysis, Mention, analyze, analyze_on};
use crate::policy::api_class::{Class, Typed};
use crate::policy::decision::{Decision, Rule};
use crate::policy::facts::Facts;
use crate::policy::model::{Operation, Policy};
use crate::policy::{floor, refs};
use pve_mcp_proto::*;
use std::collections::BTreeMap;

/// A raw write turned into what the typed tool would send, or into an operation to
/// judge on one guest.
#[derive(Debug)]
pub enum Equivalent {
    Request(Request),
    Operation(VmId, Operation),
    /// A new guest made through the raw API (judged in `create`).
    Create,
}

/// The guests whose facts judging `call` needs, and the typed request it is judged
/// as (whose guests the dispatcher adds).
pub(super) fn referenced(call: &ApiCall) -> (Vec<VmId>, Option<Request>) {
    let Ok(a) = analyze(call) else {
        return (Vec::new(), None);
    };
    let mut out = a.guests();
    out.extend(raw_create_vmid(call));
    let typed = match equivalent(&a) {
        Ok(Some(Equivalent::Request(r))) => Some(r),
        _ => None,
    };
    (out, typed)
}

/// The typed request `call` is judged as, whose configurations judging it needs; none
/// for what the floor refuses first.
pub(super) fn judged_as(call: &ApiCall) -> Option<Request> {
    if floor::floor_reason(call.method, &call.path, &call.params).is_some() {
        return None;
    }
    match analyze(call).map(|a| equivalent(&a)) {
        Ok(Ok(Some(Equivalent::Request(r)))) => Some(r),
        _ => None,
    }
}

/// The typed request a raw write amounts to, if any.
pub fn equivalent_request(call: &ApiCall) -> Option<Request> {
    match equivalent(&analyze(call).ok()?) {
        Ok(Some(Equivalent::Request(r))) => Some(r),
        _ => None,
    }
}

/// The task a raw call names (its status, log, or a stop).
pub fn named_task(call: &ApiCall) -> Option<Upid> {
    analyze(call)
        .ok()?
        .mentions
        .into_iter()
        .find_map(|(_, m)| match m {
            Mention::Task(upid) => Some(upid),
            _ => None,
        })
}

/// The vmid of the new guest a raw create makes.
pub fn raw_create_vmid(call: &ApiCall) -> Option<VmId> {
    let a = analyze(call).ok()?;
    match a.class {
        Class::Typed(Typed::Create) => a.param("vmid").and_then(|v| refs::vmid(v).ok()),
        _ => None,
    }
}

/// Judges a raw call: the fixed floor, Proxmox's schema, the scope of every guest it
/// names, then its endpoint's class. A write that a typed tool also makes is judged as
/// that tool's request, by `typed` (the dispatcher's `decide`).
pub(super) fn decide(
    policy: &Policy,
    call: &ApiCall,
    facts: &Facts,
    typed: impl FnOnce(&Request) -> Decision,
) -> Decision {
    if let Some(reason) = floor::floor_reason(call.method, &call.path, &call.params) {
        return denied(
            Rule::FixedFloor,
            format!("{} {}: {reason}", call.method, call.path),
        );
    }
    let release = facts.release.unwrap_or(crate::pve::release::Release::Pve9);
    let a = match analyze_on(call, release) {
        Ok(a) => a,
        Err(e) => return denied(e.rule, e.reason),
    };
    if let Some((param, path)) = a.mentions.iter().find_map(|(p, m)| match m {
        Mention::HostPath(path) => Some((p, path)),
        _ => None,
    }) {
        return denied(
            Rule::FixedFloor,
            format!(
                "{} {}: {param} names the host path {path:?}; host paths are on the fixed floor \
                 and can never be allowed",
                call.method, call.path
            ),
        );
    }
    // Scope first: a guest outside it reads exactly like one that does not exist.
    if let Some(d) = first_out_of_scope(policy, &a.guests(), facts) {
        return d;
    }
    for (_, m) in &a.mentions {
        let Mention::Task(upid) = m else { continue };
        match refs::task_guest(upid) {
            Err(e) => return denied(Rule::Tasks, e),
            Ok(None) if !facts.own_task && !node_task_names_no_guest(upid) => {
                return denied(
                    Rule::Tasks,
                    format!(
                        "task {upid} ({}) acts on guests without naming one; pve-mcp shows such \
                         tasks only when it started them",
                        upid.task_type()
                    ),
                );
            }
            Ok(_) => {}
        }
    }
    let what = format!("{} {}", call.method, call.path);
    let pattern = api_rule(policy, call.method, &call.path, "API call");
    match a.class {
        Class::Refused(why) => denied(Rule::ApiRefused, format!("{what} is never allowed: {why}")),
        Class::Neutral => match a.mentions.first() {
            Some((param, _)) => denied(
                Rule::ApiRefused,
                format!(
                    "{what}: parameter {param} names a guest or volume, which this endpoint \
                     cannot be judged for"
                ),
            ),
            None => pattern,
        },
        Class::GuestLocal | Class::Filtered(_) => {
            if a.mentions.iter().any(|(_, m)| matches!(m, Mention::Volume(v) if v.owner.is_none() && v.content == refs::Content::Unknown)) {
                return denied(
                    Rule::ApiParams,
                    format!("{what} names a volume whose guest cannot be told"),
                );
            }
            pattern
        }
        Class::Typed(kind) => {
            if !matches!(pattern, Decision::Allow { .. }) {
                return pattern;
            }
            let d = match equivalent(&a) {
                Err(d) => return d,
                Ok(None) => return pattern,
                Ok(Some(Equivalent::Request(r))) => typed(&r),
                Ok(Some(Equivalent::Operation(vmid, op))) => {
                    operation(policy, vmid, op, false, facts)
                }
                Ok(Some(Equivalent::Create)) => raw_create(policy, &a, facts),
            };
            match d {
                Decision::Confirm { rule, reason } => Decision::Deny {
                    rule,
                    reason: format!(
                        "{reason}; the raw API cannot ask for it: use {}",
                        tool_of(kind)
                    ),
                },
                Decision::Allow { .. } => pattern,
                d => d,
            }
        }
    }
}

/// The typed tool that does what a raw write of this kind does.
fn tool_of(kind: Typed) -> &'static str {
    match kind {
        Typed::Config | Typed::CloudinitRegenerate => "guest_configure",
        Typed::Create => "guest_create",
        Typed::Power => "vm_action",
        Typed::SnapshotCreate | Typed::SnapshotConfig => "snapshot_create",
        Typed::SnapshotRollback => "snapshot_rollback",
        Typed::SnapshotDelete => "snapshot_delete",
        Typed::Delete => "guest_delete",
        Typed::Resize => "disk_resize",
        Typed::Migrate => "guest_migrate",
        Typed::Template => "guest_template",
        Typed::Backup => "backup_start",
        Typed::VolumeDelete => "volume_delete",
        Typed::Download => "storage_download",
        Typed::TaskCancel => "task_cancel",
        Typed::AgentRead => "guest_agent",
        Typed::DiskMove => "disk_move",
        Typed::Firewall => "firewall_edit",
    }
}

type Conversion = Result<Option<Equivalent>, Decision>;

fn flag(a: &Analysis, name: &str) -> bool {
    a.param(name) == Some("1")
}

/// The typed request (or operation) that judges the raw write `a`.
pub fn equivalent(a: &Analysis) -> Conversion {
    let Class::Typed(kind) = a.class else {
        return Ok(None);
    };
    let last = a.endpoint.template.rsplit('/').next().unwrap_or("");
    let req = match kind {
        Typed::Create => return Ok(Some(Equivalent::Create)),
        Typed::Config => config(a)?,
        Typed::Power => {
            only(
                a,
                &["timeout", "forceStop", "overrule-shutdown"],
                "vm_action",
            )?;
            Request::GuestAction(GuestActionRequest {
                vmid: path_vmid(a)?,
                action: parsed(a, last.parse())?,
                confirmed: false,
            })
        }
        Typed::SnapshotCreate | Typed::SnapshotConfig => {
            only(
                a,
                &["snapname", "description", "vmstate"],
                "snapshot_create",
            )?;
            Request::SnapshotCreate(SnapshotCreate {
                vmid: path_vmid(a)?,
                name: parsed(a, SnapshotName::parse(a.param("snapname").unwrap_or("")))?,
                description: a
                    .param("description")
                    .map(|d| parsed(a, SnapshotDescription::parse(d)))
                    .transpose()?,
                include_ram: flag(a, "vmstate"),
                confirmed: false,
            })
        }
        Typed::SnapshotRollback | Typed::SnapshotDelete => {
            only(a, &["snapname"], tool_of(kind))?;
            let t = SnapshotTarget {
                vmid: path_vmid(a)?,
                name: parsed(a, SnapshotName::parse(a.param("snapname").unwrap_or("")))?,
                confirmed: false,
            };
            if kind == Typed::SnapshotRollback {
                Request::SnapshotRollback(t)
            } else {
                Request::SnapshotDelete(t)
            }
        }
        Typed::Delete => {
            only(a, &["purge", "destroy-unreferenced-disks"], "guest_delete")?;
            Request::GuestDelete(GuestDelete {
                vmid: path_vmid(a)?,
                purge: flag(a, "purge"),
                destroy_unreferenced_disks: flag(a, "destroy-unreferenced-disks"),
                confirmed: false,
            })
        }
        Typed::Resize => {
            only(a, &["disk", "size", "digest"], "disk_resize")?;
            let size = a.param("size").unwrap_or("");
            if size.starts_with('+') {
                return Err(bad(
                    a,
                    "a relative size (+N) is not judged through the raw API; give the new size \
                     (disk_resize takes it in GiB)"
                        .into(),
                ));
            }
            let gib = crate::policy::bounds::size_gib(size)
                .ok_or_else(|| bad(a, format!("size {size:?} is not a disk size")))?;
            Request::DiskResize(DiskResize {
                vmid: path_vmid(a)?,
                disk: parsed(a, DiskSlot::parse(a.param("disk").unwrap_or("")))?,
                size_gib: parsed(a, DiskGib::new(gib))?,
                confirmed: false,
            })
        }
        Typed::Migrate => {
            only(
                a,
                &[
                    "target",
                    "online",
                    "restart",
                    "timeout",
                    "with-local-disks",
                    "migration_network",
                    "migration_type",
                    "bwlimit",
                ],
                "guest_migrate",
            )?;
            Request::GuestMigrate(GuestMigrate {
                vmid: path_vmid(a)?,
                target: parsed(a, NodeName::parse(a.param("target").unwrap_or("")))?,
                online: flag(a, "online") || flag(a, "restart"),
                confirmed: false,
            })
        }
        Typed::Template => {
            only(a, &["disk"], "guest_template")?;
            Request::GuestTemplate(GuestOp {
                vmid: path_vmid(a)?,
                confirmed: false,
            })
        }
        Typed::Backup => backup(a)?,
        Typed::VolumeDelete => {
            only(a, &["storage", "volume", "delay"], "volume_delete")?;
            let storage = a.param("storage").unwrap_or("");
            let volume = a.param("volume").unwrap_or("");
            let volid = if volume.contains(':') {
                volume.to_owned()
            } else {
                format!("{storage}:{volume}")
            };
            Request::VolumeDelete(VolumeDelete {
                node: parsed(a, NodeName::parse(a.param("node").unwrap_or("")))?,
                volume: parsed(a, VolumeId::parse(&volid))?,
                confirmed: false,
            })
        }
        Typed::Download => download(a)?,
        Typed::TaskCancel => Request::TaskCancel(TaskCancel {
            upid: parsed(a, Upid::parse(a.param("upid").unwrap_or("")))?,
            confirmed: false,
        }),
        Typed::AgentRead => {
            let command = a.param("command").unwrap_or(last);
            if !(command == "ping"
                || command == "info"
                || command == "network-get-interfaces"
                || command.starts_with("get-"))
            {
                return Err(bad(
                    a,
                    format!(
                        "the guest agent command {command:?} changes the guest; only read-only \
                         commands (ping, info, get-*, network-get-interfaces) are judged, as \
                         agent.read"
                    ),
                ));
            }
            return Ok(Some(Equivalent::Operation(
                path_vmid(a)?,
                Operation::AgentRead,
            )));
        }
        Typed::CloudinitRegenerate => {
            return Ok(Some(Equivalent::Operation(
                path_vmid(a)?,
                Operation::ConfigWrite,
            )));
        }
        Typed::DiskMove => disk_move(a)?,
        Typed::Firewall => super::firewall::raw(a)?,
    };
    Ok(Some(Equivalent::Request(req)))
}

fn config(a: &Analysis) -> Result<Request, Decision> {
    for refused in ["revert", "skiplock", "force"] {
        if a.param(refused).is_some() {
            return Err(bad(
                a,
                format!("{refused} is not judged through the raw API; use guest_configure"),
            ));
        }
    }
    let mut set = BTreeMap::new();
    for (k, v) in &a.params {
        if matches!(
            k.as_str(),
            "node" | "vmid" | "digest" | "delete" | "background_delay"
        ) {
            continue;
        }
        set.insert(
            parsed(a, ConfigKey::parse(k))?,
            parsed(a, ConfigValue::parse(v))?,
        );
    }
    let delete = match a.param("delete") {
        Some(list) => list
            .split([',', ';', ' '])
            .filter(|k| !k.is_empty())
            .map(|k| parsed(a, ConfigKey::parse(k)))
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    Ok(Request::GuestConfigure(GuestConfigure {
        vmid: path_vmid(a)?,
        set: parsed(a, ConfigMap::new(set))?,
        delete,
        confirmed: false,
    }))
}

fn backup(a: &Analysis) -> Result<Request, Decision> {
    only(
        a,
        &[
            "storage",
            "mode",
            "compress",
            "zstd",
            "pigz",
            "ionice",
            "lockwait",
            "stopwait",
            "bwlimit",
            "notes-template",
            "protected",
            "stdexcludes",
            "exclude-path",
            "quiet",
            "performance",
        ],
        "backup_start",
    )?;
    if a.param("mode").is_some_and(|m| m != "snapshot") {
        return Err(bad(
            a,
            "only snapshot backups are judged through the raw API: the stop and suspend modes \
             stop the guest (use backup_start)"
                .into(),
        ));
    }
    let list = refs::vmid_list(a.param("vmid").unwrap_or("")).map_err(|e| bad(a, e))?;
    let [vmid] = list.as_slice() else {
        return Err(bad(
            a,
            "give exactly one guest in vmid (all, pool and lists are never judged through the \
             raw API; use backup_start for each guest)"
                .into(),
        ));
    };
    let storage = a.param("storage").ok_or_else(|| {
        bad(
            a,
            "storage is required: the backup storage, from [backup] storages".into(),
        )
    })?;
    Ok(Request::BackupStart(BackupRequest {
        vmid: *vmid,
        storage: parsed(a, StorageId::parse(storage))?,
        confirmed: false,
    }))
}

fn download(a: &Analysis) -> Result<Request, Decision> {
    only(
        a,
        &[
            "storage",
            "url",
            "content",
            "filename",
            "checksum",
            "checksum-algorithm",
            "verify-certificates",
        ],
        "storage_download",
    )?;
    if a.param("verify-certificates") == Some("0") {
        return Err(bad(a, "downloads always verify certificates".into()));
    }
    let content = match a.param("content") {
        Some("iso") => DownloadContent::Iso,
        Some("vztmpl") => DownloadContent::Vztmpl,
        other => {
            return Err(bad(
                a,
                format!("content {other:?} is not downloaded through pve-mcp (iso or vztmpl)"),
            ));
        }
    };
    let checksum = match (a.param("checksum"), a.param("checksum-algorithm")) {
        (None, None) => None,
        (Some(value), Some(algorithm)) => Some(Checksum {
            algorithm: match algorithm {
                "sha256" => ChecksumAlgorithm::Sha256,
                "sha512" => ChecksumAlgorithm::Sha512,
                other => {
                    return Err(bad(
                        a,
                        format!("checksum-algorithm {other:?} is not sha256 or sha512"),
                    ));
                }
            },
            value: value.to_owned(),
        }),
        _ => {
            return Err(bad(
                a,
                "give checksum and checksum-algorithm together".into(),
            ));
        }
    };
    Ok(Request::StorageDownload(StorageDownload {
        node: parsed(a, NodeName::parse(a.param("node").unwrap_or("")))?,
        storage: parsed(a, StorageId::parse(a.param("storage").unwrap_or("")))?,
        url: parsed(a, HttpsUrl::parse(a.param("url").unwrap_or("")))?,
        content,
        filename: parsed(a, FileName::parse(a.param("filename").unwrap_or("")))?,
        checksum,
    }))
}

/// `move_disk` (`disk`, `target-disk`) or `move_volume` (`volume`, `target-volume`):
/// to a storage, or, with `target-vmid`, into another guest (Proxmox takes one or the
/// other, and ignores `delete` for the second).
fn disk_move(a: &Analysis) -> Result<Request, Decision> {
    let (disk, target_disk) = if a.endpoint.template.ends_with("/move_volume") {
        ("volume", "target-volume")
    } else {
        ("disk", "target-disk")
    };
    only(
        a,
        &[
            disk,
            target_disk,
            "storage",
            "delete",
            "format",
            "target-vmid",
            "digest",
            "target-digest",
            "bwlimit",
        ],
        "disk_move",
    )?;
    let slot = |name: &str| -> Result<Option<DiskSlot>, Decision> {
        a.param(name)
            .map(|d| parsed(a, DiskSlot::parse(d)))
            .transpose()
    };
    let to = match (a.param("storage"), a.param("target-vmid")) {
        (Some(storage), None) => MoveTarget::Storage {
            storage: parsed(a, StorageId::parse(storage))?,
            delete_source: flag(a, "delete"),
        },
        (None, Some(target)) => MoveTarget::Guest {
            vmid: refs::vmid(target).map_err(|e| bad(a, e))?,
            disk: slot(target_disk)?,
        },
        _ => {
            return Err(bad(
                a,
                "give either storage or target-vmid, not both".into(),
            ));
        }
    };
    Ok(Request::DiskMove(DiskMove {
        vmid: path_vmid(a)?,
        disk: parsed(a, DiskSlot::parse(a.param(disk).unwrap_or("")))?,
        to,
        confirmed: false,
    }))
}
