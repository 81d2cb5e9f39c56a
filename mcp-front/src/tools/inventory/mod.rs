//! Read-only inventories around the guest lifecycle: `list_pools` (resource pools, or
//! one pool's members in scope), `ha_resources` (HA resources of guests in scope, and
//! HA groups) and `next_vmid` (the lowest free vmid new guests may take).
//!
//! Arguments are untrusted model output, validated here; answers come from the
//! helper and are only rendered here. Their text is Proxmox's (names, states, and the
//! comments an admin wrote): escaped through [`untrusted`] on the way in, so that the
//! text and the structured content carry no hidden character, and comments shown
//! within their quotes on their item's line.

use crate::mcp::described::{self, Parameters};
use crate::{
    render::{
        self,
        untrusted::{self, own_line},
    },
    tools::{
        args::{ArgError, NoArgs},
        reply::{forward, invalid, structured, unexpected},
        session::PveMcp,
        spec::{ToolSpec, no_note},
    },
};
use pve_mcp_proto::{HaQuery, NextVmidQuery, Payload, PoolName, PoolQuery, Request};
use rmcp::{model::CallToolResult, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// One member of a pool.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PoolMember {
    /// `qemu`, `lxc` or `storage`.
    #[serde(rename = "type")]
    pub member_type: String,
    /// The guest's vmid; absent for a storage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vmid: Option<u32>,
    /// The guest's name or the storage id.
    pub name: String,
    pub node: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status: String,
}

/// One resource pool.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Pool {
    pub pool: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub comment: String,
    /// The members in scope, when one pool was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<PoolMember>>,
}

/// Result of `list_pools`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Pools {
    pub pools: Vec<Pool>,
}

impl From<Vec<pve_mcp_proto::PoolInfo>> for Pools {
    fn from(list: Vec<pve_mcp_proto::PoolInfo>) -> Self {
        let member = |m: pve_mcp_proto::PoolMember| {
            let pve_mcp_proto::PoolMember {
                member_type,
                vmid,
                name,
                node,
                status,
            } = m;
            PoolMember {
                member_type: own_line(member_type),
                vmid: vmid.map(|v| v.get()),
                name: own_line(name),
                node: own_line(node),
                status: own_line(status),
            }
        };
        let pools = list
            .into_iter()
            .map(|p| {
                let pve_mcp_proto::PoolInfo {
                    pool,
                    comment,
                    members,
                } = p;
                Pool {
                    pool: own_line(pool),
                    comment: own_line(comment),
                    members: members.map(|m| m.into_iter().map(member).collect()),
                }
            })
            .collect();
        Self { pools }
    }
}

/// A guest under HA management.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HaResource {
    /// `vm:101`, `ct:102`.
    pub sid: String,
    pub vmid: u32,
    /// The requested state: `started`, `stopped`, `disabled` or `ignored`.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_restart: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_relocate: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// An HA group: the nodes its resources run on, by priority.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HaGroup {
    pub group: String,
    /// `node[:priority],...`
    pub nodes: String,
    /// Resources run only on the group's nodes.
    pub restricted: bool,
    /// Resources do not move back when a preferred node returns.
    pub nofailback: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A Proxmox VE 9 HA rule (which replaced groups), shown only when every guest it
/// names is in scope.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HaRule {
    pub rule: String,
    /// `node-affinity` or `resource-affinity`.
    #[serde(rename = "type")]
    pub rule_type: String,
    /// `vm:101,ct:102`.
    pub resources: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes: Option<String>,
    /// Resource affinity: `positive` (together) or `negative` (apart).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affinity: Option<String>,
    pub strict: bool,
    pub disabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// Result of `ha_resources`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HaResources {
    /// HA resources of guests in scope.
    pub resources: Vec<HaResource>,
    /// HA groups (Proxmox VE 8).
    pub groups: Vec<HaGroup>,
    /// HA rules (Proxmox VE 9) whose guests are all in scope.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<HaRule>,
}

