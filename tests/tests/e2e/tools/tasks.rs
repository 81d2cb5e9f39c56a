//! End to end: `list_tasks`, `task_log` and `task_status` through the real mcp-front
//! and pve-helper against the simulated cluster: tasks of guests in scope are listed
//! and filtered, tasks of other guests never show (even when started by someone else),
//! the log's tail and a waited-for status come back, and each tool is refused as the
//! policy says.

use pve_mcp_tests::sim_client;

use pve_mcp_tests::{
    client::{Client, is_error, text},
    sim::{self, GuestKind, GuestSeed, PowerState, SimConfig},
    stack::{Stack, StackOptions},
};
use serde_json::{Value, json};
use sim_client::Api;
use std::time::Duration;

const NODES: usize = 3;
const GUESTS: usize = 60;

const POLICY: &str = r#"
[clients]
users = [{uid}]

[guests]
allow = ["100-139"]
actions = ["start", "shutdown"]

[api]
allow = ["GET /cluster/tasks", "GET /nodes/*/tasks"]
"#;

const NO_TASKS: &str = r#"
[clients]
users = [{uid}]

[guests]
allow = ["100-139"]
"#;

async fn stack_and_client(policy: &str) -> (Stack, Client) {
    let mut o = StackOptions::new(policy);
    o.sim = SimConfig {
        nodes: NODES,
        guests: GUESTS,
        task_duration: Duration::from_millis(300),
        ..SimConfig::default()
    };
    let stack = Stack::start(o).expect("stack starts");
    let client = stack.client().await.expect("mcp-front starts");
    (stack, client)
}

fn guests(want: impl Fn(&GuestSeed) -> bool) -> Vec<GuestSeed> {
    sim::dataset(NODES, GUESTS)
        .into_iter()
        .filter(|g| !g.template && !g.locked && !g.ha && want(g))
        .collect()
}

