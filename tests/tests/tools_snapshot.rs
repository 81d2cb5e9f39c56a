//! The model-facing surface, pinned: the exact `tools/list` answer and the server
//! instructions of the real mcp-front under a fixed policy, compared with the files in
//! `tests/snapshots/`. A change shows as a line diff; review it, then refresh with
//!
//!     UPDATE_SNAPSHOTS=1 cargo test -p pve-mcp-tests --test tools_snapshot

use pve_mcp_tests::stack::{Stack, StackOptions, workspace_bin};
use serde_json::{Value, json};
use std::{path::Path, process::Stdio, time::Duration};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const POLICY: &str = r#"
[clients]
users = [{uid}]

[guests]
allow = ["100-149", "pool:lab"]
deny = ["120"]
actions = ["start", "shutdown", "reboot", "stop", "snapshot.list", "snapshot.create", "config.read", "backup.list", "metrics.read", "agent.read", "backup.create"]
confirm = ["stop"]

[[rule]]
name = "lab snapshots"
guests = ["pool:lab"]
actions = ["snapshot.rollback", "snapshot.delete"]
confirm = ["snapshot.rollback", "snapshot.delete"]

[backup]
storages = ["nas"]

[api]
allow = [
  "GET /version",
  "GET /nodes",
  "GET /nodes/*/status",
  "GET /nodes/*/qemu/*/config",
  "GET /cluster/tasks",
  "GET /cluster/status",
  "GET /nodes/*/storage",
  "GET /nodes/*/storage/*/content",
]

[commands]
allow = [["uptime"], ["df", "-h"], ["echo", "*"]]
timeout_secs = 5
"#;

/// Asks a fresh front for `initialize` and `tools/list` over raw JSON-RPC lines.
async fn surface(stack: &Stack) -> (Value, Value) {
    let mut child = tokio::process::Command::new(workspace_bin("mcp-front"))
        .arg("--socket")
        .arg(&stack.socket)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("mcp-front starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let messages = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "snapshot", "version": "0"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
    ];
    for m in messages {
        stdin.write_all(format!("{m}\n").as_bytes()).await.unwrap();
    }
    let mut answers = Vec::new();
    while answers.len() < 2 {
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("answered in time")
            .unwrap()
            .expect("stdout open");
        let v: Value = serde_json::from_str(&line).unwrap();
        answers.push(v["result"].clone());
    }
    let tools = answers.pop().unwrap();
    let init = answers.pop().unwrap();
    (init, tools)
}

/// A unified-style line diff, with two lines of context around each change.
fn diff(old: &str, new: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', a[i], i + 1));
            (i, j) = (i + 1, j + 1);
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', a[i], i + 1));
            i += 1;
        } else {
            ops.push(('+', b[j], j + 1));
            j += 1;
        }
    }
    let near = |k: usize| {
        ops[k.saturating_sub(2)..(k + 3).min(ops.len())]
            .iter()
            .any(|o| o.0 != ' ')
    };
    let mut out = String::new();
    let mut gap = false;
    for (k, (op, line, n)) in ops.iter().enumerate() {
        if near(k) {
            out.push_str(&format!("{op} {n:>4} | {line}\n"));
            gap = false;
        } else if !gap {
            out.push_str("  ...\n");
            gap = true;
        }
    }
    out
}

fn check(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        eprintln!("updated {}", path.display());
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "\n{} differs from what mcp-front now answers (- snapshot, + now):\n{}\n\
         If the change is intended, refresh it:\n  \
         UPDATE_SNAPSHOTS=1 cargo test -p pve-mcp-tests --test tools_snapshot\n",
        path.display(),
        diff(&expected, actual)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tools_list_and_instructions_match_the_snapshots() {
    let stack = Stack::start(StackOptions::new(POLICY)).expect("stack starts");
    let (init, tools) = surface(&stack).await;
    let mut text = serde_json::to_string_pretty(&tools).unwrap();
    text.push('\n');
    check("tools_list.json", &text);
    let mut instructions = init["instructions"].as_str().unwrap_or_default().to_owned();
    instructions.push('\n');
    check("instructions.txt", &instructions);
}

#[test]
fn the_diff_shows_changed_lines_in_context() {
    let d = diff("a\nb\nc\nd\ne\nf\ng\n", "a\nb\nc\nX\ne\nf\ng\n");
    assert!(d.contains("-    4 | d\n+    4 | X\n"), "{d}");
    assert!(d.contains("     3 | c") && !d.contains("| a"), "{d}");
}