impl From<pve_mcp_proto::HaConfig> for HaResources {
    fn from(h: pve_mcp_proto::HaConfig) -> Self {
        let pve_mcp_proto::HaConfig {
            resources,
            groups,
            rules,
        } = h;
        let resource = |r: pve_mcp_proto::HaResource| {
            let pve_mcp_proto::HaResource {
                sid,
                vmid,
                state,
                group,
                max_restart,
                max_relocate,
                comment,
            } = r;
            HaResource {
                sid: own_line(sid),
                vmid: vmid.get(),
                state: own_line(state),
                group: group.map(own_line),
                max_restart,
                max_relocate,
                comment: comment.map(own_line),
            }
        };
        let group = |g: pve_mcp_proto::HaGroup| {
            let pve_mcp_proto::HaGroup {
                group,
                nodes,
                restricted,
                nofailback,
                comment,
            } = g;
            HaGroup {
                group: own_line(group),
                nodes: own_line(nodes),
                restricted,
                nofailback,
                comment: comment.map(own_line),
            }
        };
        let rule = |r: pve_mcp_proto::HaRule| {
            let pve_mcp_proto::HaRule {
                rule,
                rule_type,
                resources,
                nodes,
                affinity,
                strict,
                disabled,
                comment,
            } = r;
            HaRule {
                rule: own_line(rule),
                rule_type: own_line(rule_type),
                resources: own_line(resources),
                nodes: nodes.map(own_line),
                affinity: affinity.map(own_line),
                strict,
                disabled,
                comment: comment.map(own_line),
            }
        };
        Self {
            resources: resources.into_iter().map(resource).collect(),
            groups: groups.into_iter().map(group).collect(),
            rules: rules.into_iter().map(rule).collect(),
        }
    }
}

/// Result of `next_vmid`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct NextVmid {
    /// The lowest free vmid of the range new guests may take; not reserved.
    pub vmid: u32,
}

#[tool_router(router = inventory_router, vis = "pub(crate)")]
impl PveMcp {
    /// Resource pools with their comments, or one pool's members in scope. Read-only.
    #[tool(
        title = "List pools",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = described::output::<Pools>()
    )]
    async fn list_pools(&self, Parameters(args): Parameters<ListPoolsArgs>) -> CallToolResult {
        let request = match args.into_request() {
            Ok(r) => Request::ListPools(r),
            Err(e) => return invalid(e),
        };
        match forward(&self.helper, request).await {
            Ok(Payload::Pools(list)) => {
                let pools = Pools::from(list);
                structured(&pools, render_pools(&pools))
            }
            Ok(other) => unexpected("list_pools", &other),
            Err(result) => result,
        }
    }

    /// The HA configuration: HA-managed guests in scope with their requested state and
    /// limits, and HA groups or rules. Read-only.
    #[tool(
        title = "HA resources",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = described::output::<HaResources>()
    )]
    async fn ha_resources(&self, Parameters(NoArgs {}): Parameters<NoArgs>) -> CallToolResult {
        match forward(&self.helper, Request::HaResources(HaQuery {})).await {
            Ok(Payload::Ha(h)) => {
                let h = HaResources::from(h);
                structured(&h, render_ha(&h))
            }
            Ok(other) => unexpected("ha_resources", &other),
            Err(result) => result,
        }
    }

    /// The lowest free vmid new guests may take (not reserved). Read-only.
    #[tool(
        title = "Next free vmid",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = described::output::<NextVmid>()
    )]
    async fn next_vmid(&self, Parameters(NoArgs {}): Parameters<NoArgs>) -> CallToolResult {
        match forward(&self.helper, Request::NextVmid(NextVmidQuery {})).await {
            Ok(Payload::Vmid(vmid)) => {
                let next = NextVmid { vmid: vmid.get() };
                let text = format!(
                    "The next free vmid for a new guest is {} (not reserved).\n",
                    next.vmid
                );
                structured(&next, text)
            }
            Ok(other) => unexpected("next_vmid", &other),
            Err(result) => result,
        }
    }
}

/// A comment an admin wrote, escaped and cut, in quotes.
fn comment(c: &str) -> String {
    format!("\"{}\"", untrusted::line(render::truncate(c, 200)))
}

