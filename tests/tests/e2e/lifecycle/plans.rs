//! End to end: plans. A change asked for with `dry_run`, and every change under
//! `[changes] plans_only`, is judged as it would be and answers the Proxmox requests
//! it would send, through the real front and helper; the simulator is checked each
//! time: nothing changed, no task ran, nobody was asked to confirm.

use pve_mcp_tests::sim_client::Api;

use super::{lab_policy, not_found, ok, refused_by, resource, stack};
use pve_mcp_tests::client::text;
use serde_json::json;

/// A running lab VM on pve1 (dataset index 12).
const RUNNING_VM: u32 = 112;
/// A stopped lab VM on pve1 (dataset index 27).
const STOPPED_VM: u32 = 127;
/// A production guest on pve1: out of the lab's scope.
const PROD: u32 = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_answers_what_would_be_sent_and_changes_nothing() {
    let stack = stack(&lab_policy(), 30);
    let api = Api::new(&stack.sim);
    // A client that would refuse: a plan asks nobody.
    let client = stack.confirming_client(false).await.unwrap();

    // A stop, which the lab builder confirms: the plan says so, asks nothing.
    let r = ok(
        &client,
        "vm_action",
        json!({"vmid": RUNNING_VM, "action": "stop", "dry_run": true}),
    )
    .await;
    let t = text(&r);
    assert!(
        t.starts_with("Plan only, nothing done: stop guest 112")
            && t.contains("the user would be asked to confirm it first")
            && t.contains("\n1. POST /nodes/pve1/qemu/112/status/stop"),
        "{t}"
    );
    let s = &r["structuredContent"];
    assert_eq!(s["dry_run"], true);
    assert_eq!(s["confirm"], true);
    assert_eq!(s["requests"][0]["method"], "POST");
    assert!(client.questions().is_empty(), "{:?}", client.questions());
    assert_eq!(
        resource(&api, RUNNING_VM).await.unwrap()["status"],
        "running"
    );

    // A deletion: the request with its parameters; the guest stays.
    let r = ok(
        &client,
        "guest_delete",
        json!({"vmid": STOPPED_VM, "dry_run": true}),
    )
    .await;
    let t = text(&r);
    assert!(
        t.contains("\n1. DELETE /nodes/pve1/qemu/127") && t.contains("purge=1"),
        "{t}"
    );
    assert!(resource(&api, STOPPED_VM).await.is_some());

    // A creation: the vmid the helper would take, the pool and what the policy adds.
    let r = ok(
        &client,
        "guest_create",
        json!({"type": "qemu", "node": "pve2", "name": "plan-01", "cores": 2,
               "memory_mib": 2048, "disk": {"storage": "local-lvm", "size_gib": 16},
               "dry_run": true}),
    )
    .await;
    let t = text(&r);
    assert!(
        t.contains("\n1. POST /nodes/pve2/qemu vmid=9000")
            && t.contains("pool=lab")
            && t.contains("name=plan-01"),
        "{t}"
    );
    assert!(resource(&api, 9000).await.is_none(), "no guest was made");
    let writes: Vec<String> = stack
        .sim
        .stats()
        .per_path
        .keys()
        .filter(|k| !k.starts_with("GET ") && !k.contains("/_sim/"))
        .cloned()
        .collect();
    assert!(writes.is_empty(), "nothing was sent but reads: {writes:?}");

    // A plan is judged like the change: refused and hidden alike.
    refused_by(
        &client,
        "guest_configure",
        json!({"vmid": STOPPED_VM, "set": {"cores": 64}, "dry_run": true}),
        "bounds.max_cores",
        "64",
    )
    .await;
    not_found(
        &client,
        "vm_action",
        json!({"vmid": PROD, "action": "start", "dry_run": true}),
    )
    .await;
    assert!(
        stack.helper_log().contains("decision=\"plan\"")
            || stack.helper_log().contains("decision=plan"),
        "the plan is audited as one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_only_makes_every_change_a_plan() {
    let policy = format!("{}\n[changes]\nplans_only = true\n", lab_policy());
    let stack = stack(&policy, 30);
    let api = Api::new(&stack.sim);
    let client = stack.confirming_client(true).await.unwrap();
    let r = ok(
        &client,
        "vm_action",
        json!({"vmid": STOPPED_VM, "action": "start"}),
    )
    .await;
    let t = text(&r);
    assert!(
        t.starts_with("Plan only, nothing done:")
            && t.contains("1. POST /nodes/pve1/qemu/127/status/start"),
        "{t}"
    );
    assert_eq!(
        resource(&api, STOPPED_VM).await.unwrap()["status"],
        "stopped"
    );
    let r = ok(&client, "my_permissions", json!({})).await;
    assert!(
        text(&r).contains("Plans only ([changes] plans_only)"),
        "{}",
        text(&r)
    );
    let info = client.server_info();
    assert!(
        info["instructions"]
            .as_str()
            .unwrap_or_default()
            .contains("The policy makes every change a plan"),
        "{info}"
    );
    // Reads are not plans.
    let r = ok(&client, "vm_status", json!({"vmid": STOPPED_VM})).await;
    assert!(!text(&r).contains("Plan only"), "{}", text(&r));
}
