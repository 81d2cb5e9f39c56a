//! Cluster status: membership and quorum from one `/cluster/status` call, and the HA
//! manager's state from `/cluster/ha/status/current` when the policy's `[api]` also
//! allows that call. HA services of guests outside the scope are dropped. Text from
//! Proxmox is untrusted: made one line and bounded.

use super::outcome::{OpResult, upstream_error};
use super::state::Service;
use crate::policy::Policy;
use crate::pve::{resources::Num, sanitize};
use pve_mcp_proto::*;
use serde::Deserialize;

const HA_PATH: &str = "/cluster/ha/status/current";

#[derive(Deserialize)]
struct RawEntry {
    #[serde(rename = "type")]
    kind: String,
    name: Option<String>,
    #[serde(default)]
    quorate: Option<Num>,
    #[serde(default)]
    version: Option<Num>,
    #[serde(default)]
    online: Option<Num>,
    #[serde(default)]
    local: Option<Num>,
    #[serde(default)]
    nodeid: Option<Num>,
    ip: Option<String>,
}

#[derive(Deserialize)]
struct RawHa {
    #[serde(rename = "type")]
    kind: String,
    status: Option<String>,
    sid: Option<String>,
    node: Option<String>,
    state: Option<String>,
    request_state: Option<String>,
}

fn flag(n: Option<Num>) -> bool {
    n.is_some_and(|n| n.0 != 0.0)
}

/// The node whose API this helper calls (`local` in `/cluster/status`), if Proxmox
/// says; `None` when it does not or cannot be asked.
pub async fn local_node(svc: &Service) -> Option<NodeName> {
    let raw: Vec<RawEntry> = match svc.pve.get("/cluster/status", &[]).await {
        Ok(raw) => raw,
        Err(e) => {
            tracing::debug!(error = %e, "the local node could not be read");
            return None;
        }
    };
    raw.into_iter()
        .find(|e| e.kind == "node" && flag(e.local))
        .and_then(|e| NodeName::parse(&e.name?).ok())
}

pub async fn status(svc: &Service, policy: &Policy) -> OpResult {
    let raw: Vec<RawEntry> = svc
        .pve
        .get("/cluster/status", &[])
        .await
        .map_err(upstream_error)?;
    let mut info = ClusterInfo {
        name: None,
        quorate: None,
        config_version: None,
        nodes: Vec::new(),
        ha: None,
        ha_note: None,
    };
    for e in raw {
        match e.kind.as_str() {
            "cluster" => {
                info.name = e.name.map(|n| sanitize(&n));
                info.quorate = e.quorate.map(|q| q.0 != 0.0);
                info.config_version = e.version.map(Num::u64);
            }
            "node" => {
                let Some(name) = e.name.and_then(|n| NodeName::parse(&n).ok()) else {
                    continue;
                };
                info.nodes.push(ClusterNode {
                    name,
                    online: flag(e.online),
                    local: flag(e.local),
                    nodeid: e.nodeid.map_or(0, Num::u64),
                    ip: e.ip.map(|ip| sanitize(&ip)),
                });
            }
            _ => {}
        }
    }
    info.nodes.sort_by(|a, b| a.name.cmp(&b.name));
    if !policy.allows_get(HA_PATH) {
        info.ha_note = Some(format!(
            "HA state not shown: add \"GET {HA_PATH}\" to [api] allow in {} to see it",
            policy.source.display()
        ));
        return Ok(Payload::Cluster(info));
    }
    match svc.pve.get::<Vec<RawHa>>(HA_PATH, &[]).await {
        Ok(raw) => info.ha = Some(ha(svc, policy, raw).await?),
        Err(e) => info.ha_note = Some(format!("HA state unavailable: {}", upstream_error(e))),
    }
    Ok(Payload::Cluster(info))
}

async fn ha(svc: &Service, policy: &Policy, raw: Vec<RawHa>) -> Result<HaStatus, ErrorBody> {
    let snap = svc.cache.get(&svc.pve).await.map_err(upstream_error)?;
    let mut out = HaStatus {
        quorum: None,
        master: None,
        lrms: Vec::new(),
        services: Vec::new(),
    };
    for e in raw {
        let status = e.status.map(|s| sanitize(&s));
        match e.kind.as_str() {
            "quorum" => out.quorum = status,
            "master" => out.master = status,
            "lrm" => out.lrms.extend(status),
            "service" => {
                let Some((prefix, id)) = e.sid.as_deref().and_then(|s| s.split_once(':')) else {
                    continue;
                };
                let guest_type = match prefix {
                    "vm" => GuestType::Qemu,
                    "ct" => GuestType::Lxc,
                    _ => continue,
                };
                let Ok(vmid) = id.parse::<VmId>() else {
                    continue;
                };
                let visible = snap
                    .get(vmid)
                    .is_some_and(|g| policy.guest_scope(g).is_some());
                let node = e.node.and_then(|n| NodeName::parse(&n).ok());
                if let (true, Some(node)) = (visible, node) {
                    out.services.push(HaService {
                        vmid,
                        guest_type,
                        node,
                        state: sanitize(e.state.as_deref().unwrap_or("unknown")),
                        request_state: e.request_state.map(|s| sanitize(&s)),
                    });
                }
            }
            _ => {}
        }
    }
    out.services.sort_by_key(|s| s.vmid);
    Ok(out)
}
