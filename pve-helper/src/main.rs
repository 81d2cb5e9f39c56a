//! pve-helper binary: parses arguments, sets up logging, hands over to the library.
#![forbid(unsafe_code)]

use clap::Parser;
use std::process::ExitCode;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::{layer::SubscriberExt, util::SubscriberInitExt};

fn main() -> ExitCode {
    // `PVE_MCP_LOG`: a level, or `target=level` directives (`Targets`, which needs no
    // regular expressions: 0.3 MiB less code in a daemon's memory); `info` otherwise.
    let filter: Targets = std::env::var("PVE_MCP_LOG")
        .ok()
        .filter(|d| !d.trim().is_empty())
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO));
    // The builder's own ceiling (INFO by default) would hide every debug line the
    // filter lets through: the filter alone decides.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .finish()
        .with(filter)
        .init();
    pve_helper::cli::main(pve_helper::cli::Cli::parse())
}
