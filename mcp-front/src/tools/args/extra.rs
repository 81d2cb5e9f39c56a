//! Arguments of the storage, task and guest agent changes around the guest lifecycle
//! (volume_delete, storage_download, task_cancel, agent_exec) and of its read-only
//! companions (firewall, list_pools), with their JSON Schemas and conversion into
//! typed requests. Untrusted model output, validated like the rest of `args`.

use super::change::{at, vmid_at};
use super::{ActionPlan, ArgError, LONG_WAIT_SECS, node, vmid, wait_for, wait_with};
use crate::change::operation::Operation;
use pve_mcp_proto::{
    AgentExec, Argv, Checksum, ChecksumAlgorithm, DownloadContent, FileName, FirewallQuery,
    HttpsUrl, NodeName, PoolName, PoolQuery, StorageDownload, StorageId, TaskCancel, Upid,
    VolumeDelete, VolumeId,
};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VolumeDeleteArgs {
    /// The node whose storage holds it, e.g. `pve1` (any node for a shared storage).
    #[schemars(length(min = 1, max = 63))]
    pub node: String,
    /// The volume as storage_content or list_backups show it: a backup
    /// (`nas:backup/vzdump-qemu-101-....vma.zst`), an ISO image (`local:iso/FILE`) or a
    /// container template (`local:vztmpl/FILE`).
    #[schemars(length(min = 3, max = 320))]
    pub volume: String,
    /// Wait until the Proxmox task finishes and report its result (default true).
    #[schemars(extend("default" = true))]
    pub wait: Option<bool>,
    /// Longest wait in seconds (1 to 3600, default 120); the task is not cancelled.
    #[schemars(range(min = 1, max = 3600), extend("default" = 120))]
    pub timeout_secs: Option<u64>,
}

impl VolumeDeleteArgs {
    pub fn into_plan(self) -> Result<ActionPlan, ArgError> {
        let volume = at("volume", VolumeId::parse(&self.volume))?;
        if !matches!(volume.content(), Some("backup" | "iso" | "vztmpl")) {
            return Err(ArgError(format!(
                "volume: {volume} is not a backup, ISO image or container template; a guest's \
                 disks go with guest_configure (delete) or guest_delete"
            )));
        }
        Ok(ActionPlan {
            request: Operation::VolumeDelete(VolumeDelete {
                node: at("node", NodeName::parse(&self.node))?,
                volume,
                confirmed: false,
            }),
            wait: wait_for(self.wait, self.timeout_secs)?,
        })
    }
}

/// What a download is.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DownloadContentArg {
    /// An ISO image (or a raw `.img`), to install VMs from.
    Iso,
    /// A container template (`.tar.gz`, `.tar.xz`, `.tar.zst`).
    Vztmpl,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChecksumAlgorithmArg {
    Sha256,
    Sha512,
}

/// The checksum the downloaded file must have; Proxmox deletes it otherwise.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecksumArgs {
    pub algorithm: ChecksumAlgorithmArg,
    /// The digest in hex: 64 digits for sha256, 128 for sha512.
    #[schemars(length(min = 64, max = 128))]
    pub value: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StorageDownloadArgs {
    /// The node that downloads it, e.g. `pve1`.
    #[schemars(length(min = 1, max = 63))]
    pub node: String,
    /// The storage to put it on, e.g. `local`; only those the policy lists.
    #[schemars(length(min = 2, max = 64))]
    pub storage: String,
    /// Where from: an `https://` URL starting with one of the prefixes the policy
    /// lists.
    #[schemars(length(min = 9, max = 2048))]
    pub url: String,
    /// `iso` for an ISO image, `vztmpl` for a container template.
    pub content: DownloadContentArg,
    /// The file name on the storage: letters, digits and `._+-`, ending in `.iso` or
    /// `.img` (iso) or `.tar.gz`, `.tar.xz`, `.tar.zst` (vztmpl), e.g.
    /// `debian-12.7.0-amd64-netinst.iso`.
    #[schemars(length(min = 5, max = 200))]
    pub filename: String,
    /// The expected checksum, verified by Proxmox after the download (recommended).
    pub checksum: Option<ChecksumArgs>,
    /// Wait until the download finishes and report its result (default true).
    #[schemars(extend("default" = true))]
    pub wait: Option<bool>,
    /// Longest wait in seconds (1 to 3600, default 600); the task is not cancelled.
    #[schemars(range(min = 1, max = 3600), extend("default" = 600))]
    pub timeout_secs: Option<u64>,
}

