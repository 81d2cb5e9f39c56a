//! The HA manager's view, as pve-ha-manager's API renders it: `GET
//! /cluster/ha/status/current` (the quorum entry, the CRM master, one LRM per node, then
//! one entry per HA-managed guest, `service:vm:120`, whose state follows the guest's
//! power state), `GET /cluster/ha/resources[/{sid}]`, `GET /cluster/ha/groups`, `GET
//! /cluster/ha/status/manager_status` (`PVE::API2::HA::Status`: the CRM's state file, the
//! quorum and every LRM's status) and PVE 9's `GET /cluster/ha/rules[/{rule}]`
//! (`PVE::API2::HA::Rules`; rules are added by an administrator).

use serde_json::{Value, json};

use super::dataset::{GuestKind, HA_GROUP};
use super::state::Cluster;

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
    crate::sim::server::tls::hex_lower(d.as_ref())
}

/// `GET /cluster/ha/resources[?type=vm|ct]`: every HA-managed guest, in the group
/// [`HA_GROUP`], with the state its power state asks for.
pub fn resources(c: &Cluster, ty: Option<&str>) -> Value {
    let all = services(c);
    let grouped = !c.pve.has_ha_rules();
    let text: String = all
        .iter()
        .map(|(sid, _, state)| {
            let group = if grouped {
                format!("\tgroup {HA_GROUP}\n")
            } else {
                String::new()
            };
            format!("{sid}\n{group}\tmax_relocate 1\n\tmax_restart 1\n\tstate {state}\n\n")
        })
        .collect();
    let digest = sha1_hex(&text);
    let list: Vec<Value> = all
        .into_iter()
        .filter(|(_, t, _)| ty.is_none_or(|want| want == *t))
        .map(|(sid, t, state)| {
            let mut v = json!({"sid": sid, "type": t, "state": state,
                   "max_restart": 1, "max_relocate": 1, "digest": digest});
            if grouped {
                v["group"] = json!(HA_GROUP);
            }
            v
        })
        .collect();
    Value::Array(list)
}

/// `GET /cluster/ha/groups`: the one group, holding every node (PVE 9: the groups
/// were migrated to rules, and the index fails).
pub fn groups(c: &Cluster) -> Result<Value, crate::sim::errors::ApiError> {
    if c.pve.has_ha_rules() {
        return Err(crate::sim::errors::ApiError::Internal(
            "cannot index groups: ha groups have been migrated to rules".into(),
        ));
    }
    let nodes: Vec<&str> = c.nodes.iter().map(|n| n.name.as_str()).collect();
    let nodes = nodes.join(",");
    let digest = sha1_hex(&format!("group: {HA_GROUP}\n\tnodes {nodes}\n\n"));
    Ok(json!([{"group": HA_GROUP, "type": "group", "nodes": nodes, "digest": digest}]))
}

/// PVE 9's rules: the one the HA manager made of the group when it migrated it
/// (`migrate_groups_to_rules`: `ha-group-NAME`, node affinity, not strict), then the
/// ones an administrator added.
fn all_rules(c: &Cluster) -> Vec<HaRule> {
    let mut rules = Vec::with_capacity(c.ha_rules.len() + 1);
    if c.pve.has_ha_rules() {
        rules.push(HaRule {
            id: format!("ha-group-{HA_GROUP}"),
            kind: "node-affinity",
            resources: services(c).into_iter().map(|(sid, _, _)| sid).collect(),
            nodes: c.nodes.iter().map(|n| n.name.clone()).collect(),
            affinity: None,
            strict: false,
            comment: Some(format!("Generated from HA group '{HA_GROUP}'.")),
        });
    }
    rules.extend(c.ha_rules.iter().cloned());
    rules
}

/// One rule of `rules.cfg` (PVE 9; `PVE::HA::Rules`): `node-affinity` (resources kept
/// on `nodes`) or `resource-affinity` (resources kept together, or apart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HaRule {
    pub id: String,
    /// `node-affinity` or `resource-affinity`.
    pub kind: &'static str,
    /// Service ids, e.g. `["vm:250", "vm:300"]`.
    pub resources: Vec<String>,
    /// Node-affinity: `pve1` or `pve1:2` (with a priority).
    pub nodes: Vec<String>,
    /// Resource-affinity: `positive` or `negative`.
    pub affinity: Option<&'static str>,
    pub strict: bool,
    pub comment: Option<String>,
}

