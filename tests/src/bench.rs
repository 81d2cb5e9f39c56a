//! The benchmark behind `pve-bench` (and `scripts/bench.sh`): the real `mcp-front` and
//! `pve-helper` binaries against the in-process simulator, for each cluster size. It
//! trusts its own options and the binaries it starts; any failed call aborts the run.
//!
//! # How each figure is measured
//! - **Binary sizes**: file sizes of `mcp-front` and `pve-helper` in [`bin_dir`].
//! - **Cold start**: wall time from spawning `mcp-front --socket S` to having read the
//!   whole answer line to `initialize` (protocol `2025-06-18`) from its stdout; 3 runs
//!   discarded, then `--cold-starts` runs. The front does not touch the helper for this.
//!   Its `VmHWM` right then is the front's idle peak RSS (largest over the runs).
//! - **Context cost** ([`context`]): bytes of `tools/list` a model reads with every
//!   tool granted, of the six seed tools, and of a default `list_vms` page at 3,000
//!   guests, each beside its budget.
//! - **Per-tool latency**: one session of a minimal client ([`mcp`]: newline-delimited
//!   JSON-RPC, request serialized before the clock starts, clock stopped when the answer
//!   line is read, parsed after). 20 warm-up calls, then `--rounds` calls (or 4 s, the
//!   first reached). The simulator's counters are reset before the timed calls; `up/call`
//!   is the upstream HTTP requests it saw divided by the calls.
//! - **Floor**: a keep-alive reqwest GET ([`floor`]) of the upstream path the tool uses,
//!   timed from send to the last body byte (no parsing); 20 warm-up GETs, then `--rounds`
//!   (or 4 s). `overhead` = tool p50 - floor p50.
//! - **The listing cache**: the helper keeps `/cluster/resources` for 1.5 s, so warm
//!   `list_vms` calls are mostly cache hits (`up/call` near 0) and warm `vm_status` calls
//!   one GET. The `(cold cache)` rows wait 1.6 s before each call, so each call fetches
//!   `/cluster/resources` again (`up/call` 1 for `list_vms`, 2 for `vm_status`). Their
//!   floor is a direct GET of `/cluster/resources` also made after 1.6 s idle (plus, for
//!   `vm_status`, the warm guest status floor: percentiles added), `--cold-cache` times.
//!   `node_status {node} (idle)` is made after the same idleness, against a direct GET
//!   of its path after it: what waking every process costs, with no listing to fetch.
//! - **On one CPU** ([`one_cpu`]): the `node_status` and `vm_status` rows again, on a
//!   stack of their own started after the benchmark pinned itself to its first
//!   processor, so the simulator's threads, the helper and the front (which inherit
//!   that) and the floor's client all share it. Skipped where only one was allowed.
//! - **Wake-ups** ([`wakeup`]): what the machine itself takes to wake a thread, a
//!   one-byte round trip between two threads over a Unix socket pair, with the two on
//!   two processors and on one; measured once per run, before the sizes.
//! - **Concurrency**: the helper is restarted, the counters reset, then `--sessions`
//!   fronts (one thread each) call a mix of `node_status`, `vm_status`, `list_vms {}` and
//!   `list_vms {limit: 1000}` back to back for `--duration-secs`. Upstream connections
//!   and TLS handshakes come from the simulator; peak RSS is `VmHWM` from
//!   `/proc/PID/status`, for the helper after the run and for each front before it exits.
//!
//! - **Where the time goes**: for the calls after idleness, the helper is restarted
//!   logging each request's stages and the front its tool handler and helper round
//!   trip ([`stages`]); each call is split into fetch, decode, judge, render, the
//!   helper's other time, the socket, the front, and stdio (medians per case).
//! - **Targets**: each goal beside this run's figure and floor, met or not
//!   ([`targets`]).
//!
//! The helper logs at `info` (one audit line per call) to a file, as the test stack
//! starts it (plus one stage line per call after idleness). Everything shares the
//! machine's cores: client, fronts, helper, simulator.

pub mod context;
pub mod floor;
pub mod mcp;
pub mod measure;
pub mod one_cpu;
pub mod pin;
pub mod report;
pub mod stages;
pub mod targets;
pub mod wakeup;

use crate::{
    sim::{self, SimConfig},
    stack::{Stack, StackOptions, bin_dir, workspace_bin},
};
use floor::Floor;
use measure::Case;
use report::{Report, SizeReport, Summary};
use serde_json::json;
use std::time::{Duration, Instant};

