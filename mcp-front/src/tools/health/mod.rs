//! `cluster_health`: the questions an admin asks first, read-only, in one call: quorum,
//! Ceph, ZFS pools, disks' SMART health, replication, certificates, pending updates and
//! the failed tasks of the last day. Each part is one read (per node for the node
//! parts) through the helper, judged and audited like any `proxmox_api` read: the
//! policy allows a part by allowing its read in `[api] allow` ([`HEALTH_PARTS`]), and
//! answers naming guests (replication jobs, tasks) are filtered to the scope.
//!
//! Arguments are untrusted model output (one part name, from an enum); Proxmox's
//! answers are read in [`checks`], every text escaped.

pub(crate) mod checks;

use crate::mcp::described::{self, Parameters};
use crate::{
    helper::HelperClient,
    tools::{
        reply::{call, structured},
        session::PveMcp,
        spec::ToolSpec,
    },
};
use checks::{Findings, Level};
use pve_mcp_proto::{
    ApiCall, ApiMethod, ApiParams, ApiPath, Capabilities, HEALTH_PARTS, Payload, Request,
};
use rmcp::{model::CallToolResult, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::{fmt::Write, time::SystemTime};

/// One part of the health check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    Quorum,
    Ceph,
    Zfs,
    Disks,
    Replication,
    Certificates,
    Updates,
    Tasks,
}

impl Part {
    const ALL: [Part; 8] = [
        Part::Quorum,
        Part::Ceph,
        Part::Zfs,
        Part::Disks,
        Part::Replication,
        Part::Certificates,
        Part::Updates,
        Part::Tasks,
    ];

    fn name(self) -> &'static str {
        HEALTH_PARTS[self as usize].0
    }

    /// The read it makes (`{node}`: once per online node).
    fn path(self) -> &'static str {
        HEALTH_PARTS[self as usize].1
    }

    fn per_node(self) -> bool {
        self.path().contains("{node}")
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthArgs {
    /// One part in detail; every allowed part, summarized, when absent.
    pub part: Option<Part>,
}

/// One part's result.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PartReport {
    pub part: String,
    pub level: Level,
    pub summary: String,
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
    /// What was checked and is fine (with `part` only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fine: Vec<String>,
}

/// Result of `cluster_health`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HealthReport {
    pub problems: usize,
    pub warnings: usize,
    pub parts: Vec<PartReport>,
    /// Parts the policy allows no read for, not checked.
    pub not_allowed: Vec<String>,
}

