//! JSON shapes of cluster-wide and node data as PVE 8 and 9 return them:
//! `/cluster/resources` (written straight into one buffer, it is the hot path),
//! `/cluster/status`, `/nodes`, `/nodes/{node}/status` and `/version`.

use std::time::Instant;

use serde::Serialize;
use serde_json::{Value, json};

use super::guests::{Num, VmResource};
use crate::sim::cluster::dataset::{POOLS, STORAGES};
use crate::sim::cluster::state::{Cluster, NODE_CPUS, NODE_MEM, NODE_ROOTFS, Node};

/// The PVE version the simulator claims to be by default (PVE 8.4; see
/// [`crate::sim::PveVersion`] for the other).
pub const PVE_VERSION: &str = "8.4.1";
pub const PVE_RELEASE: &str = "8.4";
pub const PVE_REPOID: &str = "2a5fa54a8503f96d";

/// The `type` filter of `/cluster/resources` (PVE's enum has no `pool`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceType {
    Vm,
    Storage,
    Node,
    Sdn,
}

impl ResourceType {
    pub const NAMES: [&'static str; 4] = ["vm", "storage", "node", "sdn"];

    pub fn parse(s: &str) -> Option<ResourceType> {
        match s {
            "vm" => Some(ResourceType::Vm),
            "storage" => Some(ResourceType::Storage),
            "node" => Some(ResourceType::Node),
            "sdn" => Some(ResourceType::Sdn),
            _ => None,
        }
    }
}

#[derive(Serialize)]
struct NodeResource<'a> {
    id: String,
    node: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    status: &'static str,
    uptime: u64,
    cpu: f64,
    mem: u64,
    disk: u64,
    level: &'static str,
    maxcpu: u32,
    maxmem: u64,
    maxdisk: u64,
    #[serde(rename = "cgroup-mode", skip_serializing_if = "Option::is_none")]
    cgroup_mode: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ssl_fingerprint: Option<&'a str>,
}

fn node_cpu(n: &Node) -> f64 {
    0.031 + (n.index % 7) as f64 * 0.0127
}

fn node_mem(n: &Node) -> u64 {
    NODE_MEM / 100 * (35 + (n.index as u64 * 11) % 40)
}

fn node_disk(n: &Node) -> u64 {
    NODE_ROOTFS / 100 * (12 + (n.index as u64 * 3) % 20)
}

fn node_entry<'a>(c: &'a Cluster, n: &'a Node, now: Instant, listing: bool) -> NodeResource<'a> {
    NodeResource {
        id: format!("node/{}", n.name),
        node: &n.name,
        kind: "node",
        status: "online",
        uptime: n.uptime(c.started, now),
        cpu: node_cpu(n),
        mem: node_mem(n),
        disk: node_disk(n),
        level: "",
        maxcpu: NODE_CPUS,
        maxmem: NODE_MEM,
        maxdisk: NODE_ROOTFS,
        cgroup_mode: (!listing).then_some(2),
        ssl_fingerprint: listing.then_some(c.fingerprint.as_str()),
    }
}

#[derive(Serialize)]
struct PoolResource<'a> {
    id: String,
    pool: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    usage: Option<PoolUsage>,
}

#[derive(Serialize, Default)]
struct PoolUsage {
    uptime: u64,
    mem: u64,
    maxmem: u64,
    cpu: f64,
    maxcpu: Num,
}

fn num_value(n: Num) -> f64 {
    match n {
        Num::Int(i) => i as f64,
        Num::Float(f) => f,
    }
}

