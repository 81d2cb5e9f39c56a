//! How config values are written when a guest is created or changed: tags sorted and
//! de-duplicated, cloud-init passwords hashed, MAC addresses added to new NICs, pools
//! looked up; and the permission checks a token meets on `features` and on backup
//! archives. Values are untrusted client input.

use super::disks;
use super::file::ConfigMap;
use super::keys::{self as cs};
use crate::sim::cluster::dataset::{GuestKind, POOLS};
use crate::sim::cluster::state::Cluster;
use crate::sim::errors::ApiError;
use crate::sim::params::property_string as propstr;

/// A pool of the dataset, or PVE's 403 for one that does not exist.
pub fn pool(name: Option<&str>) -> Result<Option<&'static str>, ApiError> {
    match name {
        None => Ok(None),
        Some(p) => POOLS
            .iter()
            .find(|x| **x == p)
            .map(|x| Some(*x))
            .ok_or_else(|| ApiError::Permission(format!("pool '{p}' does not exist"))),
    }
}

/// A salted hash in `crypt`'s SHA-256 shape; the clear password is never stored.
pub fn hash_password(pw: &str, vmid: u32) -> String {
    let salt = format!("{:08x}", vmid.wrapping_mul(2_654_435_761));
    let d = ring::digest::digest(&ring::digest::SHA256, format!("{salt}{pw}").as_bytes());
    format!(
        "$5${salt}${}",
        crate::sim::server::tls::hex_lower(d.as_ref())
    )
}

/// Adds a MAC address to every NIC that has none, as `add_random_macs` does.
pub fn add_macs(c: &mut Cluster, kind: GuestKind, config: &mut ConfigMap) {
    let keys: Vec<String> = config
        .keys()
        .filter(|k| matches!(cs::numbered(k), ("net", Some(_))))
        .cloned()
        .collect();
    for key in keys {
        let Some(value) = config.get(&key) else {
            continue;
        };
        let (format, mac_key) = match kind {
            GuestKind::Qemu => (&cs::QEMU_NET, "macaddr"),
            GuestKind::Lxc => (&cs::LXC_NET, "hwaddr"),
        };
        let Ok(mut p) = propstr::parse(format, value, &key) else {
            continue;
        };
        if propstr::get(&p, mac_key).is_none() {
            propstr::set(&mut p, mac_key, &c.new_mac());
        }
        if kind == GuestKind::Lxc && propstr::get(&p, "type").is_none() {
            propstr::set(&mut p, "type", "veth");
        }
        let text = match kind {
            GuestKind::Qemu => propstr::print(&p, format),
            GuestKind::Lxc => lxc_net_text(&p),
        };
        config.insert(key, text);
    }
}

/// A container NIC as PVE prints it: `name=` first, then the other keys sorted.
pub fn lxc_net_text(p: &propstr::Props) -> String {
    let mut rest: Vec<&(String, String)> = p.iter().filter(|(k, _)| k != "name").collect();
    rest.sort();
    let mut parts = vec![format!(
        "name={}",
        propstr::get(p, "name").unwrap_or_default()
    )];
    parts.extend(rest.iter().map(|(k, v)| format!("{k}={v}")));
    parts.join(",")
}

/// Config values as PVE stores them: tags sorted and de-duplicated, cloud-init password
/// hashed.
pub fn normalize(kind: GuestKind, vmid: u32, key: &str, value: &str) -> String {
    match key {
        "tags" => {
            let mut tags: Vec<String> = cs::split_list(value).map(str::to_lowercase).collect();
            tags.sort();
            tags.dedup();
            tags.join(";")
        }
        "cipassword" if kind == GuestKind::Qemu && !value.starts_with('$') => {
            hash_password(value, vmid)
        }
        _ => value.to_owned(),
    }
}

/// `check_volume_access(..., 'backup')` on a restore's archive.
pub fn check_backup_volume(volid: &str) -> Result<(), ApiError> {
    if volid.starts_with('/') {
        return Err(ApiError::Internal(
            "Only root can pass arbitrary filesystem paths.".into(),
        ));
    }
    let ty = disks::vtype(volid)?;
    if ty != "backup" {
        return Err(ApiError::Internal(format!(
            "unable to use volume {volid} - content type needs to be 'backup'"
        )));
    }
    Ok(())
}

/// `check_ct_modify_config_perm` on `features` for a new container.
pub fn check_features(features: Option<&str>, unprivileged: bool) -> Result<(), ApiError> {
    let Some(f) = features else {
        return Ok(());
    };
    if !unprivileged {
        return Err(ApiError::Permission(
            "changing feature flags for privileged container is only allowed for root@pam".into(),
        ));
    }
    let props = propstr::parse(&cs::FEATURES, f, "features").unwrap_or_default();
    if props.iter().any(|(k, _)| k != "nesting") {
        return Err(ApiError::Permission(
            "changing feature flags (except nesting) is only allowed for root@pam".into(),
        ));
    }
    Ok(())
}
