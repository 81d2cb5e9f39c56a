//! Storages as `PVE::API2::Storage::Status` shows them: `GET /nodes/{node}/storage`
//! (usage per storage, filtered by `content`, `storage`, `enabled`) and `GET
//! /nodes/{node}/storage/{storage}/content` (volumes, filtered by `content` and
//! `vmid`). Contents are a pure function of the dataset: ISO images and container
//! templates on `local` and `nas`, guest disks on `local-lvm`, and one backup per
//! guest with `i % 4 == 0` on `nas` (a second one, older, when `i % 8 == 0`).

use serde_json::{Value, json};

use super::cluster::{Cluster, Node};
use super::dataset::{GuestKind, STORAGES, StorageSeed};
use super::errors::ApiError;
use super::params::Params;

/// Backups are taken at these times (seconds since the epoch), newest last.
const BACKUP_TIMES: [u64; 2] = [1_733_108_400, 1_733_713_200];

fn used(s: &StorageSeed, n: &Node) -> u64 {
    s.total_gib * 1024 * 1024 * 1024 / 100 * (20 + n.index as u64 % 50)
}

/// `GET /nodes/{node}/storage`.
pub fn list(n: &Node, params: &Params) -> Vec<Value> {
    STORAGES
        .iter()
        .filter(|s| {
            params
                .get("content")
                .is_none_or(|c| s.content.split(',').any(|x| x == c))
                && params.get("storage").is_none_or(|id| id == s.id)
        })
        .map(|s| {
            let total = s.total_gib * 1024 * 1024 * 1024;
            let used = used(s, n);
            json!({
                "storage": s.id, "type": s.plugintype, "content": s.content,
                "active": 1, "enabled": 1, "shared": u8::from(s.shared),
                "total": total, "used": used, "avail": total - used,
                "used_fraction": used as f64 / total as f64,
            })
        })
        .collect()
}

/// A file-like volume entry.
fn file(volid: String, content: &str, format: &str, size: u64, ctime: u64) -> Value {
    json!({"volid": volid, "content": content, "format": format, "size": size,
           "ctime": ctime})
}

/// `GET /nodes/{node}/storage/{storage}/content`.
pub fn content(
    c: &Cluster,
    node: &str,
    storage: &str,
    params: &Params,
) -> Result<Vec<Value>, ApiError> {
    let Some(s) = STORAGES.iter().find(|s| s.id == storage) else {
        return Err(ApiError::Internal(format!(
            "storage '{storage}' does not exist"
        )));
    };
    let mut out = Vec::new();
    let has = |c: &str| s.content.split(',').any(|x| x == c);
    if has("iso") {
        out.push(file(
            format!("{storage}:iso/debian-12.8.0-amd64-netinst.iso"),
            "iso",
            "iso",
            661_651_456,
            1_731_200_000,
        ));
    }
    if has("vztmpl") {
        out.push(file(
            format!("{storage}:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"),
            "vztmpl",
            "tzst",
            126_083_244,
            1_725_000_000,
        ));
    }
    for g in &c.guests {
        let seed = &g.seed;
        if has("images") && seed.node == node {
            let (content, prefix) = match seed.kind {
                GuestKind::Qemu => ("images", "vm"),
                GuestKind::Lxc => ("rootdir", "subvol"),
            };
            let mut v = json!({
                "volid": format!("{storage}:{prefix}-{}-disk-0", seed.vmid),
                "content": content, "format": "raw", "vmid": seed.vmid,
                "size": seed.maxdisk(), "ctime": 1_718_000_000 + u64::from(seed.vmid),
            });
            if seed.kind == GuestKind::Qemu {
                v["parent"] = Value::Null;
            }
            out.push(v);
        }
        // vzdump jobs write to the shared storage; `local` holds none.
        if has("backup") && s.shared && seed.index % 4 == 0 {
            let (kind, ext, format) = match seed.kind {
                GuestKind::Qemu => ("qemu", "vma.zst", "vma.zst"),
                GuestKind::Lxc => ("lxc", "tar.zst", "tar.zst"),
            };
            let copies = if seed.index % 8 == 0 { 2 } else { 1 };
            for t in &BACKUP_TIMES[BACKUP_TIMES.len() - copies..] {
                let stamp = backup_stamp(*t);
                out.push(json!({
                    "volid": format!("{storage}:backup/vzdump-{kind}-{}-{stamp}.{ext}", seed.vmid),
                    "content": "backup", "format": format, "vmid": seed.vmid,
                    "size": seed.maxdisk() / 5, "ctime": t,
                    "notes": seed.name, "protected": 0,
                    "subtype": kind,
                }));
            }
        }
    }
    for a in c.archives.iter().filter(|a| a.storage == storage) {
        let (kind, ext) = match a.kind {
            GuestKind::Qemu => ("qemu", "vma.zst"),
            GuestKind::Lxc => ("lxc", "tar.zst"),
        };
        out.push(json!({
            "volid": format!("{storage}:backup/vzdump-{kind}-{}-{}.{ext}", a.vmid, a.ctime),
            "content": "backup", "format": ext, "vmid": a.vmid,
            "size": 1_073_741_824, "ctime": a.ctime, "protected": 0, "subtype": kind,
        }));
    }
    out.retain(|v| {
        params.get("content").is_none_or(|c| v["content"] == c)
            && params
                .get("vmid")
                .is_none_or(|id| v["vmid"].as_u64().map(|x| x.to_string()).as_deref() == Some(id))
    });
    Ok(out)
}

/// vzdump's file name time stamp, `YYYY_MM_DD-HH_MM_SS` (UTC here).
fn backup_stamp(t: u64) -> String {
    // Both stamps fall in December 2024 (2024-12-02 and 2024-12-09, 03:00).
    let day_secs = t - 1_733_011_200; // 2024-12-01 00:00:00
    let day = 1 + day_secs / 86_400;
    let s = day_secs % 86_400;
    format!(
        "2024_12_{day:02}-{:02}_{:02}_{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}
