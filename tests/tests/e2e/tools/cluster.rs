//! End to end: `cluster_status` through the real mcp-front and pve-helper against the
//! simulated cluster: membership and quorum, the HA state with only the HA-managed
//! guests in scope, and the policy's say over both.

use pve_mcp_tests::{
    client::{is_error, text},
    sim::{self, SimConfig},
    stack::{Stack, StackOptions},
};
use serde_json::json;

const NODES: usize = 3;
const GUESTS: usize = 200;

fn options(policy: &str) -> StackOptions {
    let mut o = StackOptions::new(policy);
    o.sim = SimConfig {
        nodes: NODES,
        guests: GUESTS,
        ..SimConfig::default()
    };
    o
}

const WITH_HA: &str = r#"
[clients]
users = [{uid}]
[guests]
allow = ["100-149"]
[api]
allow = ["GET /cluster/status", "GET /cluster/ha/status/current"]
"#;

const WITHOUT_HA: &str = r#"
[clients]
users = [{uid}]
[guests]
allow = ["100-149"]
[api]
allow = ["GET /cluster/status"]
"#;

const NOTHING: &str = r#"
[clients]
users = [{uid}]
[guests]
allow = ["100-149"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_status_shows_quorum_nodes_and_ha_of_guests_in_scope() {
    let stack = Stack::start(options(WITH_HA)).expect("stack starts");
    let client = stack.client().await.expect("front starts");
    let r = client.call("cluster_status", json!({})).await.unwrap();
    assert!(!is_error(&r), "{r}");
    let s = &r["structuredContent"];
    assert_eq!(s["name"], "pve-sim");
    assert_eq!(s["quorate"], true);
    let names: Vec<&str> = s["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["name"].as_str())
        .collect();
    assert_eq!(names, ["pve1", "pve2", "pve3"]);
    assert_eq!(s["nodes"][0]["local"], true);
    // HA-managed guests: vmid 120, 170 (dataset: i % 50 == 20); only 120 is in scope.
    let ha: Vec<_> = sim::dataset(NODES, GUESTS)
        .into_iter()
        .filter(|g| g.ha)
        .map(|g| g.vmid)
        .collect();
    assert!(ha.contains(&120) && ha.contains(&170), "{ha:?}");
    let services = s["ha"]["services"].as_array().unwrap();
    assert_eq!(services.len(), 1, "{s}");
    assert_eq!(services[0]["vmid"], 120);
    assert_eq!(s["ha"]["quorum"], "OK");
    assert_eq!(s["ha"]["lrms"].as_array().unwrap().len(), NODES);
    let t = text(&r);
    assert!(
        t.starts_with("Cluster pve-sim: quorate, 3 of 3 node(s) online."),
        "{t}"
    );
    assert!(!t.contains("170"), "{t}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_status_follows_the_policy() {
    let stack = Stack::start(options(WITHOUT_HA)).expect("stack starts");
    let client = stack.client().await.expect("front starts");
    let r = client.call("cluster_status", json!({})).await.unwrap();
    assert!(!is_error(&r), "{r}");
    assert!(r["structuredContent"].get("ha").is_none(), "{r}");
    assert!(
        r["structuredContent"]["ha_note"]
            .as_str()
            .unwrap()
            .contains("add \"GET /cluster/ha/status/current\" to [api] allow"),
        "{r}"
    );
    assert_eq!(
        stack
            .sim
            .stats()
            .path_count("/api2/json/cluster/ha/status/current"),
        0,
        "HA is not even asked for"
    );

    stack.reload_policy(NOTHING).expect("reload");
    let mut last = serde_json::Value::Null;
    for _ in 0..100 {
        last = client.call("cluster_status", json!({})).await.unwrap();
        if is_error(&last) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let t = text(&last);
    assert!(
        t.starts_with("Denied: cluster status GET /cluster/status matches no [api] allow")
            && t.contains("(rule: default deny)"),
        "{t}"
    );
}

const ONE_NODE_STATUS: &str = r#"
[clients]
users = [{uid}]
[guests]
allow = ["100-149"]
[api]
allow = ["GET /nodes/*/status"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_status_without_a_node_answers_for_the_local_node_when_listing_is_not_allowed() {
    let stack = Stack::start(options(ONE_NODE_STATUS)).expect("stack starts");
    let client = stack.client().await.expect("front starts");
    // The simulator's local node (`local: 1` in /cluster/status) is pve1.
    let r = client.call("node_status", json!({})).await.unwrap();
    assert!(!is_error(&r), "{r}");
    let nodes = r["structuredContent"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 1, "{r}");
    assert_eq!(nodes[0]["node"], "pve1");
    assert!(nodes[0]["pveversion"].is_string(), "the node in depth: {r}");
    assert!(
        text(&r).contains("Only pve1, the node pve-mcp talks to")
            && text(&r).contains("GET /nodes"),
        "{}",
        text(&r)
    );
    let audit = stack.helper_log();
    assert!(
        audit.contains("GET /nodes/*/status"),
        "judged as that node's status: {audit}"
    );
    // A named node, and the listing where it is allowed, are unchanged.
    let r = client
        .call("node_status", json!({"node": "pve2"}))
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    assert!(!text(&r).contains("Only "), "{}", text(&r));
    let stack = Stack::start(options(
        &ONE_NODE_STATUS.replace("\"GET /nodes/*/status\"", "\"GET /nodes\""),
    ))
    .expect("stack starts");
    let client = stack.client().await.expect("front starts");
    let r = client.call("node_status", json!({})).await.unwrap();
    assert!(!is_error(&r), "{r}");
    let listed = r["structuredContent"]["nodes"].as_array().unwrap().len();
    assert_eq!(listed, NODES, "{r}");
    assert!(!text(&r).contains("Only "), "{}", text(&r));
    // Neither allowed: refused as the listing, naming what to allow.
    let stack = Stack::start(options(NOTHING)).expect("stack starts");
    let client = stack.client().await.expect("front starts");
    let r = client.call("node_status", json!({})).await.unwrap();
    assert!(is_error(&r) && text(&r).starts_with("Denied:"), "{r}");
}
