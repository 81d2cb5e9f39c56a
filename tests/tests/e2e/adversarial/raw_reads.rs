//! Raw GETs the policy allows (`GET /cluster/**`, `GET /nodes/**`, `GET /pools/**`,
//! `GET /access/acl`) whose answers name guests: listings the helper must filter,
//! answers it cannot filter (logs, reports, job trees, HA state, rules) which it must
//! refuse rather than pass, an in-scope guest's cloud-init password hash (which
//! `guest_config` redacts), and paths that address out-of-scope guests, their
//! volumes, jobs and HA entries, which must read "not found".

use super::case::{Class, Expect};
use super::runner::{Runner, api, get};
use super::world::{HIDDEN_AT, LAB_CT, LAB_VM, SHARED_VM};
use serde_json::{Value, json};

pub async fn run(r: &mut Runner) {
    use Expect::RefusedOrClean;
    let b = &r.world.backups;
    let mut reads: Vec<(String, Value)> = Vec::new();
    let mut listing = |path: &str| reads.push((format!("GET {path}"), get(path)));
    for path in [
        "/cluster/resources",
        "/cluster/tasks",
        "/cluster/status",
        "/cluster/log",
        "/cluster/ha/resources",
        "/cluster/ha/groups",
        "/cluster/ha/status/current",
        "/cluster/ha/status/manager_status",
        "/cluster/ha/rules",
        "/cluster/ha/rules/keep-db-on-pve1",
        "/cluster/ha/rules/db-apart",
        "/cluster/ha/rules/lab-only",
        "/cluster/backup",
        "/cluster/backup/backup-prod",
        "/cluster/backup/backup-lab",
        "/cluster/backup/backup-all",
        "/cluster/backup/backup-mixed",
        "/cluster/backup/backup-prod/included_volumes",
        "/cluster/backup/backup-lab/included_volumes",
        "/cluster/backup/backup-all/included_volumes",
        "/cluster/backup/backup-mixed/included_volumes",
        "/cluster/backup-info/not-backed-up",
        "/cluster/replication",
        "/cluster/replication/9000-0",
        "/cluster/nextid",
        "/pools",
        "/pools/lab",
        "/pools/prod",
        "/pools/ci",
        "/access/acl",
        "/nodes",
    ] {
        listing(path);
    }
    for node in ["pve1", "pve2", "pve3"] {
        for rest in [
            "tasks",
            "syslog",
            "journal",
            "report",
            "replication",
            "qemu",
            "lxc",
            "storage",
            "storage/nas/content",
            "storage/local/content",
            "storage/local-lvm/content",
            "storage/nas/prunebackups",
            "storage/local/prunebackups",
            "status",
        ] {
            listing(&format!("/nodes/{node}/{rest}"));
        }
    }
    let with = |path: &str, data: Value| (format!("GET {path} {data}"), api("GET", path, data));
    for (path, data) in [
        ("/cluster/resources", json!({"type": "vm"})),
        ("/cluster/log", json!({"max": 1000})),
        ("/pools", json!({"poolid": "prod"})),
        ("/pools", json!({"poolid": "lab"})),
        ("/pools", json!({"type": "qemu"})),
        ("/pools/lab", json!({"type": "lxc"})),
        ("/pools/prod", json!({"type": "qemu"})),
        ("/pools/prod", json!({"type": "lxc"})),
        ("/cluster/ha/resources", json!({"type": "vm"})),
        ("/cluster/ha/rules", json!({"type": "resource-affinity"})),
        ("/nodes/pve1/tasks", json!({"source": "all", "limit": 1000})),
        ("/nodes/pve1/tasks", json!({"source": "active"})),
        ("/nodes/pve1/tasks", json!({"typefilter": "vncproxy"})),
        ("/nodes/pve1/tasks", json!({"typefilter": "imgdel"})),
        ("/nodes/pve1/tasks", json!({"userfilter": "alice"})),
        (
            "/nodes/pve1/tasks",
            json!({"errors": 0, "limit": 1000, "start": 0}),
        ),
        ("/nodes/pve1/syslog", json!({"limit": 5000})),
        ("/nodes/pve1/journal", json!({"lastentries": 5000})),
        (
            "/nodes/pve1/storage/nas/content",
            json!({"content": "backup"}),
        ),
        (
            "/nodes/pve1/storage/local-lvm/content",
            json!({"content": "images"}),
        ),
        (
            "/nodes/pve2/storage/local-lvm/content",
            json!({"content": "rootdir"}),
        ),
        ("/nodes/pve1/qemu", json!({"full": 1})),
    ] {
        reads.push(with(path, data));
    }
    // The lab VM's cloud-init password hash: PVE shows it in these.
    for rest in [
        "config",
        "pending",
        "cloudinit/dump?type=user",
        "cloudinit/dump?type=meta",
        "snapshot/before/config",
        "snapshot",
        "status/current",
    ] {
        let (rest, data) = match rest.split_once("?type=") {
            Some((p, t)) => (p, json!({"type": t})),
            None => (rest, json!({})),
        };
        let path = format!("/nodes/pve1/qemu/{LAB_VM}/{rest}");
        reads.push((format!("GET {path} {data}"), api("GET", &path, data)));
    }
    for path in [
        format!("/nodes/pve2/lxc/{LAB_CT}/config"),
        format!("/nodes/pve2/lxc/{LAB_CT}/pending"),
        format!("/nodes/pve1/storage/local/content/{}", b.lab_vm),
        format!("/nodes/pve1/vzdump/extractconfig?volume={}", b.lab_vm),
    ] {
        let (path, data) = match path.split_once("?volume=") {
            Some((p, v)) => (p.to_owned(), json!({"volume": v})),
            None => (path.clone(), json!({})),
        };
        reads.push((format!("GET {path} {data}"), api("GET", &path, data)));
    }
    // A lab VM that also holds a hidden guest's disk (an admin shared it): its config
    // names that guest, and must not be shown as it is.
    for rest in ["config", "pending", "snapshot"] {
        let path = format!("/nodes/pve1/qemu/{SHARED_VM}/{rest}");
        reads.push((format!("GET {path}"), get(&path)));
    }
    for (name, args) in reads {
        r.model(Class::RawReads, &name, "proxmox_api", args, RefusedOrClean)
            .await;
    }
    for tool in ["guest_config", "vm_status", "list_backups", "snapshot_list"] {
        let name = format!("{tool} of a lab VM holding a hidden disk");
        r.model(
            Class::RawReads,
            &name,
            tool,
            json!({"vmid": SHARED_VM}),
            RefusedOrClean,
        )
        .await;
    }
    hidden_paths(r).await;
}

