//! QEMU migration's `targetstorage` map (`PVE::JSONSchema::parse_idmap`/`map_id`:
//! `SOURCE:TARGET` entries, one default target, or `1` for the same storage): the
//! handler's checks of each target storage, and where the worker puts each local disk.
//! The map comes from the client, after the schema checked its format.

use crate::sim::cluster::dataset::{self, GuestKind};
use crate::sim::cluster::state::Guest;

/// `map_id`: the storage a volume of storage `sid` lands on, for a `targetstorage` map
/// (`SOURCE:TARGET` entries, one default target, or `1` for the same storage).
fn map_storage<'a>(map: Option<&'a str>, sid: &'a str) -> &'a str {
    let Some(map) = map else {
        return sid;
    };
    let entries = map.split([',', ';', ' ']).filter(|e| !e.is_empty());
    let mut default = None;
    for e in entries {
        match e.split_once(':') {
            Some((from, to)) if from == sid => return to,
            Some(_) => {}
            None if e != "1" => default = Some(e),
            None => {}
        }
    }
    default.unwrap_or(sid)
}

/// The migrate handler's `$check_storage_access_migrate` on each target storage.
pub fn check(map: &str) -> Result<(), String> {
    let targets = map
        .split([',', ';', ' '])
        .filter(|e| !e.is_empty() && *e != "1")
        .map(|e| e.split_once(':').map_or(e, |(_, to)| to));
    for sid in targets {
        let s = dataset::storage(sid).ok_or_else(|| format!("storage '{sid}' does not exist"))?;
        if !s.holds("images") {
            return Err(format!("storage '{sid}' does not support vm images"));
        }
    }
    Ok(())
}

/// `QemuMigrate::sync_offline_local_volumes`/`storage_migrate`: each local disk lands on
/// its mapped storage (renamed there when the storage changes), and the config follows.
pub fn move_local_disks(g: &mut Guest, local: &[String], map: Option<&str>, log: &mut Vec<String>) {
    let volumes = g.volumes();
    let mut taken: Vec<String> = volumes.iter().map(|v| v.volid.clone()).collect();
    for v in volumes.iter().filter(|v| local.contains(&v.volid)) {
        let sid = v.volid.split(':').next().unwrap_or_default();
        let target = map_storage(map, sid);
        let new = match dataset::storage(target).filter(|_| target != sid) {
            Some(s) => {
                let volid = super::volumes::new_disk(s, g.seed.vmid, GuestKind::Qemu, &taken);
                taken.push(volid.clone());
                let value = crate::sim::guests::config::file::with_volume(
                    GuestKind::Qemu,
                    &v.key,
                    &v.props,
                    &volid,
                    Some(v.size),
                );
                g.config_mut().insert(v.key.clone(), value);
                volid
            }
            None => v.volid.clone(),
        };
        log.push(format!("volume '{}' is '{new}' on the target", v.volid));
    }
    g.sync_traits();
}