impl StorageDownloadArgs {
    pub fn into_plan(self) -> Result<ActionPlan, ArgError> {
        let content = match self.content {
            DownloadContentArg::Iso => DownloadContent::Iso,
            DownloadContentArg::Vztmpl => DownloadContent::Vztmpl,
        };
        let filename = at("filename", FileName::parse(&self.filename))?;
        if !filename.fits(content) {
            let ends = match content {
                DownloadContent::Iso => ".iso or .img",
                DownloadContent::Vztmpl => ".tar.gz, .tar.xz or .tar.zst",
            };
            return Err(ArgError(format!(
                "filename: {filename} does not fit content {}: it must end in {ends}",
                content.as_str()
            )));
        }
        let checksum = self
            .checksum
            .map(|c| {
                let checksum = Checksum {
                    algorithm: match c.algorithm {
                        ChecksumAlgorithmArg::Sha256 => ChecksumAlgorithm::Sha256,
                        ChecksumAlgorithmArg::Sha512 => ChecksumAlgorithm::Sha512,
                    },
                    value: c.value.to_ascii_lowercase(),
                };
                at("checksum.value", checksum.check()).map(|()| checksum)
            })
            .transpose()?;
        Ok(ActionPlan {
            request: Operation::Download(StorageDownload {
                node: at("node", NodeName::parse(&self.node))?,
                storage: at("storage", StorageId::parse(&self.storage))?,
                url: at("url", HttpsUrl::parse(&self.url))?,
                content,
                filename,
                checksum,
            }),
            wait: wait_with(self.wait, self.timeout_secs, LONG_WAIT_SECS)?,
        })
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskCancelArgs {
    /// The running task's id (UPID), as vm_action, list_tasks or another tool gave it;
    /// only a guest's task (its UPID names the vmid).
    #[schemars(length(min = 1, max = 256))]
    pub upid: String,
}

impl TaskCancelArgs {
    pub fn into_operation(self) -> Result<Operation, ArgError> {
        let upid = at("upid", Upid::parse(&self.upid))?;
        if upid.vmid().is_none() {
            return Err(ArgError(format!(
                "upid: task {upid} belongs to no guest; only tasks of guests can be stopped"
            )));
        }
        Ok(Operation::TaskCancel(TaskCancel {
            upid,
            confirmed: false,
        }))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentExecArgs {
    /// The VM's numeric id (VMID), e.g. 101.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: u64,
    /// The program and its arguments, one item each, e.g. ["systemctl", "is-active",
    /// "nginx"]. No shell runs it: pipes, redirections and `$VAR` are plain text.
    #[schemars(length(min = 1, max = 64))]
    pub argv: Vec<String>,
}

impl AgentExecArgs {
    pub fn into_request(self) -> Result<AgentExec, ArgError> {
        Ok(AgentExec {
            vmid: vmid_at("vmid", self.vmid)?,
            argv: at("argv", Argv::new(self.argv))?,
            confirmed: false,
        })
    }
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FirewallArgs {
    /// A node, e.g. `pve1`, for that node's firewall.
    #[schemars(length(min = 1, max = 63))]
    pub node: Option<String>,
    /// A guest's numeric id (VMID), e.g. 101, for that guest's firewall (its node is
    /// found from the vmid). Give node or vmid, not both; neither for the cluster's.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: Option<u64>,
}

impl FirewallArgs {
    pub fn into_request(self) -> Result<FirewallQuery, ArgError> {
        if self.node.is_some() && self.vmid.is_some() {
            return Err(ArgError(
                "give node (a node's firewall) or vmid (a guest's firewall), not both; \
                 a guest's node is found from its vmid"
                    .into(),
            ));
        }
        Ok(FirewallQuery {
            node: self.node.as_deref().map(node).transpose()?,
            vmid: self.vmid.map(vmid).transpose()?,
        })
    }
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListPoolsArgs {
    /// One pool's id, e.g. `lab`, to list its members (the guests in scope and the
    /// storages); omit it to list every pool.
    #[schemars(length(min = 1, max = 64))]
    pub pool: Option<String>,
}

impl ListPoolsArgs {
    pub fn into_request(self) -> Result<PoolQuery, ArgError> {
        Ok(PoolQuery {
            pool: self.pool.as_deref().map(PoolName::parse).transpose()?,
        })
    }
}
