//! The privileges pve-container checks for container settings, for [`super::routes`]:
//! `check_ct_modify_config_perm` (CPU, disks, memory, network, DNS and hostname,
//! features, hookscript, device nodes) and what `create_vm` checks when creating or
//! restoring a container. Values are untrusted; nothing here changes state.

use super::role::{Role, storage_path};
use super::volumes::{bridges, mount_volume, volume_access};
use crate::sim::cluster::state::Cluster;
use crate::sim::errors::ApiError;
use crate::sim::guests::config::keys::{self as cs};
use crate::sim::params::Params;

/// pve-container's `check_ct_modify_config_perm` for `changes` (a value to set, or
/// `None` to delete).
pub fn keys<'a>(
    role: Role<'_>,
    vmid: &str,
    changes: impl Iterator<Item = (&'a str, Option<&'a str>)>,
    unprivileged: bool,
) -> Result<(), ApiError> {
    for (key, value) in changes {
        let (stem, n) = cs::numbered(key);
        match key {
            "cores" | "cpuunits" | "cpulimit" => role.check_vm(vmid, &["VM.Config.CPU"])?,
            k if cs::is_lxc_volume(k) => {
                role.check_vm(vmid, &["VM.Config.Disk"])?;
                if let Some(value) = value {
                    volume(role, vmid, value)?;
                }
            }
            "memory" | "swap" => role.check_vm(vmid, &["VM.Config.Memory"])?,
            _ if stem == "net" && n.is_some() => {
                role.check_vm(vmid, &["VM.Config.Network"])?;
                bridges(role, value.map(|v| (key, v)).into_iter())?;
            }
            _ if stem == "dev" && n.is_some() => {
                return Err(ApiError::Permission(
                    "configuring device passthrough is only allowed for root@pam".into(),
                ));
            }
            "nameserver" | "searchdomain" | "hostname" => {
                role.check_vm(vmid, &["VM.Config.Network"])?
            }
            "features" => {
                let nesting_only = value.is_none_or(|v| {
                    v.split(',')
                        .all(|f| f.is_empty() || f.starts_with("nesting="))
                });
                if !unprivileged || !nesting_only {
                    return Err(ApiError::Permission(
                        "changing feature flags (except nesting) is only allowed for root@pam"
                            .into(),
                    ));
                }
                role.check_vm(vmid, &["VM.Allocate"])?;
            }
            "hookscript" => {
                return Err(ApiError::Permission(
                    "changing the hookscript is only allowed for root@pam".into(),
                ));
            }
            _ => role.check_vm(vmid, &["VM.Config.Options"])?,
        }
    }
    Ok(())
}

/// A container volume: bind and device mounts are root's; a new volume needs space on
/// its storage, an existing one access to it.
fn volume(role: Role<'_>, vmid: &str, value: &str) -> Result<(), ApiError> {
    let (volid, _) = mount_volume(value);
    if volid.starts_with('/') {
        return Err(ApiError::Permission(
            "mount point type bind is only allowed for root@pam".into(),
        ));
    }
    if crate::sim::guests::config::disks::new_disk_size(volid).is_some() {
        return role.check(&storage_path(volid), &["Datastore.AllocateSpace"]);
    }
    volume_access(role, volid, Some(vmid), Some("rootdir"))
}

/// `POST /nodes/{node}/lxc` (create or restore), after `VM.Allocate`.
pub fn create(
    role: Role<'_>,
    c: &Cluster,
    node: &str,
    vmid: &str,
    params: &Params,
    restore: bool,
) -> Result<(), ApiError> {
    let unprivileged = restore || params.get("unprivileged").is_none_or(|v| v != "0");
    let changes = params
        .iter()
        .filter(|(k, _)| !crate::sim::guests::lifecycle::create::LXC_EXTRA.contains(k))
        .map(|(k, v)| (k, Some(v)));
    keys(role, vmid, changes, unprivileged)?;
    let template = params.get("ostemplate").unwrap_or_default();
    let want = if restore { "backup" } else { "vztmpl" };
    volume_access(role, template, Some(vmid), Some(want))?;
    if !params.iter().any(|(k, _)| k == "rootfs") {
        let storage = params.get("storage").unwrap_or("local");
        role.check(&format!("/storage/{storage}"), &["Datastore.AllocateSpace"])?;
    }
    if !restore {
        return Ok(());
    }
    let backed_up = crate::sim::storage::volumes::file(c, node, template)
        .and_then(|f| f.config)
        .unwrap_or_default();
    let (conf, _, _) = crate::sim::guests::lifecycle::restore::parse_backup(&backed_up);
    bridges(role, conf.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let privileged = match params.get("unprivileged") {
        Some(v) => v == "0",
        None => conf.get("unprivileged").is_none_or(|v| v != "1"),
    };
    if privileged {
        role.check("/", &["Sys.Modify"])?;
    }
    Ok(())
}
