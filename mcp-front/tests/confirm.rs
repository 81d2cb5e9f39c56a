//! Confirmation of a `confirm` action (the fake helper wants `reset` confirmed), in
//! each protocol era, driven with raw JSON-RPC lines over the real binary's stdio.

mod support;

use pve_mcp_proto::{GuestAction, PROTO_VERSION, Request};
use serde_json::{Value, json};
use support::{
    fake_helper::FakeHelper,
    mcp_client::{Mcp, is_error, text},
};

const RESET: &str = r#"{"vmid": 101, "action": "reset", "wait": false}"#;

fn reset_args() -> Value {
    serde_json::from_str(RESET).unwrap()
}

fn resets(helper: &FakeHelper, confirmed: bool) -> usize {
    helper.seen.count(|r| {
        matches!(r, Request::GuestAction(a) if a.action == GuestAction::Reset && a.confirmed == confirmed)
    })
}

async fn elicit(mcp: &mut Mcp, answer: Value) -> Value {
    let id = mcp
        .start_request(
            "tools/call",
            json!({"name": "vm_action", "arguments": reset_args()}),
        )
        .await;
    let question = mcp.server_request().await;
    assert_eq!(question["method"], "elicitation/create", "{question}");
    let message = question["params"]["message"].as_str().unwrap();
    assert!(
        message.contains("reset VM 101 \"web-01\" on node pve1 (now running)"),
        "{message}"
    );
    let schema = &question["params"]["requestedSchema"];
    assert_eq!(
        schema["properties"]["confirm"]["type"], "boolean",
        "{schema}"
    );
    let reply = json!({"jsonrpc": "2.0", "id": question["id"], "result": answer});
    mcp.send(&reply).await;
    mcp.response(id).await["result"].clone()
}

#[tokio::test]
async fn elicitation_asks_the_user_in_the_2025_eras() {
    let helper = FakeHelper::start("elicit", PROTO_VERSION.major);
    for version in ["2025-06-18", "2025-11-25"] {
        let caps = json!({"elicitation": {"form": {}}});
        let (mut mcp, init) = Mcp::start_with(&helper.socket, version, caps).await;
        assert_eq!(init["protocolVersion"], version);
        let r = elicit(
            &mut mcp,
            json!({"action": "accept", "content": {"confirm": true}}),
        )
        .await;
        assert!(!is_error(&r), "{r}");
        assert!(
            text(&r).starts_with("Started \"reset\" on guest 101"),
            "{r}"
        );
        let r = elicit(&mut mcp, json!({"action": "decline"})).await;
        assert!(is_error(&r));
        assert!(
            text(&r).contains("the user declined to reset guest 101"),
            "{r}"
        );
        let r = elicit(&mut mcp, json!({"action": "cancel"})).await;
        assert!(is_error(&r) && text(&r).contains("dismissed"), "{r}");
    }
    assert_eq!(resets(&helper, true), 2, "one confirmed reset per era");
    assert_eq!(resets(&helper, false), 6);
}

#[tokio::test]
async fn without_elicitation_the_refusal_says_how_to_change_it() {
    let helper = FakeHelper::start("noelicit", PROTO_VERSION.major);
    // 2025-03-26 has no elicitation, whatever the client declares.
    for (version, caps) in [
        ("2025-06-18", json!({})),
        ("2025-03-26", json!({"elicitation": {}})),
        ("2024-11-05", json!({})),
    ] {
        let (mut mcp, _) = Mcp::start_with(&helper.socket, version, caps).await;
        let r = mcp.call("vm_action", reset_args()).await;
        assert!(is_error(&r), "{r}");
        let t = text(&r);
        assert!(
            t.starts_with("Confirmation required: action \"reset\" on guest 101"),
            "{t}"
        );
        assert!(
            t.contains("removing it from `confirm`") && t.contains("/etc/pve-mcp/policy.toml"),
            "{t}"
        );
        assert!(
            mcp.notifications
                .iter()
                .all(|n| n["method"] != "elicitation/create")
        );
    }
    assert_eq!(resets(&helper, true), 0);
}

fn meta(caps: Value) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": caps,
        "io.modelcontextprotocol/clientInfo": {"name": "mcp-front-test", "version": "0"}
    })
}

#[tokio::test]
async fn the_2026_era_asks_through_an_input_required_round_trip() {
    let helper = FakeHelper::start("mrtr", PROTO_VERSION.major);
    let mut mcp = Mcp::spawn(&helper.socket);
    let asking = meta(json!({"elicitation": {"form": {}}}));
    let call = json!({"name": "vm_action", "arguments": reset_args(), "_meta": asking});
    let first = mcp.request("tools/call", call.clone()).await;
    assert_eq!(first["resultType"], "input_required", "{first}");
    let question = &first["inputRequests"]["confirm"];
    assert_eq!(question["method"], "elicitation/create", "{first}");
    let state = first["requestState"].as_str().unwrap().to_owned();
    assert_eq!(resets(&helper, true), 0);

    // The model cannot confirm through the arguments.
    let mut forged = call.clone();
    forged["arguments"]["confirmed"] = json!(true);
    let r = mcp.request("tools/call", forged).await;
    assert!(
        is_error(&r) && text(&r).contains("unknown field `confirmed`"),
        "{r}"
    );

    // The state confirms only the action it was asked for.
    let mut other = call.clone();
    other["arguments"]["vmid"] = json!(102);
    other["requestState"] = json!(state);
    other["inputResponses"] =
        json!({"confirm": {"action": "accept", "content": {"confirm": true}}});
    let r = mcp.request("tools/call", other).await;
    assert!(
        is_error(&r) && text(&r).contains("not to reset guest 102"),
        "{r}"
    );

    // That attempt used the state up: ask again, then answer properly.
    let first = mcp.request("tools/call", call.clone()).await;
    let mut retry = call.clone();
    retry["requestState"] = first["requestState"].clone();
    retry["inputResponses"] =
        json!({"confirm": {"action": "accept", "content": {"confirm": true}}});
    let r = mcp.request("tools/call", retry.clone()).await;
    assert!(!is_error(&r), "{r}");
    assert_eq!(r["structuredContent"]["outcome"], "started", "{r}");
    assert_eq!(resets(&helper, true), 1);
    let replay = mcp.request("tools/call", retry).await;
    assert!(
        is_error(&replay) && text(&replay).contains("already used"),
        "{replay}"
    );
    assert_eq!(resets(&helper, true), 1);

    // A 2026 client without elicitation is told why, with no round trip.
    let plain = json!({"name": "vm_action", "arguments": reset_args(), "_meta": meta(json!({}))});
    let r = mcp.request("tools/call", plain).await;
    assert!(
        is_error(&r) && text(&r).starts_with("Confirmation required:"),
        "{r}"
    );
}