/// The policy the benchmark's helper runs with: every guest, every action, the reads.
pub const POLICY: &str = r#"
[clients]
users = [{uid}]

[guests]
allow = ["*"]
actions = ["start", "stop", "shutdown", "reboot", "reset", "suspend", "resume"]

[api]
allow = ["GET /nodes", "GET /nodes/*/status", "GET /version"]

[commands]
allow = []

# The benchmark measures throughput; the limits must not be what it measures.
[limits]
requests_per_minute = 100000
concurrent = 256
"#;

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Cluster sizes (number of guests), one report each.
    pub guests: Vec<usize>,
    pub nodes: usize,
    /// Timed calls per tool (and GETs per floor path).
    pub rounds: usize,
    /// Concurrent sessions in the concurrency run.
    pub sessions: usize,
    /// Length of the concurrency run.
    pub duration: Duration,
    /// Fronts spawned for the cold start figure.
    pub cold_starts: usize,
    /// Cold-cache calls per case (each 1.6 s apart); 0 skips them.
    pub cold_cache: usize,
}

/// The cases of the per-tool table, for a cluster of `nodes` nodes and `guests` guests.
fn cases(nodes: usize, guests: usize) -> Vec<Case> {
    let g = sim::dataset::guest(1.min(guests.saturating_sub(1)), nodes);
    let listing = "/cluster/resources?type=vm".to_owned();
    vec![
        Case {
            label: "node_status {node}".into(),
            tool: "node_status",
            args: json!({"node": "pve1"}),
            floor_path: "/nodes/pve1/status".into(),
        },
        Case {
            label: format!("vm_status {{vmid: {}}}", g.vmid),
            tool: "vm_status",
            args: json!({"vmid": g.vmid}),
            floor_path: format!(
                "/nodes/{}/{}/{}/status/current",
                g.node,
                g.kind.as_str(),
                g.vmid
            ),
        },
        Case {
            label: "list_vms {} (cache hit)".into(),
            tool: "list_vms",
            args: json!({}),
            floor_path: listing.clone(),
        },
        Case {
            label: "list_vms {limit:1000} (cache hit)".into(),
            tool: "list_vms",
            args: json!({"limit": 1000}),
            floor_path: listing,
        },
    ]
}

/// The stack every measurement of one cluster size runs on.
fn stack_options(opts: &Options, guests: usize) -> StackOptions {
    let mut stack_opts = StackOptions::new(POLICY);
    stack_opts.sim = SimConfig {
        nodes: opts.nodes,
        guests,
        ..SimConfig::default()
    };
    stack_opts
}

/// Measures one cluster size.
fn run_size(opts: &Options, guests: usize) -> anyhow::Result<SizeReport> {
    let mut stack = Stack::start(stack_options(opts, guests))?;
    let bin = workspace_bin("mcp-front");
    let socket = stack.socket.clone();
    let log = stack.dir().join("front.log");
    let front = mcp::FrontCmd {
        bin: &bin,
        socket: &socket,
        log: &log,
        log_filter: "warn",
    };

    let started = Instant::now();
    let step = |what: &str| {
        eprintln!(
            "[{guests} guests, {:.1} s] {what}",
            started.elapsed().as_secs_f64()
        )
    };
    step("cold start");
    let (cold_start, front_idle_rss_bytes) = measure::cold_start(&front, opts.cold_starts)?;
    step("per-tool latency and floors");
    let cases = cases(opts.nodes, guests);
    let floor = Floor::new(&stack.sim)?;
    let mut tools = measure::tools(&stack, &front, &floor, &cases, opts.rounds)?;
    step("the status calls again, every process on one processor");
    let one_cpu = one_cpu::rows(stack_options(opts, guests), &cases[..2], opts.rounds)?;
    let mut idle_breakdown = Vec::new();
    if opts.cold_cache > 0 {
        step("after 1.6 s idle (the listing cache expired)");
        // Both processes log their stages for these calls only.
        stack.helper_log = stages::HELPER_LOG.to_owned();
        stack.spawn_helper()?;
        let staged = mcp::FrontCmd {
            log_filter: stages::FRONT_LOG,
            ..front.clone()
        };
        let listing = &cases[2].floor_path;
        let idle = |case: &Case,
                    op: &'static str,
                    label: &str,
                    idle_floor: &str,
                    extra: Option<Summary>| {
            let case = Case {
                label: label.into(),
                floor_path: match &extra {
                    Some(_) => format!("{idle_floor} (idle) + {}", case.floor_path),
                    None => format!("{idle_floor} (idle)"),
                },
                ..case.clone()
            };
            measure::IdleCase {
                case,
                op,
                idle_floor: idle_floor.to_owned(),
                extra,
            }
        };
        let cold = [
            idle(
                &cases[0],
                "node_status",
                "node_status {node} (idle)",
                &cases[0].floor_path,
                None,
            ),
            idle(
                &cases[1],
                "guest_status",
                "vm_status {vmid} (cold cache)",
                listing,
                Some(tools[1].floor.clone()),
            ),
            idle(
                &cases[2],
                "list_guests",
                "list_vms {} (cold cache)",
                listing,
                None,
            ),
        ];
        let helper_log = stack.helper_log_path();
        let (rows, breakdown) = measure::idle_calls(
            &stack.sim,
            &staged,
            &helper_log,
            &floor,
            &cold,
            opts.cold_cache,
        )?;
        tools.extend(rows);
        idle_breakdown = breakdown;
        stack.helper_log = "info".to_owned();
    }
    step("concurrent sessions");
    let concurrency = measure::concurrency(&mut stack, &front, opts, guests)?;
    step("done");
    let mut size = SizeReport {
        guests,
        nodes: opts.nodes,
        cold_start,
        front_idle_rss_bytes,
        tools,
        one_cpu,
        concurrency,
        idle_breakdown,
        targets: Vec::new(),
    };
    size.targets = targets::of(&size);
    Ok(size)
}

