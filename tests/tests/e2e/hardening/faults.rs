//! Faults through the real binaries: Proxmox refusing connections, hanging, answering
//! 401/403/500/596 or garbage, cutting a body short; the helper restarting in the middle
//! of a call; the front killed in the middle of a request. Each ends in a precise error
//! for the model, an audit record, no change of state, and the stack recovers (or, for
//! a killed front, the helper frees everything the session held).

use super::{PATIENCE, audit_lines, census, children, report, settle_fds};
use pve_mcp_tests::{
    client::{Client, is_error, text},
    sim::{self, Faults, PowerState, SimConfig},
    stack::{Stack, StackOptions},
};
use serde_json::{Value, json};
use std::{
    process::Stdio,
    time::{Duration, Instant},
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const POLICY: &str = r#"
[clients]
users = [{uid}]
[guests]
allow = ["100-149"]
actions = ["start", "shutdown"]
[api]
allow = ["GET /version", "GET /nodes"]
[commands]
allow = [["echo", "*"], ["sleep", "30"]]
timeout_secs = 40
"#;

fn stack() -> Stack {
    let mut o = StackOptions::new(POLICY);
    o.sim = SimConfig {
        nodes: 3,
        guests: 30,
        ..SimConfig::default()
    };
    Stack::start(o).expect("stack starts")
}

/// A guest in scope that is stopped and can be started (dataset: i % 4 == 3).
const STOPPED: u32 = 103;
/// A running guest in scope, on pve2.
const RUNNING: u32 = 101;

fn secret(stack: &Stack) -> String {
    stack.sim.token().rsplit('=').next().unwrap().to_owned()
}

/// The last audit line that mentions `needle`.
fn audited(stack: &Stack, needle: &str) -> String {
    let log = stack.helper_log();
    audit_lines(&log)
        .into_iter()
        .rev()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no audit record with {needle:?} in\n{log}"))
        .to_owned()
}

async fn echo_works(client: &Client, word: &str) {
    let r = client
        .call(
            "execute_command",
            json!({"command": format!("echo {word}")}),
        )
        .await
        .unwrap();
    assert!(!is_error(&r) && text(&r).contains(word), "{r}");
}

/// Error statuses, garbage and a body cut short, each for one request: the model reads
/// Proxmox's status and words, the audit keeps the status, nothing changes, and the
/// next call succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxmox_errors_are_reported_precisely_and_the_next_call_works() {
    let stack = stack();
    let client = stack.client().await.unwrap();
    let secret = secret(&stack);
    let nodes = Some("/api2/json/nodes/".to_owned());
    let fail = |code: u16, msg: &str| Faults {
        fail_status: Some((code, msg.to_owned())),
        count: Some(1),
        path_prefix: nodes.clone(),
        ..Faults::default()
    };
    let cases: Vec<(&str, Faults, &[&str], &str)> = vec![
        (
            "401",
            fail(401, "authentication failure"),
            &[
                "Proxmox rejected the helper's API token (401",
                "pve-helper setup",
            ],
            "upstream_status=401",
        ),
        (
            "403",
            fail(403, "Permission check failed (/vms/101, VM.Audit)"),
            &["Proxmox answered 403: Permission check failed (/vms/101, VM.Audit)"],
            "upstream_status=403",
        ),
        (
            "500",
            fail(500, "unable to read config"),
            &["Proxmox answered 500: unable to read config"],
            "upstream_status=500",
        ),
        (
            "596",
            fail(596, "Connection timed out"),
            &["Proxmox answered 596: Connection timed out"],
            "upstream_status=596",
        ),
        (
            "garbage",
            Faults {
                garbage: true,
                count: Some(1),
                path_prefix: nodes.clone(),
                ..Faults::default()
            },
            &["Proxmox sent an answer that cannot be read"],
            "outcome=\"upstream error\"",
        ),
        (
            "reset",
            Faults {
                reset: true,
                count: Some(1),
                path_prefix: nodes.clone(),
                ..Faults::default()
            },
            &["cannot reach Proxmox at https://127.0.0.1:"],
            "outcome=\"unavailable\"",
        ),
    ];
    let mut survived = 0;
    for (name, faults, wants, audit) in &cases {
        stack.sim.set_faults(faults.clone());
        let r = client
            .call("vm_status", json!({"vmid": RUNNING}))
            .await
            .unwrap();
        assert!(is_error(&r), "{name}: {r}");
        let t = text(&r);
        for want in *wants {
            assert!(t.contains(want), "{name}: {t}");
        }
        assert!(!r.to_string().contains(&secret), "{name}: the token leaked");
        let line = audited(&stack, &format!("request=\"guest_status vmid={RUNNING}\""));
        assert!(line.contains(audit), "{name}: {line}");
        // The fault was for one request: the same call works again.
        let r = client
            .call("vm_status", json!({"vmid": RUNNING}))
            .await
            .unwrap();
        assert!(!is_error(&r), "{name}: no recovery: {r}");
        survived += 1;
    }
    // A failed action starts nothing.
    stack
        .sim
        .set_faults(fail(500, "cluster not ready - no quorum? (500)"));
    let r = client
        .call("vm_action", json!({"vmid": STOPPED, "action": "start"}))
        .await
        .unwrap();
    assert!(is_error(&r) && text(&r).contains("no quorum"), "{r}");
    assert_eq!(stack.sim.stats().tasks_started, 0);
    assert_eq!(
        stack.sim.guest_state(STOPPED).unwrap().power,
        PowerState::Stopped
    );
    survived += 1;
    report(
        "faults-upstream",
        &format!(
            "{survived} upstream faults (401, 403, 500, 596, garbage, reset mid-body, failed action) reported, audited, recovered"
        ),
    );
}

