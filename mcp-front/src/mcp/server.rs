//! The MCP handler of one session: lifecycle answers (`initialize`, `server/discover`)
//! with instructions drawn from the policy, the policy-filtered tool list, tool calls
//! routed to `tools` with argument errors worded for a model, and the one resource
//! (the policy's description, see `my_permissions`).
//!
//! Requests reach here already checked for JSON-RPC shape and order (`jsonrpc`);
//! tool arguments are still untrusted and validated by the tools.

use crate::{
    change::confirm::Confirmations,
    helper::HelperClient,
    mcp::catalog,
    policy::permissions::Permissions,
    tools::session::PveMcp,
    view::{instructions, my_permissions},
};
use rmcp::{
    ErrorData, Peer, RoleServer, ServerHandler,
    handler::server::tool::ToolCallContext,
    model::{
        CacheScope, CallToolRequestParams, CallToolResponse, ContentBlock, DiscoverResult,
        Implementation, InitializeRequestParams, InitializeResult, ListResourcesResult,
        ListToolsResult, PaginatedRequestParams, ProtocolVersion, ReadResourceRequestParams,
        ReadResourceResponse, ReadResourceResult, ResourceContents, ResultType, ServerCapabilities,
        ServerConfig, Tool,
    },
    service::RequestContext,
};
use std::time::{Duration, Instant};

/// How long `initialize` (or `server/discover`) waits for the policy description that
/// start-up requested. A running helper answers in about a millisecond; a helper that
/// is down fails at once; only a hung one costs this much, once.
pub const STARTUP_WAIT: Duration = Duration::from_millis(100);

/// Prefix rmcp gives an argument that does not deserialize.
const SERDE_PREFIX: &str = "failed to deserialize parameters: ";

/// The peer of a session that started with `initialize`: only such a session can be
/// sent `notifications/tools/list_changed` outside a request.
fn session_peer(context: &RequestContext<RoleServer>) -> Option<Peer<RoleServer>> {
    let handshake = context
        .protocol_version()
        .is_some_and(|v| v.has_initialize());
    (handshake && context.peer.peer_info().is_some()).then(|| context.peer.clone())
}

impl PveMcp {
    /// A server whose view of the policy is at most `policy_max_age` old.
    pub fn new(helper: HelperClient, policy_max_age: Duration) -> Self {
        Self {
            permissions: Permissions::new(helper.clone(), policy_max_age),
            helper,
            confirmations: Confirmations::default(),
            tools: Default::default(),
        }
    }

    fn info(&self) -> ServerConfig {
        let caps = self.permissions.cached(Duration::MAX);
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_tool_list_changed()
            .enable_resources()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(
                Implementation::new("pve-mcp", env!("CARGO_PKG_VERSION"))
                    .with_title("Proxmox VE (pve-mcp)"),
            )
            .with_instructions(instructions::instructions(caps.as_deref()))
    }

    /// The start of a session (`initialize`, `server/discover`): fails, naming the
    /// socket, the service and the fix, when the helper cannot serve this session, so
    /// that the client reports a failed server rather than a healthy one.
    async fn at_startup(&self) -> Result<(), ErrorData> {
        match self.permissions.at_startup(STARTUP_WAIT).await {
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::error!(error = %e, "the helper cannot serve this session");
                Err(ErrorData::internal_error(
                    format!(
                        "pve-mcp cannot serve this session: {e}. On a new install, run \
                         `pve-helper setup` as root on the node first"
                    ),
                    None,
                ))
            }
        }
    }

    /// After a tool call, in the background: when the policy changed since the tools
    /// were listed (the description is asked again at most once per maximum age), tell
    /// the client to list them again.
    fn notify_if_tools_changed(&self, peer: Peer<RoleServer>) {
        let permissions = self.permissions.clone();
        tokio::spawn(async move {
            if permissions.changed_since_listing().await
                && let Err(e) = peer.notify_tool_list_changed().await
            {
                tracing::debug!(error = %e, "tools/list_changed not sent");
            }
        });
    }
}

/// Words a model can act on for an argument rmcp could not deserialize.
fn reword_argument_error(response: CallToolResponse) -> CallToolResponse {
    let CallToolResponse::Complete(mut result) = response else {
        return response;
    };
    if result.is_error == Some(true)
        && let [block] = result.content.as_slice()
        && let Some(text) = block.as_text()
        && let Some(reason) = text.text.strip_prefix(SERDE_PREFIX)
    {
        result.content = vec![ContentBlock::text(format!(
            "Invalid arguments: {reason} (the tool's inputSchema lists the accepted fields)"
        ))];
    }
    CallToolResponse::Complete(result)
}

impl ServerHandler for PveMcp {
    fn get_info(&self) -> ServerConfig {
        self.info()
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        context.peer.set_peer_info(request.clone());
        self.at_startup().await?;
        self.negotiate_initialize(&request)
    }

    async fn discover(
        &self,
        _context: RequestContext<RoleServer>,
    ) -> Result<DiscoverResult, ErrorData> {
        self.at_startup().await?;
        // Without a session there is nothing to send `list_changed` on.
        let mut info = self.info();
        if let Some(tools) = info.capabilities.tools.as_mut() {
            tools.list_changed = None;
        }
        Ok(DiscoverResult::from_server_info(
            self.supported_protocol_versions().into_owned(),
            info,
        ))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let caps = self.permissions.for_listing().await;
        let tools = vec![catalog::stand_in(catalog::tools_json(caps.as_deref()))];
        // 2026-07-28 clients cache by these hints: the list follows the policy, which
        // the admin may reload at any time, and is this client's own.
        let hints = context
            .protocol_version()
            .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28);
        let mut result = ListToolsResult::with_all_items(tools);
        result.result_type = Some(ResultType::COMPLETE);
        result.ttl_ms = hints.then_some(0);
        result.cache_scope = hints.then_some(CacheScope::Private);
        Ok(result)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if self.tool_router().get(&request.name).is_none() {
            let known: Vec<String> = self
                .tool_router()
                .list_all()
                .into_iter()
                .map(|t| t.name.into_owned())
                .collect();
            return Err(ErrorData::invalid_params(
                format!(
                    "Unknown tool {:?}: this server has {}",
                    request.name,
                    known.join(", ")
                ),
                None,
            ));
        }
        let session = session_peer(&context);
        let (started, name) = (Instant::now(), request.name.clone());
        let call = ToolCallContext::new(self, request, context);
        let result = self
            .tool_router()
            .call(call)
            .await
            .map(reword_argument_error);
        tracing::debug!(
            target: "mcp_front::stages",
            tool = %name,
            handler_us = started.elapsed().as_micros() as u64,
            "tool call"
        );
        if let Some(peer) = session {
            self.notify_if_tools_changed(peer);
        }
        result
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(
            my_permissions::resources(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        if request.uri != my_permissions::URI {
            return Err(ErrorData::resource_not_found(
                format!(
                    "Unknown resource {:?}: this server has {}",
                    request.uri,
                    my_permissions::URI
                ),
                None,
            ));
        }
        let text = match self.describe().await {
            Ok(p) => my_permissions::render(&p),
            Err(result) => {
                let why: Vec<&str> = result
                    .content
                    .iter()
                    .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
                    .collect();
                return Err(ErrorData::internal_error(why.join(" "), None));
            }
        };
        let contents = ResourceContents::text(text, my_permissions::URI);
        Ok(ReadResourceResult::new(vec![contents]).into())
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        catalog::tool(name)
    }
}
