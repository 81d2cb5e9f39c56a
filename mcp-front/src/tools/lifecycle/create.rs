//! Arguments of the tools that make a guest (guest_create, guest_clone,
//! backup_restore), with their JSON Schemas and conversion into typed requests.
//! Untrusted model output, validated like every tool's arguments: every error names the
//! argument it is about, and arguments that do not fit the kind of guest are refused
//! here rather than ignored.

use super::change::config_map;
use crate::{
    change::operation::{ActionPlan, Operation},
    tools::{
        args::{ArgError, LONG_WAIT_SECS, at, vmid_at, wait_with},
        guests::args::TypeArg,
    },
};
use pve_mcp_proto::{
    BackupRestore, Bridge, CloudInit, ConfigValue, Cores, DiskGib, GuestClone, GuestCreate,
    GuestName, GuestType, MemoryMib, NewDisk, NodeName, PasswordHash, SshKeys, StorageId, VolumeId,
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

/// A new guest's first disk.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDiskArgs {
    /// Its storage, e.g. `local-lvm`.
    #[schemars(length(min = 2, max = 64))]
    pub storage: String,
    /// Its size in GiB.
    #[schemars(range(min = 1, max = 131_072))]
    pub size_gib: u64,
}

/// Cloud-init settings of a new VM (its image must run cloud-init).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CloudInitArgs {
    /// The user to create, e.g. `admin`.
    #[schemars(length(min = 1, max = 128))]
    pub user: Option<String>,
    /// Its password as a crypt hash (`$6$...`, `$y$...`, e.g. from `openssl passwd
    /// -6`); a clear password is refused.
    #[schemars(length(min = 10, max = 520))]
    pub password_hash: Option<String>,
    /// Its SSH public keys, one per item.
    #[schemars(length(max = 32))]
    pub ssh_keys: Option<Vec<String>>,
    /// `ip=dhcp` or e.g. `ip=10.0.0.5/24,gw=10.0.0.1` (`,ip6=...` for IPv6).
    #[schemars(length(min = 1, max = 512))]
    pub ipconfig: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestCreateArgs {
    /// `qemu` (VM) or `lxc` (container).
    #[serde(rename = "type")]
    pub guest_type: TypeArg,
    /// The node, e.g. `pve1`.
    #[schemars(length(min = 1, max = 63))]
    pub node: String,
    /// Its VMID; omit it for the next free one.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: Option<u64>,
    /// Name (VM) or hostname (container), a DNS name, e.g. `web-02`.
    #[schemars(length(min = 1, max = 128))]
    pub name: String,
    /// Virtual CPU cores.
    #[schemars(range(min = 1, max = 1024))]
    pub cores: u64,
    /// Memory in MiB, e.g. 2048.
    #[schemars(range(min = 16, max = 16_777_216))]
    pub memory_mib: u64,
    /// The first disk (VM) or root file system (container).
    pub disk: NewDiskArgs,
    /// VMs: an ISO image to install from, `STORAGE:iso/FILE` (see storage_content).
    #[schemars(length(min = 3, max = 320))]
    pub iso: Option<String>,
    /// VMs: a disk image to import as the first disk, e.g. a cloud image
    /// `local:import/debian-12-genericcloud-amd64.qcow2`.
    #[schemars(length(min = 3, max = 320))]
    pub image: Option<String>,
    /// Containers (required): the template, `STORAGE:vztmpl/FILE`.
    #[schemars(length(min = 3, max = 320))]
    pub ostemplate: Option<String>,
    /// A network interface on this bridge, e.g. `vmbr0` (containers: DHCP); none
    /// when absent.
    #[schemars(length(min = 1, max = 15))]
    pub bridge: Option<String>,
    /// VMs: cloud-init settings.
    pub cloud_init: Option<CloudInitArgs>,
    /// Containers: root's SSH public keys, one per item (VMs: in cloud_init).
    #[schemars(length(max = 32))]
    pub ssh_keys: Option<Vec<String>>,
    /// Notes shown in Proxmox.
    #[schemars(length(max = 8192))]
    pub description: Option<String>,
    /// More keys as Proxmox spells them, e.g. {"onboot": true, "ostype": "l26"}.
    #[schemars(extend("maxProperties" = 64))]
    pub config: Option<Map<String, Value>>,
    /// Wait for the task to end and report its result.
    #[schemars(extend("default" = true))]
    pub wait: Option<bool>,
    /// Longest wait in seconds; the task goes on after it.
    #[schemars(range(min = 1, max = 3600), extend("default" = 600))]
    pub timeout_secs: Option<u64>,
    /// Only show what would be sent; do nothing.
    pub dry_run: Option<bool>,
}