/// Proxmox gone: precise "cannot reach" errors for what needs it, while commands
/// (which do not) keep working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxmox_refusing_connections_is_unavailable_and_commands_still_work() {
    let mut stack = stack();
    let client = stack.client().await.unwrap();
    echo_works(&client, "before").await;
    let port = stack.sim.port();
    // Put another simulator in its place and stop the original: its port now refuses.
    let other = sim::spawn(SimConfig {
        nodes: 1,
        guests: 1,
        ..SimConfig::default()
    })
    .unwrap();
    std::mem::replace(&mut stack.sim, other).shutdown();
    for (tool, args) in [
        ("list_vms", json!({})),
        ("vm_status", json!({"vmid": RUNNING})),
        ("vm_action", json!({"vmid": STOPPED, "action": "start"})),
        ("node_status", json!({})),
        ("proxmox_api", json!({"endpoint": "/version"})),
    ] {
        let r = client.call(tool, args.clone()).await.unwrap();
        assert!(is_error(&r), "{tool}: {r}");
        let t = text(&r);
        assert!(
            t.starts_with("Unavailable: cannot reach Proxmox at")
                && t.contains(&format!("127.0.0.1:{port}"))
                && t.to_lowercase().contains("connection refused"),
            "{tool}: {t}"
        );
    }
    assert!(audited(&stack, "outcome=\"unavailable\"").contains("peer_uid="));
    echo_works(&client, "after").await;
    report(
        "faults-refused",
        "Proxmox refusing connections: 5 tools answered Unavailable with the address, commands kept working",
    );
}

/// Proxmox hangs: the call times out after the configured 5 s, and meanwhile another
/// session's calls that do not need the hung endpoint are answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_proxmox_times_out_while_other_sessions_are_served() {
    let stack = stack();
    let a = stack.client().await.unwrap();
    let b = stack.client().await.unwrap();
    // Warm the guest cache, then hang everything below /nodes/.
    assert!(!is_error(&a.call("list_vms", json!({})).await.unwrap()));
    stack.sim.set_faults(Faults {
        hang: true,
        path_prefix: Some("/api2/json/nodes/".to_owned()),
        ..Faults::default()
    });
    let started = Instant::now();
    let hung = tokio::spawn(async move {
        let r = a.call("vm_status", json!({"vmid": RUNNING})).await.unwrap();
        (r, a)
    });
    // Wait until the request is stuck in Proxmox.
    let path = format!("/api2/json/nodes/pve2/qemu/{RUNNING}/status/current");
    while stack.sim.stats().path_count(&path) == 0 {
        assert!(
            started.elapsed() < PATIENCE,
            "the request never reached Proxmox"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for i in 0..10 {
        echo_works(&b, &format!("meanwhile{i}")).await;
    }
    let r = b
        .call("proxmox_api", json!({"endpoint": "/version"}))
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    assert!(
        !hung.is_finished(),
        "the hung call ended before the other session was served"
    );
    let (r, a) = hung.await.unwrap();
    assert!(is_error(&r), "{r}");
    assert!(
        text(&r).starts_with("Timeout: Proxmox did not answer within 5 s"),
        "{}",
        text(&r)
    );
    assert!(audited(&stack, "outcome=\"timeout\"").contains(&format!("vmid={RUNNING}")));
    stack.sim.set_faults(Faults::default());
    let r = a.call("vm_status", json!({"vmid": RUNNING})).await.unwrap();
    assert!(!is_error(&r), "no recovery after the hang: {r}");
    report(
        "faults-hang",
        "Proxmox hanging: the call timed out after 5 s, 11 calls of another session answered meanwhile, recovered",
    );
}

/// The helper is killed while a call is in flight and started again: that call fails
/// saying its outcome is unknown, and the session's next call works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_helper_restarting_mid_call_fails_that_call_only() {
    let mut stack = stack();
    let client = stack.client().await.unwrap();
    echo_works(&client, "first").await;
    stack.sim.set_faults(Faults {
        latency: Duration::from_secs(3),
        path_prefix: Some("/api2/json/nodes/".to_owned()),
        ..Faults::default()
    });
    // An action: never resent by the front, since it may have been carried out.
    let path = format!("/api2/json/nodes/pve1/qemu/{STOPPED}/status/start");
    let call = client.call("vm_action", json!({"vmid": STOPPED, "action": "start"}));
    let (r, ()) = tokio::join!(call, async {
        let deadline = Instant::now() + PATIENCE;
        while stack.sim.stats().path_count(&path) == 0 {
            assert!(Instant::now() < deadline, "the call never reached Proxmox");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        stack.stop_helper();
        stack.spawn_helper().unwrap();
    });
    let r = r.unwrap();
    assert!(is_error(&r), "{r}");
    assert!(
        text(&r).contains("connection to the helper was lost before it answered")
            && text(&r).contains("may or may not have been carried out"),
        "{}",
        text(&r)
    );
    stack.sim.set_faults(Faults::default());
    // As the message advises, the model checks the state: the session works again.
    let r = client
        .call("vm_status", json!({"vmid": STOPPED}))
        .await
        .unwrap();
    assert!(!is_error(&r), "the session did not recover: {r}");
    echo_works(&client, "again").await;
    report(
        "faults-restart",
        "helper killed mid-call: that call failed as 'may or may not have been carried out', the next calls worked",
    );
}

/// A bare MCP session on a spawned mcp-front, so the test can kill it.
struct Front {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    stdout: BufReader<tokio::process::ChildStdout>,
}

impl Front {
    async fn start(stack: &Stack) -> Front {
        let mut cmd = stack.front_command();
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let mut child = cmd.spawn().unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut f = Front {
            child,
            stdin,
            stdout,
        };
        f.send(
            json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "faults", "version": "0"}}}),
        )
        .await;
        let init = f.recv().await;
        assert!(init["result"]["serverInfo"].is_object(), "{init}");
        f.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        f
    }

    async fn send(&mut self, v: Value) {
        let mut line = v.to_string();
        line.push('\n');
        self.stdin.write_all(line.as_bytes()).await.unwrap();
        self.stdin.flush().await.unwrap();
    }

    async fn recv(&mut self) -> Value {
        let mut line = String::new();
        tokio::time::timeout(PATIENCE, self.stdout.read_line(&mut line))
            .await
            .unwrap()
            .unwrap();
        serde_json::from_str(&line).unwrap()
    }

    async fn call(&mut self, id: u64, tool: &str, args: Value) {
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": tool, "arguments": args}}))
            .await;
    }
}

