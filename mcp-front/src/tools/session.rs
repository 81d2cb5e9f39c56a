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
    /// The tools, built when first needed: their schemas are most of the front's
    /// start-up work (about a megabyte of JSON), and `initialize` needs none of them.
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
