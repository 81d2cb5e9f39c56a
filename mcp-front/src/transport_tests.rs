use super::*;
use rmcp::model::{ClientRequest, JsonRpcMessage};
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
