//! `GET /cluster/ha/status/current` as `PVE::API2::HA::Status` renders it: the quorum
//! entry, the CRM master, one LRM per node, then one entry per HA-managed guest
//! (`service:vm:120`), whose state follows the guest's power state.

use serde_json::{Value, json};

use super::cluster::Cluster;
use super::dataset::GuestKind;

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
