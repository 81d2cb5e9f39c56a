//! The API token never leaves the helper, whatever a session does: it is not in any MCP
//! answer, in the logs of either process even at trace level, in the audit trail, in
//! an error message, in `/proc/PID/cmdline` or `environ` of the helper, the front or
//! a command the helper runs; and a command inherits no descriptor, variable or
//! capability of the helper. The helper here reads the token as systemd passes it
//! (`$CREDENTIALS_DIRECTORY/pve-token`).

use super::{PATIENCE, processes_with, report};
use pve_mcp_tests::{
    client::{Client, is_error, text},
    sim::{Faults, SimConfig},
    stack::{Stack, StackOptions, workspace_bin},
};
use serde_json::json;
use std::{
    os::unix::fs::PermissionsExt,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

const POLICY: &str = r#"
[clients]
users = [{uid}]
[guests]
allow = ["100-149"]
actions = ["start", "shutdown"]
[api]
allow = ["GET /version", "GET /nodes", "GET /nodes/*/status", "GET /cluster/resources"]
[commands]
allow = [
  ["env"],
  ["cat", "/proc/self/environ"],
  ["cat", "/proc/self/cmdline"],
  ["cat", "/proc/self/status"],
  ["ls", "-l", "/proc/self/fd"],
  ["echo", "*"],
]
"#;

struct Helper(Child);

impl Drop for Helper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Replaces the stack's helper by one that logs at trace level and reads its token
/// from a systemd-style credentials directory (the token file is removed).
fn credential_helper(stack: &mut Stack) -> Helper {
    stack.stop_helper();
    let dir = stack.dir();
    let creds = dir.join("credentials");
    std::fs::create_dir(&creds).unwrap();
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o700)).unwrap();
    let cred = creds.join("pve-token");
    std::fs::write(&cred, format!("{}\n", stack.sim.token())).unwrap();
    std::fs::set_permissions(&cred, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::remove_file(dir.join("token")).unwrap();
    let log = std::fs::File::create(dir.join("helper-trace.log")).unwrap();
    let child = Command::new(workspace_bin("pve-helper"))
        .arg("--config")
        .arg(dir.join("helper.toml"))
        .args(["serve", "--allow-root"])
        .env("PVE_MCP_LOG", "trace")
        .env("CREDENTIALS_DIRECTORY", &creds)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let helper = Helper(child);
    let deadline = Instant::now() + PATIENCE;
    while std::os::unix::net::UnixStream::connect(&stack.socket).is_err() {
        assert!(Instant::now() < deadline, "the helper did not listen");
        std::thread::sleep(Duration::from_millis(10));
    }
    helper
}

/// Everything readable under `dir` except the credential itself.
fn files_under(dir: &Path, out: &mut String) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.ends_with("credentials") {
            continue;
        }
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push_str(&String::from_utf8_lossy(
                &std::fs::read(&p).unwrap_or_default(),
            ));
        }
    }
}

