//! Side channels in answers the helper filters entry by entry: what stays in the
//! entries it keeps can still tell of the ones it drops. A pool's entry in
//! `/cluster/resources` sums the CPU and memory of its running members, hidden ones
//! included (`PVE::API2::Cluster` fills the pool's figures before it checks `VM.Audit`);
//! a config `digest` (HA resources, HA rules) is the hash of the whole file, so it
//! changes when an out-of-scope guest's entry does.

use super::case::{Class, Expect, Who};
use super::runner::{Runner, get};
use pve_mcp_tests::sim::{HaRule, Record};
use pve_mcp_tests::sim_client::Api;
use serde_json::Value;
use std::collections::BTreeMap;

/// The data of a `proxmox_api` answer (its structured content).
fn data(everything: &str) -> Value {
    serde_json::from_str::<Value>(everything)
        .map(|v| v["structuredContent"]["data"].clone())
        .unwrap_or(Value::Null)
}

/// Pools whose figures exceed what their visible running members add up to.
fn pool_excess(resources: &Value) -> Vec<String> {
    let list = resources.as_array().cloned().unwrap_or_default();
    let mut visible: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for e in &list {
        let guest = matches!(e["type"].as_str(), Some("qemu" | "lxc"));
        if guest && e["uptime"].as_u64().unwrap_or(0) > 0 {
            let pool = e["pool"].as_str().unwrap_or_default().to_owned();
            let v = visible.entry(pool).or_default();
            v.0 += e["maxmem"].as_u64().unwrap_or(0);
            v.1 += e["maxcpu"].as_u64().unwrap_or(0);
        }
    }
    list.iter()
        .filter(|e| e["type"] == "pool")
        .filter_map(|e| {
            let pool = e["pool"].as_str().unwrap_or_default();
            let (mem, cpu) = visible.get(pool).copied().unwrap_or((0, 0));
            let (pmem, pcpu) = (e["maxmem"].as_u64().unwrap_or(0), e["maxcpu"].as_u64().unwrap_or(0));
            (pmem > mem || pcpu > cpu).then(|| {
                format!(
                    "pool {pool} sums {pcpu} CPUs and {pmem} bytes, its visible running members {cpu} and {mem}"
                )
            })
        })
        .collect()
}

/// The `digest` of the first entry of a listing (or of an object).
fn digest(v: &Value) -> Option<String> {
    let first = if v.is_array() { &v[0] } else { v };
    first["digest"].as_str().map(str::to_owned)
}

pub async fn run(r: &mut Runner) {
    let c = Class::SideChannels;
    let name = "pool figures in /cluster/resources";
    let a = r
        .case(
            c,
            name,
            Who::Model,
            "proxmox_api",
            get("/cluster/resources"),
            Expect::Answer,
        )
        .await;
    let leaks = pool_excess(&data(&a.everything));
    r.finish(
        c,
        &format!("{name}: no hidden guest counted"),
        Vec::new(),
        leaks,
        None,
    );
    let a = r
        .call(
            Who::Model,
            "list_pools",
            &serde_json::json!({"pool": "prod"}),
        )
        .await;
    let shows_usage = a.message.contains("GiB") || a.message.contains("CPU");
    let leaks = if shows_usage {
        vec![format!("list_pools prod shows usage: {}", a.message)]
    } else {
        Vec::new()
    };
    r.finish(
        c,
        "list_pools of a pool of hidden guests shows no usage",
        Vec::new(),
        leaks,
        None,
    );

    // The HA resources' digest, before and after a hidden HA guest stops.
    let before = r
        .call(Who::Model, "proxmox_api", &get("/cluster/ha/resources"))
        .await;
    let api = Api::new(r.world.sim());
    let (_, upid) = api.post("/nodes/pve1/qemu/250/status/stop", &[]).await;
    if let Some(upid) = upid["data"].as_str() {
        api.wait_task("pve1", upid).await;
    }
    let after = r
        .call(Who::Model, "proxmox_api", &get("/cluster/ha/resources"))
        .await;
    let (d1, d2) = (
        digest(&data(&before.everything)),
        digest(&data(&after.everything)),
    );
    let leaks = if d1.is_some() && d1 != d2 {
        vec![format!(
            "the digest moved from {d1:?} to {d2:?} when hidden guest 250 stopped"
        )]
    } else {
        Vec::new()
    };
    r.finish(
        c,
        "HA resources digest follows a hidden guest",
        Vec::new(),
        leaks,
        None,
    );
    let (_, upid) = api.post("/nodes/pve1/qemu/250/status/start", &[]).await;
    if let Some(upid) = upid["data"].as_str() {
        api.wait_task("pve1", upid).await;
    }

    // An HA rule's digest, before and after a rule for hidden guests is added.
    let path = "/cluster/ha/rules/lab-only";
    let before = r.call(Who::Model, "proxmox_api", &get(path)).await;
    r.world.sim().add_record(Record::HaRule(HaRule {
        id: "hidden-pair".into(),
        kind: "resource-affinity",
        resources: vec!["ct:251".into(), "ct:253".into()],
        nodes: Vec::new(),
        affinity: Some("positive"),
        strict: false,
        comment: None,
    }));
    let after = r.call(Who::Model, "proxmox_api", &get(path)).await;
    let (d1, d2) = (
        digest(&data(&before.everything)),
        digest(&data(&after.everything)),
    );
    let leaks = if d1.is_some() && d1 != d2 {
        vec![format!(
            "the digest moved from {d1:?} to {d2:?} when a rule of hidden guests was added"
        )]
    } else {
        Vec::new()
    };
    r.finish(
        c,
        "HA rules digest follows hidden rules",
        Vec::new(),
        leaks,
        None,
    );
}
