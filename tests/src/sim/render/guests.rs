//! JSON shapes of guest data exactly as PVE 8 returns them: `/cluster/resources` VM
//! entries, `/nodes/{node}/{qemu,lxc}` items, `status/current` and `config`. Field names
//! and JSON types (numbers vs strings, 0/1 booleans) follow `vmstatus`, `extract_vm_stats`
//! and the config parsers; see the module docs of [`super`] for the oddities kept.

use std::time::Instant;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::sim::cluster::dataset::{GuestKind, PowerState};
use crate::sim::cluster::state::Guest;

/// A JSON number that prints as an integer when PVE's would (`0`, `2`) and as a float
/// otherwise (`0.0123`, `1.5`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Num {
    Int(u64),
    Float(f64),
}

impl Default for Num {
    fn default() -> Num {
        Num::Int(0)
    }
}

/// A `/cluster/resources` entry of type `qemu` or `lxc` (from the `pve2.3-vm` RRD data).
#[derive(Debug, Serialize)]
pub struct VmResource<'a> {
    pub id: &'a str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub vmid: u32,
    pub node: &'a str,
    pub name: &'a str,
    pub status: &'static str,
    pub uptime: u64,
    pub template: u8,
    pub maxcpu: Num,
    pub cpu: Num,
    pub maxmem: u64,
    pub mem: u64,
    pub maxdisk: u64,
    pub disk: u64,
    pub netin: u64,
    pub netout: u64,
    pub diskread: u64,
    pub diskwrite: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hastate: Option<&'static str>,
}

/// `status` as pvestatd records it: QEMU's `qmpstatus` (so "paused" shows), else the state.
fn rrd_status(g: &Guest) -> &'static str {
    match g.power {
        PowerState::Running => "running",
        PowerState::Stopped => "stopped",
        PowerState::Paused => "paused",
    }
}

/// `cpus` as `vmstatus` computes it: a number, except an LXC `cpulimit` stays a string.
fn cpus_value(g: &Guest) -> Value {
    match (g.seed.kind, &g.seed.cpulimit) {
        (GuestKind::Lxc, Some(limit)) => Value::String(limit.clone()),
        (GuestKind::Lxc, None) => json!(g.seed.cores.unwrap_or(1)),
        (GuestKind::Qemu, _) => json!(g.qemu_cpus()),
    }
}

fn maxcpu(g: &Guest) -> Num {
    match (g.seed.kind, &g.seed.cpulimit) {
        (GuestKind::Lxc, Some(limit)) => Num::Float(limit.parse().unwrap_or(1.0)),
        (GuestKind::Lxc, None) => Num::Int(u64::from(g.seed.cores.unwrap_or(1))),
        (GuestKind::Qemu, _) => Num::Int(u64::from(g.qemu_cpus())),
    }
}

