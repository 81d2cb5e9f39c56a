//! Node status: every node from one `/nodes` call, or one node in depth.

use super::outcome::{OpResult, upstream_error};
use super::state::Service;
use crate::pve::resources::Num;
use pve_mcp_proto::{NodeInfo, NodeName, Payload};
use serde::Deserialize;

#[derive(Deserialize)]
struct RawNode {
    node: String,
    status: Option<String>,
    #[serde(default)]
    cpu: Num,
    #[serde(default)]
    maxcpu: Num,
    #[serde(default)]
    mem: Num,
    #[serde(default)]
    maxmem: Num,
    #[serde(default)]
    disk: Num,
    #[serde(default)]
    maxdisk: Num,
    #[serde(default)]
    uptime: Num,
}

#[derive(Deserialize, Default)]
struct Usage {
    #[serde(default)]
    total: Num,
    #[serde(default)]
    used: Num,
}

#[derive(Deserialize, Default)]
struct CpuInfo {
    model: Option<String>,
    #[serde(default)]
    cpus: Num,
}

#[derive(Deserialize)]
struct RawNodeStatus {
    #[serde(default)]
    cpu: Num,
    #[serde(default)]
    cpuinfo: CpuInfo,
    #[serde(default)]
    loadavg: Vec<Num>,
    #[serde(default)]
    memory: Usage,
    #[serde(default)]
    rootfs: Usage,
    #[serde(default)]
    uptime: Num,
    kversion: Option<String>,
    pveversion: Option<String>,
}

pub async fn status(svc: &Service, node: Option<&NodeName>) -> OpResult {
    let Some(node) = node else {
        let raw: Vec<RawNode> = svc.pve.get("/nodes", &[]).await.map_err(upstream_error)?;
        let mut nodes: Vec<NodeInfo> = raw
            .into_iter()
            .filter_map(|n| {
                Some(NodeInfo {
                    node: NodeName::parse(&n.node).ok()?,
                    status: n
                        .status
                        .map_or_else(|| "unknown".into(), |s| crate::pve::sanitize(&s)),
                    cpu: n.cpu.0,
                    maxcpu: u32::try_from(n.maxcpu.u64()).unwrap_or(u32::MAX),
                    mem: n.mem.u64(),
                    maxmem: n.maxmem.u64(),
                    disk: n.disk.u64(),
                    maxdisk: n.maxdisk.u64(),
                    uptime: n.uptime.u64(),
                    loadavg: None,
                    kversion: None,
                    pveversion: None,
                    cpu_model: None,
                })
            })
            .collect();
        nodes.sort_by(|a, b| a.node.cmp(&b.node));
        return Ok(Payload::Nodes(nodes));
    };
    let raw: RawNodeStatus = svc
        .pve
        .get(&format!("/nodes/{node}/status"), &[])
        .await
        .map_err(upstream_error)?;
    let loadavg = match raw.loadavg.as_slice() {
        [a, b, c] => Some([a.0, b.0, c.0]),
        _ => None,
    };
    Ok(Payload::Nodes(vec![NodeInfo {
        node: node.clone(),
        status: "online".into(),
        cpu: raw.cpu.0,
        maxcpu: u32::try_from(raw.cpuinfo.cpus.u64()).unwrap_or(u32::MAX),
        mem: raw.memory.used.u64(),
        maxmem: raw.memory.total.u64(),
        disk: raw.rootfs.used.u64(),
        maxdisk: raw.rootfs.total.u64(),
        uptime: raw.uptime.u64(),
        loadavg,
        kversion: raw.kversion.map(|s| crate::pve::sanitize(&s)),
        pveversion: raw.pveversion.map(|s| crate::pve::sanitize(&s)),
        cpu_model: raw.cpuinfo.model.map(|s| crate::pve::sanitize(&s)),
    }]))
}
