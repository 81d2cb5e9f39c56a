//! The `pve-sim` command line: flags, the one JSON line announcing the server on stdout,
//! logs on stderr, and a clean exit on SIGTERM/SIGINT or (with `--exit-on-stdin-eof`)
//! when the parent closes our stdin.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use serde::Serialize;

use crate::sim::{PveVersion, SimConfig, start};

/// Simulated Proxmox VE 8 or 9 cluster over HTTPS on 127.0.0.1.
#[derive(Debug, Parser)]
#[command(name = "pve-sim", version)]
pub struct Args {
    /// Number of nodes (pve1, pve2, ...).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub nodes: u64,
    /// Number of guests (vmid 100, 101, ...).
    #[arg(long, default_value_t = 300)]
    pub guests: usize,
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// API token USER@REALM!TOKENID=SECRET (default: mcp@pve!mcp with a random secret).
    #[arg(long)]
    pub token: Option<String>,
    /// Duration of each guest task, in milliseconds.
    #[arg(long, default_value_t = 300)]
    pub task_ms: u64,
    /// Latency added to every API request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Delay before each 401, in milliseconds (real PVE: 3000).
    #[arg(long, default_value_t = 0)]
    pub auth_delay_ms: u64,
    /// The privileges of the token's role, comma-separated, checked as each endpoint's
    /// schema and handler check them (default: a read-and-power role, not checked).
    #[arg(long, value_delimiter = ',')]
    pub privileges: Option<Vec<String>>,
    /// The Proxmox VE release to answer as: 8 (8.4) or 9 (9.2).
    #[arg(long, default_value = "8", value_parser = clap::value_parser!(PveVersion))]
    pub pve: PveVersion,
    /// Write the certificate (PEM) to this file.
    #[arg(long)]
    pub cert_out: Option<PathBuf>,
    /// Exit when stdin reaches end of file.
    #[arg(long)]
    pub exit_on_stdin_eof: bool,
}

#[derive(Serialize)]
struct Announcement<'a> {
    url: &'a str,
    fingerprint: &'a str,
    token: &'a str,
    nodes: u64,
    guests: usize,
    /// The Proxmox VE version answered as (`GET /version`'s `version`).
    pve: &'a str,
}

impl Args {
    pub fn config(&self) -> SimConfig {
        SimConfig {
            nodes: usize::try_from(self.nodes).unwrap_or(1),
            guests: self.guests,
            token: self.token.clone().unwrap_or_default(),
            task_duration: Duration::from_millis(self.task_ms),
            port: self.port,
            latency: Duration::from_millis(self.latency_ms),
            auth_failure_delay: Duration::from_millis(self.auth_delay_ms),
            privileges: self.privileges.clone(),
            pve: self.pve,
            expects_invalid_requests: false,
        }
    }
}

/// Entry point of the `pve-sim` binary.
pub fn main() -> ExitCode {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build();
    let result = rt.and_then(|rt| {
        let r = rt.block_on(run(args));
        rt.shutdown_timeout(Duration::from_secs(2));
        r
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("pve-sim: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Resolves when stdin reaches EOF (read on a plain thread, so nothing blocks shutdown).
fn stdin_eof() -> tokio::sync::oneshot::Receiver<()> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("stdin-watch".into())
        .spawn(move || {
            let mut buf = [0u8; 4096];
            let mut stdin = io::stdin().lock();
            while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
            let _ = tx.send(());
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot watch stdin: {e}");
    }
    rx
}

async fn run(args: Args) -> io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    // Listen for signals before announcing, so a parent may signal right after reading.
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let cfg = args.config();
    let sim = start(cfg.clone()).await?;
    if let Some(path) = &args.cert_out {
        std::fs::write(path, sim.cert_pem())?;
    }
    let line = serde_json::to_string(&Announcement {
        url: &sim.url(),
        fingerprint: sim.fingerprint(),
        token: &sim.token(),
        nodes: args.nodes,
        guests: cfg.guests,
        pve: cfg.pve.version(),
    })?;
    let mut out = io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    drop(out);

    let eof = async {
        if args.exit_on_stdin_eof {
            let _ = stdin_eof().await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        _ = int.recv() => tracing::info!("SIGINT: stopping"),
        _ = term.recv() => tracing::info!("SIGTERM: stopping"),
        () = eof => tracing::info!("stdin closed: stopping"),
    }
    sim.shutdown_async().await;
    Ok(())
}
