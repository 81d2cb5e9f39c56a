//! End to end: firewall_edit under the lab builder with `firewall.rules` granted,
//! `firewall.enable` confirmed, and `[firewall]` allowing incoming ACCEPT and REJECT
//! rules for tcp 443 and 8000-8999 between addresses of 10.0.0.0/8. The dataset's
//! rules of a lab guest (SSH by macro, a service) are outside those bounds: an admin's.
//! A rule is added below them (added disabled at the top, moved, then enabled, as a
//! plan shows), changed, moved and deleted; the admin's rules are never deleted,
//! changed or jumped over; a hidden guest reads as absent; a raw write is judged as
//! the tool; turning the firewall off asks the user; and the privilege `setup` grants
//! is the one Proxmox checks.

use super::{edit, lab_policy, not_found, ok, refused_by, with_api};
use pve_helper::{
    policy::Policy,
    setup::{Release, required_privileges},
};
use pve_mcp_tests::{
    client::{is_error, text},
    sim::{self, GuestKind, GuestSeed, PveVersion, SimConfig},
    sim_client::Api,
    stack::{Stack, StackOptions},
};
use serde_json::{Value, json};
use std::{path::Path, time::Duration};

const NODES: usize = 3;
const GUESTS: usize = 60;

const BOUNDS: &str = "[firewall]\ndirections = [\"in\"]\nactions = [\"ACCEPT\", \"REJECT\"]\n\
protocols = [\"tcp\"]\ndports = [\"443\", \"8000:8999\"]\nsources = [\"10.0.0.0/8\"]\n\
dests = [\"10.0.0.0/8\"]\n\n";

/// The lab builder with guest firewall changes; turning a firewall on or off is
/// confirmed.
pub fn policy() -> String {
    let p = edit(
        &lab_policy(),
        "\"task.cancel\",\n]",
        "\"task.cancel\", \"firewall.rules\", \"firewall.enable\",\n]",
    );
    let p = edit(
        &p,
        "\"backup.restore\", \"backup.delete\"]",
        "\"backup.restore\", \"backup.delete\", \"firewall.enable\"]",
    );
    edit(&p, "[limits]", &format!("{BOUNDS}[limits]"))
}

pub fn stack_with(policy: &str, privileges: Option<Vec<String>>) -> Stack {
    let mut o = StackOptions::new(policy);
    o.audit_file = true;
    o.sim = SimConfig {
        nodes: NODES,
        guests: GUESTS,
        task_duration: Duration::from_millis(60),
        privileges,
        ..SimConfig::default()
    };
    Stack::start(o).expect("stack starts")
}

/// A lab VM with a firewall file (the dataset gives one to every other guest).
pub fn fw_guest() -> GuestSeed {
    sim::dataset::find(NODES, GUESTS, |g| {
        g.pool == Some("lab") && g.kind == GuestKind::Qemu && g.index % 2 == 0 && !g.locked
    })
}

/// A guest outside the lab pool, with a firewall file.
pub fn hidden_guest() -> GuestSeed {
    sim::dataset::find(NODES, GUESTS, |g| g.pool != Some("lab") && g.index % 2 == 0)
}

pub fn rules_path(g: &GuestSeed) -> String {
    format!("/nodes/{}/qemu/{}/firewall/rules", g.node, g.vmid)
}

/// The guest's rules as Proxmox holds them (without the digest each carries), and
/// their digest.
pub async fn rules(api: &Api, g: &GuestSeed) -> (Vec<Value>, String) {
    let (status, body) = api.get(&rules_path(g)).await;
    assert_eq!(status, 200, "{body}");
    let mut rules = body["data"].as_array().cloned().unwrap_or_default();
    let digest = rules
        .first()
        .and_then(|r| r["digest"].as_str())
        .unwrap_or_default()
        .to_owned();
    for r in &mut rules {
        if let Some(m) = r.as_object_mut() {
            m.remove("digest");
        }
    }
    (rules, digest)
}

