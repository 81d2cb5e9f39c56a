//! One volume's attributes and a storage's backup groups, as pve-storage answers: `GET
//! /nodes/{node}/storage/{storage}/content/{volume}` (`PVE::API2::Storage::Content::info`:
//! path, size, used, format, notes, protected; the volume as a volume ID or a name on
//! that storage) and `GET /nodes/{node}/storage/{storage}/prunebackups`
//! (`PVE::API2::Storage::PruneBackups::dryrun`: every backup with the mark pruning would
//! give it; the simulator keeps them all). Volume names from clients are only compared.

use serde_json::{Value, json};

use super::volumes;
use crate::sim::cluster::dataset;
use crate::sim::cluster::state::Cluster;
use crate::sim::errors::ApiError;
use crate::sim::params::Params;

/// `STORAGE:NAME` for a volume given as a volume ID or as a name on `storage`
/// (`real_volume_id`); a volume ID of another storage is refused like PVE does.
fn volume_id(storage: &str, volume: &str) -> Result<String, ApiError> {
    match volume.split_once(':') {
        Some((sid, _)) if sid != storage => Err(ApiError::param(
            "volume",
            format!("volume storage '{sid}' does not match storage '{storage}'"),
        )),
        Some(_) => Ok(volume.to_owned()),
        None => Ok(format!("{storage}:{volume}")),
    }
}

/// `GET .../content/{volume}`.
pub fn info(c: &Cluster, node: &str, storage: &str, volume: &str) -> Result<Value, ApiError> {
    let Some(s) = dataset::storage(storage) else {
        return Err(ApiError::Internal(format!(
            "storage '{storage}' does not exist"
        )));
    };
    let volid = volume_id(storage, volume)?;
    let path = volumes::path(&volid);
    if let Some(f) = volumes::file(c, node, &volid) {
        let mut v = json!({"path": path, "size": f.size, "used": f.size, "format": f.format});
        if f.content == "backup" {
            v["protected"] = json!(0);
            if let Some(n) = &f.notes {
                v["notes"] = json!(n);
            }
        }
        return Ok(v);
    }
    let disk = c
        .guests
        .iter()
        .filter(|g| s.shared || g.seed.node == node)
        .flat_map(|g| g.volumes())
        .find(|v| v.volid == volid && !v.cdrom);
    match disk {
        Some(d) => {
            let format = d.volid.rsplit_once('.').map_or("raw", |(_, ext)| ext);
            Ok(json!({"path": path, "size": d.size, "used": d.size / 3, "format": format}))
        }
        None => Err(ApiError::Internal(format!("no such volume '{volid}'"))),
    }
}

/// `GET .../prunebackups[?vmid=&type=]`: every backup, marked `keep`.
pub fn prune_dry_run(
    c: &Cluster,
    node: &str,
    storage: &str,
    params: &Params,
) -> Result<Value, ApiError> {
    let mut filter = Params::default();
    filter.set("content", "backup");
    if let Some(v) = params.get("vmid") {
        filter.set("vmid", v);
    }
    let list: Vec<Value> = volumes::content(c, node, storage, &filter)?
        .into_iter()
        .filter(|v| params.get("type").is_none_or(|t| v["subtype"] == t))
        .map(|v| {
            json!({"volid": v["volid"], "ctime": v["ctime"], "mark": "keep",
                   "type": v["subtype"], "vmid": v["vmid"]})
        })
        .collect();
    Ok(Value::Array(list))
}