/// One line per pool, with members under the pools that have them listed.
pub fn render_pools(p: &Pools) -> String {
    if p.pools.is_empty() {
        return "No pools.\n".into();
    }
    let mut out = String::new();
    for pool in &p.pools {
        out.push_str(&untrusted::line(&pool.pool));
        if !pool.comment.is_empty() {
            let _ = write!(out, "  {}", comment(&pool.comment));
        }
        let Some(members) = &pool.members else {
            out.push('\n');
            continue;
        };
        let _ = writeln!(out, ": {} member(s) in scope", members.len());
        for m in members {
            let id = m.vmid.map(|v| format!(" {v}")).unwrap_or_default();
            let _ = write!(
                out,
                "  {}{id}  {}  on {}",
                untrusted::line(&m.member_type),
                untrusted::line(render::truncate(&m.name, 64)),
                untrusted::line(&m.node)
            );
            if !m.status.is_empty() {
                let _ = write!(out, "  {}", untrusted::line(&m.status));
            }
            out.push('\n');
        }
    }
    out
}

/// The resources, then the groups.
pub fn render_ha(h: &HaResources) -> String {
    let mut out = format!("HA resources in scope: {}.\n", h.resources.len());
    for r in &h.resources {
        let line = untrusted::line;
        let _ = write!(out, "  {}  {}", line(&r.sid), line(&r.state));
        if let Some(g) = &r.group {
            let _ = write!(out, "  group {}", line(g));
        }
        if let Some(n) = r.max_restart {
            let _ = write!(out, "  max_restart {n}");
        }
        if let Some(n) = r.max_relocate {
            let _ = write!(out, "  max_relocate {n}");
        }
        if let Some(c) = r.comment.as_deref().filter(|c| !c.is_empty()) {
            let _ = write!(out, "  {}", comment(c));
        }
        out.push('\n');
    }
    let _ = writeln!(out, "HA groups: {}.", h.groups.len());
    for g in &h.groups {
        let (group, nodes) = (untrusted::line(&g.group), untrusted::line(&g.nodes));
        let _ = write!(out, "  {group}  nodes {nodes}");
        if g.restricted {
            out.push_str("  restricted");
        }
        if g.nofailback {
            out.push_str("  nofailback");
        }
        if let Some(c) = g.comment.as_deref().filter(|c| !c.is_empty()) {
            let _ = write!(out, "  {}", comment(c));
        }
        out.push('\n');
    }
    if !h.rules.is_empty() {
        let _ = writeln!(
            out,
            "HA rules (all of whose guests are in scope): {}.",
            h.rules.len()
        );
    }
    for r in &h.rules {
        let line = untrusted::line;
        let _ = write!(
            out,
            "  {}  {}  {}",
            line(&r.rule),
            line(&r.rule_type),
            line(&r.resources)
        );
        if let Some(n) = &r.nodes {
            let _ = write!(out, "  nodes {}", line(n));
        }
        if let Some(a) = &r.affinity {
            let _ = write!(out, "  {}", line(a));
        }
        if r.strict {
            out.push_str("  strict");
        }
        if r.disabled {
            out.push_str("  disabled");
        }
        if let Some(c) = r.comment.as_deref().filter(|c| !c.is_empty()) {
            let _ = write!(out, "  {}", comment(c));
        }
        out.push('\n');
    }
    out
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListPoolsArgs {
    /// A pool's id, for its members.
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

pub const LIST_POOLS: ToolSpec = ToolSpec {
    name: "list_pools",
    grant: None,
    listed: |caps| caps.pools,
    note: no_note,
};

pub const HA_RESOURCES: ToolSpec = ToolSpec {
    name: "ha_resources",
    grant: None,
    listed: |caps| caps.ha_resources,
    note: no_note,
};

/// `next_vmid` is listed when guests may be created; its note gives their vmids.
pub const NEXT_VMID: ToolSpec = ToolSpec {
    name: "next_vmid",
    grant: None,
    listed: |caps| caps.create.is_some(),
    note: |caps| {
        Some(format!(
            "New guests take vmids {}.",
            caps.create.as_ref().map_or("none", |c| c.vmids.as_str())
        ))
    },
};

#[cfg(test)]
mod tests;
