//! The goals pve-mcp sets itself, each checked against this run's figure and shown
//! beside its floor: cold start, the status tools and the cold listing above a direct
//! GET of the same path, and peak memory. A goal that names a cluster size applies to
//! that size only. Reporting, not asserting: the benchmark never fails on a goal.

use super::report::{SizeReport, ToolRow};
use serde::Serialize;
use std::fmt::Write as _;

/// One goal and how this run did.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub what: String,
    pub target: String,
    pub figure: String,
    /// What the figure is measured against (`-` when nothing).
    pub floor: String,
    pub met: bool,
}

const MB: f64 = 1_000_000.0;
const MIB: f64 = 1024.0 * 1024.0;

fn row<'a>(size: &'a SizeReport, prefix: &str) -> Option<&'a ToolRow> {
    size.tools.iter().find(|t| t.call.starts_with(prefix))
}

/// `tool` at most `max_ms` above its floor (p50s).
fn above_floor(size: &SizeReport, prefix: &str, what: &str, max_ms: f64) -> Option<Target> {
    let t = row(size, prefix)?;
    Some(Target {
        what: format!("{what}, p50 above its GET"),
        target: format!("<= +{max_ms:.2} ms"),
        figure: format!("{:+.3} ms", t.overhead_p50_ms),
        floor: format!("{:.3} ms", t.floor.p50_ms),
        met: t.overhead_p50_ms <= max_ms,
    })
}

/// A peak RSS at most `max` bytes (`unit` says how the goal was set).
fn memory(what: &str, bytes: u64, max: f64, unit: &str) -> Target {
    let scale = if unit == "MB" { MB } else { MIB };
    Target {
        what: what.to_owned(),
        target: format!("<= {:.0} {unit}", max / scale),
        figure: format!("{:.1} {unit}", bytes as f64 / scale),
        floor: "-".to_owned(),
        met: bytes as f64 <= max,
    }
}

/// The goals that apply to one cluster size.
pub fn of(size: &SizeReport) -> Vec<Target> {
    let mut out = vec![Target {
        what: "spawn -> initialize answer, p50".to_owned(),
        target: "<= 3.00 ms".to_owned(),
        figure: format!("{:.2} ms", size.cold_start.p50_ms),
        floor: "-".to_owned(),
        met: size.cold_start.p50_ms <= 3.0,
    }];
    out.extend(above_floor(size, "node_status {node}", "node_status", 0.2));
    out.extend(above_floor(size, "vm_status {vmid:", "vm_status", 0.2));
    let cold = "list_vms {} (cold cache)";
    let k = &size.concurrency;
    match size.guests {
        3000 => {
            out.extend(above_floor(
                size,
                cold,
                "list_vms {} after 1.6 s idle",
                1.25,
            ));
            let sessions = format!("with {} sessions", k.sessions);
            out.push(memory(
                &format!("mcp-front peak RSS {sessions}"),
                k.front_peak_rss_bytes,
                8.0 * MB,
                "MB",
            ));
            out.push(memory(
                &format!("pve-helper peak RSS {sessions}"),
                k.helper_peak_rss_bytes,
                16.0 * MB,
                "MB",
            ));
        }
        30000 => {
            if let Some(t) = row(size, cold) {
                out.push(Target {
                    what: "list_vms {} after 1.6 s idle, p50".to_owned(),
                    target: "<= 25.00 ms".to_owned(),
                    figure: format!("{:.3} ms", t.latency.p50_ms),
                    floor: format!("{:.3} ms", t.floor.p50_ms),
                    met: t.latency.p50_ms <= 25.0,
                });
            }
            out.push(memory(
                "pve-helper peak RSS",
                k.helper_peak_rss_bytes,
                24.0 * MIB,
                "MiB",
            ));
        }
        _ => {}
    }
    out
}

/// The goals as a table, with how many were met.
pub fn write_table(out: &mut String, targets: &[Target]) {
    let _ = writeln!(
        out,
        "{:<44} {:>12} {:>12} {:>10} {:>5}",
        "target", "target", "figure", "floor", "met?"
    );
    for t in targets {
        let _ = writeln!(
            out,
            "{:<44} {:>12} {:>12} {:>10} {:>5}",
            t.what,
            t.target,
            t.figure,
            t.floor,
            if t.met { "yes" } else { "NO" }
        );
    }
    let met = targets.iter().filter(|t| t.met).count();
    let _ = writeln!(out, "targets met: {met} of {}", targets.len());
}