fn web(port: &str) -> Value {
    json!({"type": "in", "action": "ACCEPT", "proto": "tcp", "dport": port,
           "source": "10.1.0.0/16", "dest": "10.2.0.5", "enable": true, "comment": "web"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firewall_rules_change_within_bounds_below_the_admins() {
    let stack = stack_with(&policy(), None);
    let client = stack.confirming_client(true).await.unwrap();
    let api = Api::new(&stack.sim);
    let g = fw_guest();
    let id = g.vmid;
    let (before, _) = rules(&api, &g).await;
    let n = before.len();
    assert!(n >= 1, "{before:?}");
    // The grant lets the model read the positions it names, without [api] patterns.
    let r = ok(&client, "firewall", json!({"vmid": id})).await;
    assert_eq!(
        r["structuredContent"]["rules"].as_array().map(Vec::len),
        Some(n),
        "{r}"
    );
    not_found(&client, "firewall", json!({"vmid": hidden_guest().vmid})).await;

    // A plan: added disabled at the top, moved below the admin's rules, enabled.
    let r = ok(
        &client,
        "firewall_edit",
        json!({"vmid": id, "op": "add", "rule": web("443"), "dry_run": true}),
    )
    .await;
    let s = &r["structuredContent"];
    assert_eq!(s["dry_run"], true, "{r}");
    let reqs = s["requests"].as_array().unwrap();
    assert_eq!(reqs.len(), 3, "{r}");
    assert_eq!(reqs[0]["method"], "POST");
    assert_eq!(reqs[1]["method"], "PUT");
    assert_eq!(rules(&api, &g).await.0, before, "a plan changes nothing");

    // Added: below every rule outside the bounds, enabled.
    let r = ok(
        &client,
        "firewall_edit",
        json!({"vmid": id, "op": "add", "rule": web("443")}),
    )
    .await;
    assert!(
        text(&r).starts_with("Done: add firewall rule"),
        "{}",
        text(&r)
    );
    let (now, _) = rules(&api, &g).await;
    assert_eq!(now.len(), n + 1);
    assert_eq!(now[..n], before[..], "the admin's rules keep their places");
    assert_eq!(
        (now[n]["dport"].as_str(), now[n]["enable"].as_i64()),
        (Some("443"), Some(1)),
        "{now:?}"
    );
    let shown = r["structuredContent"]["rules"].as_array().unwrap();
    assert_eq!(shown.len(), n + 1);

    // Changed, within the bounds; not beyond them.
    ok(
        &client,
        "firewall_edit",
        json!({"vmid": id, "op": "update", "pos": n, "rule": {"dport": "8080"}}),
    )
    .await;
    assert_eq!(rules(&api, &g).await.0[n]["dport"], "8080");
    refused_by(
        &client,
        "firewall_edit",
        json!({"vmid": id, "op": "update", "pos": n, "rule": {"dport": "22"}}),
        "firewall",
        "dports",
    )
    .await;
    refused_by(
        &client,
        "firewall_edit",
        json!({"vmid": id, "op": "update", "pos": n, "delete": ["source"]}),
        "firewall",
        "every address",
    )
    .await;

    // The admin's rules: not deleted, changed, moved, nor jumped over.
    refused_by(
        &client,
        "firewall_edit",
        json!({"vmid": id, "op": "delete", "pos": 0}),
        "firewall",
        "outside [firewall]",
    )
    .await;
    refused_by(
        &client,
        "firewall_edit",
        json!({"vmid": id, "op": "update", "pos": 0, "rule": {"enable": false}}),
        "firewall",
        "outside [firewall]",
    )
    .await;
    refused_by(
        &client,
        "firewall_edit",
        json!({"vmid": id, "op": "move", "pos": n, "to": 0}),
        "firewall",
        "precedence",
    )
    .await;
    refused_by(
        &client,
        "firewall_edit",
        json!({"vmid": id, "op": "add", "rule": web("443"), "pos": 0}),
        "firewall",
        "precedence",
    )
    .await;
    assert_eq!(rules(&api, &g).await.0[..n], before[..]);

    // A second rule, moved above the first (both ours), then deleted.
    ok(
        &client,
        "firewall_edit",
        json!({"vmid": id, "op": "add", "rule": web("8443"), "pos": n + 1}),
    )
    .await;
    ok(
        &client,
        "firewall_edit",
        json!({"vmid": id, "op": "move", "pos": n + 1, "to": n}),
    )
    .await;
    let (now, _) = rules(&api, &g).await;
    assert_eq!(
        (now[n]["dport"].as_str(), now[n + 1]["dport"].as_str()),
        (Some("8443"), Some("8080"))
    );
    ok(
        &client,
        "firewall_edit",
        json!({"vmid": id, "op": "delete", "pos": n}),
    )
    .await;
    ok(
        &client,
        "firewall_edit",
        json!({"vmid": id, "op": "delete", "pos": n}),
    )
    .await;
    assert_eq!(rules(&api, &g).await.0, before);

    // Off, after the user's yes.
    let r = ok(
        &client,
        "firewall_edit",
        json!({"vmid": id, "op": "disable"}),
    )
    .await;
    assert_eq!(client.questions().len(), 1, "{:?}", client.questions());
    assert_eq!(r["structuredContent"]["options"]["enable"], 0, "{r}");

    // A hidden guest reads as absent.
    not_found(
        &client,
        "firewall_edit",
        json!({"vmid": hidden_guest().vmid, "op": "delete", "pos": 0}),
    )
    .await;
    not_found(
        &client,
        "firewall_edit",
        json!({"vmid": 999_999, "op": "delete", "pos": 0}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_firewall_writes_are_judged_as_the_tool() {
    let p = with_api(
        &policy(),
        "\"POST /nodes/*/qemu/*/firewall/rules\", \"PUT /nodes/*/qemu/*/firewall/**\", \
         \"DELETE /nodes/*/qemu/*/firewall/rules/*\"",
    );
    let stack = stack_with(&p, None);
    let client = stack.client().await.unwrap();
    let api = Api::new(&stack.sim);
    let g = fw_guest();
    let path = rules_path(&g);
    let (before, digest) = rules(&api, &g).await;
    let n = before.len();
    let raw = |method: &str, endpoint: String, data: Value| json!({"method": method, "endpoint": endpoint, "data": data});
    // A raw POST puts the rule at the top, above the admin's rules.
    refused_by(&client, "proxmox_api", raw("POST", path.clone(), json!({"type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "443", "source": "10.0.0.1", "dest": "10.0.0.2", "digest": digest})), "firewall", "precedence").await;
    // Deleting the admin's rule, with or without the digest.
    refused_by(
        &client,
        "proxmox_api",
        raw("DELETE", format!("{path}/0"), json!({"digest": digest})),
        "firewall",
        "outside [firewall]",
    )
    .await;
    refused_by(
        &client,
        "proxmox_api",
        raw("DELETE", format!("{path}/0"), json!({})),
        "firewall",
        "digest",
    )
    .await;
    // Options other than enable, and enable itself unconfirmed.
    let options = format!("/nodes/{}/qemu/{}/firewall/options", g.node, g.vmid);
    refused_by(
        &client,
        "proxmox_api",
        raw("PUT", options.clone(), json!({"policy_in": "ACCEPT"})),
        "api.params",
        "policy_in",
    )
    .await;
    refused_by(
        &client,
        "proxmox_api",
        raw("PUT", options, json!({"enable": 0})),
        "guests.actions",
        "firewall_edit",
    )
    .await;
    assert_eq!(rules(&api, &g).await.0, before);

    // Our own rule, added by the tool, may be changed raw with the digest.
    ok(
        &client,
        "firewall_edit",
        json!({"vmid": g.vmid, "op": "add", "rule": web("443")}),
    )
    .await;
    let (_, digest) = rules(&api, &g).await;
    let r = client
        .call(
            "proxmox_api",
            raw(
                "PUT",
                format!("{path}/{n}"),
                json!({"dport": "8000", "digest": digest}),
            ),
        )
        .await
        .unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(rules(&api, &g).await.0[n]["dport"], "8000");
}

/// A policy that grants only firewall rule changes: what `setup` grants for it is what
/// Proxmox checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_grants_what_a_firewall_change_needs() {
    let only = format!(
        "[clients]\nusers = [{{uid}}]\n\n[guests]\nallow = [\"pool:lab\"]\n\
         actions = [\"firewall.rules\"]\n\n{BOUNDS}"
    );
    let (parsed, _) = Policy::parse(&only.replace("{uid}", "1000"), Path::new("fw.toml"))
        .expect("the policy parses");
    let release = match PveVersion::from_env() {
        PveVersion::Pve8 => Release::Pve8,
        PveVersion::Pve9 => Release::Pve9,
    };
    let privileges: Vec<String> = required_privileges(&parsed, release)
        .names()
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert!(
        privileges.contains(&"VM.Config.Network".to_owned()),
        "{privileges:?}"
    );
    let stack = stack_with(&only, Some(privileges.clone()));
    let client = stack.client().await.unwrap();
    let g = fw_guest();
    ok(
        &client,
        "firewall_edit",
        json!({"vmid": g.vmid, "op": "add", "rule": web("443")}),
    )
    .await;
    let fewer: Vec<String> = privileges
        .into_iter()
        .filter(|p| p != "VM.Config.Network")
        .collect();
    stack.sim.set_privileges(Some(&fewer));
    let r = client
        .call(
            "firewall_edit",
            json!({"vmid": g.vmid, "op": "add", "rule": web("443")}),
        )
        .await
        .unwrap();
    let why = text(&r);
    assert!(is_error(&r) && why.contains("VM.Config.Network"), "{why}");
}

/// Under `[changes] plans_only`, a firewall change is a plan: nothing reaches Proxmox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_only_makes_a_firewall_change_a_plan() {
    let stack = stack_with(
        &format!("{}\n[changes]\nplans_only = true\n", policy()),
        None,
    );
    let client = stack.client().await.unwrap();
    let api = Api::new(&stack.sim);
    let g = fw_guest();
    let (before, _) = rules(&api, &g).await;
    let r = ok(
        &client,
        "firewall_edit",
        json!({"vmid": g.vmid, "op": "add", "rule": web("443")}),
    )
    .await;
    let t = text(&r);
    assert!(
        t.starts_with("Plan only, nothing done: add firewall rule")
            && t.contains(&format!("1. POST {}", rules_path(&g))),
        "{t}"
    );
    assert_eq!(rules(&api, &g).await.0, before);
}
