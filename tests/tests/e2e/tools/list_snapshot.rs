//! The model-facing surface, pinned: the exact `tools/list` answer and the server
//! instructions of the real mcp-front under a fixed policy, and the `tools/list`
//! answer under a policy that also grants the whole guest lifecycle (so that, between
//! the two, every tool the front has is pinned), compared with the files in
//! `tests/snapshots/`. A change shows as a line diff; review it, then refresh with
//!
//!     UPDATE_SNAPSHOTS=1 cargo test -p pve-mcp-tests --test e2e tools::list_snapshot

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

/// The lab builder's lifecycle grants, with guest-agent programs and the firewall,
/// pool, HA and node network reads: every lifecycle tool is listed.
const LIFECYCLE_POLICY: &str = r#"
[clients]
users = [{uid}]

[guests]
allow = ["pool:lab"]
actions = ["start", "stop", "config.read", "config.write", "disk.resize", "clone", "template", "migrate", "delete", "backup.list", "backup.create", "backup.restore", "backup.delete", "task.cancel", "agent.exec", "disk.move", "disk.move.delete", "firewall.rules", "firewall.enable"]
confirm = ["stop", "template", "delete", "backup.restore", "backup.delete", "disk.move.delete", "firewall.enable"]

[create]
types = ["qemu", "lxc"]
vmids = "9000-9099"
nodes = ["pve1", "pve2"]
pool = "lab"
tags = ["made-by-mcp"]

[bounds]
max_cores = 8
max_memory_mib = 16384
max_disk_gib = 128
storages = ["local-lvm"]
bridges = ["vmbr1"]
sources = ["local:iso/*", "local:vztmpl/*", "local:import/*"]

[config]
keys = ["cores", "memory", "net*", "scsi*", "ciuser", "sshkeys", "ipconfig*"]

[migrate]
nodes = ["pve1", "pve2"]

[backup]
storages = ["local"]

[firewall]
directions = ["in"]
actions = ["ACCEPT"]
protocols = ["tcp"]
dports = ["443"]
sources = ["10.0.0.0/8"]
dests = ["10.0.0.0/8"]

[storage]
storages = ["local"]
download_from = ["https://cloud-images.ubuntu.com/"]
delete = true

[agent]
exec = [["uname", "-a"], ["systemctl", "is-active", "*"]]
timeout_secs = 120

[api]
allow = ["GET /cluster/resources", "GET /pools", "GET /pools/*", "GET /cluster/firewall/**", "GET /nodes/*/firewall/**", "GET /nodes/*/qemu/*/firewall/**", "GET /cluster/ha/resources", "GET /cluster/ha/groups", "GET /nodes/*/network"]
"#;

/// The lifecycle tools, with whether each only reads and whether it may destroy
/// something (a guest, a backup, a volume, a configuration key, a task's work, or
/// whatever a program in the guest does).
const LIFECYCLE_HINTS: [(&str, bool, bool); 19] = [
    ("guest_create", false, false),
    ("guest_clone", false, false),
    ("guest_template", false, true),
    ("guest_configure", false, true),
    ("disk_resize", false, false),
    ("disk_move", false, true),
    ("guest_migrate", false, false),
    ("guest_delete", false, true),
    ("backup_restore", false, true),
    ("volume_delete", false, true),
    ("storage_download", false, false),
    ("task_cancel", false, true),
    ("agent_exec", false, true),
    ("firewall_edit", false, true),
    ("firewall", true, false),
    ("list_pools", true, false),
    ("ha_resources", true, false),
    ("next_vmid", true, false),
    ("node_networks", true, false),
];

/// What a fresh front answers to `initialize` and `tools/list`, and the names of all
/// the tools it has (from its answer to a call of an unknown tool).
struct Surface {
    init: Value,
    tools: Value,
    all_tools: Vec<String>,
}

/// Asks a fresh front for `initialize` and `tools/list` over raw JSON-RPC lines.
async fn surface(stack: &Stack) -> Surface {
    let mut child = tokio::process::Command::new(workspace_bin("mcp-front"))
        .arg("--socket")
        .arg(&stack.socket)
        .env("PVE_MCP_LOG", "error")
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
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
               "params": {"name": "no_such_tool", "arguments": {}}}),
    ];
    for m in messages {
        stdin.write_all(format!("{m}\n").as_bytes()).await.unwrap();
    }
    let mut answers = Vec::new();
    while answers.len() < 3 {
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("answered in time")
            .unwrap()
            .expect("stdout open");
        answers.push(serde_json::from_str::<Value>(&line).unwrap());
    }
    let unknown = answers[2]["error"]["message"].as_str().unwrap_or_default();
    let (_, all) = unknown
        .split_once("this server has ")
        .unwrap_or_else(|| panic!("the unknown tool's error names the tools: {unknown}"));
    Surface {
        init: answers[0]["result"].clone(),
        tools: answers[1]["result"].clone(),
        all_tools: all.split(", ").map(str::to_owned).collect(),
    }
}

fn pretty(v: &Value) -> String {
    let mut text = serde_json::to_string_pretty(v).unwrap();
    text.push('\n');
    text
}

/// The names of the tools in a `tools/list` answer.
fn names(tools: &Value) -> Vec<&str> {
    tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect()
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
         UPDATE_SNAPSHOTS=1 cargo test -p pve-mcp-tests --test e2e tools::list_snapshot\n",
        path.display(),
        diff(&expected, actual)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tools_list_and_instructions_match_the_snapshots() {
    let stack = Stack::start(StackOptions::new(POLICY)).expect("stack starts");
    let s = surface(&stack).await;
    check("tools_list.json", &pretty(&s.tools));
    let mut instructions = s.init["instructions"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    instructions.push('\n');
    check("instructions.txt", &instructions);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lifecycle_tools_match_their_snapshot_and_every_tool_is_pinned() {
    let stack = Stack::start(StackOptions::new(LIFECYCLE_POLICY)).expect("stack starts");
    let s = surface(&stack).await;
    let listed = names(&s.tools);
    for (name, read_only, destructive) in LIFECYCLE_HINTS {
        let tool = &s.tools["tools"][listed
            .iter()
            .position(|n| *n == name)
            .unwrap_or_else(|| panic!("{name} is listed under the lifecycle policy: {listed:?}"))];
        let a = &tool["annotations"];
        assert_eq!(
            (
                &a["readOnlyHint"],
                &a["destructiveHint"],
                &a["idempotentHint"]
            ),
            (&json!(read_only), &json!(destructive), &json!(read_only)),
            "{name}"
        );
        assert!(tool["outputSchema"].is_object(), "{name}");
    }
    check("tools_list_lifecycle.json", &pretty(&s.tools));

    // Between the two snapshots, every tool the front has is pinned.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots/tools_list.json");
    let first: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let pinned = names(&first);
    for tool in &s.all_tools {
        assert!(
            pinned.contains(&tool.as_str()) || listed.contains(&tool.as_str()),
            "{tool} is in neither snapshot"
        );
    }
    assert_eq!(
        s.all_tools.len(),
        pve_mcp_tests::TOOL_COUNT,
        "{:?}",
        s.all_tools
    );
}

#[test]
fn the_diff_shows_changed_lines_in_context() {
    let d = diff("a\nb\nc\nd\ne\nf\ng\n", "a\nb\nc\nX\ne\nf\ng\n");
    assert!(d.contains("-    4 | d\n+    4 | X\n"), "{d}");
    assert!(d.contains("     3 | c") && !d.contains("| a"), "{d}");
}
