//! End to end: `my_permissions` and the `pve-mcp://permissions` resource tell the model
//! what the policy in force allows, through the real mcp-front and pve-helper: the
//! scope, every grant with its confirmations, the API patterns, the commands, the
//! limits and the tools that work, and nothing about guests outside the scope. A
//! policy reload shows at the next call.

use pve_mcp_tests::{
    client::{is_error, text},
    stack::{Stack, StackOptions},
};
use serde_json::{Value, json};

const POLICY: &str = r#"
[clients]
users = [{uid}]

[guests]
allow = ["100-149", "pool:lab"]
deny = ["120"]
actions = ["start", "shutdown", "snapshot.list"]

[[rule]]
name = "lab power"
guests = ["pool:lab"]
actions = ["stop", "snapshot.rollback"]
confirm = ["stop", "snapshot.rollback"]

[api]
allow = ["GET /version", "GET /nodes"]

[commands]
allow = [["uptime"]]

[limits]
requests_per_minute = 120
concurrent = 4
"#;

const NOTHING: &str = r#"
[clients]
users = [{uid}]
"#;

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_permissions_reports_the_whole_policy() {
    let stack = Stack::start(StackOptions::new(POLICY)).expect("stack starts");
    let client = stack.client().await.expect("front starts");
    let r = client.call("my_permissions", json!({})).await.unwrap();
    assert!(!is_error(&r), "{r}");
    let s = &r["structuredContent"];
    assert_eq!(strings(&s["guests"]), ["100-149", "pool:lab"]);
    assert_eq!(strings(&s["guests_except"]), ["120"]);
    let grants = s["grants"].as_array().unwrap();
    assert_eq!(grants.len(), 2, "{s}");
    assert_eq!(grants[0]["rule"], "guests");
    assert_eq!(
        strings(&grants[0]["operations"]),
        ["start", "shutdown", "snapshot.list"]
    );
    assert_eq!(grants[1]["rule"], "lab power");
    assert_eq!(strings(&grants[1]["guests"]), ["pool:lab"]);
    assert_eq!(
        strings(&grants[1]["confirm"]),
        ["stop", "snapshot.rollback"]
    );
    assert_eq!(strings(&s["api"]), ["GET /version", "GET /nodes"]);
    assert_eq!(s["node_list"], true);
    assert_eq!(s["node_detail"], false);
    assert_eq!(strings(&s["commands"]), ["uptime"]);
    assert!(
        s["limits"].as_str().unwrap().contains("120"),
        "{}",
        s["limits"]
    );
    let tools = strings(&s["tools"]);
    for t in [
        "list_vms",
        "vm_action",
        "snapshot_list",
        "snapshot_rollback",
        "node_status",
        "proxmox_api",
        "execute_command",
        "my_permissions",
    ] {
        assert!(tools.contains(&t), "{t} missing from {tools:?}");
    }
    for t in ["snapshot_create", "snapshot_delete"] {
        assert!(!tools.contains(&t), "{t} listed in {tools:?}");
    }
    let t = text(&r);
    assert!(
        t.contains("Operations (rule \"lab power\"): stop, snapshot.rollback on guests matching pool:lab; the user confirms stop, snapshot.rollback"),
        "{t}"
    );
    // Informational only: the helper still refuses what the policy does not grant.
    let r = client
        .call("vm_action", json!({"vmid": 101, "action": "reboot"}))
        .await
        .unwrap();
    assert!(is_error(&r) && text(&r).starts_with("Denied:"), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_permissions_resource_says_the_same_and_follows_a_reload() {
    let stack = Stack::start(StackOptions::new(POLICY)).expect("stack starts");
    let client = stack.client().await.expect("front starts");
    let info = client.server_info();
    assert!(info["capabilities"]["resources"].is_object(), "{info}");
    let resources = client.resources().await.unwrap();
    let uris: Vec<&str> = resources.iter().filter_map(|r| r["uri"].as_str()).collect();
    assert_eq!(uris, ["pve-mcp://permissions"]);
    let read = client.read_resource("pve-mcp://permissions").await.unwrap();
    let body = read["contents"][0]["text"].as_str().unwrap_or_default();
    let tool = client.call("my_permissions", json!({})).await.unwrap();
    assert_eq!(body, text(&tool), "the resource and the tool agree");
    assert!(body.contains("Guests in scope: 100-149, pool:lab except 120"));

    stack.reload_policy(NOTHING).expect("reload");
    // The helper reloads on SIGHUP, in the background.
    let mut body = String::new();
    for _ in 0..100 {
        let read = client.read_resource("pve-mcp://permissions").await.unwrap();
        body = read["contents"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if body.contains("Guests: none") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        body.contains("Guests: none in scope.")
            && body.contains("Operations on guests: none (read-only).")
            && body.contains("Raw API (proxmox_api): none.")
            && body.contains("Tools that work here: my_permissions."),
        "{body}"
    );
    assert!(client.read_resource("pve-mcp://other").await.is_err());
}
