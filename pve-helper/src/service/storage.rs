//! Storages and their contents. Every node's storages come from one
//! `/cluster/resources?type=storage` call, one node's from `/nodes/{node}/storage`.
//! Volume listings are filtered before they leave the helper: a volume that belongs to
//! a guest out of scope (by its `vmid`, or the vmid in a backup's or disk's name) is
//! dropped, and so is a guest volume whose guest cannot be told. Text from Proxmox is
//! untrusted: made one line and bounded.

use super::guests::lookup;
use super::outcome::{OpResult, upstream_error};
use super::state::Service;
use crate::policy::Policy;
use crate::pve::{resources::Num, sanitize};
use pve_mcp_proto::*;
use serde::Deserialize;

/// Most volumes returned by one listing.
const MAX_VOLUMES: usize = 5000;

#[derive(Deserialize)]
struct RawStorage {
    storage: String,
    node: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    plugintype: Option<String>,
    #[serde(default)]
    content: String,
    #[serde(default)]
    shared: Num,
    #[serde(default)]
    active: Option<Num>,
    status: Option<String>,
    #[serde(default)]
    total: Option<Num>,
    #[serde(default)]
    used: Option<Num>,
    #[serde(default)]
    maxdisk: Option<Num>,
    #[serde(default)]
    disk: Option<Num>,
}

fn storage_info(r: RawStorage, node: Option<&NodeName>) -> Option<StorageInfo> {
    let node = match node {
        Some(n) => n.clone(),
        None => NodeName::parse(r.node.as_deref()?).ok()?,
    };
    // /cluster/resources says type "storage" and gives the plugin in plugintype.
    let storage_type = r.plugintype.or(r.kind).unwrap_or_default();
    Some(StorageInfo {
        storage: StorageId::parse(&r.storage).ok()?,
        node,
        storage_type: sanitize(&storage_type),
        content: r
            .content
            .split(',')
            .filter(|c| !c.is_empty())
            .map(sanitize)
            .collect(),
        shared: r.shared.0 != 0.0,
        active: r
            .active
            .map_or(r.status.as_deref() == Some("available"), |a| a.0 != 0.0),
        total: r.total.or(r.maxdisk).map_or(0, Num::u64),
        used: r.used.or(r.disk).map_or(0, Num::u64),
    })
}

pub async fn list(svc: &Service, node: Option<&NodeName>) -> OpResult {
    let raw: Vec<RawStorage> = match node {
        Some(n) => svc.pve.get(&format!("/nodes/{n}/storage"), &[]).await,
        None => {
            svc.pve
                .get("/cluster/resources", &[("type", "storage")])
                .await
        }
    }
    .map_err(upstream_error)?;
    let mut out: Vec<StorageInfo> = raw
        .into_iter()
        .filter_map(|r| storage_info(r, node))
        .collect();
    out.sort_by(|a, b| (&a.node, &a.storage).cmp(&(&b.node, &b.storage)));
    Ok(Payload::Storages(out))
}

#[derive(Deserialize)]
struct RawVolume {
    volid: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    size: Num,
    #[serde(default)]
    ctime: Option<Num>,
    #[serde(default)]
    vmid: Option<Num>,
    notes: Option<String>,
}

fn volume(storage: &StorageId, v: RawVolume, vmid: Option<VmId>) -> Volume {
    Volume {
        storage: storage.clone(),
        volid: sanitize(&v.volid),
        content: sanitize(&v.content),
        format: sanitize(&v.format),
        size: v.size.u64(),
        ctime: v.ctime.map(Num::u64),
        vmid,
        notes: v.notes.map(|n| sanitize(&n)).filter(|n| !n.is_empty()),
    }
}

