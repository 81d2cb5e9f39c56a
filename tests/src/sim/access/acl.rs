//! The access control list as `GET /access/acl` (`PVE::API2::ACL::read_acl`) returns
//! it: the token's own entry on `/` (its role, as `pve-helper setup` grants it), then
//! what an administrator added ([`crate::sim::SimHandle::add_acl`]), such as a user's role
//! on one guest (`/vms/250`) or a pool (`/pool/prod`).

use serde_json::{Value, json};

use crate::sim::cluster::state::Cluster;

/// The role `pve-helper setup` creates for the token.
pub const TOKEN_ROLE: &str = "MCPHelper";

/// One ACL entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclEntry {
    /// `/`, `/vms/250`, `/pool/prod`, `/storage/nas`, ...
    pub path: String,
    /// `user`, `group` or `token`.
    pub kind: &'static str,
    /// The user, group or token id.
    pub ugid: String,
    pub roleid: String,
    pub propagate: bool,
}

fn entry(e: &AclEntry) -> Value {
    json!({"path": e.path, "type": e.kind, "ugid": e.ugid, "roleid": e.roleid,
           "propagate": u8::from(e.propagate)})
}

/// `GET /access/acl`, as seen by `tokenid` (which may audit every path).
pub fn list(c: &Cluster, tokenid: &str) -> Value {
    let own = AclEntry {
        path: "/".into(),
        kind: "token",
        ugid: tokenid.to_owned(),
        roleid: TOKEN_ROLE.into(),
        propagate: true,
    };
    Value::Array(
        std::iter::once(&own)
            .chain(c.acl.iter())
            .map(entry)
            .collect(),
    )
}
