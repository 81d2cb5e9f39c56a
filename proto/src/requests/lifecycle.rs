//! Requests of the guest lifecycle: create, clone, template, configure, resize,
//! migrate, delete, restore, and the volume deletes and downloads around them. What the
//! policy bounds (sizes, storages, bridges, keys) is judged by the helper, not here.

use crate::values::{
    Bridge, Checksum, ConfigKey, ConfigMap, ConfigValue, Cores, DiskGib, DiskSlot, DownloadContent,
    FileName, GuestName, GuestType, HttpsUrl, MemoryMib, NodeName, PasswordHash, SshKeys,
    StorageId, VmId, VolumeId,
};
use serde::{Deserialize, Serialize};

/// Cloud-init settings of a new VM.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CloudInit {
    /// `ciuser`: the user cloud-init creates.
    pub user: Option<GuestName>,
    /// `cipassword`, as a crypt hash only.
    pub password_hash: Option<PasswordHash>,
    /// `sshkeys`.
    pub ssh_keys: SshKeys,
    /// `ipconfig0`, e.g. `ip=dhcp` or `ip=10.0.0.5/24,gw=10.0.0.1`.
    pub ipconfig: Option<ConfigValue>,
}

/// A new guest's first disk (VM) or root file system (container).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDisk {
    pub storage: StorageId,
    pub size_gib: DiskGib,
}

/// A guest to create from scratch. The helper places it in the policy's pool with the
/// policy's tags, and picks the next free vmid of `[create] vmids` when `vmid` is absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestCreate {
    #[serde(rename = "type")]
    pub guest_type: GuestType,
    pub node: NodeName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmid: Option<VmId>,
    pub name: GuestName,
    pub cores: Cores,
    pub memory_mib: MemoryMib,
    pub disk: NewDisk,
    /// VMs: an ISO volume attached as a CD-ROM to install from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iso: Option<VolumeId>,
    /// VMs: a disk image (e.g. a cloud image under `import/`) imported as the first disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<VolumeId>,
    /// Containers: the template (`STORAGE:vztmpl/...`) to create from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ostemplate: Option<VolumeId>,
    /// A network interface on this bridge (DHCP for containers); none when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridge: Option<Bridge>,
    /// VMs: a cloud-init drive with these settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_init: Option<CloudInit>,
    /// Containers: SSH keys for root.
    #[serde(default, skip_serializing_if = "SshKeys::is_empty")]
    pub ssh_keys: SshKeys,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<ConfigValue>,
    /// Further configuration keys, each of which `[config] keys` must list.
    #[serde(default, skip_serializing_if = "ConfigMap::is_empty")]
    pub config: ConfigMap,
}

/// A clone of a template or guest in scope. Linked clones (`full: false`) only from
/// templates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestClone {
    pub vmid: VmId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newid: Option<VmId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<GuestName>,
    /// The node the clone goes to; the source's node when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<NodeName>,
    #[serde(default = "yes")]
    pub full: bool,
    /// Storage for a full clone's disks; the source's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<ConfigValue>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

fn yes() -> bool {
    true
}

/// One guest and whether the user confirmed the operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestOp {
    pub vmid: VmId,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// A configuration change: keys to set and keys to remove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestConfigure {
    pub vmid: VmId,
    #[serde(default, skip_serializing_if = "ConfigMap::is_empty")]
    pub set: ConfigMap,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delete: Vec<ConfigKey>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// Grow one disk to `size_gib` (never shrink).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskResize {
    pub vmid: VmId,
    pub disk: DiskSlot,
    pub size_gib: DiskGib,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// Move one disk (a VM's drive, a container's `rootfs` or `mpN`) on its guest's node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskMove {
    pub vmid: VmId,
    pub disk: DiskSlot,
    pub to: MoveTarget,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// Where a moved disk goes: Proxmox moves a disk either to another storage or to
/// another guest, never both at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum MoveTarget {
    /// A copy on `storage`; the source volume stays as `unusedN` unless
    /// `delete_source`.
    Storage {
        storage: StorageId,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        delete_source: bool,
    },
    /// Guest `vmid` on the same node takes the volume (renamed for it, on the same
    /// storage) as `disk`, or as the source's slot when absent.
    Guest {
        vmid: VmId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disk: Option<DiskSlot>,
    },
}

impl DiskMove {
    /// Whether the source volume is deleted after the copy (`disk.move.delete`).
    pub fn deletes_source(&self) -> bool {
        matches!(
            self.to,
            MoveTarget::Storage {
                delete_source: true,
                ..
            }
        )
    }

    /// The guest that takes the disk, when it is another guest.
    pub fn target_guest(&self) -> Option<VmId> {
        match self.to {
            MoveTarget::Guest { vmid, .. } => Some(vmid),
            MoveTarget::Storage { .. } => None,
        }
    }
}

/// Move a guest to another node. A running VM migrates live; a running container
/// is restarted on the target (`restart`), which `online: false` refuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestMigrate {
    pub vmid: VmId,
    pub target: NodeName,
    #[serde(default = "yes")]
    pub online: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// Destroy a guest: stopped first if running, removed from jobs and HA (`purge`),
/// optionally with disks it no longer references.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestDelete {
    pub vmid: VmId,
    #[serde(default = "yes")]
    pub purge: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub destroy_unreferenced_disks: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// Restore a vzdump backup: to a new vmid on `node` (bounded like a new guest), or,
/// with `force`, over the existing guest `vmid` (destructive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupRestore {
    pub volume: VolumeId,
    pub node: NodeName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmid: Option<VmId>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force: bool,
    /// Storage for the restored disks; the backup's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageId>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// Delete one volume: a backup (`backup.delete` on its guest), or an ISO image or
/// container template (`[storage] delete`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeDelete {
    pub node: NodeName,
    pub volume: VolumeId,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// Download an ISO image or container template from a URL onto a storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageDownload {
    pub node: NodeName,
    pub storage: StorageId,
    pub url: HttpsUrl,
    pub content: DownloadContent,
    pub filename: FileName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Checksum>,
}