/// Refuses the argument `name` when it was given: it does not apply to this guest.
fn absent<T>(name: &str, value: &Option<T>, why: &str) -> Result<(), ArgError> {
    match value {
        Some(_) => Err(ArgError(format!("{name} {why}"))),
        None => Ok(()),
    }
}

/// The volume `name`, which must hold `content` (`iso`, `vztmpl`, `backup`) if given.
fn volume(name: &str, s: &str, content: Option<(&str, &str)>) -> Result<VolumeId, ArgError> {
    let v = at(name, VolumeId::parse(s))?;
    match content {
        Some((dir, what)) if v.content() != Some(dir) => Err(ArgError(format!(
            "{name}: {v} is not {what} (STORAGE:{dir}/FILE); see storage_content"
        ))),
        _ => Ok(v),
    }
}

fn ssh_keys(name: &str, keys: Option<Vec<String>>) -> Result<SshKeys, ArgError> {
    at(name, SshKeys::new(keys.unwrap_or_default()))
}

fn description(s: Option<String>) -> Result<Option<ConfigValue>, ArgError> {
    s.filter(|d| !d.is_empty())
        .map(|d| at("description", ConfigValue::parse(&d)))
        .transpose()
}

impl CloudInitArgs {
    fn into_proto(self) -> Result<CloudInit, ArgError> {
        Ok(CloudInit {
            user: self
                .user
                .map(|u| at("cloud_init.user", GuestName::parse(&u)))
                .transpose()?,
            password_hash: self
                .password_hash
                .map(|p| at("cloud_init.password_hash", PasswordHash::parse(&p)))
                .transpose()?,
            ssh_keys: ssh_keys("cloud_init.ssh_keys", self.ssh_keys)?,
            ipconfig: self
                .ipconfig
                .map(|i| at("cloud_init.ipconfig", ConfigValue::parse(&i)))
                .transpose()?,
        })
    }
}

impl GuestCreateArgs {
    /// Refuses the arguments that do not apply to this kind of guest.
    fn check_kind(&self) -> Result<GuestType, ArgError> {
        match self.guest_type {
            TypeArg::Qemu => {
                let why = "is for containers (type lxc): a VM installs from iso or image";
                absent("ostemplate", &self.ostemplate, why)?;
                absent(
                    "ssh_keys",
                    &self.ssh_keys,
                    "is for containers (type lxc): give a VM's keys in cloud_init.ssh_keys",
                )?;
                Ok(GuestType::Qemu)
            }
            TypeArg::Lxc => {
                let why = "is for VMs (type qemu): a container is made from ostemplate";
                absent("iso", &self.iso, why)?;
                absent("image", &self.image, why)?;
                absent(
                    "cloud_init",
                    &self.cloud_init,
                    "is for VMs (type qemu): give a container's keys in ssh_keys",
                )?;
                if self.ostemplate.is_none() {
                    return Err(ArgError(
                        "ostemplate is required for a container: a template such as \
                         local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst (see \
                         storage_content with content vztmpl)"
                            .into(),
                    ));
                }
                Ok(GuestType::Lxc)
            }
        }
    }

