//! Hostile and clumsy input on stdin: the real binary answers each bad line with the
//! JSON-RPC or tool error the spec names, writes nothing but JSON-RPC on stdout, and
//! keeps serving.

mod support;

use pve_mcp_proto::PROTO_VERSION;
use serde_json::{Value, json};
use support::{
    fake_helper::FakeHelper,
    mcp_client::{Mcp, is_error, text},
};
use tokio::io::AsyncWriteExt;

async fn raw(mcp: &mut Mcp, line: &[u8]) {
    mcp.stdin_mut().write_all(line).await.unwrap();
    mcp.stdin_mut().write_all(b"\n").await.unwrap();
}

#[tokio::test]
async fn out_of_order_messages_before_initialize_do_not_end_the_session() {
    let helper = FakeHelper::start("early", PROTO_VERSION.major);
    let mut mcp = Mcp::spawn(&helper.socket);
    mcp.notify("notifications/initialized", json!({})).await;
    raw(&mut mcp, br#"{"jsonrpc":"2.0","id":99,"result":{}}"#).await;
    let id = mcp.start_request("tools/list", json!({})).await;
    let r = mcp.response(id).await;
    assert_eq!(r["error"]["code"], -32602, "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("send initialize first")
    );
    let id = mcp.start_request("ping", json!({})).await;
    assert_eq!(mcp.response(id).await["result"], json!({}));
    let init = mcp
        .request(
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "t", "version": "0"}}),
        )
        .await;
    assert_eq!(init["protocolVersion"], "2025-11-25");
    let id = mcp
        .start_request(
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "t", "version": "0"}}),
        )
        .await;
    assert_eq!(mcp.response(id).await["error"]["code"], -32600);
    assert!(mcp.is_running());
}

#[tokio::test]
async fn malformed_lines_get_json_rpc_errors_and_the_session_goes_on() {
    let helper = FakeHelper::start("garbage", PROTO_VERSION.major);
    let (mut mcp, _) = Mcp::start(&helper.socket).await;
    let cases: [(&[u8], i64); 7] = [
        (b"this is not json", -32700),
        (b"{\"jsonrpc\":\"2.0\",\"id\":1,", -32700),
        (b"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", -32600),
        (b"\"just a string\"", -32600),
        (b"{\"jsonrpc\":\"2.0\",\"id\":{\"x\":1},\"method\":\"ping\"}", -32600),
        (b"\xff\xfe\x00garbage", -32700),
        (b"{\"jsonrpc\":\"2.0\",\"id\":\"s\",\"method\":\"tools/call\",\"params\":{\"arguments\":{}}}", -32602),
    ];
    for (line, code) in cases {
        raw(&mut mcp, line).await;
        let answer = mcp.next_message().await;
        assert_eq!(
            answer["error"]["code"],
            code,
            "{}: {answer}",
            String::from_utf8_lossy(line)
        );
    }
    let id = mcp.start_request("no/such/method", json!({})).await;
    assert_eq!(mcp.response(id).await["error"]["code"], -32601);
    let id = mcp
        .start_request("tools/call", json!({"name": "rm_rf", "arguments": {}}))
        .await;
    let r = mcp.response(id).await;
    assert_eq!(r["error"]["code"], -32602, "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Unknown tool \"rm_rf\"")
    );
    let r = mcp.call("list_vms", json!({})).await;
    assert!(!is_error(&r), "still serving: {r}");
}

#[tokio::test]
async fn wrong_types_extra_fields_and_huge_strings_are_tool_errors() {
    let helper = FakeHelper::start("args", PROTO_VERSION.major);
    let (mut mcp, _) = Mcp::start(&helper.socket).await;
    let huge = "x".repeat(300 * 1024);
    for (tool, args, expect) in [
        (
            "vm_status",
            json!({"vmid": "101"}),
            "Invalid arguments: invalid type",
        ),
        (
            "vm_status",
            json!({"vmid": 101, "extra": 1}),
            "unknown field `extra`",
        ),
        ("vm_status", json!({"vmid": -1}), "Invalid arguments"),
        (
            "vm_action",
            json!({"vmid": 101, "action": "start", "timeout_secs": 0}),
            "out of range",
        ),
        (
            "list_vms",
            json!({"name": huge.clone()}),
            "name filter must be 1 to 128",
        ),
        (
            "execute_command",
            json!({"command": huge.clone()}),
            "longer than 32768 bytes",
        ),
        (
            "proxmox_api",
            json!({"endpoint": huge}),
            "Invalid arguments",
        ),
        ("node_status", json!({"node": "a/b"}), "Invalid arguments"),
    ] {
        let r = mcp.call(tool, args.clone()).await;
        assert!(is_error(&r), "{tool}: {r}");
        assert!(text(&r).contains(expect), "{tool}: {}", text(&r));
    }
    // A message over the line cap is answered with its id and discarded.
    let mut line = br#"{"jsonrpc":"2.0","id":4242,"method":"tools/call","params":{"name":"execute_command","arguments":{"command":""#.to_vec();
    line.resize(2 * 1024 * 1024, b'a');
    line.extend_from_slice(b"\"}}}");
    raw(&mut mcp, &line).await;
    let answer = mcp.next_message().await;
    assert_eq!(answer["id"], 4242, "{answer}");
    assert_eq!(answer["error"]["code"], -32600);
    let r: Value = mcp.call("vm_status", json!({"vmid": 102})).await;
    assert!(is_error(&r) && text(&r).starts_with("Not found"), "{r}");
    assert!(mcp.is_running());
}
