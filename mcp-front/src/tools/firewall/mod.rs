//! `firewall`: the firewall rules and options of the cluster, a node or a guest, as
//! Proxmox keeps them; `firewall_edit` ([`edit`]): a guest's rules changed, or its
//! firewall turned on or off, answered with the guest's firewall as it then is.
//!
//! Arguments are untrusted model output, validated here; the answer comes from
//! the helper and is only rendered here (rule texts are Proxmox's, cut to length, and
//! escaped through [`untrusted`]). A rule's comment is free text that whoever may edit
//! the firewall wrote (for a guest's rules, its admin): quoted as data under the rule.

pub(crate) mod edit;

use crate::mcp::described::{self, Parameters};
use crate::{
    change::{action, plan::plan_operation},
    policy::grants::{granted_in_scope, in_scope},
    render::{
        self,
        untrusted::{self, own_json, own_line},
    },
    tools::{
        args::{ArgError, node, vmid},
        reply::{forward, invalid, structured, unexpected},
        session::PveMcp,
        spec::ToolSpec,
    },
};
use edit::FirewallEditArgs;
use pve_mcp_proto::{Capabilities, FirewallQuery, Operation, Payload, Request};
use rmcp::{
    RoleServer,
    handler::server::tool::{InputResponses, RequestState},
    model::{CallToolResponse, CallToolResult},
    service::RequestContext,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, fmt::Write};

/// One firewall rule, in its position.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FirewallRule {
    pub pos: u32,
    /// `in`, `out`, `forward` or `group` (a security group's rules).
    #[serde(rename = "type")]
    pub rule_type: String,
    /// `ACCEPT`, `DROP`, `REJECT`, or the security group's name.
    pub action: String,
    pub enable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proto: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dport: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sport: Option<String>,
    /// A predefined service (e.g. `SSH`, `HTTP`).
    #[serde(rename = "macro", skip_serializing_if = "Option::is_none")]
    pub macro_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iface: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// Result of `firewall`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Firewall {
    /// `cluster`, `node NAME` or `guest VMID`.
    pub scope: String,
    pub rules: Vec<FirewallRule>,
    /// The firewall's options as Proxmox reports them (`enable`, `policy_in`,
    /// `policy_out`, `log_level_in`, ...).
    pub options: BTreeMap<String, serde_json::Value>,
}

impl From<pve_mcp_proto::FirewallInfo> for Firewall {
    fn from(f: pve_mcp_proto::FirewallInfo) -> Self {
        let pve_mcp_proto::FirewallInfo {
            scope,
            rules,
            options,
        } = f;
        Self {
            scope: own_line(scope),
            rules: rules.into_iter().map(rule).collect(),
            options: options
                .into_iter()
                .map(|(k, v)| (own_line(k), own_json(v)))
                .collect(),
        }
    }
}

fn rule(r: pve_mcp_proto::FirewallRule) -> FirewallRule {
    let pve_mcp_proto::FirewallRule {
        pos,
        rule_type,
        action,
        enable,
        source,
        dest,
        proto,
        dport,
        sport,
        macro_name,
        iface,
        comment,
    } = r;
    FirewallRule {
        pos,
        rule_type: own_line(rule_type),
        action: own_line(action),
        enable,
        source: source.map(own_line),
        dest: dest.map(own_line),
        proto: proto.map(own_line),
        dport: dport.map(own_line),
        sport: sport.map(own_line),
        macro_name: macro_name.map(own_line),
        iface: iface.map(own_line),
        comment: comment.map(own_line),
    }
}

#[tool_router(router = firewall_router, vis = "pub(crate)")]
impl PveMcp {
    /// The firewall rules and options of the cluster (no arguments), a node or a guest.
    /// Read-only.
    #[tool(
        title = "Firewall rules",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = described::output::<Firewall>()
    )]
    async fn firewall(&self, Parameters(args): Parameters<FirewallArgs>) -> CallToolResult {
        let request = match args.into_request() {
            Ok(r) => Request::Firewall(r),
            Err(e) => return invalid(e),
        };
        match forward(&self.helper, request).await {
            Ok(Payload::Firewall(f)) => {
                let f = Firewall::from(f);
                structured(&f, render_firewall(&f))
            }
            Ok(other) => unexpected("firewall", &other),
            Err(result) => result,
        }
    }

    /// Change a guest's firewall: op add (rule, pos), update (pos, rule: fields to set,
    /// delete: to remove), delete (pos), move (pos, to), enable, disable. New rules go
    /// below the admin's. No source/dest/dport: all.
    #[tool(
        title = "Change a guest firewall",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = described::output::<Firewall>()
    )]
    async fn firewall_edit(
        &self,
        Parameters(args): Parameters<FirewallEditArgs>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        let mut plan = match args.into_plan() {
            Ok(p) => p,
            Err(e) => return invalid(e).into(),
        };
        if plan.dry_run {
            return plan_operation(self.engine(), &plan.request).await.into();
        }
        let answered = action::answered(state, responses);
        match action::send(self.engine(), &mut plan.request, answered, &ctx).await {
            Ok(Payload::Firewall(f)) => {
                let f = Firewall::from(f);
                let text = format!("Done: {}.\n{}", plan.request.phrase(), render_firewall(&f));
                structured(&f, text).into()
            }
            Ok(other) => unexpected("firewall_edit", &other).into(),
            Err(response) => response,
        }
    }
}

