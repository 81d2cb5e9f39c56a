use super::*;
use crate::tools::reply::structured;
use rmcp::model::{
    CallToolResult, ClientRequest, JsonRpcMessage, JsonRpcVersion2_0, NumberOrString,
};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt, duplex};

const INIT: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}"#;

#[tokio::test]
async fn replies_to_garbage_forwards_requests_and_survives_huge_lines() {
    let (mut client_in, server_in) = duplex(64 * 1024);
    let (server_out, mut client_out) = duplex(64 * 1024);
    let mut transport = GuardedTransport::new(server_in, server_out);
    let feeder = tokio::spawn(async move {
        client_in.write_all(b"not json\n").await.unwrap();
        let mut huge = br#"{"jsonrpc":"2.0","id":77,"method":"tools/call","params":{"name":"x","arguments":{"s":""#.to_vec();
        huge.resize(MAX_LINE + 10, b'a');
        huge.extend_from_slice(b"\"}}}\n");
        client_in.write_all(&huge).await.unwrap();
        client_in.write_all(INIT.as_bytes()).await.unwrap();
        client_in.write_all(b"\n").await.unwrap();
        client_in
    });
    let first = transport.receive().await.expect("initialize is forwarded");
    let JsonRpcMessage::Request(r) = first else {
        panic!("{first:?}")
    };
    assert!(matches!(r.request, ClientRequest::InitializeRequest(_)));
    let client_in = feeder.await.unwrap();
    drop(client_in);
    assert!(transport.receive().await.is_none(), "EOF ends the session");
    transport.close().await.unwrap();
    let mut out = String::new();
    client_out.read_to_string(&mut out).await.unwrap();
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(lines[0]["error"]["code"], -32700);
    assert_eq!(lines[1]["error"]["code"], -32600);
    assert_eq!(lines[1]["id"], 77);
}

fn tool_response(id: i64, result: CallToolResult) -> TxJsonRpcMessage<RoleServer> {
    JsonRpcMessage::Response(JsonRpcResponse {
        jsonrpc: JsonRpcVersion2_0,
        id: NumberOrString::Number(id),
        result: ServerResult::CallToolResult(result),
    })
}

#[test]
fn structured_content_is_written_in_place_as_the_value_would_be() {
    let values = [
        serde_json::json!({"total": 2, "guests": [{"vmid": 101, "name": "a\"b\\c\n\u{0}é"},
            {"vmid": 102, "tags": []}], "next": null, "ratio": 0.25}),
        serde_json::json!({}),
    ];
    for value in values {
        let result = structured(&value, "text \"quoted\"\n".into());
        let mut expected = CallToolResult::success(result.content.clone());
        expected.structured_content = Some(value.clone());
        let line = message_line(tool_response(7, result)).unwrap();
        assert_eq!(line.last(), Some(&b'\n'));
        assert!(!line[..line.len() - 1].contains(&b'\n'), "one line");
        let got: Value = serde_json::from_slice(&line).unwrap();
        let want: Value =
            serde_json::from_slice(&to_line(&tool_response(7, expected)).unwrap()).unwrap();
        assert_eq!(got, want);
        assert_eq!(got["result"]["structuredContent"], value);
        let text = String::from_utf8(line).unwrap();
        assert!(!text.contains("pve-mcp:structured-json"), "{text}");
    }
}

#[test]
fn other_messages_and_plain_structured_content_are_unchanged() {
    let mut plain = CallToolResult::success(vec![]);
    plain.structured_content = Some(serde_json::json!({"a": 1}));
    let message = tool_response(1, plain);
    assert_eq!(
        message_line(message.clone()).unwrap(),
        to_line(&message).unwrap()
    );
    let error = tool_response(2, crate::tools::reply::tool_error("denied"));
    assert_eq!(
        message_line(error.clone()).unwrap(),
        to_line(&error).unwrap()
    );
}