/// A GET through the helper: its `data`, or the text a model reads of the failure.
async fn get(helper: &HelperClient, path: &str) -> Result<Value, String> {
    let call_of = ApiCall {
        method: ApiMethod::Get,
        path: ApiPath::parse(path).map_err(|e| e.to_string())?,
        params: ApiParams::default(),
    };
    match call(helper, Request::Api(call_of)).await? {
        Payload::Api(answer) => Ok(answer.data),
        _ => Err("Unexpected answer from the helper".into()),
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The online nodes, from `/cluster/status` or else `GET /nodes`.
async fn online_nodes(
    helper: &HelperClient,
    status: Option<&Value>,
) -> Result<Vec<String>, String> {
    if let Some(status) = status {
        return Ok(checks::quorum(status).1);
    }
    let nodes = get(helper, "/nodes").await.map_err(|e| {
        format!("no node list ({e}); allow GET /cluster/status or GET /nodes to check each node")
    })?;
    Ok(nodes
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| n["status"] == "online")
        .filter_map(|n| n["node"].as_str().map(str::to_owned))
        .collect())
}

/// Runs one part.
async fn check(
    helper: &HelperClient,
    part: Part,
    nodes: &Result<Vec<String>, String>,
    status: Option<&Result<Value, String>>,
) -> Result<Findings, String> {
    let now = now();
    if part.per_node() {
        let nodes = nodes.as_ref().map_err(Clone::clone)?;
        let mut f = Findings::default();
        for node in nodes {
            let data = get(helper, &part.path().replace("{node}", node)).await?;
            match part {
                Part::Zfs => checks::zfs(node, &data, &mut f),
                Part::Disks => checks::disks(node, &data, &mut f),
                Part::Replication => checks::replication(node, &data, &mut f),
                Part::Certificates => checks::certificates(node, &data, now, &mut f),
                Part::Updates => checks::updates(node, &data, &mut f),
                Part::Quorum | Part::Ceph | Part::Tasks => {}
            }
        }
        return Ok(f);
    }
    match part {
        Part::Quorum => match status {
            Some(Ok(data)) => Ok(checks::quorum(data).0),
            Some(Err(e)) => Err(e.clone()),
            None => get(helper, part.path()).await.map(|d| checks::quorum(&d).0),
        },
        Part::Ceph => get(helper, part.path()).await.map(|d| checks::ceph(&d)),
        _ => {
            let data = get(helper, part.path()).await?;
            let mut f = Findings::default();
            checks::tasks(&data, now, &mut f);
            Ok(f)
        }
    }
}

fn report(part: Part, result: Result<Findings, String>, detail: bool) -> PartReport {
    match result {
        Err(e) => PartReport {
            part: part.name().into(),
            level: Level::Unknown,
            summary: e,
            problems: Vec::new(),
            warnings: Vec::new(),
            fine: Vec::new(),
        },
        Ok(f) => {
            let level = f.level();
            let first = |v: &[String]| match v.len() {
                0 => String::new(),
                1 => v[0].clone(),
                n => format!("{} (+{} more)", v[0], n - 1),
            };
            let summary = match level {
                Level::Problem => first(&f.problems),
                Level::Warning => first(&f.warnings),
                _ if f.fine.is_empty() => "nothing to check".into(),
                _ => first(&f.fine),
            };
            PartReport {
                part: part.name().into(),
                level,
                summary,
                problems: f.problems,
                warnings: f.warnings,
                fine: if detail { f.fine } else { Vec::new() },
            }
        }
    }
}

fn render(r: &HealthReport, detail: bool) -> String {
    let mut out = format!(
        "Health: {} problem(s), {} warning(s) in {} part(s) checked.\n",
        r.problems,
        r.warnings,
        r.parts.len()
    );
    for p in &r.parts {
        let _ = writeln!(out, "{:<8} {}: {}", p.level.word(), p.part, p.summary);
        if detail {
            for (word, lines) in [
                ("PROBLEM", &p.problems),
                ("WARNING", &p.warnings),
                ("ok", &p.fine),
            ] {
                for l in lines {
                    let _ = writeln!(out, "  {word:<8} {l}");
                }
            }
        }
    }
    if !r.not_allowed.is_empty() {
        let _ = writeln!(
            out,
            "Not checked (no read allowed): {}. Ask the admin to allow their read, e.g. \
             \"GET {}\" in [api] allow.",
            r.not_allowed.join(", "),
            HEALTH_PARTS
                .iter()
                .find(|(p, _)| r.not_allowed.first().is_some_and(|n| n == p))
                .map_or("", |(_, path)| path)
                .replace("{node}", "*")
        );
    }
    if !detail {
        out.push_str("Call again with `part` for the details of one part.\n");
    }
    out
}

#[tool_router(router = health_router, vis = "pub(crate)")]
impl PveMcp {
    /// Is the cluster healthy? Quorum, Ceph, ZFS pools, disks' SMART health,
    /// replication, certificate expiry, pending updates, failed tasks of the last day.
    /// Read-only.
    #[tool(
        title = "Cluster health",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = described::output::<HealthReport>()
    )]
    async fn cluster_health(&self, Parameters(args): Parameters<HealthArgs>) -> CallToolResult {
        let caps = self.permissions.current().await;
        let allowed = |p: Part| {
            caps.as_deref()
                .is_none_or(|c: &Capabilities| c.health.iter().any(|h| h == p.name()))
        };
        let parts: Vec<Part> = match args.part {
            Some(p) => vec![p],
            None => Part::ALL.into_iter().filter(|p| allowed(*p)).collect(),
        };
        let not_allowed = match args.part {
            Some(_) => Vec::new(),
            None => Part::ALL
                .into_iter()
                .filter(|p| !allowed(*p))
                .map(|p| p.name().to_owned())
                .collect(),
        };
        // `/cluster/status` serves the quorum part and the node list.
        let status = if parts.contains(&Part::Quorum)
            || allowed(Part::Quorum) && parts.iter().any(|p| p.per_node())
        {
            Some(get(&self.helper, Part::Quorum.path()).await)
        } else {
            None
        };
        let nodes = if parts.iter().any(|p| p.per_node()) {
            online_nodes(&self.helper, status.as_ref().and_then(|s| s.as_ref().ok())).await
        } else {
            Ok(Vec::new())
        };
        let mut reports = Vec::with_capacity(parts.len());
        for part in parts {
            let result = check(&self.helper, part, &nodes, status.as_ref()).await;
            reports.push(report(part, result, args.part.is_some()));
        }
        let report = HealthReport {
            problems: reports.iter().map(|p| p.problems.len()).sum(),
            warnings: reports.iter().map(|p| p.warnings.len()).sum(),
            parts: reports,
            not_allowed,
        };
        let text = render(&report, args.part.is_some());
        structured(&report, text)
    }
}

/// `cluster_health` is listed when the policy allows some part's read.
pub const CLUSTER_HEALTH: ToolSpec = ToolSpec {
    name: "cluster_health",
    grant: None,
    listed: |caps| !caps.health.is_empty(),
    note: |caps| Some(format!("Allowed: {}.", caps.health.join(", "))),
};