fn proc_files(pid: u32, out: &mut String) {
    for f in ["cmdline", "environ"] {
        let bytes = std::fs::read(format!("/proc/{pid}/{f}")).unwrap_or_default();
        out.push_str(&String::from_utf8_lossy(&bytes));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_never_leaves_the_helper_not_even_at_trace_level() {
    let mut o = StackOptions::new(POLICY);
    o.sim = SimConfig {
        nodes: 3,
        guests: 30,
        ..SimConfig::default()
    };
    o.audit_file = true;
    let mut stack = Stack::start(o).unwrap();
    let helper = credential_helper(&mut stack);
    let secret = stack.sim.token().rsplit('=').next().unwrap().to_owned();
    assert!(secret.len() >= 16);
    let mut front = stack.front_command();
    front.env("PVE_MCP_LOG", "trace");
    let client = Client::spawn(front, &stack.dir().join("front-trace.log"))
        .await
        .unwrap();
    let mut seen = client.server_info().to_string();
    seen.push_str(&serde_json::to_string(&client.tools().await.unwrap()).unwrap());
    let calls = [
        ("list_vms", json!({})),
        ("vm_status", json!({"vmid": 101})),
        ("vm_status", json!({"vmid": 149})),
        ("vm_status", json!({"vmid": 150})),
        ("vm_action", json!({"vmid": 103, "action": "start"})),
        ("vm_action", json!({"vmid": 101, "action": "stop"})),
        ("node_status", json!({})),
        ("node_status", json!({"node": "pve1"})),
        ("proxmox_api", json!({"endpoint": "/version"})),
        ("proxmox_api", json!({"endpoint": "/cluster/resources"})),
        ("proxmox_api", json!({"endpoint": "/access/ticket"})),
        ("proxmox_api", json!({"endpoint": "/nodes/pve1/nope"})),
        ("execute_command", json!({"command": "echo $PVE_TOKEN"})),
    ];
    for (tool, args) in &calls {
        seen.push_str(&client.call(tool, args.clone()).await.unwrap().to_string());
    }
    // Proxmox refusing the token (401) must not make anyone repeat it.
    stack.sim.set_faults(Faults {
        fail_status: Some((401, "authentication failure".into())),
        count: Some(2),
        ..Faults::default()
    });
    for (tool, args) in [
        ("vm_status", json!({"vmid": 102})),
        ("proxmox_api", json!({"endpoint": "/version"})),
    ] {
        let r = client.call(tool, args).await.unwrap();
        assert!(is_error(&r) && text(&r).contains("401"), "{r}");
        seen.push_str(&r.to_string());
    }
    // What a command can see of the helper: environment, descriptors, capabilities.
    let command = |c: &'static str| {
        let client = &client;
        async move {
            let r = client
                .call("execute_command", json!({"command": c}))
                .await
                .unwrap();
            assert!(!is_error(&r), "{c}: {r}");
            r["structuredContent"]["stdout"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        }
    };
    let env = command("env").await;
    let mut vars: Vec<&str> = env.lines().collect();
    vars.sort();
    assert_eq!(vars, ["LANG=C.UTF-8", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]);
    let environ = command("cat /proc/self/environ").await;
    assert!(!environ.contains("CREDENTIALS_DIRECTORY"), "{environ}");
    let cmdline = command("cat /proc/self/cmdline").await;
    // NUL bytes reach the model escaped, as every control character does.
    assert_eq!(cmdline, "/usr/bin/cat\\u{0000}/proc/self/cmdline\\u{0000}");
    let fds = command("ls -l /proc/self/fd").await;
    let open: Vec<&str> = fds
        .lines()
        .filter_map(|l| l.split(" -> ").next()?.split_whitespace().last())
        .collect();
    assert!(
        open.iter().all(|fd| ["0", "1", "2", "3"].contains(fd)) && !fds.contains("socket:"),
        "a command inherited descriptors of the helper:\n{fds}"
    );
    let status = command("cat /proc/self/status").await;
    assert!(
        status.lines().any(|l| l == "CapEff:\t0000000000000000")
            && status
                .lines()
                .any(|l| l.starts_with("NoNewPrivs:") && l.ends_with('1')),
        "{status}"
    );
    for out in [&env, &environ, &cmdline, &fds, &status] {
        seen.push_str(out);
    }
    // The processes themselves.
    proc_files(helper.0.id(), &mut seen);
    let fronts = processes_with(&stack.socket.display().to_string());
    assert!(!fronts.is_empty(), "mcp-front not found");
    for pid in fronts {
        proc_files(pid, &mut seen);
    }
    client.close().await.unwrap();
    // Every file the run produced: both logs at trace level, the audit trail.
    files_under(stack.dir(), &mut seen);
    let trace = std::fs::read_to_string(stack.dir().join("helper-trace.log")).unwrap();
    assert!(
        trace.contains("TRACE") || trace.contains("DEBUG"),
        "not a trace log"
    );
    assert!(trace.contains("loaded configuration"), "{trace}");
    assert!(
        std::fs::read_to_string(stack.dir().join("audit.jsonl"))
            .is_ok_and(|a| a.lines().count() > 10)
    );
    assert!(!seen.contains(&secret), "the token secret leaked");
    report(
        "secrets",
        &format!(
            "token absent from {} KiB of MCP answers, trace logs, audit trail, /proc cmdline+environ of helper, front and commands",
            seen.len() / 1024
        ),
    );
}
