//! mcp-front: the MCP server (stdio) that an assistant session talks to. It holds no
//! secrets and decides nothing: each tool call becomes one typed `pve_mcp_proto::Request`
//! to pve-helper, whose answer is rendered as text plus structured content.
//!
//! Trust: tool arguments are untrusted model output, validated here only to give precise
//! errors early (the helper re-validates everything); helper answers are trusted to be
//! well-formed proto values, nothing more.
//!
//! A line from the client passes, in order: [`mcp`] (`transport`: stdio, bounded lines;
//! `jsonrpc`: JSON-RPC shape and lifecycle order; then rmcp: protocol revisions,
//! negotiation; `server`: initialize/discover, the `catalog` of tools, tool calls) and
//! [`tools`], one folder per family of tools, each with its arguments, listing rule,
//! policy note and rendering, gathered in one table (`tools::TOOLS`) that `tools/list`,
//! the instructions and `my_permissions` are drawn from. Changes run through the change
//! engine (`change`: confirmation, long calls, task progress); [`policy`] holds what the
//! helper says the policy allows and the words the tools share about it, [`view`] the
//! instructions and `my_permissions` drawn from it; [`helper`] carries
//! requests to the helper, and [`render`] holds the units and escaping every family's
//! text shares.
#![forbid(unsafe_code)]
#![deny(clippy::print_stdout, clippy::dbg_macro)]

mod change;
pub mod helper;
pub mod mcp;
pub mod policy;
pub mod render;
pub mod tools;
pub mod view;

use rmcp::ServiceExt;
use std::{path::PathBuf, time::Duration};

pub use helper::{DEFAULT_CALL_TIMEOUT, DEFAULT_SOCKET, HelperClient};
pub use tools::session::PveMcp;

/// Settings of one mcp-front process.
#[derive(Debug, Clone)]
pub struct Config {
    /// The helper's Unix socket.
    pub socket: PathBuf,
    /// How long one call to the helper may take.
    pub call_timeout: Duration,
    /// How old the helper's description of the policy may get before it is asked again.
    pub policy_max_age: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            socket: DEFAULT_SOCKET.into(),
            call_timeout: DEFAULT_CALL_TIMEOUT,
            policy_max_age: policy::permissions::DEFAULT_MAX_AGE,
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
/// asked what the policy allows in the background at once, so that the `initialize`
/// answer can carry instructions drawn from the policy without a round trip of its own.
pub async fn serve(config: Config) -> Result<(), Error> {
    let helper = HelperClient::new(config.socket, config.call_timeout);
    let server = PveMcp::new(helper, config.policy_max_age);
    server.permissions.prefetch();
    let mut transport = mcp::transport::stdio();
    let drained = transport.drained();
    let running = match server.serve(transport).await {
        Ok(running) => running,
        Err(rmcp::service::ServerInitializeError::ConnectionClosed(_)) => {
            tracing::debug!("the client left before starting a session");
            return Ok(());
        }
        Err(e) => {
            // A failed `initialize` was answered with its error: let it reach the client.
            if let Some(drained) = drained {
                let _ = tokio::time::timeout(mcp::transport::FLUSH_ON_CLOSE, drained).await;
            }
            return Err(Error::Start(e.to_string()));
        }
    };
    let reason = running
        .waiting()
        .await
        .map_err(|e| Error::Session(e.to_string()))?;
    tracing::debug!(?reason, "MCP session ended");
    Ok(())
}
