//! End-to-end tests of the real `mcp-front` binary over stdio, against a fake helper.

mod support;

use pve_mcp_proto::{GuestAction, PROTO_VERSION, Request};
use serde_json::{Value, json};
use std::{sync::atomic::Ordering, time::Duration};
use support::{
    fake_helper::{FakeHelper, UPID_104, UPID_105},
    mcp_client::{Mcp, is_error, text},
};

#[tokio::test]
async fn initialize_carries_the_policy_and_tools_list_reuses_it() {
    let helper = FakeHelper::start("init", PROTO_VERSION.major);
    let (mut mcp, init) = Mcp::start(&helper.socket).await;
    assert_eq!(init["serverInfo"]["name"], "pve-mcp");
    assert_eq!(init["serverInfo"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(init["protocolVersion"], "2025-06-18");
    let instructions = init["instructions"].as_str().unwrap();
    assert!(instructions.contains("Denied:"), "{instructions}");
    assert!(
        instructions.contains("- start, stop, shutdown, reboot, reset them with vm_action (reset after the user confirms)"),
        "{instructions}"
    );
    assert!(init["capabilities"]["tools"].is_object());

    let tools = mcp.request("tools/list", json!({})).await;
    let tools = tools["tools"].as_array().unwrap();
    let names: Vec<_> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "execute_command",
            "firewall",
            "guest_configure",
            "guest_create",
            "guest_delete",
            "list_tasks",
            "list_vms",
            "my_permissions",
            "next_vmid",
            "node_status",
            "proxmox_api",
            "task_log",
            "task_status",
            "vm_action",
            "vm_status"
        ]
    );
    for tool in tools {
        let name = tool["name"].as_str().unwrap();
        assert_eq!(tool["inputSchema"]["type"], "object", "{name}");
        assert_eq!(tool["inputSchema"]["additionalProperties"], false, "{name}");
        assert_eq!(tool["outputSchema"]["type"], "object", "{name}");
        let a = &tool["annotations"];
        let read_only = matches!(
            name,
            "list_vms"
                | "vm_status"
                | "node_status"
                | "my_permissions"
                | "list_tasks"
                | "task_log"
                | "task_status"
                | "firewall"
                | "next_vmid"
        );
        assert_eq!(a["readOnlyHint"], read_only, "{name}");
        let additive = name == "guest_create";
        assert_eq!(a["destructiveHint"], !read_only && !additive, "{name}");
        assert_eq!(a["openWorldHint"], false, "{name}");
    }
    let action = &tools[13]["inputSchema"]["properties"];
    assert_eq!(action["timeout_secs"]["maximum"], 3600);
    assert_eq!(action["vmid"]["minimum"], 100);
    let describes = helper.seen.count(|r| matches!(r, Request::Describe(_)));
    assert_eq!(
        describes, 1,
        "asked once at start-up, reused for tools/list"
    );
    assert_eq!(helper.seen.connections.load(Ordering::SeqCst), 1);
    let note = tools[0]["description"].as_str().unwrap();
    assert!(
        note.ends_with("Allowed (\"*\" is one plain argument): pvesm status *."),
        "{note}"
    );
}

