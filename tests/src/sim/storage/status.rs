//! Storages as `PVE::API2::Storage::Status` shows them: `GET /nodes/{node}/storage`
//! (usage per storage, filtered by `content`, `storage`, `enabled`). What they hold is
//! [`super::volumes`]' business.

use serde_json::{Value, json};

use crate::sim::cluster::dataset::{STORAGES, StorageSeed};
use crate::sim::cluster::state::Node;
use crate::sim::params::Params;

fn used(s: &StorageSeed, n: &Node) -> u64 {
    s.total_gib * 1024 * 1024 * 1024 / 100 * (20 + n.index as u64 % 50)
}

/// `GET /nodes/{node}/storage`.
pub fn list(n: &Node, params: &Params) -> Vec<Value> {
    STORAGES
        .iter()
        .filter(|s| {
            params
                .get("content")
                .is_none_or(|c| s.content.split(',').any(|x| x == c))
                && params.get("storage").is_none_or(|id| id == s.id)
        })
        .map(|s| {
            let total = s.total_gib * 1024 * 1024 * 1024;
            let used = used(s, n);
            json!({
                "storage": s.id, "type": s.plugintype, "content": s.content,
                "active": 1, "enabled": 1, "shared": u8::from(s.shared),
                "total": total, "used": used, "avail": total - used,
                "used_fraction": used as f64 / total as f64,
            })
        })
        .collect()
}