fn pool_usages(c: &Cluster, now: Instant) -> [Option<PoolUsage>; 3] {
    let mut acc: [Option<(PoolUsage, f64)>; 3] = Default::default();
    for &i in &c.resource_order {
        let g = &c.guests[i];
        let Some(slot) = g.seed.pool.and_then(|p| POOLS.iter().position(|q| *q == p)) else {
            continue;
        };
        let e = VmResource::new(g, now);
        if e.uptime == 0 {
            continue;
        }
        let (u, maxcpu) = acc[slot].get_or_insert_with(Default::default);
        let ecpu = num_value(e.cpu);
        let emax = num_value(e.maxcpu);
        u.uptime = u.uptime.max(e.uptime);
        u.mem += e.mem;
        u.maxmem += e.maxmem;
        u.cpu = (u.cpu * *maxcpu + ecpu * emax) / (*maxcpu + emax);
        *maxcpu += emax;
    }
    acc.map(|slot| {
        slot.map(|(mut u, maxcpu)| {
            u.maxcpu = if maxcpu.fract() == 0.0 {
                Num::Int(maxcpu as u64)
            } else {
                Num::Float(maxcpu)
            };
            u
        })
    })
}

fn push_entry(out: &mut Vec<u8>, first: &mut bool, v: &impl Serialize) {
    if !*first {
        out.push(b',');
    }
    *first = false;
    // Serializing these plain structs into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, v);
}

/// `GET /cluster/resources[?type=..]`, the whole `{"data":[...]}` document.
pub fn cluster_resources(c: &Cluster, filter: Option<ResourceType>, now: Instant) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + c.guests.len() * 400);
    out.extend_from_slice(b"{\"data\":[");
    let mut first = true;
    let want = |t: ResourceType| filter.is_none_or(|f| f == t);
    if filter.is_none() {
        for (pool, usage) in POOLS.iter().zip(pool_usages(c, now)) {
            let id = format!("/pool/{pool}");
            let entry = PoolResource {
                id,
                pool,
                kind: "pool",
                usage,
            };
            push_entry(&mut out, &mut first, &entry);
        }
    }
    if want(ResourceType::Vm) {
        for &i in &c.resource_order {
            push_entry(&mut out, &mut first, &VmResource::new(&c.guests[i], now));
        }
    }
    if want(ResourceType::Node) {
        for n in &c.nodes {
            push_entry(&mut out, &mut first, &node_entry(c, n, now, false));
        }
    }
    if want(ResourceType::Storage) {
        for s in &STORAGES {
            for n in &c.nodes {
                let total = s.total_gib * 1024 * 1024 * 1024;
                let entry = json!({
                    "id": format!("storage/{}/{}", n.name, s.id), "storage": s.id,
                    "node": n.name, "type": "storage", "plugintype": s.plugintype,
                    "status": "available", "shared": u8::from(s.shared), "content": s.content,
                    "maxdisk": total, "disk": total / 100 * (20 + n.index as u64 % 50),
                });
                push_entry(&mut out, &mut first, &entry);
            }
        }
    }
    if want(ResourceType::Sdn) {
        for n in &c.nodes {
            let entry = json!({
                "id": format!("sdn/{}/localnetwork", n.name), "sdn": "localnetwork",
                "node": n.name, "type": "sdn", "status": "ok",
            });
            push_entry(&mut out, &mut first, &entry);
        }
    }
    out.extend_from_slice(b"]}");
    out
}

/// `GET /nodes`.
pub fn nodes(c: &Cluster, now: Instant) -> Value {
    let list: Vec<Value> = c
        .nodes
        .iter()
        .map(|n| serde_json::to_value(node_entry(c, n, now, true)).unwrap_or(Value::Null))
        .collect();
    Value::Array(list)
}

fn node_ip(n: &Node) -> String {
    format!("10.10.{}.{}", n.index / 250, n.index % 250 + 1)
}

/// `GET /cluster/status`; a single node answers like a standalone node (no cluster entry).
pub fn cluster_status(c: &Cluster) -> Value {
    let mut list = Vec::new();
    if c.nodes.len() == 1 {
        let n = &c.nodes[0];
        list.push(
            json!({"type": "node", "id": format!("node/{}", n.name), "name": n.name,
            "ip": node_ip(n), "local": 1, "nodeid": 0, "online": 1, "level": ""}),
        );
        return Value::Array(list);
    }
    list.push(
        json!({"type": "cluster", "id": "cluster", "name": "pve-sim",
        "nodes": c.nodes.len(), "version": c.nodes.len() + 2, "quorate": 1}),
    );
    for n in &c.nodes {
        list.push(
            json!({"type": "node", "id": format!("node/{}", n.name), "name": n.name,
            "ip": node_ip(n), "local": u8::from(n.index == 0), "nodeid": n.index + 1,
            "online": 1, "level": ""}),
        );
    }
    Value::Array(list)
}

