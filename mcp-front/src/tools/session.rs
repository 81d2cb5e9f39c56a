//! The state one MCP session's handlers share: the helper client, the policy view, the
//! confirmations pending a second call, and the tool router. Every tool family adds its
//! tools to [`PveMcp`]; the change engine is handed only the narrow [`Engine`].
//!
//! Nothing here is untrusted: it is our own state.

use crate::{
    change::{confirm::Confirmations, engine::Engine},
    helper::HelperClient,
    policy::permissions::Permissions,
};
use rmcp::handler::server::router::tool::ToolRouter;
use std::sync::{Arc, OnceLock};

/// The MCP server of one assistant session.
#[derive(Debug, Clone)]
pub struct PveMcp {
    pub(crate) helper: HelperClient,
    pub(crate) permissions: Permissions,
    pub(crate) confirmations: Confirmations,
    /// Built on first use ([`PveMcp::tool_router`]).
    pub(crate) tools: Arc<OnceLock<ToolRouter<Self>>>,
}

impl PveMcp {
    /// The tools, built when a call first needs them (`initialize` and `tools/list`
    /// do not). A session's router holds no schema: the list is made ahead of time
    /// (`mcp::catalog`).
    pub(crate) fn tool_router(&self) -> &ToolRouter<Self> {
        self.tools.get_or_init(crate::tools::router)
    }

    /// What the change engine may use of this session.
    pub(crate) fn engine(&self) -> Engine<'_> {
        Engine {
            helper: &self.helper,
            confirmations: &self.confirmations,
            permissions: &self.permissions,
        }
    }
}
