//! End to end: the snapshot tools through the real mcp-front and pve-helper against the
//! simulated cluster: listing, taking, rolling back and deleting snapshots, each allowed
//! or denied by its policy operation (`snapshot.list`, `snapshot.create`,
//! `snapshot.rollback`, `snapshot.delete`), with the guest's node and type resolved by
//! the helper and out-of-scope guests not found.

use pve_mcp_tests::{
    client::{Client, is_error, text},
    sim::{self, GuestKind, GuestSeed, PowerState, SimConfig},
    stack::{Stack, StackOptions},
};
use serde_json::{Value, json};
use std::time::Duration;

const NODES: usize = 3;
const GUESTS: usize = 60;

const POLICY: &str = r#"
[clients]
users = [{uid}]

[guests]
allow = ["100-139"]
actions = ["snapshot.list", "snapshot.create"]

[[rule]]
name = "lab snapshots"
guests = ["pool:lab"]
actions = ["snapshot.rollback", "snapshot.delete"]

[[rule]]
name = "prod rollback"
guests = ["pool:prod"]
actions = ["snapshot.rollback"]
confirm = ["snapshot.rollback"]
"#;

async fn stack_and_client(policy: &str) -> (Stack, Client) {
    let mut o = StackOptions::new(policy);
    o.sim = SimConfig {
        nodes: NODES,
        guests: GUESTS,
        task_duration: Duration::from_millis(150),
        ..SimConfig::default()
    };
    let stack = Stack::start(o).expect("stack starts");
    let client = stack.client().await.expect("mcp-front starts");
    (stack, client)
}

/// A plain guest in scope (100-139) matching `want`.
fn guest(want: impl Fn(&GuestSeed) -> bool) -> GuestSeed {
    sim::dataset::find(NODES, GUESTS, |g| {
        g.vmid < 140 && !g.locked && !g.ha && want(g)
    })
}

