//! The reading tools on the seeded lab: guests, their status, configuration and
//! usage, the cluster, nodes, storages, backups, pools, tasks, the policy, and the raw
//! GETs the lab builder allows. Each answer is compared with what fakepve shows root;
//! the guests outside the lab pool never appear, and are "not found" by id.

use super::{Lab, OUT_OF_SCOPE, in_scope, steps::Expect};
use pve_mcp_tests::client::listed_guests;
use serde_json::{Value, json};

fn ids(list: &Value, key: &str) -> Vec<u64> {
    let mut ids: Vec<u64> = list
        .as_array()
        .map(|l| l.iter().filter_map(|g| g[key].as_u64()).collect())
        .unwrap_or_default();
    ids.sort_unstable();
    ids
}

fn strings(list: &Value, key: &str) -> Vec<String> {
    let mut out: Vec<String> = list
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|v| v[key].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// No guest outside the scope anywhere in `answer`.
fn hides_out_of_scope(step: &str, answer: &Value) {
    let text = answer.to_string();
    for vmid in OUT_OF_SCOPE {
        for needle in [
            format!("\"vmid\":{vmid}"),
            format!("/{vmid}\""),
            format!("-{vmid}-"),
        ] {
            assert!(
                !text.contains(&needle),
                "{step}: guest {vmid} leaks: {text}"
            );
        }
    }
}

pub async fn guests(lab: &mut Lab) {
    let listed = lab.ok("list the lab", "list_vms", json!({})).await;
    assert_eq!(
        ids(&Value::Array(listed_guests(&listed)), "vmid"),
        in_scope(),
        "{listed}"
    );
    let all = lab.root.guests().await;
    assert_eq!(
        all.len(),
        in_scope().len() + OUT_OF_SCOPE.len(),
        "root sees all"
    );

    let status = lab.ok("status", "vm_status", json!({"vmid": 100})).await;
    assert_eq!(status["guest"]["status"], "running", "{status}");
    assert_eq!(lab.root.status(100).await, "running");
    lab.not_found("status out of scope", "vm_status", json!({"vmid": 200}))
        .await;
    lab.not_found("config out of scope", "guest_config", json!({"vmid": 210}))
        .await;

    let config = lab
        .ok("configuration", "guest_config", json!({"vmid": 101}))
        .await;
    let root = lab.root.config(101).await;
    for key in ["scsi0", "net0", "boot", "name"] {
        assert_eq!(config["config"][key], root[key], "{key}: {config}");
    }

    let usage = lab.ok("usage", "guest_metrics", json!({"vmid": 100})).await;
    let rrd = lab
        .root
        .get_with("/nodes/pve1/qemu/100/rrddata", &[("timeframe", "hour")])
        .await;
    lab.gap(
        "usage",
        "rrddata answers a placeholder ([{}]): no usage figures to summarize",
        rrd == json!([{}]) && usage["points"] == 0,
        &format!("{rrd} / {usage}"),
    );
}

pub async fn cluster(lab: &mut Lab) {
    let cluster = lab.ok("cluster", "cluster_status", json!({})).await;
    assert_eq!(cluster["quorate"], true, "{cluster}");
    assert_eq!(strings(&cluster["nodes"], "name"), ["pve1", "pve2", "pve3"]);

    let nodes = lab.ok("nodes", "node_status", json!({})).await;
    assert_eq!(strings(&nodes["nodes"], "node"), ["pve1", "pve2", "pve3"]);
    assert!(
        nodes["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["status"] == "online"),
        "{nodes}"
    );
    let node = lab
        .ok("one node", "node_status", json!({"node": "pve1"}))
        .await;
    lab.gap(
        "one node",
        "/nodes/{node}/status answers a placeholder (pveversion and CPU model \"fake\", no memory)",
        node["nodes"][0]["pveversion"] == "fake" && node["nodes"][0]["maxmem"] == 0,
        &node.to_string(),
    );

    // The node's interfaces as root sees them, each bridge with its standing under the
    // lab builder's [bounds] bridges (vmbr0 and vmbr1).
    let nets = lab
        .ok("networks", "node_networks", json!({"node": "pve1"}))
        .await;
    let root = lab.root.get("/nodes/pve1/network").await;
    assert_eq!(
        strings(&nets["interfaces"], "iface"),
        strings(&root, "iface"),
        "{nets} {root}"
    );
    for i in nets["interfaces"].as_array().unwrap() {
        let bridge = i["type"] == "bridge" || i["type"] == "OVSBridge";
        let allowed = i["iface"] == "vmbr0" || i["iface"] == "vmbr1";
        match bridge {
            true => assert_eq!(i["guests_may_use"], allowed, "{i}"),
            false => assert!(i.get("guests_may_use").is_none(), "{i}"),
        }
    }
    assert!(
        strings(&nets["interfaces"], "iface").contains(&"vmbr0".to_owned()),
        "{nets}"
    );

    let storages = lab.ok("storages", "list_storage", json!({})).await;
    assert_eq!(
        storages["storages"].as_array().map(Vec::len),
        Some(6),
        "{storages}"
    );

    let pools = lab.ok("pools", "list_pools", json!({})).await;
    assert_eq!(strings(&pools["pools"], "pool"), ["lab"]);
    let pool = lab
        .ok("the lab pool", "list_pools", json!({"pool": "lab"}))
        .await;
    assert_eq!(
        ids(&pool["pools"][0]["members"], "vmid"),
        in_scope(),
        "{pool}"
    );
    hides_out_of_scope("the lab pool", &pool);

    let next = lab.ok("next vmid", "next_vmid", json!({})).await;
    assert_eq!(next["vmid"], 9000, "{next}");
    let policy = lab.ok("permissions", "my_permissions", json!({})).await;
    assert_eq!(policy["guests"], json!(["pool:lab"]), "{policy}");
}

pub async fn storage(lab: &mut Lab) {
    let content = lab
        .ok(
            "storage content",
            "storage_content",
            json!({"node": "pve1", "storage": "local"}),
        )
        .await;
    let mut wanted: Vec<String> = lab.root.volumes("pve1", "local").await;
    wanted.retain(|v| !v.contains("-200-"));
    wanted.sort();
    assert_eq!(strings(&content["volumes"], "volid"), wanted, "{content}");
    hides_out_of_scope("storage content", &content);
    lab.not_found(
        "storage content of a guest out of scope",
        "storage_content",
        json!({"node": "pve1", "storage": "local", "vmid": 200}),
    )
    .await;

    let backups = lab
        .ok("backups", "list_backups", json!({"vmid": 101}))
        .await;
    assert_eq!(
        strings(&backups["volumes"], "volid"),
        ["local:backup/vzdump-qemu-101-2025_01_15-02_00_00.vma.zst"]
    );
    lab.not_found("backups out of scope", "list_backups", json!({"vmid": 200}))
        .await;
}

pub async fn tasks(lab: &mut Lab) {
    let tasks = lab.ok("tasks", "list_tasks", json!({})).await;
    let root = lab.root.get("/cluster/tasks").await;
    lab.gap(
        "tasks",
        "/cluster/tasks answers a placeholder (one made-up vzdump task of root@pam), not the tasks that ran",
        root.as_array().is_some_and(|t| t.len() == 1 && t[0]["user"] == "root@pam"),
        &root.to_string(),
    );
    assert_eq!(
        strings(&tasks["tasks"], "upid"),
        strings(&root, "upid"),
        "{tasks}"
    );
}

/// The raw GETs the lab builder allows, each answered and filtered to the scope.
pub async fn raw_api(lab: &mut Lab) {
    let mut answers = Vec::new();
    for (endpoint, data) in [
        ("/version", json!({})),
        ("/nodes", json!({})),
        ("/nodes/pve1/status", json!({})),
        ("/cluster/status", json!({})),
        ("/cluster/resources", json!({"type": "vm"})),
        ("/cluster/tasks", json!({})),
        ("/nodes/pve1/storage", json!({})),
        ("/nodes/pve1/storage/local/content", json!({})),
        ("/pools", json!({})),
        ("/pools/lab", json!({})),
    ] {
        let step = format!("GET {endpoint}");
        let args = json!({"endpoint": endpoint, "method": "GET", "data": data});
        let r = lab.call(&step, "proxmox_api", args, Expect::Ok).await;
        hides_out_of_scope(&step, &r["structuredContent"]);
        answers.push(r["structuredContent"]["data"].clone());
    }
    assert_eq!(answers[0]["version"], "9.0.10", "{}", answers[0]);
    assert_eq!(ids(&answers[4], "vmid"), in_scope(), "{}", answers[4]);
    assert_eq!(
        ids(&answers[9]["members"], "vmid"),
        in_scope(),
        "{}",
        answers[9]
    );
    let content = strings(&answers[7], "volid");
    let mut wanted = lab.root.volumes("pve1", "local").await;
    wanted.retain(|v| !v.contains("-200-"));
    wanted.sort();
    assert_eq!(content, wanted, "the storage's content in scope");
}
