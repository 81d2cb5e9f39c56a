//! A guest's resource usage over time, from one `rrddata` call on its own node and
//! type (resolved from the vmid), summarized per metric (average, peak, latest) so the
//! model gets a few numbers instead of 70 points. Values from Proxmox are untrusted:
//! only finite, non-negative numbers count.

use super::guests::{guest_path, lookup};
use super::outcome::{OpResult, upstream_error};
use super::state::Service;
use crate::pve::resources::Num;
use pve_mcp_proto::*;
use serde::Deserialize;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Point {
    time: Option<Num>,
    cpu: Option<Num>,
    maxcpu: Option<Num>,
    mem: Option<Num>,
    maxmem: Option<Num>,
    netin: Option<Num>,
    netout: Option<Num>,
    diskread: Option<Num>,
    diskwrite: Option<Num>,
}

/// Average, maximum and last of the values present.
fn stat(values: impl Iterator<Item = Option<Num>>) -> Stat {
    let v: Vec<f64> = values
        .flatten()
        .map(|n| n.0)
        .filter(|x| x.is_finite() && *x >= 0.0)
        .collect();
    match v.last() {
        None => Stat::default(),
        Some(last) => Stat {
            avg: v.iter().sum::<f64>() / v.len() as f64,
            max: v.iter().copied().fold(0.0, f64::max),
            last: *last,
        },
    }
}

/// Summarizes RRD points; points without any usage value (no data yet) are skipped.
fn summarize(vmid: VmId, timeframe: Timeframe, raw: Vec<Point>) -> MetricsSummary {
    let points: Vec<Point> = raw.into_iter().filter(|p| p.cpu.is_some()).collect();
    let times: Vec<u64> = points.iter().filter_map(|p| p.time.map(Num::u64)).collect();
    let step_secs = match times.as_slice() {
        [a, b, ..] => b.saturating_sub(*a),
        _ => 0,
    };
    let last = |f: fn(&Point) -> Option<Num>| points.iter().rev().find_map(f).map_or(0.0, |n| n.0);
    MetricsSummary {
        vmid,
        timeframe,
        points: u32::try_from(points.len()).unwrap_or(u32::MAX),
        step_secs,
        from: times.first().copied().unwrap_or(0),
        to: times.last().copied().unwrap_or(0),
        cpu: stat(points.iter().map(|p| p.cpu)),
        maxcpu: last(|p| p.maxcpu),
        mem: stat(points.iter().map(|p| p.mem)),
        maxmem: Num(last(|p| p.maxmem)).u64(),
        netin: stat(points.iter().map(|p| p.netin)),
        netout: stat(points.iter().map(|p| p.netout)),
        diskread: stat(points.iter().map(|p| p.diskread)),
        diskwrite: stat(points.iter().map(|p| p.diskwrite)),
    }
}

pub async fn summary(svc: &Service, q: &MetricsQuery) -> OpResult {
    let g = lookup(svc, q.vmid).await?;
    let raw: Vec<Point> = svc
        .pve
        .get(
            &format!("{}/rrddata", guest_path(&g)),
            &[("timeframe", q.timeframe.as_str()), ("cf", "AVERAGE")],
        )
        .await
        .map_err(upstream_error)?;
    Ok(Payload::Metrics(summarize(q.vmid, q.timeframe, raw)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarizes_the_points_with_data() {
        let p = |t: f64, cpu: Option<f64>, mem: f64| Point {
            time: Some(Num(t)),
            cpu: cpu.map(Num),
            mem: Some(Num(mem)),
            maxmem: Some(Num(1000.0)),
            netin: Some(Num(f64::NAN)),
            ..Point::default()
        };
        let s = summarize(
            VmId::new(101).unwrap(),
            Timeframe::Hour,
            vec![
                p(60.0, None, 0.0),
                p(120.0, Some(0.1), 100.0),
                p(180.0, Some(0.3), 300.0),
            ],
        );
        assert_eq!((s.points, s.step_secs, s.from, s.to), (2, 60, 120, 180));
        assert!((s.cpu.avg - 0.2).abs() < 1e-9 && s.cpu.max == 0.3 && s.cpu.last == 0.3);
        assert_eq!(s.mem.max, 300.0);
        assert_eq!(s.maxmem, 1000);
        assert_eq!(s.netin, Stat::default(), "NaN is not a value");
    }
}
