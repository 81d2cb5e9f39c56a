//! `pve-helper audit`, the real binary, reading back what the real helper audited of a
//! few allowed and refused calls: from `audit_file`, from the journal (a stand-in
//! `journalctl` that prints the helper's log as `journalctl -o json` would), with
//! filters, as JSON lines, and following new records as they are written.

use pve_mcp_tests::{
    client::is_error,
    sim::SimConfig,
    stack::{Stack, StackOptions, workspace_bin},
};
use serde_json::{Value, json};
use std::{
    io::{BufRead, BufReader, Write},
    os::unix::fs::{MetadataExt, PermissionsExt},
    process::{Command, Output, Stdio},
    time::Duration,
};

const POLICY: &str = "[clients]\nusers = [{uid}]\n[guests]\nallow = [\"100-109\"]\nactions = [\"start\"]\n\
                      [api]\nallow = [\"GET /nodes/*/status\"]\n";

async fn stack_with_calls(audit_file: bool) -> Stack {
    let mut o = StackOptions::new(POLICY);
    o.sim = SimConfig {
        nodes: 2,
        guests: 30,
        ..SimConfig::default()
    };
    o.audit_file = audit_file;
    let stack = Stack::start(o).unwrap();
    let client = stack.client().await.unwrap();
    for (tool, args, refused) in [
        ("vm_status", json!({"vmid": 101}), false),
        ("vm_action", json!({"vmid": 101, "action": "stop"}), true),
        ("vm_status", json!({"vmid": 120}), true),
        ("vm_action", json!({"vmid": 103, "action": "start"}), false),
        (
            "proxmox_api",
            json!({"endpoint": "/nodes/pve1/qemu/105/config"}),
            true,
        ),
    ] {
        let r = client.call(tool, args).await.unwrap();
        assert_eq!(is_error(&r), refused, "{tool}: {r}");
    }
    stack
}

