//! Judges each line the client sends before rmcp sees it: JSON-RPC 2.0 shape, MCP
//! request parameters, and the lifecycle order (nothing but `initialize`, `ping`,
//! `server/discover` or a self-describing 2026-07-28 request opens a session, and
//! `initialize` comes at most once).
//!
//! Trust: the line is untrusted bytes; the only output is a verdict, and an error
//! reply echoes at most the request's id (a string or an integer), never its content.

use rmcp::model::{
    CallToolRequestParams, ClientJsonRpcMessage, ClientRequest, ErrorCode, ErrorData, GetMeta,
    InitializeRequestParams, ProtocolVersion, RequestId,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// Where the session is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    /// Nothing but `initialize`, `ping`, `server/discover` or a 2026-07-28 request with
    /// complete `_meta` has been accepted yet.
    #[default]
    Opening,
    /// A lifecycle was chosen (handshake or per-request metadata).
    Running,
}

/// What to do with one line.
#[derive(Debug)]
pub enum Verdict {
    /// Hand the message to rmcp.
    Forward(Box<ClientJsonRpcMessage>),
    /// Answer with this JSON-RPC error and read on.
    Reply(Value),
    /// Ignore it (a notification or a response nobody can answer), for this reason.
    Drop(&'static str),
}

/// Client-to-server request methods whose parameters MCP defines: a request with one
/// of these names that rmcp could not parse has invalid params, not an unknown method.
const KNOWN_METHODS: &[&str] = &[
    "initialize",
    "ping",
    "server/discover",
    "tools/list",
    "tools/call",
    "prompts/list",
    "prompts/get",
    "resources/list",
    "resources/read",
    "resources/templates/list",
    "resources/subscribe",
    "resources/unsubscribe",
    "completion/complete",
    "logging/setLevel",
    "subscriptions/listen",
];

/// A JSON-RPC error message; `id` is `null` when the request's id is unknown.
pub fn error(id: Option<&Value>, code: ErrorCode, message: impl Into<String>) -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": id.cloned().unwrap_or(Value::Null),
        "error": {"code": code.0, "message": message.into()},
    })
}

/// The id of a message, if it is one MCP allows (a string or an integer).
fn valid_id(id: &Value) -> bool {
    id.is_string() || id.is_i64() || id.is_u64()
}

/// The answer to a line longer than `max` bytes, with the id found in its `head`.
pub fn oversized_reply(head: &[u8], max: usize) -> Value {
    let id = id_in_head(head);
    error(
        id.as_ref(),
        ErrorCode::INVALID_REQUEST,
        format!("Invalid Request: the message is longer than {max} bytes and was discarded"),
    )
}

/// Finds `"id": <integer or string>` in the beginning of a cut-off message.
fn id_in_head(head: &[u8]) -> Option<Value> {
    let text = String::from_utf8_lossy(head);
    let at = text.find("\"id\"")?;
    let rest = text[at + 4..].trim_start().strip_prefix(':')?.trim_start();
    let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
    match stream.next() {
        Some(Ok(id)) if valid_id(&id) => Some(id),
        _ => None,
    }
}

/// Judges one line (without its newline) and advances `phase`.
pub fn classify(line: &[u8], phase: &mut Phase) -> Verdict {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Verdict::Drop("an empty line");
    }
    let value: Value = match serde_json::from_slice(line) {
        Ok(value) => value,
        Err(e) => {
            return Verdict::Reply(error(
                None,
                ErrorCode::PARSE_ERROR,
                format!("Parse error: {e}"),
            ));
        }
    };
    let Value::Object(object) = &value else {
        let why = if value.is_array() {
            "Invalid Request: JSON-RPC batches are not supported by MCP; send one message per line"
        } else {
            "Invalid Request: a message must be a JSON object"
        };
        return Verdict::Reply(error(None, ErrorCode::INVALID_REQUEST, why));
    };
    let id = object.get("id");
    if let Some(bad) = id.filter(|id| !valid_id(id)) {
        let reply = format!("Invalid Request: the id must be a string or an integer, not {bad}");
        return Verdict::Reply(error(None, ErrorCode::INVALID_REQUEST, reply));
    }
    if object.get("jsonrpc") != Some(&Value::from("2.0")) {
        let reply = "Invalid Request: \"jsonrpc\" must be \"2.0\"";
        return match id {
            Some(_) => Verdict::Reply(error(id, ErrorCode::INVALID_REQUEST, reply)),
            None => Verdict::Drop("a notification without \"jsonrpc\": \"2.0\""),
        };
    }
    match (object.get("method"), id) {
        (Some(Value::String(method)), Some(id)) => request(&value, object, method, id, phase),
        (Some(Value::String(_)), None) => notification(&value, *phase),
        (Some(_), _) => Verdict::Reply(error(
            id,
            ErrorCode::INVALID_REQUEST,
            "Invalid Request: \"method\" must be a string",
        )),
        (None, _) if object.contains_key("result") || object.contains_key("error") => {
            response(&value, *phase)
        }
        (None, _) => Verdict::Reply(error(
            id,
            ErrorCode::INVALID_REQUEST,
            "Invalid Request: a message needs a \"method\" (request or notification) or a \
             \"result\" or \"error\" (response)",
        )),
    }
}

