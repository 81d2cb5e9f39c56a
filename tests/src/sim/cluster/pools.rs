//! Cluster-wide reads that follow the guests: `GET /pools` and `GET /pools/{poolid}`
//! (members as `PVE::API2Tools::extract_vm_stats` renders them, in Perl's string order
//! of vmids), `GET /cluster/nextid`, and `GET /nodes/{node}/vzdump/extractconfig` (a
//! backup's config text). Pool names and volume IDs from clients are only compared.

use std::time::Instant;

use serde_json::{Value, json};

use super::dataset::{FIRST_VMID, POOL_COMMENTS, POOLS};
use super::state::Cluster;
use crate::sim::errors::ApiError;
use crate::sim::render::guests::VmResource;
use crate::sim::storage::volumes;

/// `GET /pools`, or with `poolid` that pool with its members (`type` filters them).
pub fn list(
    c: &Cluster,
    poolid: Option<&str>,
    ty: Option<&str>,
    now: Instant,
) -> Result<Value, ApiError> {
    match poolid {
        Some(id) => Ok(json!([read(c, id, ty, now)?])),
        None => Ok(Value::Array(
            POOLS
                .iter()
                .zip(POOL_COMMENTS)
                .map(|(p, comment)| json!({"poolid": p, "comment": comment}))
                .collect(),
        )),
    }
}

/// `GET /pools/{poolid}`.
pub fn read(c: &Cluster, poolid: &str, ty: Option<&str>, now: Instant) -> Result<Value, ApiError> {
    let Some(at) = POOLS.iter().position(|p| *p == poolid) else {
        return Err(ApiError::Internal(format!(
            "pool '{poolid}' does not exist"
        )));
    };
    let members: Vec<Value> = c
        .resource_order
        .iter()
        .map(|&i| &c.guests[i])
        .filter(|g| g.seed.pool == Some(POOLS[at]))
        .filter(|g| ty.is_none_or(|t| t == g.seed.kind.as_str()))
        .map(|g| {
            let mut v = serde_json::to_value(VmResource::new(g, now)).unwrap_or(Value::Null);
            if let Some(m) = v.as_object_mut() {
                for k in ["pool", "tags", "lock", "hastate"] {
                    m.remove(k);
                }
            }
            v
        })
        .collect();
    Ok(json!({"comment": POOL_COMMENTS[at], "members": members, "poolid": poolid}))
}

/// `GET /cluster/nextid`: the vmid asked for if free (else 400), or the lowest free one
/// from 100. PVE answers with a string (the number went through a hash key).
pub fn nextid(c: &Cluster, vmid: Option<u32>) -> Result<Value, ApiError> {
    if let Some(v) = vmid {
        return match c.guest(v) {
            None => Ok(json!(v.to_string())),
            Some(_) => Err(ApiError::param("vmid", format!("VM {v} already exists"))),
        };
    }
    let mut next = FIRST_VMID;
    for g in &c.guests {
        if g.seed.vmid > next {
            break;
        }
        if g.seed.vmid == next {
            next += 1;
        }
    }
    if next >= 1_000_000 {
        return Err(ApiError::Internal(
            "unable to get any free VMID in range [100, 1000000]".into(),
        ));
    }
    Ok(json!(next.to_string()))
}

/// `GET /nodes/{node}/vzdump/extractconfig?volume=`: the backed-up config's text.
pub fn extractconfig(c: &Cluster, node: &str, volume: &str) -> Result<Value, ApiError> {
    crate::sim::guests::config::values::check_backup_volume(volume)?;
    match volumes::file(c, node, volume) {
        Some(f) => Ok(json!(f.config.unwrap_or_default())),
        None if volume.contains(".vma") => Err(ApiError::Internal(format!(
            "Failed to extract config from VMA archive: zstd: {}: No such file or directory",
            volumes::path(volume)
        ))),
        None => Err(ApiError::Internal(format!(
            "ERROR: file '{}' does not exist",
            volumes::path(volume)
        ))),
    }
}