/// The volumes of `storage` on `node` that the client may see.
async fn volumes(
    svc: &Service,
    policy: &Policy,
    (node, storage): (&NodeName, &StorageId),
    query: &[(&str, &str)],
) -> Result<Vec<Volume>, ErrorBody> {
    let path = format!("/nodes/{node}/storage/{storage}/content");
    let raw: Vec<RawVolume> = svc.pve.get(&path, query).await.map_err(upstream_error)?;
    let snap = svc.cache.get(&svc.pve).await.map_err(upstream_error)?;
    let viewer = super::answers::Viewer {
        policy,
        snap: &snap,
    };
    Ok(raw
        .into_iter()
        .filter_map(|v| {
            let listed = v.vmid.map(|n| serde_json::Value::from(n.u64()));
            if !viewer.volume(&v.volid, listed.as_ref()) {
                return None;
            }
            let owner = crate::policy::refs::volume(&v.volid)
                .ok()
                .and_then(|vol| vol.owner)
                .or_else(|| v.vmid.and_then(|n| VmId::new(n.u64()).ok()));
            Some(volume(storage, v, owner))
        })
        .take(MAX_VOLUMES)
        .collect())
}

pub async fn content(svc: &Service, policy: &Policy, q: &ContentQuery) -> OpResult {
    let vmid = q.vmid.map(|v| v.to_string());
    let mut query = Vec::new();
    if let Some(c) = q.content {
        query.push(("content", c.as_str()));
    }
    if let Some(v) = &vmid {
        query.push(("vmid", v.as_str()));
    }
    let list = volumes(svc, policy, (&q.node, &q.storage), &query).await?;
    Ok(Payload::Volumes(list))
}

/// The storages every node reaches (`shared` in `/cluster/resources`).
pub async fn shared_storages(
    svc: &Service,
) -> Result<std::collections::BTreeSet<String>, crate::pve::PveError> {
    let raw: Vec<RawStorage> = svc
        .pve
        .get("/cluster/resources", &[("type", "storage")])
        .await?;
    Ok(raw
        .into_iter()
        .filter(|r| r.shared.0 != 0.0)
        .map(|r| r.storage)
        .collect())
}

/// A volume's size in GiB, rounded up (`GET .../content/{volume}`: for an image, its
/// virtual size, which a disk imported from it takes).
pub async fn volume_gib(
    svc: &Service,
    node: &NodeName,
    volume: &VolumeId,
) -> Result<u64, crate::pve::PveError> {
    #[derive(Deserialize)]
    struct Info {
        size: Num,
    }
    let info: Info = svc
        .pve
        .get(
            &format!(
                "/nodes/{node}/storage/{}/content/{volume}",
                volume.storage()
            ),
            &[],
        )
        .await?;
    Ok(info.size.u64().div_ceil(1 << 30))
}

/// Starts `vzdump` of one guest on its own node, to the storage the policy allowed.
pub async fn backup_start(svc: &Service, b: &BackupRequest) -> OpResult {
    let g = lookup(svc, b.vmid).await?;
    let mut map = std::collections::BTreeMap::new();
    for (k, v) in [
        ("vmid", b.vmid.to_string()),
        ("storage", b.storage.to_string()),
        ("mode", "snapshot".to_owned()),
        ("compress", "zstd".to_owned()),
    ] {
        let name = ParamName::parse(k).map_err(|e| ErrorBody::new(ErrorKind::Invalid, e.0))?;
        map.insert(name, ParamValue::Text(v));
    }
    let params = ApiParams::new(map).map_err(|e| ErrorBody::new(ErrorKind::Invalid, e.0))?;
    let data = svc
        .pve
        .call(
            ApiMethod::Post,
            &format!("/nodes/{}/vzdump", g.node),
            &params,
        )
        .await
        .map_err(upstream_error)?;
    super::guests::started_task(&data)
}

pub async fn backups(svc: &Service, policy: &Policy, vmid: VmId) -> OpResult {
    let g = lookup(svc, vmid).await?;
    let stores: Vec<RawStorage> = svc
        .pve
        .get(
            &format!("/nodes/{}/storage", g.node),
            &[("content", "backup")],
        )
        .await
        .map_err(upstream_error)?;
    let id = vmid.to_string();
    let mut out = Vec::new();
    for s in stores {
        let Ok(storage) = StorageId::parse(&s.storage) else {
            continue;
        };
        let query = [("content", "backup"), ("vmid", id.as_str())];
        let list = volumes(svc, policy, (&g.node, &storage), &query).await?;
        out.extend(list.into_iter().filter(|v| v.vmid == Some(vmid)));
    }
    out.sort_by_key(|v| std::cmp::Reverse(v.ctime));
    Ok(Payload::Volumes(out))
}
