//! Guest snapshots: list, create, roll back, delete, through the guest's own node and
//! type (resolved from the vmid, never asked of the client). Changes answer with the
//! Proxmox task they started. Snapshot names and descriptions arrive validated by proto.

use super::guests::{guest_path, lookup, started_task};
use super::outcome::{OpResult, upstream_error};
use super::state::Service;
use crate::pve::{resources::Num, sanitize};
use pve_mcp_proto::*;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct RawSnapshot {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    snaptime: Option<Num>,
    #[serde(default)]
    vmstate: Option<Num>,
    #[serde(default)]
    parent: Option<String>,
}

/// Most snapshots returned; PVE itself has no hard limit, a guest rarely has 100.
const MAX_SNAPSHOTS: usize = 1000;

pub async fn list(svc: &Service, vmid: VmId) -> OpResult {
    let g = lookup(svc, vmid).await?;
    let raw: Vec<RawSnapshot> = svc
        .pve
        .get(&format!("{}/snapshot", guest_path(&g)), &[])
        .await
        .map_err(upstream_error)?;
    let mut current_parent = None;
    let mut snapshots = Vec::new();
    for s in raw {
        if s.name == "current" {
            current_parent = s.parent.map(|p| sanitize(&p));
            continue;
        }
        snapshots.push(SnapshotInfo {
            name: sanitize(&s.name),
            description: s.description.map(|d| sanitize(&d)).unwrap_or_default(),
            snaptime: s.snaptime.map(Num::u64),
            vmstate: s.vmstate.is_some_and(|v| v.0 != 0.0),
            parent: s.parent.map(|p| sanitize(&p)),
        });
    }
    snapshots.sort_by(|a, b| (a.snaptime, &a.name).cmp(&(b.snaptime, &b.name)));
    snapshots.truncate(MAX_SNAPSHOTS);
    Ok(Payload::Snapshots(SnapshotList {
        vmid,
        guest_type: g.guest_type,
        snapshots,
        current_parent,
    }))
}

fn params(pairs: Vec<(&str, ParamValue)>) -> Result<ApiParams, ErrorBody> {
    let mut map = BTreeMap::new();
    for (k, v) in pairs {
        let name = ParamName::parse(k).map_err(|e| ErrorBody::new(ErrorKind::Invalid, e.0))?;
        map.insert(name, v);
    }
    ApiParams::new(map).map_err(|e| ErrorBody::new(ErrorKind::Invalid, e.0))
}

pub async fn create(svc: &Service, c: &SnapshotCreate) -> OpResult {
    let g = lookup(svc, c.vmid).await?;
    if c.include_ram && g.guest_type == GuestType::Lxc {
        return Err(ErrorBody::new(
            ErrorKind::Invalid,
            format!(
                "container {} has no RAM state to save: take the snapshot without include_ram",
                c.vmid
            ),
        ));
    }
    let mut pairs = vec![("snapname", ParamValue::Text(c.name.to_string()))];
    if let Some(d) = &c.description {
        pairs.push(("description", ParamValue::Text(d.to_string())));
    }
    if c.include_ram {
        pairs.push(("vmstate", ParamValue::Bool(true)));
    }
    let path = format!("{}/snapshot", guest_path(&g));
    let data = svc
        .pve
        .call(ApiMethod::Post, &path, &params(pairs)?)
        .await
        .map_err(upstream_error)?;
    started_task(&data)
}

/// The configuration a rollback to `t` brings back (not redacted: `decide` reads it).
/// A snapshot that does not exist reads as an empty configuration; the rollback then
/// fails in Proxmox.
pub async fn settings(
    svc: &Service,
    t: &SnapshotTarget,
) -> Result<crate::policy::GuestSettings, crate::pve::PveError> {
    let snap = svc.cache.get(&svc.pve).await?;
    let Some(g) = snap.get(t.vmid) else {
        return Ok(Default::default());
    };
    let path = format!(
        "/nodes/{}/{}/{}/snapshot/{}/config",
        g.node,
        g.guest_type.as_str(),
        t.vmid,
        t.name
    );
    drop(snap);
    match svc
        .pve
        .get::<serde_json::Map<String, serde_json::Value>>(&path, &[])
        .await
    {
        Ok(raw) => Ok(super::lifecycle::to_settings(raw)),
        Err(crate::pve::PveError::Http {
            status: 400 | 404 | 500,
            ..
        }) => Ok(Default::default()),
        Err(e) => Err(e),
    }
}

pub async fn rollback(svc: &Service, t: &SnapshotTarget) -> OpResult {
    let g = lookup(svc, t.vmid).await?;
    let path = format!("{}/snapshot/{}/rollback", guest_path(&g), t.name);
    let data = svc
        .pve
        .call(ApiMethod::Post, &path, &ApiParams::default())
        .await
        .map_err(upstream_error)?;
    svc.cache.invalidate().await;
    started_task(&data)
}

pub async fn delete(svc: &Service, t: &SnapshotTarget) -> OpResult {
    let g = lookup(svc, t.vmid).await?;
    let path = format!("{}/snapshot/{}", guest_path(&g), t.name);
    let data = svc
        .pve
        .call(ApiMethod::Delete, &path, &ApiParams::default())
        .await
        .map_err(upstream_error)?;
    started_task(&data)
}
