//! End to end: `cluster_health` through the real mcp-front and pve-helper against the
//! simulated cluster, whose health picture has a few things wrong (see the simulator's
//! `api::health_routes`): each part allowed by its read in `[api] allow` finds them, a
//! part whose read is not allowed is named and not checked, and asking for it anyway
//! is refused by the helper, naming the rule.

use pve_mcp_tests::{
    client::{Client, is_error, text},
    stack::{Stack, StackOptions},
};
use serde_json::{Value, json};

const EVERY_PART: &str = r#"
[clients]
users = [{uid}]

[guests]
allow = ["100-149"]
actions = []

[api]
allow = [
  "GET /cluster/status",
  "GET /cluster/ceph/status",
  "GET /nodes/*/disks/zfs",
  "GET /nodes/*/disks/list",
  "GET /nodes/*/replication",
  "GET /nodes/*/certificates/info",
  "GET /nodes/*/apt/update",
  "GET /cluster/tasks",
]
"#;

const ZFS_ONLY: &str = r#"
[clients]
users = [{uid}]

[guests]
allow = ["100-149"]
actions = []

[api]
allow = ["GET /nodes", "GET /nodes/*/disks/zfs"]
"#;

async fn start(policy: &str) -> (Stack, Client) {
    let stack = Stack::start(StackOptions::new(policy)).expect("stack starts");
    let client = stack.client().await.expect("mcp-front starts");
    (stack, client)
}

fn part<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["structuredContent"]["parts"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["part"] == name))
        .unwrap_or_else(|| panic!("part {name} in {r}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_allowed_part_finds_what_is_wrong() {
    let (_stack, client) = start(EVERY_PART).await;
    let r = client.call("cluster_health", json!({})).await.unwrap();
    assert!(!is_error(&r), "{r}");
    let t = text(&r);
    let parts: Vec<&str> = r["structuredContent"]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["part"].as_str().unwrap())
        .collect();
    assert_eq!(
        parts,
        [
            "quorum",
            "ceph",
            "zfs",
            "disks",
            "replication",
            "certificates",
            "updates",
            "tasks"
        ],
        "{t}"
    );
    assert_eq!(part(&r, "quorum")["level"], "ok", "{t}");
    assert_eq!(part(&r, "ceph")["level"], "warning", "{t}");
    assert_eq!(
        part(&r, "ceph")["warnings"][0],
        "OSD_DOWN: 1 osds down",
        "{t}"
    );
    assert_eq!(part(&r, "zfs")["level"], "warning", "{t}");
    assert_eq!(
        part(&r, "zfs")["summary"],
        "pool tank on pve2: DEGRADED",
        "{t}"
    );
    assert_eq!(part(&r, "disks")["level"], "problem", "{t}");
    assert!(
        part(&r, "disks")["summary"]
            .as_str()
            .unwrap()
            .starts_with("/dev/sdb on pve2 (WDC WD80EFAX-68KNBN0): SMART FAILED"),
        "{t}"
    );
    assert_eq!(part(&r, "certificates")["level"], "warning", "{t}");
    assert!(
        part(&r, "certificates")["summary"]
            .as_str()
            .unwrap()
            .starts_with("pve-ssl.pem on pve3 expires in"),
        "{t}"
    );
    assert_eq!(part(&r, "updates")["level"], "warning", "{t}");
    assert!(
        t.contains(
            "pve1: 3 package update(s) pending (pve-manager, proxmox-kernel-6.14, zfsutils-linux)"
        ),
        "{t}"
    );
    assert_eq!(part(&r, "replication")["level"], "ok", "{t}");
    assert_eq!(r["structuredContent"]["not_allowed"], json!([]), "{t}");
    assert!(t.starts_with("Health: 1 problem(s), "), "{t}");

    // One part in depth: what is fine is listed too.
    let r = client
        .call("cluster_health", json!({"part": "zfs"}))
        .await
        .unwrap();
    let t = text(&r);
    assert!(t.contains("  ok       pool rpool on pve1: ONLINE"), "{t}");
    assert!(t.contains("  WARNING  pool tank on pve2: DEGRADED"), "{t}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_the_policy_does_not_allow_is_named_and_refused() {
    let (_stack, client) = start(ZFS_ONLY).await;
    let r = client.call("cluster_health", json!({})).await.unwrap();
    assert!(!is_error(&r), "{r}");
    let t = text(&r);
    assert_eq!(
        r["structuredContent"]["parts"].as_array().unwrap().len(),
        1,
        "{t}"
    );
    assert_eq!(part(&r, "zfs")["level"], "warning", "{t}");
    assert_eq!(
        r["structuredContent"]["not_allowed"],
        json!([
            "quorum",
            "ceph",
            "disks",
            "replication",
            "certificates",
            "updates",
            "tasks"
        ]),
        "{t}"
    );
    assert!(
        t.contains("Not checked (no read allowed): quorum, ceph,"),
        "{t}"
    );

    let r = client
        .call("cluster_health", json!({"part": "ceph"}))
        .await
        .unwrap();
    let ceph = part(&r, "ceph");
    assert_eq!(ceph["level"], "unknown", "{r}");
    let said = ceph["summary"].as_str().unwrap();
    assert!(
        said.starts_with("Denied:") && said.contains("GET /cluster/ceph/status"),
        "{said}"
    );

    // The tool's description names what the policy allows.
    let tools = client.tools().await.unwrap();
    let health = tools
        .iter()
        .find(|t| t.name == "cluster_health")
        .expect("cluster_health is listed");
    assert!(
        health
            .description
            .as_deref()
            .unwrap_or_default()
            .ends_with("Allowed: zfs."),
        "{:?}",
        health.description
    );
}