fn request(
    value: &Value,
    object: &Map<String, Value>,
    method: &str,
    id: &Value,
    phase: &mut Phase,
) -> Verdict {
    let parsed = ClientJsonRpcMessage::deserialize(value);
    let message = match parsed {
        Ok(ClientJsonRpcMessage::Request(r))
            if matches!(r.request, ClientRequest::CustomRequest(_)) =>
        {
            return Verdict::Reply(if KNOWN_METHODS.contains(&method) {
                invalid_params(object, method, id)
            } else {
                error(
                    Some(id),
                    ErrorCode::METHOD_NOT_FOUND,
                    format!("Method not found: {method}"),
                )
            });
        }
        Ok(message @ ClientJsonRpcMessage::Request(_)) => message,
        Ok(_) | Err(_) => return Verdict::Reply(invalid_params(object, method, id)),
    };
    let ClientJsonRpcMessage::Request(r) = &message else {
        return Verdict::Drop("unreachable: not a request");
    };
    match (*phase, &r.request) {
        (Phase::Running, ClientRequest::InitializeRequest(_)) => {
            return Verdict::Reply(error(
                Some(id),
                ErrorCode::INVALID_REQUEST,
                "Invalid Request: this session is already initialized; initialize may be \
                 sent only once",
            ));
        }
        (Phase::Opening, ClientRequest::InitializeRequest(_)) => *phase = Phase::Running,
        (Phase::Opening, ClientRequest::PingRequest(_) | ClientRequest::DiscoverRequest(_)) => {}
        (Phase::Opening, other) => {
            let meta = other.get_meta();
            let missing = meta.missing_required_keys(&ProtocolVersion::V_2026_07_28);
            if !missing.is_empty() {
                return Verdict::Reply(error(
                    Some(id),
                    ErrorCode::INVALID_PARAMS,
                    format!(
                        "the session has not started: send initialize first (MCP 2024-11-05 \
                         to 2025-11-25), or put the protocol version and client capabilities \
                         in this request's _meta (2026-07-28); missing: {}",
                        missing.join(", ")
                    ),
                ));
            }
            // rmcp starts the session only for a version it supports; for any other it
            // answers -32022 and keeps waiting, as we do.
            if meta
                .protocol_version()
                .is_some_and(|v| ProtocolVersion::KNOWN_VERSIONS.contains(&v))
            {
                *phase = Phase::Running;
            }
        }
        (Phase::Running, _) => {}
    }
    Verdict::Forward(Box::new(message))
}

/// The -32602 answer for a known method whose params rmcp could not read, with serde's
/// reason where we know the params' type.
fn invalid_params(object: &Map<String, Value>, method: &str, id: &Value) -> Value {
    let params = object.get("params").cloned().unwrap_or(Value::Null);
    let reason = match method {
        "tools/call" => CallToolRequestParams::deserialize(&params).err(),
        "initialize" => InitializeRequestParams::deserialize(&params).err(),
        _ => None,
    };
    let message = match (KNOWN_METHODS.contains(&method), reason) {
        (true, Some(reason)) => format!("Invalid params for {method}: {reason}"),
        (true, None) => format!("Invalid params for {method}"),
        (false, _) => format!("Invalid params: params of {method} must be an object"),
    };
    error(Some(id), ErrorCode::INVALID_PARAMS, message)
}

fn notification(value: &Value, phase: Phase) -> Verdict {
    if phase == Phase::Opening {
        return Verdict::Drop("a notification before the session started");
    }
    match ClientJsonRpcMessage::deserialize(value) {
        Ok(message @ ClientJsonRpcMessage::Notification(_)) => Verdict::Forward(Box::new(message)),
        _ => Verdict::Drop("a malformed or unknown notification"),
    }
}

fn response(value: &Value, phase: Phase) -> Verdict {
    if phase == Phase::Opening {
        return Verdict::Drop("a response before the session started");
    }
    match ClientJsonRpcMessage::deserialize(value) {
        Ok(message @ (ClientJsonRpcMessage::Response(_) | ClientJsonRpcMessage::Error(_))) => {
            Verdict::Forward(Box::new(message))
        }
        _ => {
            // Turned into an error for the request it answers, so nothing waits forever.
            tracing::warn!("the client sent a malformed response");
            let id = value.get("id").cloned().map(RequestId::deserialize);
            match id {
                Some(Ok(id)) => Verdict::Forward(Box::new(ClientJsonRpcMessage::error(
                    ErrorData::invalid_request("the client's response was malformed", None),
                    Some(id),
                ))),
                _ => Verdict::Drop("a malformed response without an id"),
            }
        }
    }
}

#[cfg(test)]
mod tests;
