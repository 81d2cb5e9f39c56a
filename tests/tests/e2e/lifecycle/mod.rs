//! The guest lifecycle end to end, and its support: the shipped lab-builder policy for this
//! test's user (and checked edits of it), a three-node stack, tool calls that must
//! succeed or be refused, and the simulator's own view of a guest, read over HTTPS.

mod agent;
mod bounds;
mod configure;
mod denied;
mod disk_move;
mod firewall_edit;
mod floor;
mod plans;
mod privileges;
mod workflow;

use pve_mcp_tests::sim_client::Api;
use pve_mcp_tests::{
    client::{Client, is_error, text},
    sim::SimConfig,
    stack::{Stack, StackOptions},
};
use serde_json::{Value, json};
use std::time::Duration;

/// The shipped example, for this test's user.
pub fn lab_policy() -> String {
    include_str!("../../../../policy/examples/lab-builder.toml")
        .replace("users = [\"claude-user\"]", "users = [{uid}]")
}

/// `policy` with `from` replaced by `to`; panics when `from` is not in it, so that an
/// edit that no longer applies fails the test instead of testing the unedited policy.
pub fn edit(policy: &str, from: &str, to: &str) -> String {
    assert!(
        policy.contains(from),
        "the policy has no {from:?}:\n{policy}"
    );
    policy.replacen(from, to, 1)
}

/// The lab builder with more `[api] allow` patterns (each quoted, comma-separated).
pub fn with_api(policy: &str, patterns: &str) -> String {
    edit(
        policy,
        "\"GET /pools/*\",",
        &format!("\"GET /pools/*\", {patterns},"),
    )
}

/// A container template in the lab pool (dataset index 17), on pve3 with its disk on
/// local-lvm, so its clones stay on pve3.
pub const TEMPLATE: u32 = 117;

/// Three nodes, `guests` guests, tasks of 60 ms.
pub fn stack(policy: &str, guests: usize) -> Stack {
    let mut o = StackOptions::new(policy);
    o.sim = SimConfig {
        nodes: 3,
        guests,
        task_duration: Duration::from_millis(60),
        ..SimConfig::default()
    };
    Stack::start(o).expect("stack starts")
}

pub async fn ok(client: &Client, tool: &str, args: Value) -> Value {
    let r = client.call(tool, args.clone()).await.unwrap();
    assert!(!is_error(&r), "{tool} {args}: {}", text(&r));
    r
}

pub async fn refused(client: &Client, tool: &str, args: Value) -> String {
    let r = client.call(tool, args.clone()).await.unwrap();
    assert!(
        is_error(&r),
        "{tool} {args} should be refused: {}",
        text(&r)
    );
    text(&r)
}

/// Refused by the policy rule `rule` (as the front renders it: `(rule: RULE)`), with
/// `words` in the reason.
pub async fn refused_by(client: &Client, tool: &str, args: Value, rule: &str, words: &str) {
    let why = refused(client, tool, args.clone()).await;
    assert!(
        why.starts_with("Denied: ") && why.contains(&format!("(rule: {rule})")),
        "{tool} {args} should be refused by {rule}: {why}"
    );
    assert!(why.contains(words), "{tool} {args}: {words:?} in {why}");
}

/// Each case (tool, arguments, rule, words) refused as [`refused_by`] checks, in order.
pub async fn all_refused(client: &Client, cases: &[(&str, Value, &str, &str)]) {
    for (tool, args, rule, words) in cases {
        refused_by(client, tool, args.clone(), rule, words).await;
    }
}

/// `policy` with `agent.exec` granted on the scope and `[agent]` set to `section`.
pub fn with_agent(policy: &str, section: &str) -> String {
    let granted = edit(
        policy,
        "\"task.cancel\",\n]",
        "\"task.cancel\", \"agent.exec\",\n]",
    );
    edit(
        &granted,
        "[limits]",
        &format!("[agent]\n{section}\n\n[limits]"),
    )
}

/// Refused as a guest that does not exist or is out of scope.
pub async fn not_found(client: &Client, tool: &str, args: Value) {
    let why = refused(client, tool, args.clone()).await;
    assert!(
        why.contains("does not exist or is not visible"),
        "{tool} {args}: {why}"
    );
}

/// A container on `node` with these sizes, its disk on local-lvm, on bridge vmbr1.
pub fn create_args(cores: u32, memory: u32, disk: u32, node: &str) -> Value {
    json!({
        "type": "lxc", "node": node, "name": "sized", "cores": cores, "memory_mib": memory,
        "disk": {"storage": "local-lvm", "size_gib": disk},
        "ostemplate": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
        "bridge": "vmbr1"
    })
}

/// The simulator's entry for `vmid` in `/cluster/resources`, if any.
pub async fn resource(api: &Api, vmid: u32) -> Option<Value> {
    let (code, body) = api.get("/cluster/resources?type=vm").await;
    assert_eq!(code, 200);
    body["data"]
        .as_array()?
        .iter()
        .find(|r| r["vmid"] == vmid)
        .cloned()
}

pub async fn config(api: &Api, node: &str, kind: &str, vmid: u32) -> Value {
    let (code, body) = api
        .get(&format!("/nodes/{node}/{kind}/{vmid}/config"))
        .await;
    assert_eq!(code, 200, "{body}");
    body["data"].clone()
}

pub fn new_vmid(r: &Value) -> u32 {
    let v = r["structuredContent"]["vmid"].as_u64().expect("a new vmid");
    u32::try_from(v).unwrap()
}

pub fn finished_ok(r: &Value) {
    assert_eq!(r["structuredContent"]["exitstatus"], "OK", "{r}");
}