/// Paths that address an out-of-scope guest, its volumes, jobs or HA entries.
async fn hidden_paths(r: &mut Runner) {
    let b = &r.world.backups;
    let mut paths: Vec<(String, Value)> = Vec::new();
    for (vmid, node, kind) in HIDDEN_AT {
        for rest in [
            "status/current",
            "config",
            "pending",
            "snapshot",
            "rrddata?timeframe=hour",
            "firewall/rules",
            "firewall/options",
        ] {
            let (rest, data) = match rest.split_once("?timeframe=") {
                Some((p, t)) => (p, json!({"timeframe": t})),
                None => (rest, json!({})),
            };
            paths.push((format!("/nodes/{node}/{kind}/{vmid}/{rest}"), data));
        }
        paths.push((format!("/cluster/ha/resources/{vmid}"), json!({})));
    }
    for (path, data) in [
        (
            "/nodes/pve1/qemu/250/cloudinit/dump",
            json!({"type": "user"}),
        ),
        (
            "/nodes/pve1/qemu/250/cloudinit/dump",
            json!({"type": "meta"}),
        ),
        ("/nodes/pve1/qemu/250/snapshot/before/config", json!({})),
        (
            "/nodes/pve1/qemu/250/agent/network-get-interfaces",
            json!({}),
        ),
        ("/nodes/pve2/qemu/250/status/current", json!({})),
        ("/nodes/pve1/lxc/250/config", json!({})),
        ("/nodes/localhost/qemu/250/config", json!({})),
        ("/cluster/ha/resources/vm:250", json!({})),
        ("/cluster/ha/resources/ct:251", json!({})),
        ("/cluster/replication/250-0", json!({})),
        ("/cluster/replication/251-0", json!({})),
        ("/nodes/pve1/replication/250-0/status", json!({})),
        ("/nodes/pve1/replication/250-0/log", json!({})),
        ("/nodes/pve2/replication/251-0/log", json!({})),
        (
            "/nodes/pve1/storage/local-lvm/content/local-lvm:vm-250-disk-0",
            json!({}),
        ),
        (
            "/nodes/pve1/storage/local-lvm/content/local-lvm:vm-250-disk-1",
            json!({}),
        ),
        (
            "/nodes/pve1/storage/local-lvm/content/local-lvm:vm-9007-disk-0",
            json!({}),
        ),
        (
            "/nodes/pve1/storage/local-lvm/content/vm-250-disk-0",
            json!({}),
        ),
    ] {
        paths.push((path.to_owned(), data));
    }
    for volume in [
        &b.hidden_250_nas,
        &b.hidden_250_local,
        &b.hidden_251_nas,
        &b.hidden_9005_local,
        &b.gone_9008_nas,
        &b.gone_9008_local,
    ] {
        let storage = volume.split(':').next().unwrap_or_default();
        for node in ["pve1", "pve2"] {
            paths.push((
                format!("/nodes/{node}/storage/{storage}/content/{volume}"),
                json!({}),
            ));
            paths.push((
                format!("/nodes/{node}/vzdump/extractconfig"),
                json!({"volume": volume}),
            ));
        }
    }
    for (path, data) in paths {
        let name = format!("GET {path} {data}");
        // A backup's volume ID holds a `/`: a refusal of every such path is as good as
        // "not found".
        let expect = if path.contains(":backup/") {
            Expect::Refused
        } else {
            Expect::NotFound
        };
        let args = api("GET", &path, data);
        r.model(Class::RawReads, &name, "proxmox_api", args, expect)
            .await;
    }
}