#[tokio::test]
async fn each_tool_forwards_one_request_and_renders_the_answer() {
    let helper = FakeHelper::start("tools", PROTO_VERSION.major);
    let (mut mcp, _) = Mcp::start(&helper.socket).await;

    let r = mcp.call("list_vms", json!({"type": "qemu"})).await;
    assert!(!is_error(&r), "{r}");
    assert!(
        text(&r).starts_with("3 guests match (running 2, stopped 1"),
        "{}",
        text(&r)
    );
    assert!(
        text(&r).contains("\n101   web-01  qemu  pve1  running  25%  512M/2.0G  2h0m    lab"),
        "{}",
        text(&r)
    );
    assert_eq!(r["structuredContent"]["total"], 3);
    let guests = &r["structuredContent"]["guests"];
    let type_column = guests["columns"]
        .as_array()
        .and_then(|c| c.iter().position(|c| c == "type"))
        .expect("a type column");
    assert_eq!(guests["rows"][2][type_column], "lxc");

    let r = mcp.call("vm_status", json!({"vmid": 101})).await;
    assert!(
        text(&r).starts_with("VM 101 \"web-01\" (qemu) on node pve1: running"),
        "{r}"
    );
    assert_eq!(r["structuredContent"]["guest"]["vmid"], 101);

    let r = mcp.call("vm_status", json!({"vmid": 999})).await;
    assert!(is_error(&r));
    assert!(text(&r).starts_with("Not found: guest 999"), "{r}");

    let r = mcp.call("node_status", json!({})).await;
    assert!(text(&r).starts_with("2 nodes (2 online)"), "{r}");
    let r = mcp.call("node_status", json!({"node": "pve1"})).await;
    assert!(text(&r).contains("pve1: PVE pve-manager/8.2.4"), "{r}");

    let r = mcp
        .call(
            "proxmox_api",
            json!({"endpoint": "/api2/json/version", "method": "get",
                                    "data": {"full": true}}),
        )
        .await;
    assert!(text(&r).starts_with("GET /version:\n{"), "{r}");
    assert_eq!(r["structuredContent"]["data"]["params"], 1);

    let r = mcp
        .call(
            "execute_command",
            json!({"command": "pvesm status --storage 'local lvm'"}),
        )
        .await;
    assert!(text(&r).starts_with("exit code 0 after 3 ms"), "{r}");
    assert!(
        text(&r).contains(r#"["pvesm", "status", "--storage", "local lvm"]"#),
        "{r}"
    );

    let r = mcp
        .call(
            "vm_action",
            json!({"vmid": 101, "action": "start", "wait": false}),
        )
        .await;
    assert!(
        text(&r).starts_with("Started \"start\" on guest 101"),
        "{r}"
    );
    assert_eq!(r["structuredContent"]["outcome"], "started");
    assert_eq!(
        helper.seen.count(|r| matches!(r, Request::TaskStatus(_))),
        0
    );
    let forwarded = helper.seen.count(|r| !matches!(r, Request::Describe(_)));
    assert_eq!(forwarded, 8);
}

#[tokio::test]
async fn denials_and_bad_arguments_are_tool_errors() {
    let helper = FakeHelper::start("errors", PROTO_VERSION.major);
    let (mut mcp, _) = Mcp::start(&helper.socket).await;

    let r = mcp
        .call("vm_action", json!({"vmid": 101, "action": "stop"}))
        .await;
    assert!(is_error(&r));
    assert_eq!(
        text(&r),
        "Denied: action \"stop\" on VM 101 is not allowed (rule: guests.actions)"
    );
    let before = helper.seen.requests.lock().unwrap().len();
    for (tool, args, expect) in [
        ("vm_status", json!({"vmid": 5}), "vmid 5 is out of range"),
        ("vm_status", json!({"vmid": 4294967296u64}), "out of range"),
        ("vm_status", json!({"vmid": "101"}), "invalid type"),
        (
            "vm_status",
            json!({"vmid": 101, "force": true}),
            "unknown field `force`",
        ),
        ("vm_status", json!({}), "missing field `vmid`"),
        (
            "vm_action",
            json!({"vmid": 101, "action": "destroy"}),
            "unknown variant `destroy`",
        ),
        (
            "proxmox_api",
            json!({"endpoint": "/version", "method": "PATCH"}),
            "method \"PATCH\"",
        ),
        (
            "proxmox_api",
            json!({"endpoint": "/nodes/../access"}),
            "'..'",
        ),
        (
            "proxmox_api",
            json!({"endpoint": "/x", "data": {"a": [1]}}),
            "data.a",
        ),
        (
            "execute_command",
            json!({"command": "echo 'oops"}),
            "unterminated quote",
        ),
        (
            "list_vms",
            json!({"limit": 5000}),
            "limit 5000 is out of range",
        ),
    ] {
        let r = mcp.call(tool, args.clone()).await;
        assert!(is_error(&r), "{tool} {args}: {r}");
        assert!(text(&r).contains(expect), "{tool} {args}: {}", text(&r));
    }
    assert_eq!(
        helper.seen.requests.lock().unwrap().len(),
        before,
        "nothing forwarded"
    );

    let unknown = mcp
        .start_request("tools/call", json!({"name": "rm_rf", "arguments": {}}))
        .await;
    let answer = mcp.response(unknown).await;
    assert!(answer["error"].is_object(), "{answer}");
    assert!(mcp.is_running());
}

#[tokio::test]
async fn vm_action_waits_for_the_task_with_progress() {
    let helper = FakeHelper::start("wait", PROTO_VERSION.major);
    let (mut mcp, _) = Mcp::start(&helper.socket).await;
    let params = json!({"name": "vm_action", "arguments": {"vmid": 105, "action": "start"},
                        "_meta": {"progressToken": "tok-1"}});
    let r = mcp.request("tools/call", params).await;
    assert!(!is_error(&r), "{r}");
    assert!(
        text(&r).starts_with("OK: \"start\" on guest 105 finished in"),
        "{r}"
    );
    assert_eq!(r["structuredContent"]["outcome"], "succeeded");
    assert_eq!(r["structuredContent"]["exitstatus"], "OK");
    assert_eq!(
        helper.seen.count(|r| matches!(r, Request::TaskStatus(_))),
        20
    );
    // 20 polls take about 2 s; the end is seen within one poll interval, not 1 s later.
    let elapsed = r["structuredContent"]["elapsed_ms"].as_u64().unwrap();
    assert!((1900..2600).contains(&elapsed), "{elapsed} ms");
    let progress: Vec<&Value> = mcp
        .notifications
        .iter()
        .filter(|n| n["method"] == "notifications/progress")
        .collect();
    assert!(
        (2..=4).contains(&progress.len()),
        "at most one a second: {progress:?}"
    );
    assert!(
        progress
            .iter()
            .all(|n| n["params"]["progressToken"] == "tok-1")
    );
    assert!(progress.iter().all(|n| n["params"]["total"] == 120.0));
    assert!(
        progress[0]["params"]["message"]
            .as_str()
            .unwrap()
            .contains(UPID_105)
    );
    let values: Vec<f64> = progress
        .iter()
        .map(|n| n["params"]["progress"].as_f64().unwrap())
        .collect();
    assert!(values.windows(2).all(|w| w[0] < w[1]), "{values:?}");

    // Without a progress token there are no notifications.
    mcp.notifications.clear();
    let r = mcp
        .call("vm_action", json!({"vmid": 101, "action": "reboot"}))
        .await;
    assert!(!is_error(&r), "{r}");
    assert!(
        mcp.notifications
            .iter()
            .all(|n| n["method"] != "notifications/progress")
    );
}

#[tokio::test]
async fn vm_action_timeout_reports_the_upid_and_cancel_stops_polling() {
    let helper = FakeHelper::start("timeout", PROTO_VERSION.major);
    let (mut mcp, _) = Mcp::start(&helper.socket).await;
    let args = json!({"vmid": 104, "action": "start", "timeout_secs": 1});
    let r = mcp.call("vm_action", args).await;
    assert!(!is_error(&r), "a timeout is not an error: {r}");
    assert_eq!(r["structuredContent"]["outcome"], "still_running");
    assert!(
        text(&r).starts_with("Still running: \"start\" on guest 104"),
        "{r}"
    );
    assert!(text(&r).contains(UPID_104));

    let polls = || helper.seen.count(|r| matches!(r, Request::TaskStatus(_)));
    let args = json!({"name": "vm_action", "arguments": {"vmid": 104, "action": "start"}});
    let id = mcp.start_request("tools/call", args).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    mcp.notify(
        "notifications/cancelled",
        json!({"requestId": id, "reason": "test"}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after_cancel = polls();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(polls(), after_cancel, "polling stopped after cancellation");
    // Nothing is stuck: no answer to the cancelled call, and the next call is served.
    let r = mcp.call("node_status", json!({})).await;
    assert!(!is_error(&r), "{r}");
    assert!(mcp.stray.iter().all(|m| m["id"] != id), "{:?}", mcp.stray);
    assert!(mcp.is_running());
}

#[tokio::test]
async fn pipelined_calls_are_matched_by_id() {
    let helper = FakeHelper::start("pipeline", PROTO_VERSION.major);
    let (mut mcp, _) = Mcp::start(&helper.socket).await;
    // vm_status 101 is answered after 500 ms, list_vms at once, on one connection.
    let slow = mcp
        .start_request(
            "tools/call",
            json!({"name": "vm_status", "arguments": {"vmid": 101}}),
        )
        .await;
    let fast = mcp
        .start_request("tools/call", json!({"name": "list_vms", "arguments": {}}))
        .await;
    let first = mcp.response(fast).await;
    assert!(text(&first["result"]).contains("guests match"), "{first}");
    let second = mcp.response(slow).await;
    assert!(text(&second["result"]).starts_with("VM 101"), "{second}");
    assert_eq!(helper.seen.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn reconnects_after_the_helper_drops_the_connection() {
    let helper = FakeHelper::start("restart", PROTO_VERSION.major);
    let (mut mcp, _) = Mcp::start(&helper.socket).await;
    let connections = || helper.seen.connections.load(Ordering::SeqCst);

    // Answered, then the connection closes: the next call reconnects.
    let r = mcp.call("list_vms", json!({"name": "restart"})).await;
    assert!(!is_error(&r), "{r}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let r = mcp.call("node_status", json!({})).await;
    assert!(!is_error(&r), "{r}");
    assert_eq!(connections(), 2);

    // Dropped while a read-only call is in flight: it is sent again.
    let r = mcp.call("node_status", json!({"node": "dropme"})).await;
    assert!(!is_error(&r), "{r}");
    assert_eq!(connections(), 3);

    // Dropped while an action is in flight: reported, never resent.
    let r = mcp
        .call("vm_action", json!({"vmid": 113, "action": "start"}))
        .await;
    assert!(is_error(&r));
    assert!(
        text(&r).contains("may or may not have been carried out"),
        "{r}"
    );
    let actions = helper.seen.count(|r| {
        matches!(r, Request::GuestAction(a) if a.vmid.get() == 113 && a.action == GuestAction::Start)
    });
    assert_eq!(actions, 1);
    let r = mcp.call("vm_status", json!({"vmid": 101})).await;
    assert!(!is_error(&r), "{r}");
    assert_eq!(connections(), 4);
}

#[tokio::test]
async fn unreachable_helper_and_version_mismatch_are_clear_errors() {
    let initialize = json!({
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "mcp-front-test", "version": "0"}
    });
    // A session cannot start without its helper: the client sees a failed server.
    let helper = FakeHelper::start("unreachable", PROTO_VERSION.major);
    let mut mcp = Mcp::spawn(&helper.missing_socket());
    let id = mcp.start_request("initialize", initialize.clone()).await;
    let answer = mcp.response(id).await;
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    for needed in [
        "pve-mcp cannot serve this session: the pve-mcp helper is not reachable at ",
        "nothing-here.sock: the socket does not exist",
        "systemctl status pve-mcp-helper",
        "pve-helper setup",
    ] {
        assert!(message.contains(needed), "{needed:?} missing: {answer}");
    }
    // A 2026-07-28 client that skips the handshake sees each call fail the same way.
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "mcp-front-test", "version": "0"}
    });
    let mut mcp = Mcp::spawn(&helper.missing_socket());
    for _ in 0..2 {
        let params = json!({"name": "list_vms", "arguments": {}, "_meta": meta});
        let r = mcp.request("tools/call", params).await;
        assert!(is_error(&r));
        let t = text(&r);
        assert!(
            t.starts_with("Unavailable: the pve-mcp helper is not reachable at "),
            "{t}"
        );
        assert!(t.contains("systemctl status pve-mcp-helper"), "{t}");
    }
    assert!(mcp.is_running());

    let newer = FakeHelper::start("mismatch", PROTO_VERSION.major + 1);
    let mut mcp = Mcp::spawn(&newer.socket);
    let id = mcp.start_request("initialize", initialize).await;
    let answer = mcp.response(id).await;
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!(
                "speaks protocol 2.0, this mcp-front speaks {PROTO_VERSION}"
            )),
        "{answer}"
    );
}

#[tokio::test]
async fn stateless_2026_requests_work_without_initialize() {
    let helper = FakeHelper::start("stateless", PROTO_VERSION.major);
    let mut mcp = Mcp::spawn(&helper.socket);
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "mcp-front-test", "version": "0"}
    });
    let discover = mcp.request("server/discover", json!({"_meta": meta})).await;
    let versions = discover["supportedVersions"].as_array().unwrap();
    assert!(versions.contains(&json!("2024-11-05")) && versions.contains(&json!("2026-07-28")));
    let params = json!({"name": "list_vms", "arguments": {"limit": 2}, "_meta": meta});
    let r = mcp.request("tools/call", params).await;
    assert!(!is_error(&r), "{r}");
    assert_eq!(r["structuredContent"]["total"], 3);
}