#[test]
fn a_listed_tools_text_is_written_in_place_as_the_tools_would_be() {
    use rmcp::model::{CacheScope, ListToolsResult, ResultType};
    let response = |tools| {
        let mut result = ListToolsResult::with_all_items(tools);
        result.result_type = Some(ResultType::COMPLETE);
        result.ttl_ms = Some(0);
        result.cache_scope = Some(CacheScope::Private);
        JsonRpcMessage::Response(JsonRpcResponse {
            jsonrpc: JsonRpcVersion2_0,
            id: NumberOrString::Number(3),
            result: ServerResult::ListToolsResult(result),
        })
    };
    let json = catalog::tools_json(None);
    let tools = catalog::tools(None);
    assert!(tools.len() > 40);
    let line = message_line(response(vec![catalog::stand_in(json)])).unwrap();
    assert_eq!(line, to_line(&response(tools)).unwrap());
    assert!(!line[..line.len() - 1].contains(&b'\n'), "one line");
    // An empty list, and a result of any other shape, get the values.
    let line = message_line(response(vec![catalog::stand_in(String::new())])).unwrap();
    assert_eq!(line, to_line(&response(vec![])).unwrap());
    let plain = response(vec![rmcp::model::Tool::new(
        "t",
        "d",
        rmcp::model::JsonObject::new(),
    )]);
    assert_eq!(
        message_line(plain.clone()).unwrap(),
        to_line(&plain).unwrap()
    );
}

/// Where the front's time goes on a 100-guest `list_vms` answer, in process: reading
/// the helper's frame, rendering, writing the line. A report, not a check:
/// `cargo test --release -p mcp-front --lib listing_timing -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "a timing report"]
async fn listing_timing() {
    use crate::tools::guests::output::{GuestPage, guest_page};
    use pve_mcp_proto::{HelperFrame, Payload, Response, encode_frame, read_frame};
    use std::time::Instant;
    let guests: Vec<Value> = (0..100u32)
        .map(|i| {
            serde_json::json!({
                "vmid": 100 + i, "name": format!("web-{i:03}.example.org"),
                "type": if i % 3 == 0 { "lxc" } else { "qemu" }, "node": format!("pve{}", i % 3 + 1),
                "status": if i % 4 == 0 { "stopped" } else { "running" }, "pool": "prod",
                "tags": ["web", "prod"], "template": false, "cpu": 0.0123 * f64::from(i),
                "maxcpu": 4.0, "mem": 2_147_483_648u64 + 7_919_993 * u64::from(i),
                "maxmem": 4_294_967_296u64, "uptime": 123_456 + i,
            })
        })
        .collect();
    let page = serde_json::json!({"total": 3000, "offset": 0, "limit": 100,
        "counts": {"running": 2250, "stopped": 750, "other": 0, "qemu": 2000, "lxc": 1000},
        "guests": guests});
    let page: pve_mcp_proto::GuestPage = serde_json::from_value(page).unwrap();
    let reply = HelperFrame::Reply {
        id: 1,
        response: Response::Ok(Payload::Guests(page)),
    };
    let frame = encode_frame(&reply, u32::MAX).unwrap();
    let mut times = [const { Vec::new() }; 4];
    for _ in 0..2000 {
        let t0 = Instant::now();
        let read: HelperFrame = read_frame(&mut frame.as_slice(), u32::MAX).await.unwrap();
        let HelperFrame::Reply {
            response: Response::Ok(Payload::Guests(page)),
            ..
        } = read
        else {
            panic!("not the page: {read:?}")
        };
        let t1 = Instant::now();
        let page = GuestPage::from(page);
        let text = guest_page(&page);
        let t2 = Instant::now();
        let result = structured(&page, text);
        let t3 = Instant::now();
        let line = message_line(tool_response(1, result)).unwrap();
        let t4 = Instant::now();
        assert!(line.len() > 10_000);
        for (i, d) in [t1 - t0, t2 - t1, t3 - t2, t4 - t3].into_iter().enumerate() {
            times[i].push(d);
        }
    }
    let [read, text, structured, line] = times.map(|mut v| {
        v.sort();
        v[v.len() / 2]
    });
    eprintln!(
        "a {} byte frame of 100 guests (medians of 2,000): read {read:?}, table {text:?}, \
         structured content {structured:?}, answer line {line:?}",
        frame.len()
    );
}
