//! The measurements themselves, each against an already running stack: cold start, one
//! session's per-tool latency with its direct floor, the cold-cache listing, and many
//! concurrent sessions. Timings come from the client side ([`super::mcp`]); upstream
//! request and connection counts from the simulator's counters.

use super::{
    Options,
    floor::Floor,
    mcp::{FrontCmd, OnCpu, Session, peak_rss},
    report::{Concurrency, PerCall, Summary, ToolRow},
    stages::{self, Breakdown, LogTail},
};
use crate::{sim::SimHandle, stack::Stack};
use anyhow::Context;
use serde_json::Value;
use std::{
    path::Path,
    sync::{Arc, Barrier},
    time::{Duration, Instant},
};

/// Longest time one sampling loop may run; it stops earlier after `rounds` samples.
const LOOP_BUDGET: Duration = Duration::from_secs(4);
/// Calls (or GETs) made and discarded before each sampling loop.
const WARMUP: usize = 20;
/// The helper's `/cluster/resources` cache lifetime (`pve-helper`'s `resources::TTL`)
/// plus a margin: waiting this long guarantees the next call fetches the listing again.
pub const CACHE_EXPIRY: Duration = Duration::from_millis(1600);

/// Runs `f` up to `rounds` times (at least once), within [`LOOP_BUDGET`].
fn sample(
    rounds: usize,
    mut f: impl FnMut() -> anyhow::Result<Duration>,
) -> anyhow::Result<Vec<Duration>> {
    let start = Instant::now();
    let mut out = Vec::with_capacity(rounds);
    while out.is_empty() || (out.len() < rounds && start.elapsed() < LOOP_BUDGET) {
        out.push(f()?);
    }
    Ok(out)
}

/// Spawn -> `initialize` answer, over `runs` fresh fronts (after 3 discarded runs); also
/// the largest `VmHWM` of a front right after answering `initialize`.
pub fn cold_start(front: &FrontCmd<'_>, runs: usize) -> anyhow::Result<(Summary, u64)> {
    let mut samples = Vec::with_capacity(runs);
    let mut rss = 0;
    for i in 0..runs + 3 {
        let start = Instant::now();
        let mut s = Session::spawn(front)?;
        s.initialize()?;
        let elapsed = start.elapsed();
        rss = rss.max(peak_rss(s.pid())?);
        s.close()?;
        if i >= 3 {
            samples.push(elapsed);
        }
    }
    Ok((Summary::of(&samples), rss))
}

/// One tool call to measure and the upstream path its floor GETs.
#[derive(Debug, Clone)]
pub struct Case {
    pub label: String,
    pub tool: &'static str,
    pub args: Value,
    pub floor_path: String,
}

fn row(case: &Case, latency: &[Duration], upstream: u64, floor: Summary, bytes: usize) -> ToolRow {
    let latency = Summary::of(latency);
    ToolRow {
        call: case.label.clone(),
        answer_bytes: bytes,
        upstream_per_call: upstream as f64 / latency.n.max(1) as f64,
        floor_path: case.floor_path.clone(),
        overhead_p50_ms: latency.p50_ms - floor.p50_ms,
        latency,
        floor,
        on_cpu: None,
    }
}

