//! End to end: the real mcp-front, driven by an MCP client over stdio, talking to the
//! real pve-helper over a real Unix socket, which talks HTTPS to the simulated
//! cluster. One test per behaviour, each with its own stack.

use pve_mcp_tests::{
    client::{Client, is_error, listed_guests, text},
    sim::{self, GuestSeed, PowerState, SimConfig},
    stack::{Stack, StackOptions},
};
use serde_json::{Value, json};
use std::{collections::BTreeSet, time::Duration};

const NODES: usize = 3;
const GUESTS: usize = 60;

const POLICY: &str = r#"
[clients]
users = [{uid}]

[guests]
allow = ["100-149", "pool:lab"]
deny = ["120"]
actions = ["start", "shutdown", "reboot", "suspend", "resume"]

[api]
allow = [
  "GET /version",
  "GET /nodes",
  "GET /nodes/*/status",
  "GET /cluster/resources",
  "GET /nodes/*/qemu",
  "GET /nodes/*/qemu/*/config",
]

[commands]
allow = [["uptime"], ["echo", "*"]]
timeout_secs = 5
"#;

fn options(policy: &str) -> StackOptions {
    let mut o = StackOptions::new(policy);
    o.sim = SimConfig {
        nodes: NODES,
        guests: GUESTS,
        task_duration: Duration::from_millis(200),
        ..SimConfig::default()
    };
    o
}

fn in_scope(g: &GuestSeed) -> bool {
    ((100..=149).contains(&g.vmid) || g.pool == Some("lab")) && g.vmid != 120
}

fn dataset() -> Vec<GuestSeed> {
    sim::dataset(NODES, GUESTS)
}

async fn stack_and_client(policy: &str) -> (Stack, Client) {
    let stack = Stack::start(options(policy)).expect("stack starts");
    let client = stack.client().await.expect("mcp-front starts");
    (stack, client)
}

