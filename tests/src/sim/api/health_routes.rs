//! The reads an admin's health check makes of the nodes and of Ceph: ZFS pools
//! (`/nodes/{node}/disks/zfs`), disks with their SMART health (`/disks/list`),
//! certificates (`/certificates/info`), pending package updates (`/apt/update`) and
//! Ceph's status document (`/cluster/ceph/status`), shaped as pve-manager 8.4/9 answers
//! them (`PVE::API2::Disks::ZFS::index`, `PVE::API2::Disks::list`,
//! `PVE::API2::Certificates::info`, `PVE::API2::APT::list_updates`, and the `ceph
//! status` document `PVE::API2::Cluster::Ceph::status` returns).
//!
//! The cluster is a fixed picture with a few things wrong, so a health check has
//! something to find: every node has a healthy `rpool` and an NVMe disk; the second
//! node also has a DEGRADED pool `tank` and a disk whose SMART check FAILED; the third
//! node's `pve-ssl.pem` expires in 10 days; the first has three updates pending; Ceph
//! reports HEALTH_WARN with one OSD of six down. Parameters and privileges are judged
//! by the schema before a request reaches here (`dispatch::admit`); paths are untrusted.

use crate::sim::cluster::shared::{SharedCluster, read};
use crate::sim::cluster::state::{Cluster, Node};
use crate::sim::errors::ApiError;
use crate::sim::server::reply::Reply;
use serde_json::{Value, json};
use std::time::Instant;

/// A matched endpoint, with its raw node name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Zfs(String),
    Disks(String),
    Certificates(String),
    Updates(String),
    CephStatus,
}

/// The endpoint for `method` and path segments, if this module has it.
pub fn route(method: &str, s: &[&str]) -> Option<Route> {
    if method != "GET" {
        return None;
    }
    let o = |x: &str| x.to_owned();
    Some(match s {
        ["nodes", n, "disks", "zfs"] => Route::Zfs(o(n)),
        ["nodes", n, "disks", "list"] => Route::Disks(o(n)),
        ["nodes", n, "certificates", "info"] => Route::Certificates(o(n)),
        ["nodes", n, "apt", "update"] => Route::Updates(o(n)),
        ["cluster", "ceph", "status"] => Route::CephStatus,
        _ => return None,
    })
}

const GIB: u64 = 1 << 30;
const DAY: u64 = 86_400;

fn pool(name: &str, health: &str, size_gib: u64, used_gib: u64) -> Value {
    json!({
        "name": name, "health": health, "size": size_gib * GIB, "alloc": used_gib * GIB,
        "free": (size_gib - used_gib) * GIB, "frag": 12, "dedup": 1.0,
    })
}

fn zfs(n: &Node) -> Value {
    let mut pools = vec![pool("rpool", "ONLINE", 930, 210)];
    if n.index == 1 {
        pools.push(pool("tank", "DEGRADED", 7_450, 3_100));
    }
    Value::Array(pools)
}

fn disk(devpath: &str, model: &str, kind: &str, health: &str, wearout: Value, used: &str) -> Value {
    json!({
        "devpath": devpath, "model": model, "type": kind, "health": health,
        "serial": format!("S{}", devpath.len() * 7919), "size": 1_000_204_886_016_u64,
        "gpt": 1, "used": used, "vendor": "ATA", "rpm": if kind == "hdd" { json!(7200) } else { json!(0) },
        "wearout": wearout, "osdid": -1, "osdid-list": Value::Null, "mounted": 0,
        "by_id_link": format!("/dev/disk/by-id/ata-{model}"),
        "wwn": "unknown",
    })
}

fn disks(n: &Node) -> Value {
    let mut list = vec![disk(
        "/dev/nvme0n1",
        "Samsung SSD 980 PRO 1TB",
        "nvme",
        "PASSED",
        json!(97),
        "ZFS",
    )];
    if n.index == 1 {
        list.push(disk(
            "/dev/sdb",
            "WDC WD80EFAX-68KNBN0",
            "hdd",
            "FAILED",
            json!("N/A"),
            "ZFS",
        ));
    }
    Value::Array(list)
}

