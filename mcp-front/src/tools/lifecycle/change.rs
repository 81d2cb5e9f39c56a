//! Arguments of the tools that change or remove an existing guest (guest_template,
//! guest_configure, disk_resize, guest_migrate, guest_delete), with their JSON Schemas
//! and conversion into typed requests; and the conversion of configuration keys and
//! values that guest_create shares. Untrusted model output, validated like every
//! tool's arguments: every error names the argument it is about.

use crate::{
    change::operation::{ActionPlan, Operation},
    tools::args::{ArgError, LONG_WAIT_SECS, at, vmid_at, wait_for, wait_with},
};
use pve_mcp_proto::{
    ConfigKey, ConfigMap, ConfigValue, DiskGib, DiskResize, DiskSlot, GuestConfigure, GuestDelete,
    GuestMigrate, GuestOp, NodeName, PasswordHash, SshKeys,
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A configuration value as the model gives it: text, an integer or a boolean.
fn config_value(name: &str, value: Value, remove_hint: &str) -> Result<ConfigValue, ArgError> {
    let text = match value {
        Value::String(s) => s,
        Value::Bool(b) => u8::from(b).to_string(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => {
                return Err(ArgError(format!(
                    "{name}: {n} is not an integer; give other numbers as text, e.g. \"0.5\""
                )));
            }
        },
        Value::Null => return Err(ArgError(format!("{name} is null: {remove_hint}"))),
        Value::Array(_) | Value::Object(_) => {
            return Err(ArgError(format!(
                "{name} is an array or object: values are text, integers or booleans \
                 (Proxmox takes lists as comma-separated text)"
            )));
        }
    };
    at(name, ConfigValue::parse(&text))
}

/// Checks the values that must never carry a secret in the clear or an option in
/// disguise: `cipassword` (a crypt hash only) and `sshkeys` (public key lines only).
fn check_secret(name: &str, key: &str, value: &ConfigValue) -> Result<(), ArgError> {
    match key {
        "cipassword" => at(name, PasswordHash::parse(value.as_str()).map(drop)),
        "sshkeys" => value
            .as_str()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .try_for_each(|l| at(name, SshKeys::check(l))),
        _ => Ok(()),
    }
}

/// The object `name` of configuration keys and values (`{"cores": 4, "onboot":
/// true}`) as a [`ConfigMap`].
pub(super) fn config_map(
    name: &str,
    map: Map<String, Value>,
    remove_hint: &str,
) -> Result<ConfigMap, ArgError> {
    if map.len() > ConfigMap::MAX_KEYS {
        return Err(ArgError(format!(
            "{name} has {} keys; at most {} are allowed",
            map.len(),
            ConfigMap::MAX_KEYS
        )));
    }
    let mut out = BTreeMap::new();
    for (k, v) in map {
        let key = at(name, ConfigKey::parse(&k))?;
        let at_key = format!("{name}.{k}");
        let value = config_value(&at_key, v, remove_hint)?;
        check_secret(&at_key, &k, &value)?;
        out.insert(key, value);
    }
    at(name, ConfigMap::new(out))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestTemplateArgs {
    /// The stopped guest's VMID.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: u64,
    /// Wait for the task to end and report its result.
    #[schemars(extend("default" = true))]
    pub wait: Option<bool>,
    /// Longest wait in seconds; the task goes on after it.
    #[schemars(range(min = 1, max = 3600), extend("default" = 120))]
    pub timeout_secs: Option<u64>,
    /// Only show what would be sent; do nothing.
    pub dry_run: Option<bool>,
}

impl GuestTemplateArgs {
    pub fn into_plan(self) -> Result<ActionPlan, ArgError> {
        Ok(ActionPlan {
            request: Operation::Template(GuestOp {
                vmid: vmid_at("vmid", self.vmid)?,
                confirmed: false,
            }),
            wait: wait_for(self.wait, self.timeout_secs)?,
            dry_run: self.dry_run == Some(true),
        })
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestConfigureArgs {
    /// The guest's VMID.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: u64,
    /// Keys to set, e.g. {"cores": 4, "onboot": true, "net1": "virtio,bridge=vmbr1"}.
    /// `cipassword` as a crypt hash (e.g. from `openssl passwd -6`).
    #[schemars(extend("maxProperties" = 64))]
    pub set: Option<Map<String, Value>>,
    /// Keys to remove, e.g. ["net1"]; a removed disk becomes unused.
    pub delete: Option<Vec<String>>,
    /// Wait for the task to end and report its result.
    #[schemars(extend("default" = true))]
    pub wait: Option<bool>,
    /// Longest wait in seconds; the task goes on after it.
    #[schemars(range(min = 1, max = 3600), extend("default" = 120))]
    pub timeout_secs: Option<u64>,
    /// Only show what would be sent; do nothing.
    pub dry_run: Option<bool>,
}

impl GuestConfigureArgs {
    pub fn into_plan(self) -> Result<ActionPlan, ArgError> {
        let vmid = vmid_at("vmid", self.vmid)?;
        let set = config_map(
            "set",
            self.set.unwrap_or_default(),
            "to remove a key, name it in delete",
        )?;
        let mut delete: Vec<ConfigKey> = Vec::new();
        for k in self.delete.unwrap_or_default() {
            let key = at("delete", ConfigKey::parse(&k))?;
            if set.get(key.as_str()).is_some() {
                return Err(ArgError(format!(
                    "{key} is both in set and in delete: set it or remove it"
                )));
            }
            if !delete.contains(&key) {
                delete.push(key);
            }
        }
        if set.is_empty() && delete.is_empty() {
            return Err(ArgError(
                "nothing to change: give set (keys to set) or delete (keys to remove)".into(),
            ));
        }
        Ok(ActionPlan {
            request: Operation::Configure(GuestConfigure {
                vmid,
                set,
                delete,
                confirmed: false,
            }),
            wait: wait_for(self.wait, self.timeout_secs)?,
            dry_run: self.dry_run == Some(true),
        })
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiskResizeArgs {
    /// The guest's VMID.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: u64,
    /// The disk, e.g. `scsi0`, `virtio0` (VMs), `rootfs`, `mp0` (containers).
    #[schemars(length(min = 3, max = 9))]
    pub disk: String,
    /// The new size in GiB, larger than now.
    #[schemars(range(min = 1, max = 131_072))]
    pub size_gib: u64,
    /// Wait for the task to end and report its result.
    #[schemars(extend("default" = true))]
    pub wait: Option<bool>,
    /// Longest wait in seconds; the task goes on after it.
    #[schemars(range(min = 1, max = 3600), extend("default" = 120))]
    pub timeout_secs: Option<u64>,
    /// Only show what would be sent; do nothing.
    pub dry_run: Option<bool>,
}

impl DiskResizeArgs {
    pub fn into_plan(self) -> Result<ActionPlan, ArgError> {
        Ok(ActionPlan {
            request: Operation::Resize(DiskResize {
                vmid: vmid_at("vmid", self.vmid)?,
                disk: at("disk", DiskSlot::parse(&self.disk))?,
                size_gib: at("size_gib", DiskGib::new(self.size_gib))?,
                confirmed: false,
            }),
            wait: wait_for(self.wait, self.timeout_secs)?,
            dry_run: self.dry_run == Some(true),
        })
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestMigrateArgs {
    /// The guest's VMID.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: u64,
    /// The node to move it to.
    #[schemars(length(min = 1, max = 63))]
    pub target: String,
    /// Move it while it runs; false refuses a running guest.
    #[schemars(extend("default" = true))]
    pub online: Option<bool>,
    /// Wait for the task to end and report its result.
    #[schemars(extend("default" = true))]
    pub wait: Option<bool>,
    /// Longest wait in seconds; the task goes on after it.
    #[schemars(range(min = 1, max = 3600), extend("default" = 600))]
    pub timeout_secs: Option<u64>,
    /// Only show what would be sent; do nothing.
    pub dry_run: Option<bool>,
}

impl GuestMigrateArgs {
    pub fn into_plan(self) -> Result<ActionPlan, ArgError> {
        Ok(ActionPlan {
            request: Operation::Migrate(GuestMigrate {
                vmid: vmid_at("vmid", self.vmid)?,
                target: at("target", NodeName::parse(&self.target))?,
                online: self.online.unwrap_or(true),
                confirmed: false,
            }),
            wait: wait_with(self.wait, self.timeout_secs, LONG_WAIT_SECS)?,
            dry_run: self.dry_run == Some(true),
        })
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestDeleteArgs {
    /// The VMID of the guest to destroy.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: u64,
    /// Also remove it from backup and replication jobs and HA.
    #[schemars(extend("default" = true))]
    pub purge: Option<bool>,
    /// Also destroy its disks the configuration no longer references.
    #[schemars(extend("default" = false))]
    pub destroy_unreferenced_disks: Option<bool>,
    /// Wait for the task to end and report its result.
    #[schemars(extend("default" = true))]
    pub wait: Option<bool>,
    /// Longest wait in seconds; the task goes on after it.
    #[schemars(range(min = 1, max = 3600), extend("default" = 120))]
    pub timeout_secs: Option<u64>,
    /// Only show what would be sent; do nothing.
    pub dry_run: Option<bool>,
}

impl GuestDeleteArgs {
    pub fn into_plan(self) -> Result<ActionPlan, ArgError> {
        Ok(ActionPlan {
            request: Operation::Delete(GuestDelete {
                vmid: vmid_at("vmid", self.vmid)?,
                purge: self.purge.unwrap_or(true),
                destroy_unreferenced_disks: self.destroy_unreferenced_disks.unwrap_or(false),
                confirmed: false,
            }),
            wait: wait_for(self.wait, self.timeout_secs)?,
            dry_run: self.dry_run == Some(true),
        })
    }
}

#[cfg(test)]
mod tests;
