//! `decide` for storage media and the node tasks that handle them: deleting backups,
//! ISO images and container templates, downloading them from allowed URLs, and
//! following the `imgdel` and `download` tasks those start.

use super::common::{allowed, denied, operation_on, owner_facts, scoped};
use crate::policy::decision::{Decision, Rule};
use crate::policy::facts::Facts;
use crate::policy::model::{Operation, Policy};
use pve_mcp_proto::{StorageDownload, Upid, VolumeDelete};

pub(super) fn volume_delete(policy: &Policy, v: &VolumeDelete, facts: &Facts) -> Decision {
    match v.volume.content() {
        Some("backup") => {
            let Some((kind, owner)) = v.volume.backup_of() else {
                return denied(
                    Rule::Volume,
                    format!(
                        "{} is not a vzdump backup of a guest (backup/vzdump-TYPE-VMID-...)",
                        v.volume
                    ),
                );
            };
            let g = owner_facts(facts, owner, kind, &v.node, &[]);
            let d = scoped(policy, &g);
            if !allowed(&d) {
                return d;
            }
            operation_on(policy, &g, Operation::BackupDelete, v.confirmed)
        }
        Some(c @ ("iso" | "vztmpl")) => {
            if let Some(d) = media_storage(policy, v.volume.storage()) {
                return d;
            }
            if !policy.media.delete {
                return denied(
                    Rule::StorageDelete,
                    format!(
                        "deleting {c} volumes is not allowed; to allow it, set delete = true in \
                         [storage] in {}",
                        policy.source.display()
                    ),
                );
            }
            Decision::Allow {
                rule: Rule::StorageDelete,
            }
        }
        _ => denied(
            Rule::Volume,
            format!(
                "{} is neither a backup, an ISO image nor a container template; guest disks \
                 are removed with their guest",
                v.volume
            ),
        ),
    }
}

pub(super) fn download(policy: &Policy, s: &StorageDownload) -> Decision {
    if let Some(d) = media_storage(policy, s.storage.as_str()) {
        return d;
    }
    if !s.filename.fits(s.content) {
        return denied(
            Rule::StorageDownloadFrom,
            format!(
                "file name {} does not fit content {} (.iso/.img for iso, .tar.gz/.tar.xz/\
                 .tar.zst for vztmpl)",
                s.filename,
                s.content.as_str()
            ),
        );
    }
    if let Some(c) = &s.checksum
        && let Err(e) = c.check()
    {
        return denied(Rule::StorageDownloadFrom, e.0);
    }
    match policy.media.url_allowed(&s.url) {
        Some(prefix) => Decision::Allow {
            rule: Rule::StorageDownloadPrefix(prefix.to_string()),
        },
        None => denied(
            Rule::StorageDownloadFrom,
            format!(
                "downloading from {} is not allowed; to allow it, add its URL prefix to \
                 [storage] download_from in {}",
                s.url,
                policy.source.display()
            ),
        ),
    }
}

/// Following a node task the media grants start (`download`, `imgdel` of an ISO image
/// or template): allowed for the tasks this helper started itself, when the policy
/// still grants what started them. Others fall back to an `[api]` pattern.
pub(super) fn media_task(policy: &Policy, upid: &Upid, facts: &Facts) -> Option<Decision> {
    let granted = match upid.task_type() {
        "download" => !policy.media.download_from.is_empty(),
        "imgdel" => {
            policy.media.delete
                || policy
                    .granted_operations()
                    .contains(&Operation::BackupDelete)
        }
        _ => false,
    };
    (granted && facts.own_task).then(|| Decision::Allow {
        rule: Rule::MediaTask(upid.task_type().to_owned()),
    })
}

fn media_storage(policy: &Policy, storage: &str) -> Option<Decision> {
    if policy.media.storages.iter().any(|s| s.as_str() == storage) {
        return None;
    }
    Some(denied(
        Rule::StorageStorages,
        format!(
            "ISO images and templates on storage {storage:?} may not be changed; to allow it, add \
             {storage:?} to [storage] storages in {}",
            policy.source.display()
        ),
    ))
}