fn audit(stack: &Stack, args: &[&str]) -> Output {
    let out = Command::new(workspace_bin("pve-helper"))
        .arg("--config")
        .arg(stack.dir().join("helper.toml"))
        .arg("audit")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pve-helper audit {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn json_lines(out: &Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn own_uid() -> u32 {
    std::fs::metadata("/proc/self").unwrap().uid()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_reads_what_was_allowed_and_refused_today() {
    let stack = stack_with_calls(true).await;
    let out = audit(&stack, &["--since", "today"]);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("TIME") && lines[0].contains("CLIENT  ") && lines[0].contains("RULE"),
        "{text}"
    );
    let row = |what: &str| {
        lines
            .iter()
            .find(|l| l.contains(what))
            .unwrap_or_else(|| panic!("no row with {what:?} in\n{text}"))
    };
    let words = |l: &str| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    let r = words(row("vmid=101 action=stop"));
    assert_eq!(
        &r[3..7],
        ["guest_action", "101", "deny", "guests.actions"],
        "{text}"
    );
    let r = words(row("vmid=103 action=start"));
    assert_eq!(&r[3..6], ["guest_action", "103", "allow"], "{text}");
    assert!(row("vmid=120").contains("not_found"));
    let r = words(row("/nodes/pve1/qemu/105/config"));
    assert_eq!(&r[3..6], ["api", "105", "deny"], "{text}");
    // vm_action also followed its task: a few task_status reads, allowed.
    let summary = lines.last().unwrap();
    assert!(
        summary.ends_with(" refused (2 deny, 1 not_found)."),
        "{text}"
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // What was refused, for a script.
    let refused = json_lines(&audit(&stack, &["--decision", "deny", "--json"]));
    let tools: Vec<(&str, u64, &str)> = refused
        .iter()
        .map(|r| {
            (
                r["tool"].as_str().unwrap(),
                r["guest"].as_u64().unwrap(),
                r["decision"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        tools,
        [
            ("guest_action", 101, "deny"),
            ("guest_status", 120, "not_found"),
            ("api", 105, "deny")
        ]
    );
    assert!(refused.iter().all(|r| r["uid"] == own_uid()));

    // One guest, one client, a window that holds nothing, the last record only.
    let guest = json_lines(&audit(&stack, &["--guest", "101", "--json"]));
    assert_eq!(guest.len(), 2);
    let uid = own_uid().to_string();
    let mine = json_lines(&audit(
        &stack,
        &["--client", &uid, "--json", "--decision", "allow"],
    ));
    let allowed = json_lines(&audit(&stack, &["--json", "--decision", "allow"]));
    assert!(allowed.iter().all(|r| r["decision"] == "allow"));
    assert!(allowed.iter().any(|r| r["tool"] == "task_status"));
    assert_eq!(mine, allowed);
    assert!(json_lines(&audit(&stack, &["--client", "4000000000", "--json"])).is_empty());
    let none = stdout(&audit(&stack, &["--until", "yesterday"]));
    assert_eq!(none.trim(), "No audit records match.");
    let all = json_lines(&audit(&stack, &["--all", "--json"]));
    assert!(all.iter().any(|r| r["tool"] == "describe"), "{all:?}");
    let last = json_lines(&audit(&stack, &["-n", "1", "--json"]));
    assert_eq!(
        last[0]["request"],
        "GET /nodes/pve1/qemu/105/config params=[]"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_lines_are_counted_and_skipped() {
    let stack = stack_with_calls(true).await;
    let file = stack.dir().join("audit.jsonl");
    let good = std::fs::read_to_string(&file).unwrap();
    let records = json_lines(&audit(&stack, &["--json"])).len();
    let mut bad = String::from("not a record\n{\"time\": \"2026-12-06T0\n");
    bad.push_str(&good);
    bad.push_str("[1,2]\n");
    std::fs::write(&file, bad).unwrap();
    let out = audit(&stack, &["--json"]);
    assert_eq!(json_lines(&out).len(), records);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("skipped 3 malformed line(s)"), "{err}");
    assert!(
        err.contains("audit.jsonl:1: neither a JSON record"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_audit_file_the_journal_is_read() {
    let stack = stack_with_calls(false).await;
    // The journal of the unit, as `journalctl -o json` prints it: the helper's
    // standard error is what systemd puts in the journal.
    let log = stack.helper_log();
    let journal: String = log
        .lines()
        .enumerate()
        .map(|(i, l)| json!({"__CURSOR": format!("s={i}"), "MESSAGE": l}).to_string() + "\n")
        .collect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("journal.json"), &journal).unwrap();
    let fake = dir.path().join("journalctl");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\necho \"$@\" > {0}/args\ncat {0}/journal.json\n",
            dir.path().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap()
    );
    let out = Command::new(workspace_bin("pve-helper"))
        .env("PATH", path)
        .arg("--config")
        .arg(stack.dir().join("helper.toml"))
        .args(["audit", "--since", "1h", "--decision", "deny", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let refused = json_lines(&out);
    let guests: Vec<u64> = refused
        .iter()
        .map(|r| r["guest"].as_u64().unwrap())
        .collect();
    assert_eq!(guests, [101, 120, 105], "{refused:?}");
    let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
    assert!(
        args.contains("--unit=pve-mcp-helper.service")
            && args.contains("--output=json")
            && args.contains("--since=@"),
        "{args}"
    );
    // The same log given as a file reads the same.
    let log = stack.helper_log_path();
    let args = [
        "--file",
        &log.to_string_lossy(),
        "--decision",
        "deny",
        "--json",
    ];
    assert_eq!(json_lines(&audit(&stack, &args)), refused);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_shows_new_records_as_they_come() {
    let stack = stack_with_calls(true).await;
    /// Ends the follower however the test ends.
    struct Follower(std::process::Child);
    impl Drop for Follower {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Follower(
        Command::new(workspace_bin("pve-helper"))
            .arg("--config")
            .arg(stack.dir().join("helper.toml"))
            .args(["audit", "--follow", "--json", "-n", "1"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let next = || rx.recv_timeout(Duration::from_secs(20)).unwrap();
    let first: Value = serde_json::from_str(&next()).unwrap();
    assert_eq!(first["tool"], "api");
    let client = stack.client().await.unwrap();
    client
        .call("vm_status", json!({"vmid": 107}))
        .await
        .unwrap();
    let new: Value = serde_json::from_str(&next()).unwrap();
    assert_eq!(
        (
            new["tool"].as_str(),
            new["guest"].as_u64(),
            new["decision"].as_str()
        ),
        (Some("guest_status"), Some(107), Some("allow"))
    );
    drop(child);

    // A followed pipe (`journalctl -f -o json | pve-helper audit --file - --follow`)
    // is shown line by line, without waiting for its end.
    let mut piped = Follower(
        Command::new(workspace_bin("pve-helper"))
            .args(["audit", "--file", "-", "--follow", "--json"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stdin = piped.0.stdin.take().unwrap();
    let line = std::fs::read_to_string(stack.dir().join("audit.jsonl"))
        .unwrap()
        .lines()
        .find(|l| l.contains("vmid=107"))
        .unwrap()
        .to_owned();
    let journal = json!({"MESSAGE": "not a record", "__CURSOR": "c"}).to_string();
    writeln!(stdin, "{journal}\n{line}").unwrap();
    stdin.flush().unwrap();
    let mut lines = BufReader::new(piped.0.stdout.take().unwrap()).lines();
    let got: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(
        (got["tool"].as_str(), got["guest"].as_u64()),
        (Some("guest_status"), Some(107))
    );
    drop(stdin);
}