impl<'a> VmResource<'a> {
    pub fn new(g: &'a Guest, now: Instant) -> VmResource<'a> {
        let up = g.is_running();
        let (netin, netout, diskread, diskwrite) = if up { g.io(now) } else { (0, 0, 0, 0) };
        VmResource {
            id: &g.resource_id,
            kind: g.seed.kind.as_str(),
            vmid: g.seed.vmid,
            node: &g.seed.node,
            name: &g.seed.name,
            status: rrd_status(g),
            uptime: g.uptime(now),
            template: u8::from(g.seed.template),
            maxcpu: maxcpu(g),
            cpu: if up { Num::Float(g.cpu()) } else { Num::Int(0) },
            maxmem: g.seed.maxmem(),
            mem: if up { g.mem() } else { 0 },
            maxdisk: g.maxdisk,
            disk: if up { g.disk() } else { 0 },
            netin,
            netout,
            diskread,
            diskwrite,
            pool: g.seed.pool,
            tags: g.tags.as_deref(),
            lock: g.lock,
            hastate: g.hastate(),
        }
    }
}

/// A `/nodes/{node}/qemu` or `/nodes/{node}/lxc` item (`vmstatus`), or with `full` the
/// base of `status/current`.
pub fn vmstatus(g: &Guest, now: Instant, full: bool) -> Map<String, Value> {
    let up = g.is_running();
    let (netin, netout, diskread, diskwrite) = if up { g.io(now) } else { (0, 0, 0, 0) };
    let mut m = Map::new();
    m.insert("vmid".into(), json!(g.seed.vmid));
    m.insert("name".into(), json!(g.seed.name));
    m.insert(
        "status".into(),
        json!(if up { "running" } else { "stopped" }),
    );
    m.insert("cpus".into(), cpus_value(g));
    m.insert("maxmem".into(), json!(g.seed.maxmem()));
    m.insert("maxdisk".into(), json!(g.maxdisk));
    m.insert("disk".into(), json!(if up { g.disk() } else { 0 }));
    m.insert("uptime".into(), json!(g.uptime(now)));
    m.insert("cpu".into(), if up { json!(g.cpu()) } else { json!(0) });
    m.insert("mem".into(), json!(if up { g.mem() } else { 0 }));
    m.insert("netin".into(), json!(netin));
    m.insert("netout".into(), json!(netout));
    m.insert("diskread".into(), json!(diskread));
    m.insert("diskwrite".into(), json!(diskwrite));
    if up {
        m.insert("pid".into(), json!(g.pid));
    }
    if g.seed.template {
        m.insert("template".into(), json!(1));
    }
    if let Some(tags) = &g.tags {
        m.insert("tags".into(), json!(tags));
    }
    if let Some(lock) = g.lock {
        m.insert("lock".into(), json!(lock));
    }
    match g.seed.kind {
        GuestKind::Lxc => {
            m.insert("type".into(), json!("lxc"));
            m.insert("maxswap".into(), json!(512u64 * 1024 * 1024));
            m.insert("swap".into(), json!(0));
        }
        GuestKind::Qemu if full => add_qemu_full(&mut m, g),
        GuestKind::Qemu => {}
    }
    m
}

fn add_qemu_full(m: &mut Map<String, Value>, g: &Guest) {
    m.insert("qmpstatus".into(), json!(rrd_status(g)));
    if !g.is_running() {
        return;
    }
    let maxmem = g.seed.maxmem();
    let used = g.mem();
    m.insert("running-machine".into(), json!("pc-i440fx-9.0+pve0"));
    m.insert("running-qemu".into(), json!("9.0.2"));
    m.insert("balloon".into(), json!(maxmem));
    m.insert("freemem".into(), json!(maxmem - used));
    m.insert(
        "ballooninfo".into(),
        json!({"actual": maxmem, "max_mem": maxmem, "total_mem": maxmem,
               "free_mem": maxmem - used, "last_update": Num::Int(0)}),
    );
    m.insert(
        "proxmox-support".into(),
        json!({"backup-max-workers": true, "pbs-dirty-bitmap": true,
               "pbs-dirty-bitmap-migration": true, "pbs-dirty-bitmap-savevm": true,
               "pbs-library-version": "1.4.1 (UNKNOWN)", "pbs-masterkey": true,
               "query-bitmap-info": true}),
    );
}

/// `GET .../status/current`.
pub fn status_current(g: &Guest, now: Instant) -> Value {
    let mut m = vmstatus(g, now, true);
    let ha = match g.hastate() {
        Some(state) => json!({"managed": 1, "state": state}),
        None => json!({"managed": 0}),
    };
    m.insert("ha".into(), ha);
    if g.agent_enabled() {
        m.insert("agent".into(), json!(1));
    }
    Value::Object(m)
}

/// `GET .../config`: the config plus its `digest` (see [`crate::sim::guests::config::file`]).
pub fn config(g: &Guest) -> Value {
    crate::sim::guests::config::file::render(g)
}
