//! The audit trail: one structured record per decision, through `tracing` with target
//! `pve_mcp::audit` (journald when run by systemd). Requests are rendered redacted:
//! parameter values of raw API calls never appear.

use crate::server::Peer;
use pve_mcp_proto::Request;
use std::fmt::Write;

/// A one-line rendering of a request that is safe to log.
pub fn describe(request: &Request) -> String {
    let mut s = request.op().to_owned();
    let _ = match request {
        Request::ListGuests(l) => {
            for (k, v) in [
                ("node", l.node.as_ref().map(ToString::to_string)),
                ("status", l.status.map(|s| s.as_str().to_owned())),
                ("type", l.guest_type.map(|t| t.as_str().to_owned())),
                ("tag", l.tag.as_ref().map(ToString::to_string)),
                ("name", l.name.as_ref().map(|n| format!("{:?}", n.as_str()))),
            ] {
                if let Some(v) = v {
                    let _ = write!(s, " {k}={v}");
                }
            }
            write!(s, " limit={} offset={}", l.limit.get(), l.offset)
        }
        Request::GuestStatus(g) => write!(s, " vmid={}", g.vmid),
        Request::GuestAction(a) => write!(
            s,
            " vmid={} action={}{}",
            a.vmid,
            a.action,
            if a.confirmed { " confirmed" } else { "" }
        ),
        Request::NodeStatus(n) => match &n.node {
            Some(node) => write!(s, " node={node}"),
            None => Ok(()),
        },
        Request::TaskStatus(t) => write!(s, " upid={}", t.upid),
        Request::Api(c) => {
            let names: Vec<&str> = c.params.iter().map(|(k, _)| k.as_str()).collect();
            write!(s, " {} {} params=[{}]", c.method, c.path, names.join(","))
        }
        Request::RunCommand(c) => write!(s, " argv={}", c.argv),
        Request::Describe(_) => Ok(()),
    };
    s
}

/// Records one decision and its outcome.
pub fn record(
    peer: &Peer,
    request: &str,
    decision: &str,
    rule: &str,
    outcome: &str,
    duration_ms: u64,
) {
    tracing::info!(
        target: "pve_mcp::audit",
        peer_uid = peer.uid,
        peer_pid = peer.pid,
        request,
        decision,
        rule,
        outcome,
        duration_ms,
        "audit"
    );
}

/// Records a connection-level event (refused peer, malformed frame).
pub fn connection_event(peer: &Peer, event: &str, detail: &str) {
    tracing::warn!(target: "pve_mcp::audit", peer_uid = peer.uid, peer_pid = peer.pid, event, detail, "audit");
}