/// Warm latency of each case over one session, then its floor with a direct client.
pub fn tools(
    stack: &Stack,
    front: &FrontCmd<'_>,
    floor: &Floor,
    cases: &[Case],
    rounds: usize,
) -> anyhow::Result<Vec<ToolRow>> {
    let mut session = Session::start(front)?;
    let mut floors: Vec<(String, Summary)> = Vec::new();
    let mut rows = Vec::new();
    for case in cases {
        for _ in 0..WARMUP {
            session.call(case.tool, &case.args)?;
        }
        stack.sim.reset_stats();
        let pids = [
            session.pid(),
            stack.helper_pid().context("the helper is not running")?,
        ];
        let before = [OnCpu::of(pids[0])?, OnCpu::of(pids[1])?];
        let latency = sample(rounds, || session.call(case.tool, &case.args))?;
        let after = [OnCpu::of(pids[0])?, OnCpu::of(pids[1])?];
        let upstream = stack.sim.stats().requests;
        let known = floors
            .iter()
            .find(|(p, _)| *p == case.floor_path)
            .map(|(_, s)| s.clone());
        let floor_summary = match known {
            Some(s) => s,
            None => {
                for _ in 0..WARMUP.min(rounds) {
                    floor.get(&case.floor_path)?;
                }
                let s = Summary::of(&sample(rounds, || floor.get(&case.floor_path))?);
                floors.push((case.floor_path.clone(), s.clone()));
                s
            }
        };
        let bytes = session.last_answer_len();
        let mut row = row(case, &latency, upstream, floor_summary, bytes);
        row.on_cpu = Some(per_call(before, after, latency.len()));
        rows.push(row);
    }
    session.close()?;
    Ok(rows)
}

/// The growth of the front's and the helper's [`OnCpu`] over `calls` calls, per call.
fn per_call(before: [OnCpu; 2], after: [OnCpu; 2], calls: usize) -> PerCall {
    let n = calls.max(1) as f64;
    let [(front_us, front_switches), (helper_us, helper_switches)] = [0, 1].map(|i| {
        (
            after[i].nanos.saturating_sub(before[i].nanos) as f64 / n / 1e3,
            after[i].switches.saturating_sub(before[i].switches) as f64 / n,
        )
    });
    PerCall {
        front_us,
        front_switches,
        helper_us,
        helper_switches,
    }
}

/// One call measured after [`CACHE_EXPIRY`] of idleness, and its floor: a direct GET
/// of `idle_floor` after the same idleness, plus `extra` (a warm floor) if given.
#[derive(Debug, Clone)]
pub struct IdleCase {
    pub case: Case,
    /// The helper's name for the request the tool makes (as its stages are logged).
    pub op: &'static str,
    pub idle_floor: String,
    pub extra: Option<Summary>,
}

/// Latency of calls made after [`CACHE_EXPIRY`] of idleness (so each finds the
/// helper's listing cache expired, and every process has gone idle): `runs` rounds,
/// each a direct GET of every idle floor path, then one call of each case, all
/// [`CACHE_EXPIRY`] apart.
///
/// Each call is also split into its parts ([`stages`]) from what the helper (logging
/// to `helper_log`) and the front logged during it: one breakdown per case.
pub fn idle_calls(
    sim: &SimHandle,
    front: &FrontCmd<'_>,
    helper_log: &Path,
    floor: &Floor,
    cases: &[IdleCase],
    runs: usize,
) -> anyhow::Result<(Vec<ToolRow>, Vec<Breakdown>)> {
    let mut session = Session::start(front)?;
    // One untimed call each: the helper's upstream connection is open before the first
    // timed call, as it is for every later one.
    for c in cases {
        session.call(c.case.tool, &c.case.args)?;
    }
    let (mut helper_tail, mut front_tail) = (LogTail::new(helper_log), LogTail::new(front.log));
    let mut parts = vec![Vec::with_capacity(runs); cases.len()];
    let mut paths: Vec<&str> = cases.iter().map(|c| c.idle_floor.as_str()).collect();
    paths.dedup();
    let mut floor_samples = vec![Vec::with_capacity(runs); paths.len()];
    let mut latency = vec![Vec::with_capacity(runs); cases.len()];
    let mut upstream = vec![0; cases.len()];
    let mut bytes = vec![0; cases.len()];
    for _ in 0..runs {
        for (i, path) in paths.iter().enumerate() {
            std::thread::sleep(CACHE_EXPIRY);
            floor_samples[i].push(floor.get(path)?);
        }
        for (i, c) in cases.iter().enumerate() {
            std::thread::sleep(CACHE_EXPIRY);
            sim.reset_stats();
            helper_tail.new_lines();
            front_tail.new_lines();
            let took = session.call(c.case.tool, &c.case.args)?;
            latency[i].push(took);
            upstream[i] += sim.stats().requests;
            bytes[i] = session.last_answer_len();
            let (h, f) = (helper_tail.new_lines(), front_tail.new_lines());
            parts[i].extend(stages::parts(took, &h, &f, c.op, c.case.tool));
        }
    }
    session.close()?;
    let breakdowns = cases
        .iter()
        .zip(&parts)
        .filter(|(_, p)| !p.is_empty())
        .map(|(c, p)| Breakdown::of(&c.case.label, p))
        .collect();
    let rows = cases.iter().enumerate().map(|(i, c)| {
        let at = paths.iter().position(|p| *p == c.idle_floor).unwrap_or(0);
        let idle_floor = Summary::of(&floor_samples[at]);
        let floor = c
            .extra
            .as_ref()
            .map_or(idle_floor.clone(), |e| idle_floor.plus(e));
        row(&c.case, &latency[i], upstream[i], floor, bytes[i])
    });
    Ok((rows.collect(), breakdowns))
}