fn upids(r: &Value) -> Vec<String> {
    r["structuredContent"]["tasks"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t["upid"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn start(client: &Client, vmid: u32, wait: bool) -> Value {
    let r = client
        .call(
            "vm_action",
            json!({"vmid": vmid, "action": "start", "wait": wait}),
        )
        .await
        .unwrap();
    r["structuredContent"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_tasks_shows_tasks_in_scope_only_and_filters_them() {
    let (stack, client) = stack_and_client(POLICY).await;
    let stopped = guests(|g| g.initial == PowerState::Stopped && g.kind == GuestKind::Qemu);
    let mine = stopped.iter().find(|g| g.vmid < 140).expect("in scope");
    let other = stopped
        .iter()
        .find(|g| g.vmid >= 140)
        .expect("out of scope");
    let ok = start(&client, mine.vmid, true).await;
    assert_eq!(ok["outcome"], "succeeded", "{ok}");
    let ok_upid = ok["upid"].as_str().unwrap().to_owned();
    // Starting a running guest fails in its task.
    let failed = start(&client, mine.vmid, true).await;
    assert_eq!(failed["outcome"], "failed", "{failed}");
    let failed_upid = failed["upid"].as_str().unwrap().to_owned();
    // Someone else starts a guest outside the scope, straight through the API.
    let api = Api::new(&stack.sim);
    let path = format!("/nodes/{}/qemu/{}/status/start", other.node, other.vmid);
    let (code, body) = api.post(&path, &[]).await;
    assert_eq!(code, 200, "{body}");
    let other_upid = body["data"].as_str().unwrap().to_owned();
    api.wait_task(&other.node, &other_upid).await;

    let r = client.call("list_tasks", json!({})).await.unwrap();
    assert!(!is_error(&r), "{r}");
    let listed = upids(&r);
    assert_eq!(
        listed,
        [failed_upid.clone(), ok_upid.clone()],
        "newest first"
    );
    assert!(!text(&r).contains(&other.vmid.to_string()), "{}", text(&r));
    let first = &r["structuredContent"]["tasks"][0];
    assert_eq!(first["type"], "qmstart");
    assert_eq!(first["id"], mine.vmid.to_string());
    assert_eq!(first["node"], mine.node.as_str());
    assert!(
        first["status"]
            .as_str()
            .unwrap()
            .contains("already running"),
        "{first}"
    );

    // One node, one guest, errors only.
    let r = client
        .call(
            "list_tasks",
            json!({"node": mine.node, "vmid": mine.vmid, "status": "error"}),
        )
        .await
        .unwrap();
    assert_eq!(upids(&r), [failed_upid]);
    let r = client
        .call("list_tasks", json!({"node": mine.node, "status": "ok"}))
        .await
        .unwrap();
    assert_eq!(upids(&r), [ok_upid]);
    let r = client
        .call("list_tasks", json!({"type": "vzdump"}))
        .await
        .unwrap();
    assert!(upids(&r).is_empty());
    assert!(text(&r).contains("No tasks match"), "{}", text(&r));
    // The node listing of the other guest's node does not show it either.
    let r = client
        .call("list_tasks", json!({"node": other.node}))
        .await
        .unwrap();
    assert!(!upids(&r).contains(&other_upid), "{r}");
    // Naming a guest out of scope: not found.
    let r = client
        .call("list_tasks", json!({"vmid": other.vmid}))
        .await
        .unwrap();
    assert!(is_error(&r), "{r}");
    assert!(
        text(&r).contains("does not exist or is not visible"),
        "{}",
        text(&r)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_log_and_task_status_follow_the_guests_scope() {
    let (stack, client) = stack_and_client(POLICY).await;
    let stopped = guests(|g| g.initial == PowerState::Stopped);
    let mine = stopped.iter().find(|g| g.vmid < 140).expect("in scope");
    let other = stopped
        .iter()
        .find(|g| g.vmid >= 140)
        .expect("out of scope");

    // Started without waiting; task_status waits for it.
    let started = start(&client, mine.vmid, false).await;
    assert_eq!(started["outcome"], "started", "{started}");
    let upid = started["upid"].as_str().unwrap().to_owned();
    let r = client
        .call(
            "task_status",
            json!({"upid": upid, "wait": true, "timeout_secs": 30}),
        )
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    let s = &r["structuredContent"];
    assert_eq!(s["status"], "stopped", "{r}");
    assert_eq!(s["exitstatus"], "OK");
    assert_eq!(s["succeeded"], true);
    assert!(s["waited_ms"].as_u64().unwrap() > 0);

    let r = client
        .call("task_log", json!({"upid": upid}))
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    let log = &r["structuredContent"];
    let lines: Vec<&str> = log["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(lines.last(), Some(&"TASK OK"), "{r}");
    assert_eq!(log["total_lines"].as_u64(), Some(lines.len() as u64));
    let r = client
        .call("task_log", json!({"upid": upid, "lines": 1}))
        .await
        .unwrap();
    assert_eq!(r["structuredContent"]["lines"], json!(["TASK OK"]), "{r}");

    // Another guest's task: not found, whatever the tool.
    let api = Api::new(&stack.sim);
    let kind = if other.kind == GuestKind::Qemu {
        "qemu"
    } else {
        "lxc"
    };
    let path = format!("/nodes/{}/{kind}/{}/status/start", other.node, other.vmid);
    let (code, body) = api.post(&path, &[]).await;
    assert_eq!(code, 200, "{body}");
    let other_upid = body["data"].as_str().unwrap();
    for tool in ["task_log", "task_status"] {
        let r = client
            .call(tool, json!({"upid": other_upid}))
            .await
            .unwrap();
        assert!(is_error(&r), "{tool}: {r}");
        assert!(
            text(&r).contains("does not exist or is not visible"),
            "{tool}: {}",
            text(&r)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_tools_are_refused_without_their_grants() {
    let (_stack, client) = stack_and_client(NO_TASKS).await;
    let names: Vec<String> = client
        .tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.into_owned())
        .collect();
    assert!(!names.contains(&"list_tasks".to_owned()), "{names:?}");
    for (args, pattern) in [
        (json!({}), "GET /cluster/tasks"),
        (json!({"node": "pve1"}), "GET /nodes/pve1/tasks"),
    ] {
        let r = client.call("list_tasks", args).await.unwrap();
        assert!(is_error(&r), "{r}");
        let t = text(&r);
        assert!(
            t.starts_with("Denied: task listing")
                && t.contains(&format!(
                    "add a pattern such as \"{pattern}\" to [api] allow"
                )),
            "{t}"
        );
    }
    // A node's own task (no guest): its log needs an [api] grant.
    let node_task = "UPID:pve1:00100001:000F4240:6553F100:aptupdate::root@pam:";
    let r = client
        .call("task_log", json!({"upid": node_task}))
        .await
        .unwrap();
    assert!(is_error(&r), "{r}");
    assert!(
        text(&r).starts_with("Denied: task log GET /nodes/pve1/tasks/"),
        "{}",
        text(&r)
    );
}
