//! A policy change reaches a running session: after a tool call, once the policy's
//! description is older than `--policy-refresh`, the front asks the helper again and,
//! if the tools it listed would now differ, sends `notifications/tools/list_changed`.

mod support;

use pve_mcp_proto::PROTO_VERSION;
use serde_json::json;
use std::{sync::atomic::Ordering, time::Duration};
use support::{fake_helper::FakeHelper, mcp_client::Mcp};

async fn tool_names(mcp: &mut Mcp) -> Vec<String> {
    let tools = mcp.request("tools/list", json!({})).await;
    let tools = tools["tools"].as_array().cloned().unwrap_or_default();
    tools
        .iter()
        .filter_map(|t| t["name"].as_str().map(String::from))
        .collect()
}

fn list_changed(mcp: &Mcp) -> usize {
    mcp.notifications
        .iter()
        .filter(|n| n["method"] == "notifications/tools/list_changed")
        .count()
}

#[tokio::test]
async fn a_reloaded_policy_is_announced_and_listed() {
    let helper = FakeHelper::start("changed", PROTO_VERSION.major);
    let mut mcp = Mcp::spawn_with(&helper.socket, &["--policy-refresh", "1"]);
    let init = mcp
        .request(
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "t", "version": "0"}}),
        )
        .await;
    assert_eq!(init["capabilities"]["tools"]["listChanged"], true, "{init}");
    mcp.notify("notifications/initialized", json!({})).await;
    assert!(
        tool_names(&mut mcp)
            .await
            .contains(&"execute_command".to_owned())
    );

    // Unchanged policy: calls announce nothing.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    mcp.call("node_status", json!({})).await;
    mcp.call("node_status", json!({})).await;
    assert_eq!(list_changed(&mcp), 0);

    helper.seen.no_commands.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    mcp.call("node_status", json!({})).await;
    // The check runs after the answer; a ping answered later comes behind it.
    tokio::time::sleep(Duration::from_millis(200)).await;
    mcp.request("ping", json!({})).await;
    assert_eq!(list_changed(&mcp), 1, "{:?}", mcp.notifications);
    let names = tool_names(&mut mcp).await;
    assert!(!names.contains(&"execute_command".to_owned()), "{names:?}");
    assert_eq!(
        names.len(),
        14,
        "the five other tools, my_permissions, the three task tools, firewall, and \
         guest_create, next_vmid, guest_configure and guest_delete"
    );
}

#[tokio::test]
async fn discover_does_not_promise_list_changed() {
    let helper = FakeHelper::start("discover-lc", PROTO_VERSION.major);
    let mut mcp = Mcp::spawn(&helper.socket);
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    let discover = mcp.request("server/discover", json!({"_meta": meta})).await;
    assert!(discover["capabilities"]["tools"].is_object(), "{discover}");
    assert!(
        discover["capabilities"]["tools"]
            .get("listChanged")
            .is_none(),
        "{discover}"
    );
    assert!(
        discover["instructions"]
            .as_str()
            .unwrap_or_default()
            .contains("Here you may"),
        "{discover}"
    );
}
