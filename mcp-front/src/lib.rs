//! mcp-front: the MCP server (stdio) that an assistant session talks to. It holds no
//! secrets and decides nothing: each tool call becomes one typed `pve_mcp_proto::Request`
//! to pve-helper, whose answer is rendered as text plus structured content.
//!
//! Trust: tool arguments are untrusted model output, validated here only to give precise
//! errors early (the helper re-validates everything); helper answers are trusted to be
//! well-formed proto values, nothing more.
#![forbid(unsafe_code)]
#![deny(clippy::print_stdout, clippy::dbg_macro)]

mod action;
pub mod args;
pub mod helper_client;
pub mod output;
pub mod render;
pub mod tools;

use rmcp::ServiceExt;
use std::{path::PathBuf, time::Duration};

pub use helper_client::{DEFAULT_CALL_TIMEOUT, DEFAULT_SOCKET, HelperClient};
pub use tools::PveMcp;

/// Settings of one mcp-front process.
#[derive(Debug, Clone)]
pub struct Config {
    /// The helper's Unix socket.
    pub socket: PathBuf,
    /// How long one call to the helper may take.
    pub call_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            socket: DEFAULT_SOCKET.into(),
            call_timeout: DEFAULT_CALL_TIMEOUT,
        }
    }
}

/// Why the MCP session ended badly.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the MCP session did not start: {0}")]
    Start(String),
    #[error("the MCP session ended abnormally: {0}")]
    Session(String),
}

/// Serves one MCP session on stdin/stdout until the client disconnects. The helper is
/// contacted only when the first tool is called, so `initialize` is answered at once.
pub async fn serve(config: Config) -> Result<(), Error> {
    let server = PveMcp::new(HelperClient::new(config.socket, config.call_timeout));
    let running = server
        .serve(rmcp::transport::stdio_pipes())
        .await
        .map_err(|e| Error::Start(e.to_string()))?;
    let reason = running
        .waiting()
        .await
        .map_err(|e| Error::Session(e.to_string()))?;
    tracing::debug!(?reason, "MCP session ended");
    Ok(())
}
