//! End to end: `list_storage`, `storage_content` and `list_backups` through the real
//! mcp-front and pve-helper against the simulated cluster: usage per node, contents
//! filtered by kind, and no volume (disk or backup) of a guest out of scope, ever;
//! each refused as the policy says.

use pve_mcp_tests::{
    client::{Client, is_error, text},
    sim::{self, SimConfig},
    stack::{Stack, StackOptions},
};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const NODES: usize = 3;
const GUESTS: usize = 60;

const POLICY: &str = r#"
[clients]
users = [{uid}]

[guests]
allow = ["100-139"]

[[rule]]
name = "backups of the first twenty"
guests = ["100-119"]
actions = ["backup.list"]

[api]
allow = ["GET /cluster/resources", "GET /nodes/*/storage", "GET /nodes/*/storage/*/content"]
"#;

const NODE_ONLY: &str = r#"
[clients]
users = [{uid}]
[guests]
allow = ["100-139"]
[api]
allow = ["GET /nodes/*/storage"]
"#;

async fn stack_and_client(policy: &str) -> (Stack, Client) {
    let mut o = StackOptions::new(policy);
    o.sim = SimConfig {
        nodes: NODES,
        guests: GUESTS,
        ..SimConfig::default()
    };
    let stack = Stack::start(o).expect("stack starts");
    let client = stack.client().await.expect("mcp-front starts");
    (stack, client)
}

fn vmids(r: &Value) -> BTreeSet<u64> {
    r["structuredContent"]["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["vmid"].as_u64())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storages_and_their_content_never_show_other_guests() {
    let (stack, client) = stack_and_client(POLICY).await;
    let r = client.call("list_storage", json!({})).await.unwrap();
    assert!(!is_error(&r), "{r}");
    let all = r["structuredContent"]["storages"].as_array().unwrap();
    assert_eq!(all.len(), 3 * NODES, "{r}");
    assert_eq!(
        stack.sim.stats().path_count("/api2/json/cluster/resources"),
        1,
        "every node's storages in one call"
    );
    let nas = all.iter().find(|s| s["storage"] == "nas").unwrap();
    assert_eq!(nas["shared"], true);
    assert_eq!(nas["type"], "nfs");
    assert!(nas["total"].as_u64().unwrap() > nas["used"].as_u64().unwrap());
    let r = client
        .call("list_storage", json!({"node": "pve2"}))
        .await
        .unwrap();
    let one = r["structuredContent"]["storages"].as_array().unwrap();
    assert_eq!(one.len(), 3);
    assert!(one.iter().all(|s| s["node"] == "pve2"), "{r}");
    assert!(
        text(&r).contains("pve2  local-lvm  lvmthin  images,rootdir"),
        "{}",
        text(&r)
    );

    // Backups on the shared storage: the dataset has them for guests far beyond the
    // scope; only those in scope show.
    let r = client
        .call(
            "storage_content",
            json!({"node": "pve1", "storage": "nas", "content": "backup"}),
        )
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    let expected: BTreeSet<u64> = sim::dataset(NODES, GUESTS)
        .iter()
        .filter(|g| g.index % 4 == 0 && g.vmid < 140)
        .map(|g| g.vmid.into())
        .collect();
    assert_eq!(vmids(&r), expected);
    assert!(
        !text(&r).contains("-140-") && !text(&r).contains("-156-"),
        "{}",
        text(&r)
    );
    // Disks: only in-scope guests of that node.
    let r = client
        .call(
            "storage_content",
            json!({"node": "pve1", "storage": "local-lvm"}),
        )
        .await
        .unwrap();
    let expected: BTreeSet<u64> = sim::dataset(NODES, GUESTS)
        .iter()
        .filter(|g| g.node == "pve1" && g.vmid < 140)
        .map(|g| g.vmid.into())
        .collect();
    assert_eq!(vmids(&r), expected);
    let r = client
        .call(
            "storage_content",
            json!({"node": "pve1", "storage": "local", "content": "iso"}),
        )
        .await
        .unwrap();
    assert!(
        text(&r).contains("local:iso/debian-12.8.0-amd64-netinst.iso"),
        "{}",
        text(&r)
    );
    let r = client
        .call(
            "storage_content",
            json!({"node": "pve1", "storage": "nas", "vmid": 144}),
        )
        .await
        .unwrap();
    assert!(is_error(&r), "{r}");
    assert!(
        text(&r).contains("does not exist or is not visible"),
        "{}",
        text(&r)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_backups_of_a_guest_follows_its_grant() {
    let (_stack, client) = stack_and_client(POLICY).await;
    // Guest 100 (index 0) has two backups, 104 one.
    let r = client
        .call("list_backups", json!({"vmid": 100}))
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    let v = r["structuredContent"]["volumes"].as_array().unwrap();
    assert_eq!(v.len(), 2, "{r}");
    assert!(
        v[0]["ctime"].as_u64() > v[1]["ctime"].as_u64(),
        "newest first"
    );
    assert!(
        v[0]["volid"]
            .as_str()
            .unwrap()
            .starts_with("nas:backup/vzdump-qemu-100-2024_12_09"),
        "{r}"
    );
    let r = client
        .call("list_backups", json!({"vmid": 104}))
        .await
        .unwrap();
    assert_eq!(
        r["structuredContent"]["volumes"].as_array().unwrap().len(),
        1
    );
    // In scope, but not covered by the rule granting backup.list.
    let r = client
        .call("list_backups", json!({"vmid": 124}))
        .await
        .unwrap();
    assert!(is_error(&r), "{r}");
    assert!(
        text(&r).starts_with("Denied: action \"backup.list\"")
            && text(&r).contains("add \"backup.list\" to [guests] actions"),
        "{}",
        text(&r)
    );
    let r = client
        .call("list_backups", json!({"vmid": 144}))
        .await
        .unwrap();
    assert!(
        text(&r).contains("does not exist or is not visible"),
        "{}",
        text(&r)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_tools_need_their_api_patterns() {
    let (_stack, client) = stack_and_client(NODE_ONLY).await;
    let r = client
        .call("list_storage", json!({"node": "pve1"}))
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    for (tool, args, pattern) in [
        ("list_storage", json!({}), "GET /cluster/resources"),
        (
            "storage_content",
            json!({"node": "pve1", "storage": "nas"}),
            "GET /nodes/pve1/storage/nas/content",
        ),
    ] {
        let r = client.call(tool, args).await.unwrap();
        assert!(is_error(&r), "{r}");
        let t = text(&r);
        assert!(
            t.starts_with("Denied:") && t.contains(&format!("\"{pattern}\" to [api] allow")),
            "{t}"
        );
    }
}