fn snapshot_names(r: &Value) -> Vec<String> {
    r["structuredContent"]["snapshots"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn list(client: &Client, vmid: u32) -> Value {
    let r = client
        .call("snapshot_list", json!({"vmid": vmid}))
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_list_shows_a_guests_snapshots_and_hides_other_guests() {
    let (stack, client) = stack_and_client(POLICY).await;
    let with = guest(|g| g.has_base_snapshot() && g.kind == GuestKind::Lxc);
    let r = list(&client, with.vmid).await;
    assert_eq!(snapshot_names(&r), ["base"]);
    assert_eq!(r["structuredContent"]["type"], "lxc");
    assert_eq!(r["structuredContent"]["current_parent"], "base");
    assert_eq!(
        r["structuredContent"]["snapshots"][0]["description"],
        "after install"
    );
    assert!(
        text(&r).contains("has 1 snapshot(s):\n  base  2023-11-1"),
        "{}",
        text(&r)
    );
    let without = guest(|g| !g.has_base_snapshot());
    let r = list(&client, without.vmid).await;
    assert!(snapshot_names(&r).is_empty());
    assert!(text(&r).contains("has no snapshots"), "{}", text(&r));
    // The helper asked the guest's own node, found from the vmid.
    let path = format!("/nodes/{}/lxc/{}/snapshot", with.node, with.vmid);
    assert!(
        stack.sim.stats().per_path.keys().any(|k| k.contains(&path)),
        "{:?}",
        stack.sim.stats().per_path
    );
    for vmid in [150, 999] {
        let r = client
            .call("snapshot_list", json!({"vmid": vmid}))
            .await
            .unwrap();
        assert!(is_error(&r), "{r}");
        assert!(
            text(&r).contains("does not exist or is not visible"),
            "{}",
            text(&r)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_create_and_delete_run_as_tasks() {
    let (_stack, client) = stack_and_client(POLICY).await;
    let lab = guest(|g| g.pool == Some("lab") && g.has_base_snapshot());
    let r = client
        .call(
            "snapshot_create",
            json!({"vmid": lab.vmid, "name": "pre-up", "description": "before the upgrade"}),
        )
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    let s = &r["structuredContent"];
    assert_eq!(s["outcome"], "succeeded", "{r}");
    assert_eq!(s["action"], "snapshot.create");
    assert_eq!(s["snapshot"], "pre-up");
    let task_type = if lab.kind == GuestKind::Qemu {
        ":qmsnapshot:"
    } else {
        ":vzsnapshot:"
    };
    assert!(s["upid"].as_str().unwrap().contains(task_type), "{r}");
    let r = list(&client, lab.vmid).await;
    assert_eq!(snapshot_names(&r), ["base", "pre-up"]);
    assert_eq!(r["structuredContent"]["snapshots"][1]["parent"], "base");
    assert_eq!(r["structuredContent"]["current_parent"], "pre-up");

    // The same name again: Proxmox's worker fails, and the model reads why.
    let r = client
        .call(
            "snapshot_create",
            json!({"vmid": lab.vmid, "name": "pre-up"}),
        )
        .await
        .unwrap();
    assert!(is_error(&r), "{r}");
    assert_eq!(r["structuredContent"]["outcome"], "failed");
    assert!(
        text(&r).contains("snapshot name 'pre-up' already used"),
        "{}",
        text(&r)
    );

    let r = client
        .call(
            "snapshot_delete",
            json!({"vmid": lab.vmid, "name": "pre-up"}),
        )
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    assert_eq!(r["structuredContent"]["outcome"], "succeeded");
    let r = list(&client, lab.vmid).await;
    assert_eq!(snapshot_names(&r), ["base"]);
    assert_eq!(r["structuredContent"]["current_parent"], "base");

    // Not waiting: the task is reported as started, with its UPID.
    let r = client
        .call(
            "snapshot_create",
            json!({"vmid": lab.vmid, "name": "quick", "wait": false}),
        )
        .await
        .unwrap();
    assert_eq!(r["structuredContent"]["outcome"], "started", "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn include_ram_is_for_running_vms_only() {
    let (_stack, client) = stack_and_client(POLICY).await;
    let vm = guest(|g| g.kind == GuestKind::Qemu && g.initial == PowerState::Running);
    let r = client
        .call(
            "snapshot_create",
            json!({"vmid": vm.vmid, "name": "live", "include_ram": true}),
        )
        .await
        .unwrap();
    assert_eq!(r["structuredContent"]["outcome"], "succeeded", "{r}");
    let r = list(&client, vm.vmid).await;
    let live = r["structuredContent"]["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "live")
        .cloned()
        .expect("listed");
    assert_eq!(live["vmstate"], true);
    assert!(text(&r).contains("live  ") && text(&r).contains("with RAM"));

    let ct = guest(|g| g.kind == GuestKind::Lxc);
    let r = client
        .call(
            "snapshot_create",
            json!({"vmid": ct.vmid, "name": "live", "include_ram": true}),
        )
        .await
        .unwrap();
    assert!(is_error(&r), "{r}");
    assert!(
        text(&r).starts_with("Invalid: container") && text(&r).contains("no RAM state"),
        "{}",
        text(&r)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_is_allowed_denied_or_confirmed_as_the_policy_says() {
    let (_stack, client) = stack_and_client(POLICY).await;
    // Allowed without confirmation on lab guests: rolling back to a snapshot without
    // RAM leaves the guest stopped, as in Proxmox.
    let lab = guest(|g| {
        g.pool == Some("lab") && g.has_base_snapshot() && g.initial == PowerState::Running
    });
    let r = client
        .call(
            "snapshot_rollback",
            json!({"vmid": lab.vmid, "name": "base"}),
        )
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    assert_eq!(r["structuredContent"]["outcome"], "succeeded");
    let r = client
        .call("vm_status", json!({"vmid": lab.vmid}))
        .await
        .unwrap();
    assert_eq!(r["structuredContent"]["guest"]["status"], "stopped", "{r}");
    // A snapshot that does not exist fails in the task.
    let r = client
        .call(
            "snapshot_rollback",
            json!({"vmid": lab.vmid, "name": "nope"}),
        )
        .await
        .unwrap();
    assert!(is_error(&r), "{r}");
    assert!(
        text(&r).contains("snapshot 'nope' does not exist"),
        "{}",
        text(&r)
    );

    // Denied outside the rules that grant it, naming the rule and what to change.
    let other = guest(|g| g.pool.is_none() && g.has_base_snapshot());
    for tool in ["snapshot_rollback", "snapshot_delete"] {
        let r = client
            .call(tool, json!({"vmid": other.vmid, "name": "base"}))
            .await
            .unwrap();
        assert!(is_error(&r), "{r}");
        let t = text(&r);
        let op = tool.replace('_', ".");
        assert!(
            t.starts_with("Denied:")
                && t.contains(&format!("add \"{op}\" to [guests] actions"))
                && t.contains("(rule: guests.actions)"),
            "{t}"
        );
    }
    let r = list(&client, other.vmid).await;
    assert_eq!(snapshot_names(&r), ["base"], "a denial changes nothing");

    // Confirmed in prod: this client cannot ask its user, so nothing is done.
    let prod = guest(|g| g.pool == Some("prod") && g.has_base_snapshot());
    let r = client
        .call(
            "snapshot_rollback",
            json!({"vmid": prod.vmid, "name": "base"}),
        )
        .await
        .unwrap();
    assert!(is_error(&r), "{r}");
    let t = text(&r);
    assert!(
        t.starts_with("Confirmation required:") && t.contains("confirm of rule \"prod rollback\""),
        "{t}"
    );
    let r = client
        .call("vm_status", json!({"vmid": prod.vmid}))
        .await
        .unwrap();
    let status = if prod.initial == PowerState::Running {
        "running"
    } else {
        "stopped"
    };
    assert_eq!(r["structuredContent"]["guest"]["status"], status);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_tools_follow_the_policys_grants() {
    let (_stack, client) = stack_and_client(POLICY).await;
    let names: Vec<String> = client
        .tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.into_owned())
        .filter(|n| n.starts_with("snapshot_"))
        .collect();
    assert_eq!(
        names.len(),
        4,
        "every snapshot operation is granted somewhere: {names:?}"
    );
    let instructions = client.server_info()["instructions"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        instructions.contains(
            "snapshot_rollback on guests matching pool:lab, pool:prod (after the user confirms)"
        ),
        "{instructions}"
    );

    let read_only = r#"
[clients]
users = [{uid}]
[guests]
allow = ["100-139"]
"#;
    let (_stack, client) = stack_and_client(read_only).await;
    let tools = client.tools().await.unwrap();
    assert!(tools.iter().all(|t| !t.name.starts_with("snapshot_")));
    let vmid = guest(|g| g.has_base_snapshot()).vmid;
    let r = client
        .call("snapshot_list", json!({"vmid": vmid}))
        .await
        .unwrap();
    assert!(is_error(&r), "{r}");
    assert!(
        text(&r).starts_with("Denied: action \"snapshot.list\"")
            && text(&r).contains("add \"snapshot.list\" to [guests] actions"),
        "{}",
        text(&r)
    );
}
