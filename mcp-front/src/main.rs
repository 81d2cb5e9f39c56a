//! `mcp-front`: parse arguments, log to stderr, serve MCP on stdio (see the library).
#![forbid(unsafe_code)]
#![deny(clippy::print_stdout, clippy::dbg_macro)]

use clap::Parser;
use mcp_front::{Config, DEFAULT_SOCKET};
use std::{path::PathBuf, process::ExitCode, time::Duration};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::{layer::SubscriberExt, util::SubscriberInitExt};

/// MCP server on stdio for a Proxmox VE cluster; forwards every tool call to pve-helper.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Unix socket of pve-helper.
    #[arg(long, env = "PVE_MCP_SOCKET", default_value = DEFAULT_SOCKET)]
    socket: PathBuf,
    /// Seconds one call to the helper may take.
    #[arg(long, env = "PVE_MCP_CALL_TIMEOUT", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    call_timeout: u64,
    /// Seconds a description of the policy is reused before the helper is asked again
    /// (a reloaded policy shows in the tool list within this time).
    #[arg(long, env = "PVE_MCP_POLICY_REFRESH", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    policy_refresh: u64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // stdout carries the MCP protocol: logs go to stderr only.
    // `PVE_MCP_LOG`: a level, or `target=level` directives (`Targets`, which needs no
    // regular expressions: a smaller binary for a process started once per session).
    // rmcp logs each error it answers a client with (an unknown tool, bad parameters)
    // as a warning: the client was told, the admin need not be, unless they name rmcp.
    let directives = std::env::var("PVE_MCP_LOG").unwrap_or_default();
    let mut filter: Targets = Some(directives.as_str())
        .filter(|d| !d.trim().is_empty())
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::WARN));
    if !directives.contains("rmcp") {
        filter = filter.with_target("rmcp::service", tracing::Level::ERROR);
    }
    // The builder's own ceiling (INFO by default) would hide every debug line the
    // filter lets through: the filter alone decides.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .finish()
        .with(filter)
        .init();
    let config = Config {
        socket: cli.socket,
        call_timeout: Duration::from_secs(cli.call_timeout),
        policy_max_age: Duration::from_secs(cli.policy_refresh),
    };
    match mcp_front::serve(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}