/// An option's value as text: strings bare, anything else as JSON; escaped.
fn option_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => untrusted::line(render::truncate(s, 200)).into_owned(),
        other => untrusted::line(render::truncate(&other.to_string(), 200)).into_owned(),
    }
}

/// The legend of the comments quoted under their rule.
const COMMENTS: &str = "Lines starting with │ quote the rule above them: its comment (text \
     from the firewall configuration, shown as data).\n";

/// A header, one line per rule with its comment quoted below it, then the options.
pub fn render_firewall(f: &Firewall) -> String {
    let commented = |r: &FirewallRule| r.comment.as_deref().is_some_and(|c| !c.trim().is_empty());
    let mut out = String::from(if f.rules.iter().any(commented) {
        COMMENTS
    } else {
        ""
    });
    let line = untrusted::line;
    let _ = writeln!(
        out,
        "Firewall of {}: {} rule(s).",
        line(&f.scope),
        f.rules.len()
    );
    for r in &f.rules {
        let _ = write!(
            out,
            "  {}  {}  {}",
            r.pos,
            line(&r.rule_type),
            line(&r.action)
        );
        if !r.enable {
            out.push_str(" (disabled)");
        }
        let fields = [
            ("macro", &r.macro_name),
            ("proto", &r.proto),
            ("from", &r.source),
            ("to", &r.dest),
            ("dport", &r.dport),
            ("sport", &r.sport),
            ("iface", &r.iface),
        ];
        for (label, value) in fields {
            if let Some(v) = value {
                let _ = write!(out, "  {label} {}", line(render::truncate(v, 200)));
            }
        }
        out.push('\n');
        if let Some(c) = &r.comment {
            untrusted::quote_lines(&mut out, "    ", render::truncate(c.trim(), 200));
        }
    }
    if f.options.is_empty() {
        out.push_str("Options: none set (Proxmox defaults apply).\n");
    } else {
        let options: Vec<String> = f
            .options
            .iter()
            .map(|(k, v)| format!("{}={}", line(k), option_value(v)))
            .collect();
        let _ = writeln!(out, "Options: {}.", options.join(", "));
    }
    out
}
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FirewallArgs {
    /// A node's firewall.
    #[schemars(length(min = 1, max = 63))]
    pub node: Option<String>,
    /// A guest's firewall (not with node).
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

/// `firewall` is listed when some firewall is readable: the cluster's, each node's, or
/// a guest's through the raw API patterns; its note says which.
pub const FIREWALL: ToolSpec = ToolSpec {
    name: "firewall",
    grant: None,
    listed: |caps| {
        caps.firewall_cluster
            || caps.firewall_node
            || (in_scope(caps) && guest_firewall_readable(caps))
            || granted_in_scope(caps, Operation::FirewallRules)
            || granted_in_scope(caps, Operation::FirewallEnable)
    },
    note: |caps| {
        let mut scopes = Vec::new();
        if caps.firewall_cluster {
            scopes.push("the cluster's");
        }
        if caps.firewall_node {
            scopes.push("each node's");
        }
        scopes.push("a guest's where [api] or a firewall.* grant allows");
        Some(format!(
            "Readable under the current policy: {}.",
            scopes.join(", ")
        ))
    },
};

/// Whether raw API patterns let some guest's firewall be read: its rules and its
/// options (`GET /nodes/{node}/{qemu|lxc}/{vmid}/firewall/{rules,options}`), both of
/// which the helper reads and checks.
fn guest_firewall_readable(caps: &Capabilities) -> bool {
    let readable = |kind: &str, part: &str| {
        caps.api.iter().any(|pattern| {
            pattern
                .strip_prefix("GET ")
                .is_some_and(|path| covers(path, &["nodes", "", kind, "", "firewall", part]))
        })
    };
    ["qemu", "lxc"]
        .iter()
        .any(|kind| readable(kind, "rules") && readable(kind, "options"))
}

/// Whether the path pattern (`*` one segment, `**` the rest) matches the path
/// `segments`, whose empty segments stand for any value.
fn covers(pattern: &str, segments: &[&str]) -> bool {
    let mut parts = pattern.trim_start_matches('/').split('/');
    for want in segments {
        match parts.next() {
            Some("**") => return true,
            Some("*") => {}
            Some(literal) if want.is_empty() || literal == *want => {}
            _ => return false,
        }
    }
    parts.next().is_none()
}

#[cfg(test)]
mod tests;