/// The privileges the simulated API token holds, on `/` with propagation (a role
/// like the one `pve-helper setup` creates for an operator policy).
pub const TOKEN_PRIVILEGES: [&str; 7] = [
    "Datastore.Audit",
    "Pool.Audit",
    "Sys.Audit",
    "VM.Audit",
    "VM.PowerMgmt",
    "VM.Snapshot",
    "VM.Snapshot.Rollback",
];

/// `GET /access/permissions`: the token's own permissions, `{path: {privilege: 1}}`
/// (1: propagated); with `path`, what applies on that path. The role's privileges, or
/// [`TOKEN_PRIVILEGES`] for the default role.
pub fn access_permissions(c: &Cluster, path: Option<&str>) -> Value {
    let privs: serde_json::Map<String, Value> = match &c.role {
        Some(role) => role.iter().map(|p| (p.clone(), json!(1))).collect(),
        None => TOKEN_PRIVILEGES
            .iter()
            .map(|p| ((*p).to_owned(), json!(1)))
            .collect(),
    };
    let mut out = serde_json::Map::new();
    out.insert(path.unwrap_or("/").to_owned(), Value::Object(privs));
    Value::Object(out)
}

/// `GET /nodes/{node}/status`.
pub fn node_status(c: &Cluster, n: &Node, now: Instant) -> Value {
    let used = node_mem(n);
    let swap_total: u64 = 8 * 1024 * 1024 * 1024;
    let disk_used = node_disk(n);
    let load = |base: f64| format!("{:.2}", base + (n.index % 5) as f64 * 0.17);
    let (kernel_release, kernel_version) = c.pve.kernel();
    let mut status = json!({
        "uptime": n.uptime(c.started, now),
        "idle": 0,
        "loadavg": [load(0.42), load(0.37), load(0.31)],
        "kversion": format!("Linux {kernel_release} {kernel_version}"),
        "current-kernel": {"sysname": "Linux", "release": kernel_release,
            "version": kernel_version, "machine": "x86_64"},
        "boot-info": {"mode": "efi", "secureboot": 0},
        "cpuinfo": {"user_hz": 100, "model": "AMD EPYC 7313P 16-Core Processor",
            "mhz": "2999.998", "cpus": NODE_CPUS, "sockets": 1, "cores": 16, "hvm": "1",
            "flags": "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov svm"},
        "cpu": node_cpu(n),
        "wait": 0.000_412,
        "memory": {"total": NODE_MEM, "used": used, "free": NODE_MEM - used},
        "ksm": {"shared": 0},
        "swap": {"total": swap_total, "used": 0, "free": swap_total},
        "pveversion": format!("pve-manager/{}/{}", c.pve.version(), c.pve.repoid()),
        "rootfs": {"total": NODE_ROOTFS, "avail": NODE_ROOTFS - disk_used - 5_000_000_000,
            "used": disk_used, "free": NODE_ROOTFS - disk_used},
    });
    if c.pve == crate::sim::PveVersion::Pve9 {
        // pve-manager 9 reports MemAvailable too (the simulated node caches nothing).
        status["memory"]["available"] = json!(NODE_MEM - used);
    }
    status
}

/// `GET /version`.
pub fn version(v: crate::sim::PveVersion) -> Value {
    json!({"version": v.version(), "release": v.release(), "repoid": v.repoid()})
}

/// `GET /` (the API root index).
pub fn root_index() -> Value {
    let dirs = ["version", "cluster", "nodes", "storage", "access", "pools"];
    Value::Array(dirs.iter().map(|d| json!({ "subdir": d })).collect())
}