/// mcp-front is killed (SIGKILL) while one request hangs in Proxmox and another runs a
/// command: the helper aborts both, kills the command, and its descriptors, threads
/// and children return to what they were before the session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_front_killed_mid_request_leaves_nothing_held_in_the_helper() {
    let stack = stack();
    let pid = stack.helper_pid().unwrap();
    // Warm up (pool, runtime threads, guest cache) with a session of its own.
    {
        let mut warm = Front::start(&stack).await;
        warm.call(1, "list_vms", json!({})).await;
        assert!(warm.recv().await["result"].is_object());
        warm.call(2, "execute_command", json!({"command": "echo warm"}))
            .await;
        assert!(warm.recv().await["result"].is_object());
    }
    let before = settle_fds(pid, &census(pid));
    stack.sim.set_faults(Faults {
        hang: true,
        path_prefix: Some("/api2/json/nodes/".to_owned()),
        ..Faults::default()
    });
    let mut front = Front::start(&stack).await;
    front.call(1, "vm_status", json!({"vmid": RUNNING})).await;
    front
        .call(2, "execute_command", json!({"command": "sleep 30"}))
        .await;
    let path = format!("/api2/json/nodes/pve2/qemu/{RUNNING}/status/current");
    let deadline = Instant::now() + PATIENCE;
    while stack.sim.stats().path_count(&path) == 0 || children(pid).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the requests never got under way"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let during = census(pid);
    front.child.kill().await.unwrap();
    let after = settle_fds(pid, &before);
    let deadline = Instant::now() + PATIENCE;
    while !children(pid).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the command outlived the session: {:?}",
            children(pid)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        after.local_fds(),
        before.local_fds(),
        "descriptors held after the front died (during: {:?})",
        during.fds
    );
    assert!(
        after.fds_of("tcp") <= before.fds_of("tcp") + 1,
        "connections to Proxmox kept: {:?} -> {:?}",
        before.fds,
        after.fds
    );
    let deadline = Instant::now() + PATIENCE;
    let mut threads = census(pid).threads;
    while threads > before.threads && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        threads = census(pid).threads;
    }
    assert!(
        threads <= before.threads,
        "threads {} -> {threads}",
        before.threads
    );
    // The helper still serves a new session.
    stack.sim.set_faults(Faults::default());
    let client = stack.client().await.unwrap();
    echo_works(&client, "alive").await;
    report(
        "faults-front-killed",
        &format!(
            "front killed mid-request: helper fds {} -> {} (during {}), threads {} -> {}, children 1 -> 0",
            before.total_fds(),
            after.total_fds(),
            during.total_fds(),
            before.threads,
            threads
        ),
    );
}
