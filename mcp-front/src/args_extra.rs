//! Arguments of the storage, task and guest agent changes around the guest lifecycle
//! (volume_delete, storage_download, task_cancel, agent_exec) and of its read-only
//! companions (firewall, list_pools), with their JSON Schemas and conversion into
//! typed requests. Untrusted model output, validated like the rest of `args`.

use super::{ArgError, node, vmid};
use pve_mcp_proto::{FirewallQuery, PoolName, PoolQuery};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FirewallArgs {
    /// A node, e.g. `pve1`, for that node's firewall.
    #[schemars(length(min = 1, max = 63))]
    pub node: Option<String>,
    /// A guest's numeric id (VMID), e.g. 101, for that guest's firewall (its node is
    /// found from the vmid). Give node or vmid, not both; neither for the cluster's.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: Option<u64>,
}

impl FirewallArgs {
    pub fn into_request(self) -> Result<FirewallQuery, ArgError> {
        if self.node.is_some() && self.vmid.is_some() {
            return Err(ArgError(
                "give node (a node's firewall) or vmid (a guest's firewall), not both; \
                 a guest's node is found from its vmid"
                    .into(),
            ));
        }
        Ok(FirewallQuery {
            node: self.node.as_deref().map(node).transpose()?,
            vmid: self.vmid.map(vmid).transpose()?,
        })
    }
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListPoolsArgs {
    /// One pool's id, e.g. `lab`, to list its members (the guests in scope and the
    /// storages); omit it to list every pool.
    #[schemars(length(min = 1, max = 64))]
    pub pool: Option<String>,
}

impl ListPoolsArgs {
    pub fn into_request(self) -> Result<PoolQuery, ArgError> {
        Ok(PoolQuery {
            pool: self.pool.as_deref().map(PoolName::parse).transpose()?,
        })
    }
}
