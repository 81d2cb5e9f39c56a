//! The HA manager's view, as pve-ha-manager's API renders it: `GET
//! /cluster/ha/status/current` (the quorum entry, the CRM master, one LRM per node, then
//! one entry per HA-managed guest, `service:vm:120`, whose state follows the guest's
//! power state), `GET /cluster/ha/resources` and `GET /cluster/ha/groups`.

use serde_json::{Value, json};

use super::cluster::Cluster;
use super::dataset::{GuestKind, HA_GROUP};

/// A fixed timestamp for the status lines (PVE shows when each daemon last reported).
const STAMP: u64 = 1_735_000_000;

pub fn status_current(c: &Cluster) -> Value {
    let Some(master) = c.nodes.first() else {
        return json!([]);
    };
    let mut out = vec![
        json!({"id": "quorum", "type": "quorum", "node": master.name, "status": "OK",
               "quorate": 1}),
        json!({"id": "master", "type": "master", "node": master.name,
               "status": format!("{} (active, Mon Dec 23 00:26:40 2024)", master.name),
               "timestamp": STAMP}),
    ];
    for n in &c.nodes {
        out.push(
            json!({"id": format!("lrm:{}", n.name), "type": "lrm", "node": n.name,
            "status": format!("{} (active, Mon Dec 23 00:26:41 2024)", n.name),
            "timestamp": STAMP + 1}),
        );
    }
    for g in c.guests.iter().filter(|g| g.seed.ha) {
        let prefix = match g.seed.kind {
            GuestKind::Qemu => "vm",
            GuestKind::Lxc => "ct",
        };
        let sid = format!("{prefix}:{}", g.seed.vmid);
        let state = if g.is_running() { "started" } else { "stopped" };
        out.push(json!({
            "id": format!("service:{sid}"), "type": "service", "sid": sid,
            "node": g.seed.node, "state": state, "crm_state": state,
            "request_state": state, "max_relocate": 1, "max_restart": 1,
            "status": format!("{sid} ({}, {state})", g.seed.node),
        }));
    }
    Value::Array(out)
}

/// The HA resource entries (`resources.cfg`), by service ID: `(sid, type, state)`.
fn services(c: &Cluster) -> Vec<(String, &'static str, &'static str)> {
    let mut out: Vec<(String, &'static str, &'static str)> = c
        .guests
        .iter()
        .filter(|g| g.seed.ha)
        .map(|g| {
            let ty = match g.seed.kind {
                GuestKind::Qemu => "vm",
                GuestKind::Lxc => "ct",
            };
            let state = if g.is_running() { "started" } else { "stopped" };
            (format!("{ty}:{}", g.seed.vmid), ty, state)
        })
        .collect();
    out.sort();
    out
}

fn sha1_hex(text: &str) -> String {
    let d = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, text.as_bytes());
    super::tls::hex_lower(d.as_ref())
}

/// `GET /cluster/ha/resources[?type=vm|ct]`: every HA-managed guest, in the group
/// [`HA_GROUP`], with the state its power state asks for.
pub fn resources(c: &Cluster, ty: Option<&str>) -> Value {
    let all = services(c);
    let text: String = all
        .iter()
        .map(|(sid, _, state)| {
            format!(
                "{sid}\n\tgroup {HA_GROUP}\n\tmax_relocate 1\n\tmax_restart 1\n\tstate {state}\n\n"
            )
        })
        .collect();
    let digest = sha1_hex(&text);
    let list: Vec<Value> = all
        .into_iter()
        .filter(|(_, t, _)| ty.is_none_or(|want| want == *t))
        .map(|(sid, t, state)| {
            json!({"sid": sid, "type": t, "state": state, "group": HA_GROUP,
                   "max_restart": 1, "max_relocate": 1, "digest": digest})
        })
        .collect();
    Value::Array(list)
}

/// `GET /cluster/ha/groups`: the one group, holding every node.
pub fn groups(c: &Cluster) -> Value {
    let nodes: Vec<&str> = c.nodes.iter().map(|n| n.name.as_str()).collect();
    let nodes = nodes.join(",");
    let digest = sha1_hex(&format!("group: {HA_GROUP}\n\tnodes {nodes}\n\n"));
    json!([{"group": HA_GROUP, "type": "group", "nodes": nodes, "digest": digest}])
}
