//! Which tools the real mcp-front lists, as the real helper describes the policy: a tool
//! the policy leaves nothing to do for is not listed (but still answers with the
//! helper's refusal if called); a helper that is down when the session starts fails
//! the connection with the fix, and one lost later hides nothing, for that listing only.

use pve_mcp_tests::{
    client::{Client, is_error, text},
    stack::{Stack, StackOptions},
};
use serde_json::json;

const READ_ONLY: &str = r#"
[clients]
users = [{uid}]

[guests]
allow = ["100-149"]
actions = []

[api]
allow = ["GET /version", "GET /nodes"]

[commands]
allow = []
"#;

async fn names(client: &pve_mcp_tests::client::Client) -> Vec<String> {
    let mut names: Vec<String> = client
        .tools()
        .await
        .expect("tools/list")
        .into_iter()
        .map(|t| t.name.into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_policy_lists_only_what_it_allows() {
    let stack = Stack::start(StackOptions::new(READ_ONLY)).expect("stack starts");
    let client = stack.client().await.expect("front starts");
    assert_eq!(
        names(&client).await,
        [
            "list_vms",
            "my_permissions",
            "node_status",
            "proxmox_api",
            "task_log",
            "task_status",
            "vm_status"
        ]
    );
    let info = client.server_info();
    let instructions = info["instructions"].as_str().unwrap_or_default();
    assert!(
        instructions.contains("(100-149)") && !instructions.contains("vm_action"),
        "{instructions}"
    );
    // Not listed is not a way around the policy, nor a way to hide its reasons.
    let r = client
        .call("vm_action", json!({"vmid": 101, "action": "start"}))
        .await
        .unwrap();
    assert!(is_error(&r) && text(&r).starts_with("Denied:"), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_helper_down_at_start_fails_the_connection_naming_the_socket_and_the_fix() {
    let mut stack = Stack::start(StackOptions::new(READ_ONLY)).expect("stack starts");
    stack.stop_helper();
    let error = match stack.client().await {
        Ok(_) => panic!("a session without its helper looked healthy"),
        Err(e) => format!("{e:#}"),
    };
    for needed in [
        "pve-mcp cannot serve this session",
        "not reachable at",
        stack.socket.to_str().unwrap(),
        "systemctl status pve-mcp-helper",
        "pve-helper setup",
    ] {
        assert!(error.contains(needed), "{needed:?} missing from: {error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_helper_lost_after_start_hides_nothing_and_is_asked_again() {
    let mut stack = Stack::start(StackOptions::new(READ_ONLY)).expect("stack starts");
    // The front asks the helper again once its description is a second old.
    let mut front = stack.front_command();
    front.args(["--policy-refresh", "1"]);
    let client = Client::spawn(front, &stack.dir().join("front-refresh.log"))
        .await
        .expect("front starts");
    assert_eq!(names(&client).await.len(), 7, "the policy applies");
    stack.stop_helper();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let info = client.server_info();
    assert!(info["instructions"].as_str().is_some(), "{info}");
    assert_eq!(
        names(&client).await.len(),
        39,
        "nothing hidden on a guess: backup_start, the six tools, the four snapshot tools, guest_config, \
         guest_metrics, guest_agent, the three task tools, cluster_status, the three storage tools, \
         my_permissions, the sixteen lifecycle tools and node_networks"
    );
    let r = client.call("list_vms", json!({})).await.unwrap();
    assert!(is_error(&r) && text(&r).starts_with("Unavailable:"), "{r}");
    stack.spawn_helper().expect("helper restarts");
    assert_eq!(
        names(&client).await.len(),
        7,
        "the policy applies once known"
    );
}
