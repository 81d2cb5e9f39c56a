//! What an administrator does to the simulated cluster behind the API, for tests that
//! need states no API call of the token makes: edit a guest's config file (a privileged
//! container, a host device), drop a backup holding any config onto a storage, change
//! the token's role. Used by [`super::SimHandle`] and the `/_sim/` control endpoints.

use std::time::Instant;

use super::dataset::GuestKind;
use super::shared_cluster::SharedCluster;

/// Sets (`Some`) or removes (`None`) keys of guest `vmid`'s config, as editing
/// `/etc/pve/nodes/NODE/{qemu-server,lxc}/VMID.conf` does; `false` if there is no
/// such guest.
pub fn edit_config(
    cluster: &SharedCluster,
    vmid: u32,
    changes: &[(String, Option<String>)],
) -> bool {
    let mut c = cluster.write().unwrap_or_else(|e| e.into_inner());
    c.settle(Instant::now());
    let Some(g) = c.guest_mut(vmid) else {
        return false;
    };
    let config = g.config_mut();
    for (key, value) in changes {
        match value {
            Some(v) => {
                config.insert(key.clone(), v.clone());
            }
            None => {
                config.remove(key);
            }
        }
    }
    g.sync_traits();
    true
}

/// Puts a backup of guest `vmid` (of `kind`) holding `config` on `storage` of `node`;
/// returns its volume ID.
pub fn add_backup(
    cluster: &SharedCluster,
    node: &str,
    storage: &str,
    kind: GuestKind,
    vmid: u32,
    config: &str,
) -> Result<String, String> {
    let mut c = cluster.write().unwrap_or_else(|e| e.into_inner());
    c.add_backup(node, storage, kind, vmid, config)
}

/// Gives the token a role of exactly `privileges`, checked from now on; `None` goes
/// back to the default role, which is not checked.
pub fn set_role(cluster: &SharedCluster, privileges: Option<&[String]>) {
    let mut c = cluster.write().unwrap_or_else(|e| e.into_inner());
    c.role = privileges.map(|p| p.iter().cloned().collect());
}
