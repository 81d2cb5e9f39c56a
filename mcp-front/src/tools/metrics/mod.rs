//! `guest_metrics`: one guest's resource usage over the last hour, day or week,
//! summarized by the helper (average, peak, latest per metric).
//!
//! Arguments are untrusted model output, validated here; the answer comes from
//! the helper and is only rendered here.

use crate::mcp::described::{self, Parameters};
use crate::{
    policy::grants::{grant, granted_in_scope},
    render,
    tools::{
        args::{ArgError, vmid},
        reply::{forward, invalid, structured, unexpected},
        session::PveMcp,
        spec::ToolSpec,
    },
};
use pve_mcp_proto::{MetricsQuery, Operation, Payload, Request, Timeframe};
use rmcp::{model::CallToolResult, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Average, peak and latest value.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
pub struct Stat {
    pub avg: f64,
    pub max: f64,
    pub last: f64,
}

impl From<pve_mcp_proto::Stat> for Stat {
    fn from(s: pve_mcp_proto::Stat) -> Self {
        Self {
            avg: s.avg,
            max: s.max,
            last: s.last,
        }
    }
}

/// Result of `guest_metrics`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Metrics {
    pub vmid: u32,
    /// `hour`, `day` or `week`.
    pub timeframe: String,
    /// Points with data, and the seconds between two.
    pub points: u32,
    pub step_secs: u64,
    /// First and last point, seconds since the Unix epoch.
    pub from: u64,
    pub to: u64,
    /// CPU as a fraction of the guest's vCPUs (0 to 1).
    pub cpu: Stat,
    pub maxcpu: f64,
    /// Memory in bytes.
    pub mem: Stat,
    pub maxmem: u64,
    /// Network and disk rates, bytes per second.
    pub netin: Stat,
    pub netout: Stat,
    pub diskread: Stat,
    pub diskwrite: Stat,
}

#[tool_router(router = metrics_router, vis = "pub(crate)")]
impl PveMcp {
    /// One guest's CPU, memory, network and disk rates over the last hour, day or week:
    /// average, peak, latest. Read-only.
    #[tool(
        title = "Guest resource usage",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = described::output::<Metrics>()
    )]
    async fn guest_metrics(
        &self,
        Parameters(args): Parameters<GuestMetricsArgs>,
    ) -> CallToolResult {
        let request = match args.into_request() {
            Ok(r) => Request::GuestMetrics(r),
            Err(e) => return invalid(e),
        };
        match forward(&self.helper, request).await {
            Ok(Payload::Metrics(m)) => {
                let pve_mcp_proto::MetricsSummary {
                    vmid,
                    timeframe,
                    points,
                    step_secs,
                    from,
                    to,
                    cpu,
                    maxcpu,
                    mem,
                    maxmem,
                    netin,
                    netout,
                    diskread,
                    diskwrite,
                } = m;
                let m = Metrics {
                    vmid: vmid.get(),
                    timeframe: timeframe.as_str().to_owned(),
                    points,
                    step_secs,
                    from,
                    to,
                    cpu: cpu.into(),
                    maxcpu,
                    mem: mem.into(),
                    maxmem,
                    netin: netin.into(),
                    netout: netout.into(),
                    diskread: diskread.into(),
                    diskwrite: diskwrite.into(),
                };
                structured(&m, render_metrics(&m))
            }
            Ok(other) => unexpected("guest_metrics", &other),
            Err(result) => result,
        }
    }
}

fn rate(s: &Stat) -> String {
    format!(
        "avg {}/s, peak {}/s",
        render::bytes(s.avg as u64),
        render::bytes(s.max as u64)
    )
}

pub fn render_metrics(m: &Metrics) -> String {
    if m.points == 0 {
        return format!(
            "Guest {}: no usage data for the last {}.\n",
            m.vmid, m.timeframe
        );
    }
    let pct = |x: f64| format!("{:.1}%", x * 100.0);
    format!(
        "Guest {} over the last {} ({} points, every {} s, {} to {}):\n\
         CPU: avg {}, peak {}, now {} of {} vCPUs\n\
         Memory: avg {}, peak {}, now {} of {}\n\
         Network in: {}; out: {}\n\
         Disk read: {}; write: {}\n",
        m.vmid,
        m.timeframe,
        m.points,
        m.step_secs,
        render::utc(m.from),
        render::utc(m.to),
        pct(m.cpu.avg),
        pct(m.cpu.max),
        pct(m.cpu.last),
        m.maxcpu,
        render::bytes(m.mem.avg as u64),
        render::bytes(m.mem.max as u64),
        render::bytes(m.mem.last as u64),
        render::bytes(m.maxmem),
        rate(&m.netin),
        rate(&m.netout),
        rate(&m.diskread),
        rate(&m.diskwrite),
    )
}

/// How far back: `hour` (1-minute points), `day` (30 minutes), `week` (3 hours).
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TimeframeArg {
    Hour,
    Day,
    Week,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestMetricsArgs {
    /// The guest's VMID.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: u64,
    /// Over the last hour, day or week.
    pub timeframe: Option<TimeframeArg>,
}

impl GuestMetricsArgs {
    pub fn into_request(self) -> Result<MetricsQuery, ArgError> {
        Ok(MetricsQuery {
            vmid: vmid(self.vmid)?,
            timeframe: match self.timeframe {
                None | Some(TimeframeArg::Hour) => Timeframe::Hour,
                Some(TimeframeArg::Day) => Timeframe::Day,
                Some(TimeframeArg::Week) => Timeframe::Week,
            },
        })
    }
}

pub const GUEST_METRICS: ToolSpec = ToolSpec {
    name: "guest_metrics",
    grant: Some(Operation::MetricsRead),
    listed: |caps| granted_in_scope(caps, Operation::MetricsRead),
    note: |caps| Some(grant(caps, Operation::MetricsRead)),
};