/// Runs the whole benchmark.
pub fn run(opts: &Options) -> anyhow::Result<Report> {
    anyhow::ensure!(
        opts.nodes > 0 && opts.rounds > 0 && opts.sessions > 0,
        "nothing to measure"
    );
    eprintln!("[context] tools/list with every tool granted, list_vms at 3,000 guests");
    let context = context::measure()?;
    eprintln!("[machine] wake-ups between two threads");
    let wakeups = wakeup::measure()?;
    let mut sizes = Vec::new();
    for &guests in &opts.guests {
        anyhow::ensure!(guests > 0, "a cluster size needs at least one guest");
        sizes.push(run_size(opts, guests)?);
    }
    let size = |name: &str| std::fs::metadata(workspace_bin(name)).map_or(0, |m| m.len());
    let dir = bin_dir();
    Ok(Report {
        profile: if dir.ends_with("release") {
            "release"
        } else {
            "debug"
        }
        .into(),
        mcp_front_bytes: size("mcp-front"),
        pve_helper_bytes: size("pve-helper"),
        context,
        wakeups,
        sizes,
        notes: notes(),
    })
}

fn notes() -> Vec<String> {
    [
        "times in ms; p50/p95 are nearest-rank percentiles; n = timed samples",
        "KiB = size of the tool's JSON-RPC answer line; up/call = upstream HTTP requests seen by the simulator per tool call",
        "floor = direct keep-alive reqwest GET of the same upstream path (body read, not parsed); overhead = p50 - floor p50",
        "on a processor per call: the time the front and the helper each ran during a warm row's timed calls (schedstat of all their threads), and how many times each was put on a processor, per call; a call through both takes at least two of each, and every one is a wake-up another process paid for",
        "cache hit rows: the helper serves /cluster/resources from its 1.5 s cache, so their overhead is negative when the listing is large; the (cold cache) rows wait 1.6 s before each call and pay the fetch",
        "on one CPU rows: the same warm calls and floors with the benchmark, the simulator, the helper and the front all on one processor; a wake-up then stays on it, where one that crosses to another processor costs more on virtual ones; the targets are judged on the rows above them",
        "wake-ups: two threads of the benchmark pass one byte back and forth over a Unix socket pair, each asleep in its read until the other writes (two wake-ups a round trip), on two processors and on one; the machine's cost, not pve-mcp's: a status call wakes a process four times more than its direct GET",
        "(cold cache) floors: a direct /cluster/resources GET after the same 1.6 s idle (+ the guest status floor for vm_status, percentiles added)",
        "(idle) node_status: the same 1.6 s idle with nothing to fetch; its overhead is what waking the front and the helper costs, above the direct GET after idle",
        "where the time goes: the helper's stages and the front's times as they logged them for each call after idleness (one more log line per call for those calls only); other = the helper's time outside its stages, socket = the front's round trip less the helper's time, front = the tool handler less the round trip, stdio = the client's time less the tool handler",
        "peak RSS = VmHWM; the helper is restarted before the calls after idleness and before the concurrency run",
        "the simulator closes a connection after 100 requests, like pveproxy: min = ceil(requests / 100)",
    ]
    .map(String::from)
    .to_vec()
}
