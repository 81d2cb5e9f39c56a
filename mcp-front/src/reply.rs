//! Tool results as a model reads them: text plus structured content, or an error with
//! the helper's words. Shared by every tool.
//!
//! Input is the helper's answer (trusted to be well-formed proto) or our own text.

use crate::{
    args::ArgError,
    helper_client::{HelperClient, HelperError, describe},
};
use pve_mcp_proto::{Payload, Request, Response};
use rmcp::model::{CallToolResult, ContentBlock};
use serde::Serialize;

/// A tool result with `isError: true` and `text` as its content.
pub(crate) fn tool_error(text: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text)])
}

pub(crate) fn invalid(e: ArgError) -> CallToolResult {
    tool_error(format!("Invalid arguments: {e}"))
}

/// A result with `value` as structured content and `text` as its content.
pub(crate) fn structured<T: Serialize>(value: &T, text: String) -> CallToolResult {
    match serde_json::to_value(value) {
        Ok(v) => {
            let mut result = CallToolResult::structured(v);
            result.content = vec![ContentBlock::text(text)];
            result
        }
        Err(e) => tool_error(format!("Internal error: cannot encode the result: {e}")),
    }
}

/// The text a model reads when the helper could not answer.
pub(crate) fn helper_error_text(e: &HelperError) -> String {
    match e {
        HelperError::Fatal(body) => format!("The helper closed the connection: {}", describe(body)),
        HelperError::Timeout { .. } => format!("Timeout: {e}"),
        HelperError::Encode(_) => format!("Invalid arguments: {e}"),
        HelperError::Unreachable { .. }
        | HelperError::VersionMismatch { .. }
        | HelperError::Lost { .. }
        | HelperError::Protocol(_) => format!("Unavailable: {e}"),
    }
}

/// Sends `request`; a refusal or a failure becomes the text a model reads.
pub(crate) async fn call(helper: &HelperClient, request: Request) -> Result<Payload, String> {
    match helper.call(&request).await {
        Ok(Response::Ok(payload)) => Ok(payload),
        Ok(Response::Err(e)) => Err(describe(&e)),
        Err(e) => Err(helper_error_text(&e)),
    }
}

/// Sends `request`; a refusal or a failure becomes a ready tool error.
pub(crate) async fn forward(
    helper: &HelperClient,
    request: Request,
) -> Result<Payload, CallToolResult> {
    call(helper, request).await.map_err(tool_error)
}

/// The error text for a payload of the wrong kind (a helper bug or version skew).
pub(crate) fn unexpected_text(op: &str, payload: &Payload) -> String {
    let kind = match payload {
        Payload::Guests(_) => "guests",
        Payload::Guest(_) => "guest",
        Payload::Task(_) => "task",
        Payload::Nodes(_) => "nodes",
        Payload::Api(_) => "api",
        Payload::Command(_) => "command",
        Payload::Capabilities(_) => "capabilities",
        Payload::Snapshots(_) => "snapshots",
        Payload::Config(_) => "config",
        Payload::Tasks(_) => "tasks",
        Payload::Cluster(_) => "cluster",
        Payload::Storages(_) => "storages",
        Payload::Volumes(_) => "volumes",
        Payload::Metrics(_) => "metrics",
        Payload::Agent(_) => "agent",
        Payload::TaskLog(_) => "task log",
        Payload::NewGuest(_) => "new guest",
        Payload::Firewall(_) => "firewall",
        Payload::Pools(_) => "pools",
        Payload::Ha(_) => "HA",
        Payload::Vmid(_) => "vmid",
    };
    format!("Unavailable: protocol error: the helper answered {op} with a {kind} payload")
}

pub(crate) fn unexpected(op: &str, payload: &Payload) -> CallToolResult {
    tool_error(unexpected_text(op, payload))
}