/// The calls of the concurrency mix, chosen by a per-session counter.
fn mix_call(i: usize, opts: &Options, guests: usize) -> (&'static str, Value) {
    let vmid = 100 + (i * 7919) % guests.max(1);
    match i % 4 {
        0 => (
            "node_status",
            serde_json::json!({"node": format!("pve{}", i % opts.nodes + 1)}),
        ),
        1 => ("vm_status", serde_json::json!({"vmid": vmid})),
        2 => ("list_vms", serde_json::json!({})),
        _ => (
            "list_vms",
            serde_json::json!({"limit": 1000, "offset": i % guests.max(1)}),
        ),
    }
}

/// `opts.sessions` fronts, each calling the mix for `opts.duration` after a common start,
/// against a freshly restarted helper (so its `VmHWM` covers this run only).
pub fn concurrency(
    stack: &mut Stack,
    front: &FrontCmd<'_>,
    opts: &Options,
    guests: usize,
) -> anyhow::Result<Concurrency> {
    stack.spawn_helper()?;
    stack.sim.reset_stats();
    let barrier = Arc::new(Barrier::new(opts.sessions + 1));
    let run = opts.duration;
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..opts.sessions)
            .map(|n| {
                let barrier = barrier.clone();
                scope.spawn(move || -> anyhow::Result<(Vec<Duration>, u64)> {
                    let session = Session::start(front);
                    barrier.wait();
                    let mut session = session?;
                    let deadline = Instant::now() + run;
                    let mut latency = Vec::new();
                    let mut i = n * 13;
                    while Instant::now() < deadline {
                        let (tool, args) = mix_call(i, opts, guests);
                        latency.push(session.call(tool, &args)?);
                        i += 1;
                    }
                    let rss = peak_rss(session.pid())?;
                    session.close()?;
                    Ok((latency, rss))
                })
            })
            .collect();
        barrier.wait();
        let started = Instant::now();
        let results: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
        (started.elapsed(), results)
    });
    let (elapsed, results) = results;
    let helper_pid = stack.helper_pid().context("helper not running")?;
    let helper_peak_rss_bytes = peak_rss(helper_pid)?;
    let stats = stack.sim.stats();
    let mut latency = Vec::new();
    let mut front_peak_rss_bytes = 0;
    for r in results {
        let (l, rss) = r.map_err(|_| anyhow::anyhow!("a session thread panicked"))??;
        latency.extend(l);
        front_peak_rss_bytes = front_peak_rss_bytes.max(rss);
    }
    let secs = elapsed.as_secs_f64();
    Ok(Concurrency {
        sessions: opts.sessions,
        seconds: secs,
        calls: latency.len(),
        calls_per_sec: latency.len() as f64 / secs,
        latency: Summary::of(&latency),
        upstream_requests: stats.requests,
        upstream_connections: stats.connections,
        min_connections: stats.requests.div_ceil(100),
        upstream_tls_handshakes: stats.tls_handshakes,
        helper_peak_rss_bytes,
        front_peak_rss_bytes,
    })
}
