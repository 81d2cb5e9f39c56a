//! Arguments of the storage tools (`list_storage`, `storage_content`, `list_backups`,
//! `backup_start`, `volume_delete`, `storage_download`), with their JSON Schemas and
//! conversion into typed requests. Untrusted model output: serde refuses unknown
//! fields, the proto newtypes every bad value, naming the rule.

use crate::{
    change::operation::{ActionPlan, Operation},
    tools::args::{ArgError, LONG_WAIT_SECS, at, node, vmid, wait_for, wait_with},
};
use pve_mcp_proto::{
    BackupRequest, Checksum, ChecksumAlgorithm, ContentQuery, ContentType, DownloadContent,
    FileName, HttpsUrl, NodeName, StorageDownload, StorageId, StorageQuery, VolumeDelete, VolumeId,
};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListStorageArgs {
    /// Only this node's; every node's when absent.
    #[schemars(length(min = 1, max = 63))]
    pub node: Option<String>,
}

/// A kind of storage content.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ContentArg {
    Images,
    Rootdir,
    Vztmpl,
    Iso,
    Backup,
    Snippets,
    Import,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StorageContentArgs {
    /// The node (for a shared storage, any node that has it).
    #[schemars(length(min = 1, max = 63))]
    pub node: String,
    /// The storage id, e.g. `local`.
    #[schemars(length(min = 2, max = 64))]
    pub storage: String,
    /// Only this kind (`images`, `rootdir`: guest disks).
    pub content: Option<ContentArg>,
    /// Only volumes of this guest.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: Option<u64>,
}

impl ListStorageArgs {
    pub fn into_request(self) -> Result<StorageQuery, ArgError> {
        Ok(StorageQuery {
            node: self.node.as_deref().map(node).transpose()?,
        })
    }
}

impl StorageContentArgs {
    pub fn into_request(self) -> Result<ContentQuery, ArgError> {
        Ok(ContentQuery {
            node: node(&self.node)?,
            storage: StorageId::parse(&self.storage)?,
            content: self.content.map(|c| match c {
                ContentArg::Images => ContentType::Images,
                ContentArg::Rootdir => ContentType::Rootdir,
                ContentArg::Vztmpl => ContentType::Vztmpl,
                ContentArg::Iso => ContentType::Iso,
                ContentArg::Backup => ContentType::Backup,
                ContentArg::Snippets => ContentType::Snippets,
                ContentArg::Import => ContentType::Import,
            }),
            vmid: self.vmid.map(vmid).transpose()?,
        })
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BackupStartArgs {
    /// The guest's VMID.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: u64,
    /// The storage to write it to.
    #[schemars(length(min = 2, max = 64))]
    pub storage: String,
    /// Wait for the task to end and report its result.
    #[schemars(extend("default" = true))]
    pub wait: Option<bool>,
    /// Longest wait in seconds; the task goes on after it.
    #[schemars(range(min = 1, max = 3600), extend("default" = 120))]
    pub timeout_secs: Option<u64>,
    /// Only show what would be sent; do nothing.
    pub dry_run: Option<bool>,
}

impl BackupStartArgs {
    pub fn into_plan(self) -> Result<ActionPlan, ArgError> {
        Ok(ActionPlan {
            request: Operation::Backup(BackupRequest {
                vmid: vmid(self.vmid)?,
                storage: StorageId::parse(&self.storage)?,
                confirmed: false,
            }),
            wait: wait_for(self.wait, self.timeout_secs)?,
            dry_run: self.dry_run == Some(true),
        })
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VolumeDeleteArgs {
    /// The node whose storage holds it.
    #[schemars(length(min = 1, max = 63))]
    pub node: String,
    /// The volume as storage_content or list_backups show it.
    #[schemars(length(min = 3, max = 320))]
    pub volume: String,
    /// Wait for the task to end and report its result.
    #[schemars(extend("default" = true))]
    pub wait: Option<bool>,
    /// Longest wait in seconds; the task goes on after it.
    #[schemars(range(min = 1, max = 3600), extend("default" = 120))]
    pub timeout_secs: Option<u64>,
    /// Only show what would be sent; do nothing.
    pub dry_run: Option<bool>,
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
            dry_run: self.dry_run == Some(true),
        })
    }
}

/// What a download is.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DownloadContentArg {
    /// An ISO (or raw `.img`) image.
    Iso,
    /// A container template.
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
    /// The digest in hex.
    #[schemars(length(min = 64, max = 128))]
    pub value: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StorageDownloadArgs {
    /// The node that downloads it.
    #[schemars(length(min = 1, max = 63))]
    pub node: String,
    /// The storage to put it on.
    #[schemars(length(min = 2, max = 64))]
    pub storage: String,
    /// An `https://` URL.
    #[schemars(length(min = 9, max = 2048))]
    pub url: String,
    /// What it is.
    pub content: DownloadContentArg,
    /// Its file name: letters, digits, `._+-`, ending in `.iso`, `.img` (iso) or
    /// `.tar.gz`, `.tar.xz`, `.tar.zst` (vztmpl).
    #[schemars(length(min = 5, max = 200))]
    pub filename: String,
    /// The checksum Proxmox verifies.
    pub checksum: Option<ChecksumArgs>,
    /// Wait for the task to end and report its result.
    #[schemars(extend("default" = true))]
    pub wait: Option<bool>,
    /// Longest wait in seconds; the task goes on after it.
    #[schemars(range(min = 1, max = 3600), extend("default" = 600))]
    pub timeout_secs: Option<u64>,
    /// Only show what would be sent; do nothing.
    pub dry_run: Option<bool>,
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
            dry_run: self.dry_run == Some(true),
        })
    }
}
