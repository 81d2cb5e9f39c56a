//! End to end: `backup_start` through the real mcp-front and pve-helper against the
//! simulated cluster: a vzdump task on the guest's own node to an allowed storage,
//! waited for, after which `list_backups` shows the new archive; refused for a storage
//! not in `[backup] storages`, for a guest without `backup.create`, and out of scope.

use pve_mcp_tests::{
    client::{is_error, text},
    sim::{self, SimConfig},
    stack::{Stack, StackOptions},
};
use serde_json::json;
use std::time::Duration;

const NODES: usize = 3;
const GUESTS: usize = 60;

const POLICY: &str = r#"
[clients]
users = [{uid}]

[guests]
allow = ["100-149"]
actions = ["backup.list"]

[[rule]]
name = "backups"
guests = ["100-139"]
actions = ["backup.create"]

[backup]
storages = ["nas"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_start_runs_vzdump_to_an_allowed_storage_only() {
    let mut o = StackOptions::new(POLICY);
    o.sim = SimConfig {
        nodes: NODES,
        guests: GUESTS,
        task_duration: Duration::from_millis(200),
        ..SimConfig::default()
    };
    let stack = Stack::start(o).expect("stack starts");
    let client = stack.client().await.expect("front starts");
    // Guest 101 (index 1) has no backup yet (the dataset has them for i % 4 == 0).
    let g = sim::dataset(NODES, GUESTS)
        .into_iter()
        .find(|g| g.vmid == 101)
        .unwrap();
    let r = client
        .call("list_backups", json!({"vmid": 101}))
        .await
        .unwrap();
    assert_eq!(r["structuredContent"]["volumes"], json!([]), "{r}");

    let r = client
        .call("backup_start", json!({"vmid": 101, "storage": "nas"}))
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    let s = &r["structuredContent"];
    assert_eq!(s["outcome"], "succeeded", "{r}");
    assert_eq!(s["action"], "backup.create");
    let upid = s["upid"].as_str().unwrap();
    assert!(
        upid.starts_with(&format!("UPID:{}:", g.node)) && upid.contains(":vzdump:101:"),
        "{upid}"
    );
    assert_eq!(
        stack
            .sim
            .stats()
            .path_count(&format!("/api2/json/nodes/{}/vzdump", g.node)),
        1
    );
    let r = client
        .call("list_backups", json!({"vmid": 101}))
        .await
        .unwrap();
    let v = r["structuredContent"]["volumes"].as_array().unwrap();
    assert_eq!(v.len(), 1, "{r}");
    assert!(
        v[0]["volid"]
            .as_str()
            .unwrap()
            .starts_with("nas:backup/vzdump-"),
        "{r}"
    );

    // A storage the policy does not list.
    let r = client
        .call("backup_start", json!({"vmid": 101, "storage": "local"}))
        .await
        .unwrap();
    assert!(is_error(&r), "{r}");
    let t = text(&r);
    assert!(
        t.starts_with("Denied: backups to storage \"local\" are not allowed")
            && t.contains("add \"local\" to [backup] storages")
            && t.contains("(rule: backup.storages)"),
        "{t}"
    );
    // A guest in scope without backup.create, and one out of scope.
    let r = client
        .call("backup_start", json!({"vmid": 141, "storage": "nas"}))
        .await
        .unwrap();
    assert!(
        is_error(&r) && text(&r).contains("add \"backup.create\" to [guests] actions"),
        "{r}"
    );
    let r = client
        .call("backup_start", json!({"vmid": 155, "storage": "nas"}))
        .await
        .unwrap();
    assert!(
        is_error(&r) && text(&r).contains("does not exist or is not visible"),
        "{r}"
    );
    assert_eq!(
        stack.sim.stats().tasks_started,
        1,
        "no refused backup reached Proxmox"
    );
    let perms = client.call("my_permissions", json!({})).await.unwrap();
    assert_eq!(
        perms["structuredContent"]["backup_storages"],
        json!(["nas"]),
        "{perms}"
    );
}