fn vmids(result: &Value) -> BTreeSet<u64> {
    listed_guests(&result["structuredContent"])
        .iter()
        .filter_map(|g| g["vmid"].as_u64())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tools_list_has_the_tools_the_policy_allows_with_schemas_and_annotations() {
    let (_stack, client) = stack_and_client(POLICY).await;
    let tools = client.tools().await.unwrap();
    let names: BTreeSet<String> = tools.iter().map(|t| t.name.to_string()).collect();
    let want = [
        "execute_command",
        "list_storage",
        "list_vms",
        "my_permissions",
        "node_status",
        "proxmox_api",
        "task_log",
        "task_status",
        "vm_action",
        "vm_status",
    ];
    assert_eq!(names, want.iter().map(|s| s.to_string()).collect());
    for t in &tools {
        let v = serde_json::to_value(t).unwrap();
        assert_eq!(v["inputSchema"]["type"], "object", "{}", t.name);
        assert!(
            v["outputSchema"].is_object(),
            "{} has no output schema",
            t.name
        );
        assert!(v["annotations"]["readOnlyHint"].is_boolean(), "{}", t.name);
        assert_eq!(v["annotations"]["openWorldHint"], false, "{}", t.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_vms_shows_exactly_the_guests_in_scope() {
    let (stack, client) = stack_and_client(POLICY).await;
    let expected: BTreeSet<u64> = dataset()
        .iter()
        .filter(|g| in_scope(g))
        .map(|g| g.vmid.into())
        .collect();
    assert!(expected.contains(&152) && !expected.contains(&120) && !expected.contains(&155));
    let r = client
        .call("list_vms", json!({"limit": 1000}))
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    assert_eq!(vmids(&r), expected);
    assert_eq!(r["structuredContent"]["total"], expected.len());
    // Filters and paging apply within the scope.
    let stopped_qemu: BTreeSet<u64> = dataset()
        .iter()
        .filter(|g| {
            in_scope(g) && g.initial == PowerState::Stopped && g.kind == sim::GuestKind::Qemu
        })
        .map(|g| g.vmid.into())
        .collect();
    let r = client
        .call(
            "list_vms",
            json!({"status": "stopped", "type": "qemu", "limit": 1000}),
        )
        .await
        .unwrap();
    assert_eq!(vmids(&r), stopped_qemu);
    let page = client
        .call("list_vms", json!({"limit": 5, "offset": 5}))
        .await
        .unwrap();
    let want: BTreeSet<u64> = expected.iter().copied().skip(5).take(5).collect();
    assert_eq!(vmids(&page), want);
    assert!(text(&page).contains("showing 6-10"), "{}", text(&page));
    // Never N+1: at most one upstream listing per call, whatever the page.
    let listings: u64 = stack
        .sim
        .stats()
        .per_path
        .iter()
        .filter(|(k, _)| k.contains("/cluster/resources"))
        .map(|(_, v)| v)
        .sum();
    assert!(
        (1..=3).contains(&listings),
        "{listings} listings for 3 calls"
    );
    assert_eq!(
        stack.sim.stats().requests,
        listings,
        "list_vms makes no other upstream request"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guests_out_of_scope_are_not_found_whatever_the_tool() {
    let (_stack, client) = stack_and_client(POLICY).await;
    for (tool, args) in [
        ("vm_status", json!({"vmid": 120})),
        ("vm_status", json!({"vmid": 155})),
        ("vm_status", json!({"vmid": 999})),
        ("vm_action", json!({"vmid": 155, "action": "start"})),
        (
            "proxmox_api",
            json!({"endpoint": "/nodes/pve2/qemu/155/config"}),
        ),
    ] {
        let r = client.call(tool, args.clone()).await.unwrap();
        assert!(is_error(&r), "{tool} {args}: {r}");
        assert!(
            text(&r).contains("does not exist or is not visible"),
            "{tool} {args}: {}",
            text(&r)
        );
    }
    // Raw listings are filtered too.
    let r = client
        .call("proxmox_api", json!({"endpoint": "/cluster/resources"}))
        .await
        .unwrap();
    let listed: BTreeSet<u64> = r["structuredContent"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["vmid"].as_u64())
        .collect();
    let expected: BTreeSet<u64> = dataset()
        .iter()
        .filter(|g| in_scope(g))
        .map(|g| g.vmid.into())
        .collect();
    assert_eq!(listed, expected);
    let r = client
        .call("proxmox_api", json!({"endpoint": "/nodes/pve2/qemu"}))
        .await
        .unwrap();
    for e in r["structuredContent"]["data"].as_array().unwrap() {
        let vmid = e["vmid"]
            .as_u64()
            .or_else(|| e["vmid"].as_str().and_then(|s| s.parse().ok()))
            .unwrap();
        assert!(
            expected.contains(&vmid),
            "{vmid} leaked through GET /nodes/pve2/qemu"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vm_status_reports_the_live_state() {
    let (_stack, client) = stack_and_client(POLICY).await;
    let g = dataset()
        .into_iter()
        .find(|g| in_scope(g) && g.initial == PowerState::Running)
        .unwrap();
    let r = client
        .call("vm_status", json!({"vmid": g.vmid}))
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    let s = &r["structuredContent"]["guest"];
    assert_eq!(s["vmid"], g.vmid);
    assert_eq!(s["name"], g.name);
    assert_eq!(s["status"], "running");
    assert!(text(&r).contains(&g.name));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vm_action_start_waits_for_the_task_and_the_guest_runs() {
    let (stack, client) = stack_and_client(POLICY).await;
    let g = dataset()
        .into_iter()
        .find(|g| {
            in_scope(g) && g.initial == PowerState::Stopped && !g.template && !g.locked && !g.ha
        })
        .unwrap();
    let r = client
        .call("vm_action", json!({"vmid": g.vmid, "action": "start"}))
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    let upid = r["structuredContent"]["upid"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(upid.starts_with(&format!("UPID:{}:", g.node)), "{r}");
    assert!(text(&r).contains("OK"), "{}", text(&r));
    assert_eq!(
        stack.sim.guest_state(g.vmid).unwrap().power,
        PowerState::Running
    );
    let r = client
        .call("vm_status", json!({"vmid": g.vmid}))
        .await
        .unwrap();
    assert_eq!(r["structuredContent"]["guest"]["status"], "running", "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_action_names_the_rule_and_changes_nothing() {
    let (stack, client) = stack_and_client(POLICY).await;
    let g = dataset()
        .into_iter()
        .find(|g| in_scope(g) && g.initial == PowerState::Running)
        .unwrap();
    let r = client
        .call("vm_action", json!({"vmid": g.vmid, "action": "stop"}))
        .await
        .unwrap();
    assert!(is_error(&r));
    let t = text(&r);
    assert!(
        t.starts_with("Denied:") && t.contains("guests.actions") && t.contains("add \"stop\""),
        "{t}"
    );
    assert_eq!(
        stack.sim.guest_state(g.vmid).unwrap().power,
        PowerState::Running
    );
    assert_eq!(stack.sim.stats().tasks_started, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxmox_permission_errors_are_passed_through() {
    let (_stack, client) = stack_and_client(POLICY).await;
    let g = dataset()
        .into_iter()
        .find(|g| in_scope(g) && g.locked && g.initial == PowerState::Running)
        .unwrap();
    let r = client
        .call("vm_action", json!({"vmid": g.vmid, "action": "reboot"}))
        .await
        .unwrap();
    assert!(is_error(&r));
    let t = text(&r);
    assert!(
        t.contains(&format!(
            "Permission check failed (/vms/{}, VM.PowerMgmt)",
            g.vmid
        )) && t.contains("403"),
        "{t}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_status_for_all_nodes_and_one() {
    let (_stack, client) = stack_and_client(POLICY).await;
    let r = client.call("node_status", json!({})).await.unwrap();
    assert!(!is_error(&r), "{r}");
    assert_eq!(
        r["structuredContent"]["nodes"].as_array().unwrap().len(),
        NODES
    );
    let r = client
        .call("node_status", json!({"node": "pve2"}))
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    let n = &r["structuredContent"]["nodes"][0];
    assert_eq!(n["node"], "pve2");
    assert!(
        n["pveversion"]
            .as_str()
            .unwrap()
            .starts_with("pve-manager/"),
        "{n}"
    );
    let r = client
        .call("node_status", json!({"node": "nope"}))
        .await
        .unwrap();
    assert!(is_error(&r), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_status_is_denied_without_its_api_grant() {
    // Without GET /nodes, all nodes would be answered by the local node's status.
    let policy = POLICY
        .replace("  \"GET /nodes\",\n", "")
        .replace("  \"GET /nodes/*/status\",\n", "");
    let (_stack, client) = stack_and_client(&policy).await;
    let r = client.call("node_status", json!({})).await.unwrap();
    assert!(is_error(&r));
    assert!(
        text(&r).contains("GET /nodes matches no [api] allow pattern"),
        "{}",
        text(&r)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxmox_api_allows_patterns_and_keeps_the_floor_closed() {
    let (_stack, client) = stack_and_client(POLICY).await;
    let r = client
        .call("proxmox_api", json!({"endpoint": "/version"}))
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    assert!(r["structuredContent"]["data"]["version"].is_string(), "{r}");
    let r = client
        .call(
            "proxmox_api",
            json!({"endpoint": "/api2/json/version", "method": "get"}),
        )
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    let cases = [
        (
            json!({"endpoint": "/nodes/pve1/termproxy", "method": "POST"}),
            "fixed floor",
        ),
        (
            json!({"endpoint": "/access/users"}),
            "matches no [api] allow pattern",
        ),
        (
            json!({"endpoint": "/version", "method": "DELETE"}),
            "Proxmox VE's API has no DELETE method for this path",
        ),
        (
            json!({"endpoint": "/nodes/pve1/../../access/users"}),
            "'..'",
        ),
        (json!({"endpoint": "/nodes/%2e%2e/access"}), "'..'"),
        (json!({"endpoint": "/nodes//status"}), "empty segment"),
        (json!({"endpoint": "/version?x=1"}), "query string"),
        (json!({"endpoint": "/version", "method": "PATCH"}), "PATCH"),
    ];
    for (args, why) in cases {
        let r = client.call("proxmox_api", args.clone()).await.unwrap();
        assert!(is_error(&r), "{args}: {r}");
        assert!(text(&r).contains(why), "{args}: {}", text(&r));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execute_command_runs_allow_listed_argv_only() {
    let (_stack, client) = stack_and_client(POLICY).await;
    let r = client
        .call("execute_command", json!({"command": "uptime"}))
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    assert!(text(&r).contains("load average"), "{}", text(&r));
    let r = client
        .call("execute_command", json!({"command": "echo 'hello'"}))
        .await
        .unwrap();
    assert!(!is_error(&r) && text(&r).contains("hello"), "{r}");
    // Shell syntax is refused by mcp-front, which says that no shell runs; the rest
    // is denied by the helper's allow-list.
    for (hostile, why) in [
        ("uptime; id", "commands run without a shell"),
        ("uptime && id", "commands run without a shell"),
        ("echo $(id)", "commands run without a shell"),
        ("echo `id`", "commands run without a shell"),
        ("echo a | sh", "commands run without a shell"),
        ("echo -e x", "matches no [commands] allow entry"),
        ("echo /etc/shadow", "matches no [commands] allow entry"),
        ("rm -rf /", "matches no [commands] allow entry"),
    ] {
        let r = client
            .call("execute_command", json!({"command": hostile}))
            .await
            .unwrap();
        assert!(is_error(&r), "{hostile}: {r}");
        assert!(text(&r).contains(why), "{hostile}: {}", text(&r));
    }
    let r = client
        .call("execute_command", json!({"command": "echo 'unbalanced"}))
        .await
        .unwrap();
    assert!(is_error(&r), "{r}");
}

/// A policy whose `sleep` may run 5 s, longer than the 2 s call timeout of the front
/// in [`a_command_may_run_past_the_call_timeout_up_to_its_limit_with_progress`].
const LONG_COMMANDS: &str = r#"
[clients]
users = [{uid}]

[commands]
allow = [["echo", "*"]]
timeout_secs = 1

[[command]]
argv = ["sleep", "*"]
timeout_secs = 5
"#;

/// A command may run as long as its own time limit, even past the front's call timeout:
/// the front waits for it with progress notifications, tells the model the limit, and
/// a command that runs longer is killed by the helper at that limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_may_run_past_the_call_timeout_up_to_its_limit_with_progress() {
    let stack = Stack::start(options(LONG_COMMANDS)).expect("stack starts");
    let mut front = stack.front_command();
    front.env("PVE_MCP_CALL_TIMEOUT", "2");
    let client = Client::spawn(front, &stack.dir().join("front.log"))
        .await
        .expect("mcp-front starts");
    // The model is told the longest limit (the sleep's, not echo's).
    let tools = client.tools().await.unwrap();
    let tool = tools.iter().find(|t| t.name == "execute_command").unwrap();
    let description = tool.description.as_deref().unwrap_or_default();
    assert!(
        description.ends_with("echo *, sleep *. Each may run for up to 5 s."),
        "{description}"
    );
    let mine = client.call("my_permissions", json!({})).await.unwrap();
    assert!(
        text(&mine).contains("Each command may run for up to 5 s; it is killed at its time limit."),
        "{}",
        text(&mine)
    );

    let started = std::time::Instant::now();
    let r = client
        .call("execute_command", json!({"command": "sleep 3"}))
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    assert_eq!(r["structuredContent"]["exit_code"], 0, "{r}");
    assert!(started.elapsed() >= Duration::from_secs(3));
    client.assert_waited_with_progress(5.0, "run `\"sleep\" \"3\"` on the node: running for");

    let started = std::time::Instant::now();
    let r = client
        .call("execute_command", json!({"command": "sleep 30"}))
        .await
        .unwrap();
    let waited = started.elapsed();
    assert!(is_error(&r), "{r}");
    assert_eq!(
        text(&r),
        "Timeout: command \"sleep\" \"30\" did not finish within 5 s and was killed",
        "the helper's limit, not the front's call timeout"
    );
    assert!(
        waited >= Duration::from_secs(5) && waited < Duration::from_secs(10),
        "{waited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_not_in_clients_is_refused_when_its_session_starts() {
    let stack = Stack::start(options(
        &POLICY.replace("users = [{uid}]", "users = [4242]"),
    ))
    .expect("stack starts");
    let error = match stack.client().await {
        Ok(_) => panic!("a refused peer's session looked healthy"),
        Err(e) => format!("{e:#}"),
    };
    for needed in ["is not allowed to use the helper", "[clients] users"] {
        assert!(error.contains(needed), "{needed:?} missing from: {error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_fingerprint_fails_every_proxmox_call_with_a_tls_error() {
    let mut o = options(POLICY);
    o.fingerprint = Some(["AB"; 32].join(":"));
    let stack = Stack::start(o).unwrap();
    let client = stack.client().await.unwrap();
    for (tool, args) in [
        ("list_vms", json!({})),
        ("node_status", json!({})),
        ("proxmox_api", json!({"endpoint": "/version"})),
    ] {
        let r = client.call(tool, args).await.unwrap();
        assert!(is_error(&r), "{tool}: {r}");
        let t = text(&r);
        assert!(
            t.contains("TLS verification failed")
                && t.contains("does not match the pinned fingerprint"),
            "{tool}: {t}"
        );
    }
    assert_eq!(
        stack.sim.stats().requests,
        0,
        "no request may reach a server with the wrong certificate"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_helper_restarting_is_transparent_to_the_session() {
    let (mut stack, client) = stack_and_client(POLICY).await;
    let r = client.call("node_status", json!({})).await.unwrap();
    assert!(!is_error(&r), "{r}");
    stack.stop_helper();
    stack.spawn_helper().unwrap();
    let r = client.call("node_status", json!({})).await.unwrap();
    assert!(!is_error(&r), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_never_leaves_the_helper() {
    let (stack, client) = stack_and_client(POLICY).await;
    let token = stack.sim.token();
    let secret = token.rsplit('=').next().unwrap().to_owned();
    assert!(secret.len() >= 16);
    let mut seen = String::new();
    let calls = [
        ("list_vms", json!({})),
        ("vm_status", json!({"vmid": 101})),
        ("vm_status", json!({"vmid": 155})),
        ("vm_action", json!({"vmid": 103, "action": "start"})),
        ("vm_action", json!({"vmid": 101, "action": "stop"})),
        ("node_status", json!({"node": "pve1"})),
        ("proxmox_api", json!({"endpoint": "/version"})),
        ("proxmox_api", json!({"endpoint": "/access/users"})),
        ("proxmox_api", json!({"endpoint": "/nodes/pve1/nope"})),
        ("execute_command", json!({"command": "uptime"})),
        ("execute_command", json!({"command": "env"})),
    ];
    for (tool, args) in calls {
        seen.push_str(&client.call(tool, args).await.unwrap().to_string());
    }
    seen.push_str(&client.server_info().to_string());
    client.close().await.unwrap();
    // A helper whose token Proxmox rejects must not echo it either.
    let mut o = options(POLICY);
    o.helper_token = Some(format!("mcp@pve!mcp=wrong-{secret}"));
    let bad = Stack::start(o).unwrap();
    let bad_client = bad.client().await.unwrap();
    let r = bad_client.call("list_vms", json!({})).await.unwrap();
    assert!(is_error(&r) && text(&r).contains("401"), "{r}");
    seen.push_str(&r.to_string());
    for dir in [stack.dir(), bad.dir()] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.ends_with("token") || path.extension().is_some_and(|e| e == "sock") {
                continue;
            }
            seen.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
    assert!(
        stack.helper_log().contains("audit"),
        "the helper audits its decisions"
    );
    assert!(!seen.contains(&secret), "the token secret leaked");
}
