use super::*;

fn judge(line: &str, phase: &mut Phase) -> Verdict {
    classify(line.as_bytes(), phase)
}

fn reply(line: &str, phase: &mut Phase) -> Value {
    match judge(line, phase) {
        Verdict::Reply(v) => v,
        other => panic!("{line}: expected a reply, got {other:?}"),
    }
}

const INIT: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}"#;

#[test]
fn malformed_lines_get_the_json_rpc_error_the_spec_names() {
    let mut phase = Phase::Running;
    for (line, code, id) in [
        ("hello", -32700, Value::Null),
        ("{\"jsonrpc\":\"2.0\",", -32700, Value::Null),
        ("[1,2]", -32600, Value::Null),
        ("42", -32600, Value::Null),
        (r#"{"id":3,"method":"ping"}"#, -32600, json!(3)),
        (
            r#"{"jsonrpc":"1.0","id":"a","method":"ping"}"#,
            -32600,
            json!("a"),
        ),
        (
            r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
            -32600,
            Value::Null,
        ),
        (
            r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#,
            -32600,
            Value::Null,
        ),
        (r#"{"jsonrpc":"2.0","id":4,"method":7}"#, -32600, json!(4)),
        (r#"{"jsonrpc":"2.0","id":5}"#, -32600, json!(5)),
        (
            r#"{"jsonrpc":"2.0","id":6,"method":"tools/call"}"#,
            -32602,
            json!(6),
        ),
        (
            r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":1}}"#,
            -32602,
            json!(7),
        ),
        (
            r#"{"jsonrpc":"2.0","id":8,"method":"no/such"}"#,
            -32601,
            json!(8),
        ),
    ] {
        let r = reply(line, &mut phase);
        assert_eq!(r["error"]["code"], code, "{line}: {r}");
        assert_eq!(r["id"], id, "{line}: {r}");
        assert_eq!(r["jsonrpc"], "2.0");
    }
    let r = reply(
        r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{}}"#,
        &mut phase,
    );
    assert_eq!(
        r["error"]["message"],
        "Invalid params for tools/call: missing field `name`"
    );
    assert_eq!(phase, Phase::Running);
}

#[test]
fn the_lifecycle_opens_once_and_early_notifications_are_ignored() {
    let mut phase = Phase::Opening;
    let note = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
    assert!(matches!(judge(note, &mut phase), Verdict::Drop(_)));
    let response = r#"{"jsonrpc":"2.0","id":9,"result":{}}"#;
    assert!(matches!(judge(response, &mut phase), Verdict::Drop(_)));
    let list = r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#;
    let r = reply(list, &mut phase);
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("send initialize first")
    );
    let ping = r#"{"jsonrpc":"2.0","id":3,"method":"ping"}"#;
    assert!(matches!(judge(ping, &mut phase), Verdict::Forward(_)));
    assert_eq!(phase, Phase::Opening);
    assert!(matches!(judge(INIT, &mut phase), Verdict::Forward(_)));
    assert_eq!(phase, Phase::Running);
    assert!(matches!(judge(note, &mut phase), Verdict::Forward(_)));
    let again = reply(INIT, &mut phase);
    assert_eq!(again["error"]["code"], -32600);
    assert_eq!(again["id"], 1);
    assert!(matches!(judge(list, &mut phase), Verdict::Forward(_)));
}

#[test]
fn a_self_describing_2026_request_opens_the_session() {
    let mut phase = Phase::Opening;
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    let discover =
        json!({"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta": meta}});
    assert!(matches!(
        judge(&discover.to_string(), &mut phase),
        Verdict::Forward(_)
    ));
    assert_eq!(phase, Phase::Opening, "discover is a probe");
    let mut old = meta.clone();
    old["io.modelcontextprotocol/protocolVersion"] = json!("2099-01-01");
    let list = json!({"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"_meta": old}});
    assert!(matches!(
        judge(&list.to_string(), &mut phase),
        Verdict::Forward(_)
    ));
    assert_eq!(
        phase,
        Phase::Opening,
        "rmcp refuses an unknown version and waits"
    );
    let list = json!({"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"_meta": meta}});
    assert!(matches!(
        judge(&list.to_string(), &mut phase),
        Verdict::Forward(_)
    ));
    assert_eq!(phase, Phase::Running);
}

#[test]
fn a_malformed_response_fails_the_request_it_answers() {
    let mut phase = Phase::Running;
    let bad = r#"{"jsonrpc":"2.0","id":0,"error":"boom"}"#;
    match judge(bad, &mut phase) {
        Verdict::Forward(m) => assert!(matches!(*m, ClientJsonRpcMessage::Error(_)), "{m:?}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_oversized_line_is_answered_with_its_id_when_found() {
    let head = br#"{"jsonrpc":"2.0","id": "big-1","method":"tools/call","params":{"name":"x","arguments":{"command":"aaaa"#;
    let r = oversized_reply(head, 1024);
    assert_eq!(r["id"], "big-1");
    assert_eq!(r["error"]["code"], -32600);
    assert_eq!(
        oversized_reply(b"{\"method\":\"x\",", 10)["id"],
        Value::Null
    );
    assert_eq!(oversized_reply(br#"{"id":{"a":1}}"#, 10)["id"], Value::Null);
}

#[test]
fn blank_lines_and_byte_order_marks_are_tolerated() {
    let mut phase = Phase::Opening;
    assert!(matches!(judge("  \r", &mut phase), Verdict::Drop(_)));
    let bom = format!("\u{feff}{INIT}\r\n");
    assert!(matches!(judge(&bom, &mut phase), Verdict::Forward(_)));
}