fn rule_entry(r: &HaRule, order: usize, digest: &str) -> Value {
    let mut v = json!({
        "rule": r.id, "type": r.kind, "resources": r.resources.join(","),
        "order": order, "digest": digest, "disable": 0,
    });
    match r.kind {
        "node-affinity" => {
            v["nodes"] = json!(r.nodes.join(","));
            v["strict"] = json!(u8::from(r.strict));
        }
        _ => v["affinity"] = json!(r.affinity.unwrap_or("positive")),
    }
    if let Some(c) = &r.comment {
        v["comment"] = json!(c);
    }
    v
}

fn rules_digest(rules: &[HaRule]) -> String {
    let text: String = rules
        .iter()
        .map(|r| {
            format!(
                "{}: {}\n\tresources {}\n\n",
                r.kind,
                r.id,
                r.resources.join(",")
            )
        })
        .collect();
    sha1_hex(&text)
}

/// `GET /cluster/ha/rules[?type=&resource=]` (PVE 9).
pub fn rules(c: &Cluster, ty: Option<&str>, resource: Option<&str>) -> Value {
    let rules = all_rules(c);
    let digest = rules_digest(&rules);
    let list: Vec<Value> = rules
        .iter()
        .enumerate()
        .filter(|(_, r)| ty.is_none_or(|t| t == r.kind))
        .filter(|(_, r)| resource.is_none_or(|s| r.resources.iter().any(|x| x == s)))
        .map(|(i, r)| rule_entry(r, i + 1, &digest))
        .collect();
    Value::Array(list)
}

/// `GET /cluster/ha/rules/{rule}` (PVE 9).
pub fn rule(c: &Cluster, id: &str) -> Result<Value, crate::sim::errors::ApiError> {
    let rules = all_rules(c);
    let digest = rules_digest(&rules);
    rules
        .iter()
        .enumerate()
        .find(|(_, r)| r.id == id)
        .map(|(i, r)| rule_entry(r, i + 1, &digest))
        .ok_or_else(|| crate::sim::errors::ApiError::Internal(format!("no such ha rule '{id}'")))
}

/// `GET /cluster/ha/resources/{sid}`: `vm:250`, `ct:251`, or a bare vmid.
pub fn resource(c: &Cluster, sid: &str) -> Result<Value, crate::sim::errors::ApiError> {
    let want = if sid.bytes().all(|b| b.is_ascii_digit()) {
        c.guest(sid.parse().unwrap_or(0)).map(|g| {
            let ty = if g.seed.kind == GuestKind::Lxc {
                "ct"
            } else {
                "vm"
            };
            format!("{ty}:{sid}")
        })
    } else {
        Some(sid.to_owned())
    };
    let all = resources(c, None);
    all.as_array()
        .and_then(|l| {
            l.iter()
                .find(|r| Some(r["sid"].as_str().unwrap_or("")) == want.as_deref())
        })
        .cloned()
        .ok_or_else(|| {
            crate::sim::errors::ApiError::Internal(format!(
                "no such resource '{}'",
                want.unwrap_or_else(|| sid.to_owned())
            ))
        })
}

/// `GET /cluster/ha/status/manager_status`: the CRM's `manager_status` (node states,
/// one `service_status` entry per HA-managed guest), the quorum, and each LRM's status.
pub fn manager_status(c: &Cluster) -> Value {
    let Some(master) = c.nodes.first() else {
        return json!({});
    };
    let mut nodes = serde_json::Map::new();
    let mut lrm = serde_json::Map::new();
    for n in &c.nodes {
        nodes.insert(n.name.clone(), json!("online"));
        lrm.insert(
            n.name.clone(),
            json!({"mode": "active", "state": "active", "timestamp": STAMP + 1, "results": {}}),
        );
    }
    let mut services = serde_json::Map::new();
    for g in c.guests.iter().filter(|g| g.seed.ha) {
        let prefix = if g.seed.kind == GuestKind::Lxc {
            "ct"
        } else {
            "vm"
        };
        let sid = format!("{prefix}:{}", g.seed.vmid);
        let state = if g.is_running() { "started" } else { "stopped" };
        let uid = crate::sim::guests::config::file::uuid(g.seed.vmid, 7).replace('-', "");
        services.insert(
            sid.clone(),
            json!({"node": g.seed.node, "state": state, "uid": uid, "running": u8::from(g.is_running())}),
        );
        if let Some(results) = lrm
            .get_mut(&g.seed.node)
            .and_then(|l| l["results"].as_object_mut())
        {
            results.insert(uid, json!({"sid": sid, "state": state, "exit_code": 0}));
        }
    }
    json!({
        "manager_status": {
            "master_node": master.name, "node_status": nodes,
            "service_status": services, "timestamp": STAMP,
        },
        "quorum": {"node": master.name, "quorate": "1"},
        "lrm_status": lrm,
    })
}