fn certificate(node: &str, filename: &str, subject: &str, not_after: u64) -> Value {
    let not_before = not_after.saturating_sub(2 * 365 * DAY);
    json!({
        "filename": filename,
        "fingerprint": "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
        "issuer": "/CN=Proxmox Virtual Environment/OU=8c2f/O=PVE Cluster Manager CA",
        "subject": subject,
        "notbefore": not_before,
        "notafter": not_after,
        "public-key-type": "rsaEncryption",
        "public-key-bits": 2048,
        "san": [node, format!("{node}.lab.example"), "127.0.0.1"],
        "pem": "-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n",
    })
}

fn certificates(n: &Node) -> Value {
    let now = Cluster::epoch_now();
    let ssl_days = if n.index == 2 { 10 } else { 700 };
    json!([
        certificate(
            &n.name,
            "pve-root-ca.pem",
            "/CN=Proxmox Virtual Environment/OU=8c2f/O=PVE Cluster Manager CA",
            now + 3_000 * DAY,
        ),
        certificate(
            &n.name,
            "pve-ssl.pem",
            &format!(
                "/OU=PVE Cluster Node/O=Proxmox Virtual Environment/CN={}.lab.example",
                n.name
            ),
            now + ssl_days * DAY,
        ),
    ])
}

fn update(package: &str, old: &str, new: &str) -> Value {
    json!({
        "Package": package, "Title": format!("{package} update"), "Description": "",
        "OldVersion": old, "Version": new, "Origin": "Proxmox", "Priority": "optional",
        "Section": "admin", "Arch": "amd64",
    })
}

fn updates(n: &Node) -> Value {
    if n.index != 0 {
        return json!([]);
    }
    json!([
        update("pve-manager", "9.0.10", "9.0.11"),
        update("proxmox-kernel-6.14", "6.14.8-2", "6.14.11-1"),
        update("zfsutils-linux", "2.3.3-pve1", "2.3.4-pve1"),
    ])
}

fn ceph_status(c: &Cluster) -> Value {
    let total = 2 * c.nodes.len();
    json!({
        "fsid": "5f8d3f0e-6b1c-4b9e-9d5e-2f1f0a7c9e11",
        "health": {
            "status": "HEALTH_WARN",
            "checks": {
                "OSD_DOWN": {
                    "severity": "HEALTH_WARN",
                    "summary": {"message": "1 osds down", "count": 1},
                    "muted": false,
                },
            },
            "mutes": [],
        },
        "election_epoch": 12,
        "quorum": (0..c.nodes.len()).collect::<Vec<_>>(),
        "quorum_names": c.nodes.iter().map(|n| n.name.clone()).collect::<Vec<_>>(),
        "osdmap": {
            "epoch": 311, "num_osds": total, "num_up_osds": total - 1, "osd_up_since": 0,
            "num_in_osds": total, "osd_in_since": 0, "num_remapped_pgs": 0,
        },
        "pgmap": {"num_pgs": 129, "num_pools": 2, "data_bytes": 412 * GIB, "bytes_used": 1240 * GIB, "bytes_avail": 4_300 * GIB, "bytes_total": 5_540 * GIB},
    })
}

/// Handles one request for a route of this module.
pub fn handle(cluster: &SharedCluster, r: Route) -> Result<Reply, ApiError> {
    let c = read(cluster, Instant::now());
    let node = |name: &str| c.node(name).ok_or_else(|| ApiError::unknown_node(name));
    let data = match &r {
        Route::Zfs(n) => zfs(node(n)?),
        Route::Disks(n) => disks(node(n)?),
        Route::Certificates(n) => certificates(node(n)?),
        Route::Updates(n) => updates(node(n)?),
        Route::CephStatus => ceph_status(&c),
    };
    Ok(Reply::data(&data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            route("GET", &["nodes", "pve2", "disks", "zfs"]),
            Some(Route::Zfs("pve2".into()))
        );
        assert_eq!(route("POST", &["nodes", "pve2", "apt", "update"]), None);
        assert_eq!(
            route("GET", &["cluster", "ceph", "status"]),
            Some(Route::CephStatus)
        );
        assert_eq!(route("GET", &["nodes", "pve2", "disks"]), None);
    }
}
