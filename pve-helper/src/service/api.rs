//! Raw API passthrough: the call was allowed by method and path; its answer is still
//! filtered so that out-of-scope guests never show up in a listing.

use super::{OpResult, Service, upstream_error};
use crate::{policy::Policy, pve::resources::Snapshot};
use pve_mcp_proto::{ApiCall, ApiResult, Payload, VmId};
use serde_json::Value;

pub async fn call(svc: &Service, policy: &Policy, call: &ApiCall) -> OpResult {
    let mut data = svc
        .pve
        .call(call.method, call.path.as_str(), &call.params)
        .await
        .map_err(upstream_error)?;
    if let Value::Array(items) = &mut data
        && items.iter().any(|i| entry_guest(i).is_some())
    {
        let snap = svc.cache.get(&svc.pve).await.map_err(upstream_error)?;
        items.retain(|i| match entry_guest(i) {
            None => true,
            Some(Some(vmid)) => visible(policy, &snap, vmid),
            Some(None) => false,
        });
    }
    Ok(Payload::Api(ApiResult { data }))
}

pub(super) fn visible(policy: &Policy, snap: &Snapshot, vmid: VmId) -> bool {
    snap.get(vmid)
        .is_some_and(|g| policy.guest_scope(g).is_some())
}

/// Whether a listing entry is about a guest, and which: a `vmid` member, an `id` like
/// `qemu/101`, or the `id` of a guest task (`type` qm*/vz*). `Some(None)`: it names a
/// guest by an unreadable id, and is hidden.
pub(super) fn entry_guest(entry: &Value) -> Option<Option<VmId>> {
    let obj = entry.as_object()?;
    let parse = |v: &Value| match v {
        Value::Number(n) => n.as_u64().and_then(|n| VmId::new(n).ok()),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    if let Some(v) = obj.get("vmid") {
        return Some(parse(v));
    }
    let id = obj.get("id")?.as_str()?;
    if let Some(rest) = id.strip_prefix("qemu/").or_else(|| id.strip_prefix("lxc/")) {
        return Some(rest.parse().ok());
    }
    let kind = obj.get("type")?.as_str()?;
    (kind.starts_with("qm") || kind.starts_with("vz")).then(|| id.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recognizes_guest_entries() {
        let v = |n: u64| Some(Some(VmId::new(n).unwrap()));
        assert_eq!(entry_guest(&json!({"vmid": 101})), v(101));
        assert_eq!(entry_guest(&json!({"vmid": "102"})), v(102));
        assert_eq!(
            entry_guest(&json!({"id": "lxc/103", "type": "lxc"})),
            v(103)
        );
        assert_eq!(
            entry_guest(&json!({"id": "104", "type": "qmstart"})),
            v(104)
        );
        assert_eq!(entry_guest(&json!({"vmid": "x"})), Some(None));
        assert_eq!(
            entry_guest(&json!({"id": "node/pve1", "type": "node"})),
            None
        );
        assert_eq!(
            entry_guest(&json!({"id": "", "type": "vzdump"})),
            Some(None)
        );
        assert_eq!(entry_guest(&json!({"id": "", "type": "aptupdate"})), None);
    }
}
