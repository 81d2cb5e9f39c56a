//! `pve-bench`: measure cold start, per-call latency against a direct HTTPS floor,
//! upstream request counts, connection reuse and memory of the real `mcp-front` and
//! `pve-helper` against the simulator. See `pve_mcp_tests::bench` for how; run it
//! through `scripts/bench.sh` for release-build figures.
#![forbid(unsafe_code)]

use clap::Parser;
use pve_mcp_tests::bench::{self, Options};
use std::{process::ExitCode, time::Duration};

/// Benchmark pve-mcp (mcp-front + pve-helper) against a simulated Proxmox VE cluster.
#[derive(Debug, Parser)]
#[command(about)]
struct Cli {
    /// Cluster sizes to measure (guests), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "300,3000,30000")]
    guests: Vec<usize>,
    /// Nodes in the simulated cluster.
    #[arg(long, default_value_t = 3)]
    nodes: usize,
    /// Timed calls per tool and GETs per floor path (each loop also stops after 4 s).
    #[arg(long, default_value_t = 200)]
    rounds: usize,
    /// Concurrent mcp-front sessions in the concurrency run.
    #[arg(long, default_value_t = 10)]
    sessions: usize,
    /// Seconds the concurrency run lasts.
    #[arg(long, default_value_t = 3.0)]
    duration_secs: f64,
    /// mcp-front processes spawned for the cold-start figure.
    #[arg(long, default_value_t = 50)]
    cold_starts: usize,
    /// Calls per cold-cache case, each 1.6 s after the previous one (0 skips them).
    #[arg(long, default_value_t = 3)]
    cold_cache: usize,
    /// Print the report as JSON instead of tables.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let opts = Options {
        guests: cli.guests,
        nodes: cli.nodes,
        rounds: cli.rounds,
        sessions: cli.sessions,
        duration: Duration::from_secs_f64(cli.duration_secs.clamp(0.1, 600.0)),
        cold_starts: cli.cold_starts,
        cold_cache: cli.cold_cache,
    };
    let report = match bench::run(&opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("pve-bench: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    if cli.json {
        match serde_json::to_string_pretty(&report) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("pve-bench: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        print!("{}", report.to_table());
    }
    ExitCode::SUCCESS
}
