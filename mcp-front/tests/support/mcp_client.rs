//! Drives the real `mcp-front` binary with raw JSON-RPC lines over its stdio.

use serde_json::{Value, json};
use std::{path::Path, process::Stdio, time::Duration};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines},
    process::{Child, ChildStdin, ChildStdout, Command},
};

const READ_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug)]
pub struct Mcp {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    next_id: u64,
    /// Notifications received so far, in order.
    pub notifications: Vec<Value>,
    /// Answers read while waiting for another one.
    pub stray: Vec<Value>,
}

impl Mcp {
    /// Starts `mcp-front --socket SOCKET` without initializing.
    pub fn spawn(socket: &Path) -> Self {
        Self::spawn_with(socket, &[])
    }

    /// Like [`Mcp::spawn`], with more command line arguments.
    pub fn spawn_with(socket: &Path, args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mcp-front"))
            .arg("--socket")
            .arg(socket)
            .args(args)
            .env("PVE_MCP_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn mcp-front");
        let stdin = child.stdin.take().unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Self {
            child,
            stdin,
            lines,
            next_id: 1,
            notifications: Vec::new(),
            stray: Vec::new(),
        }
    }

    /// Starts the binary and completes the initialize handshake; returns its result too.
    pub async fn start(socket: &Path) -> (Self, Value) {
        Self::start_with(socket, "2025-06-18", json!({})).await
    }

    /// Like [`Mcp::start`], asking for `version` and declaring `capabilities`.
    pub async fn start_with(socket: &Path, version: &str, capabilities: Value) -> (Self, Value) {
        let mut mcp = Self::spawn(socket);
        let init = mcp
            .request(
                "initialize",
                json!({
                    "protocolVersion": version,
                    "capabilities": capabilities,
                    "clientInfo": {"name": "mcp-front-test", "version": "0"}
                }),
            )
            .await;
        mcp.notify("notifications/initialized", json!({})).await;
        (mcp, init)
    }

    pub async fn send(&mut self, message: &Value) {
        let mut line = serde_json::to_vec(message).unwrap();
        line.push(b'\n');
        self.stdin.write_all(&line).await.unwrap();
        self.stdin.flush().await.unwrap();
    }

    pub async fn notify(&mut self, method: &str, params: Value) {
        let message = json!({"jsonrpc": "2.0", "method": method, "params": params});
        self.send(&message).await;
    }

    /// Sends a request without waiting; returns its id.
    pub async fn start_request(&mut self, method: &str, params: Value) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send(&message).await;
        id
    }

    /// The next line of stdout, which must be one JSON-RPC 2.0 message.
    pub async fn next_message(&mut self) -> Value {
        let line = tokio::time::timeout(READ_TIMEOUT, self.lines.next_line())
            .await
            .expect("mcp-front answered in time")
            .expect("read stdout")
            .expect("mcp-front closed stdout");
        let message: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"));
        assert_eq!(message["jsonrpc"], "2.0", "{line}");
        message
    }

    /// Reads until a request from the server (e.g. `elicitation/create`), keeping
    /// notifications.
    pub async fn server_request(&mut self) -> Value {
        loop {
            let message = self.next_message().await;
            if message.get("method").is_some() && message.get("id").is_some() {
                return message;
            }
            assert!(message.get("id").is_none(), "unexpected answer {message}");
            self.notifications.push(message);
        }
    }

    /// Reads until the response to `id`, keeping notifications; returns the whole message.
    pub async fn response(&mut self, id: u64) -> Value {
        loop {
            let message = self.next_message().await;
            if message.get("id").and_then(Value::as_u64) == Some(id)
                && message.get("method").is_none()
            {
                return message;
            }
            if message.get("method").is_some() && message.get("id").is_none() {
                self.notifications.push(message);
            } else if message.get("method").is_none() {
                self.stray.push(message);
            }
        }
    }

    /// Sends a request and returns its `result` (panics on a JSON-RPC error).
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.start_request(method, params).await;
        let message = self.response(id).await;
        match message.get("result") {
            Some(result) => result.clone(),
            None => panic!("{method} failed: {message}"),
        }
    }

    /// Calls a tool; returns the `CallToolResult`.
    pub async fn call(&mut self, name: &str, arguments: Value) -> Value {
        self.request("tools/call", json!({"name": name, "arguments": arguments}))
            .await
    }

    pub fn stdin_mut(&mut self) -> &mut ChildStdin {
        &mut self.stdin
    }

    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

/// The text of a tool result's first content block.
pub fn text(result: &Value) -> &str {
    result["content"][0]["text"].as_str().unwrap_or_default()
}

pub fn is_error(result: &Value) -> bool {
    result["isError"].as_bool().unwrap_or(false)
}