    pub fn into_plan(self) -> Result<ActionPlan, ArgError> {
        let guest_type = self.check_kind()?;
        let iso = self.iso.as_deref();
        let template = self.ostemplate.as_deref();
        let create = GuestCreate {
            guest_type,
            node: at("node", NodeName::parse(&self.node))?,
            vmid: self.vmid.map(|v| vmid_at("vmid", v)).transpose()?,
            name: at("name", GuestName::parse(&self.name))?,
            cores: at("cores", Cores::new(self.cores))?,
            memory_mib: at("memory_mib", MemoryMib::new(self.memory_mib))?,
            disk: NewDisk {
                storage: at("disk.storage", StorageId::parse(&self.disk.storage))?,
                size_gib: at("disk.size_gib", DiskGib::new(self.disk.size_gib))?,
            },
            iso: iso
                .map(|v| volume("iso", v, Some(("iso", "an ISO image"))))
                .transpose()?,
            image: self
                .image
                .as_deref()
                .map(|v| volume("image", v, None))
                .transpose()?,
            ostemplate: template
                .map(|v| volume("ostemplate", v, Some(("vztmpl", "a container template"))))
                .transpose()?,
            bridge: self
                .bridge
                .as_deref()
                .map(|b| at("bridge", Bridge::parse(b)))
                .transpose()?,
            cloud_init: self.cloud_init.map(CloudInitArgs::into_proto).transpose()?,
            ssh_keys: ssh_keys("ssh_keys", self.ssh_keys)?,
            description: description(self.description)?,
            config: config_map("config", self.config.unwrap_or_default(), "omit the key")?,
        };
        Ok(ActionPlan {
            request: Operation::Create(Box::new(create)),
            wait: wait_with(self.wait, self.timeout_secs, LONG_WAIT_SECS)?,
            dry_run: self.dry_run == Some(true),
        })
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestCloneArgs {
    /// The VMID of the guest or template to clone.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: u64,
    /// The clone's VMID; omit it for the next free one.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub newid: Option<u64>,
    /// The clone's name (a DNS name); Proxmox derives one when absent.
    #[schemars(length(min = 1, max = 128))]
    pub name: Option<String>,
    /// The clone's node; the source's when absent.
    #[schemars(length(min = 1, max = 63))]
    pub target: Option<String>,
    /// A full clone; false makes a linked clone (of a template only).
    #[schemars(extend("default" = true))]
    pub full: Option<bool>,
    /// Full clones: the storage for its disks; the source's when absent.
    #[schemars(length(min = 2, max = 64))]
    pub storage: Option<String>,
    /// Notes shown in Proxmox.
    #[schemars(length(max = 8192))]
    pub description: Option<String>,
    /// Wait for the task to end and report its result.
    #[schemars(extend("default" = true))]
    pub wait: Option<bool>,
    /// Longest wait in seconds; the task goes on after it.
    #[schemars(range(min = 1, max = 3600), extend("default" = 600))]
    pub timeout_secs: Option<u64>,
    /// Only show what would be sent; do nothing.
    pub dry_run: Option<bool>,
}

impl GuestCloneArgs {
    pub fn into_plan(self) -> Result<ActionPlan, ArgError> {
        let full = self.full.unwrap_or(true);
        if !full && self.storage.is_some() {
            return Err(ArgError(
                "storage applies to full clones only: a linked clone (full false) keeps its \
                 disks on the template's storage"
                    .into(),
            ));
        }
        if self.newid == Some(self.vmid) {
            return Err(ArgError(
                "newid must differ from vmid: the clone is a new guest".into(),
            ));
        }
        let clone = GuestClone {
            vmid: vmid_at("vmid", self.vmid)?,
            newid: self.newid.map(|v| vmid_at("newid", v)).transpose()?,
            name: self
                .name
                .map(|n| at("name", GuestName::parse(&n)))
                .transpose()?,
            target: self
                .target
                .map(|t| at("target", NodeName::parse(&t)))
                .transpose()?,
            full,
            storage: self
                .storage
                .map(|s| at("storage", StorageId::parse(&s)))
                .transpose()?,
            description: description(self.description)?,
            confirmed: false,
        };
        Ok(ActionPlan {
            request: Operation::Clone(clone),
            wait: wait_with(self.wait, self.timeout_secs, LONG_WAIT_SECS)?,
            dry_run: self.dry_run == Some(true),
        })
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BackupRestoreArgs {
    /// The backup volume, as list_backups shows it.
    #[schemars(length(min = 3, max = 320))]
    pub volume: String,
    /// The node to restore on.
    #[schemars(length(min = 1, max = 63))]
    pub node: String,
    /// A new VMID (omit it for the next free one), or with `force` the guest to
    /// replace.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: Option<u64>,
    /// Replace the existing guest `vmid`'s disks and configuration by the backup's.
    #[schemars(extend("default" = false))]
    pub force: Option<bool>,
    /// The storage for its disks; the backup's when absent.
    #[schemars(length(min = 2, max = 64))]
    pub storage: Option<String>,
    /// Wait for the task to end and report its result.
    #[schemars(extend("default" = true))]
    pub wait: Option<bool>,
    /// Longest wait in seconds; the task goes on after it.
    #[schemars(range(min = 1, max = 3600), extend("default" = 600))]
    pub timeout_secs: Option<u64>,
    /// Only show what would be sent; do nothing.
    pub dry_run: Option<bool>,
}

impl BackupRestoreArgs {
    pub fn into_plan(self) -> Result<ActionPlan, ArgError> {
        let force = self.force.unwrap_or(false);
        if force && self.vmid.is_none() {
            return Err(ArgError(
                "force replaces an existing guest: give its vmid (or drop force to restore \
                 to a new guest)"
                    .into(),
            ));
        }
        let restore = BackupRestore {
            volume: volume("volume", &self.volume, Some(("backup", "a backup")))?,
            node: at("node", NodeName::parse(&self.node))?,
            vmid: self.vmid.map(|v| vmid_at("vmid", v)).transpose()?,
            force,
            storage: self
                .storage
                .map(|s| at("storage", StorageId::parse(&s)))
                .transpose()?,
            confirmed: false,
        };
        Ok(ActionPlan {
            request: Operation::Restore(restore),
            wait: wait_with(self.wait, self.timeout_secs, LONG_WAIT_SECS)?,
            dry_run: self.dry_run == Some(true),
        })
    }
}

#[cfg(test)]
mod tests;
