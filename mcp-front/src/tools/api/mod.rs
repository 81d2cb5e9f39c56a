//! `proxmox_api`: a call to the Proxmox VE REST API for what the other tools do not
//! cover, answered with Proxmox's `data` member as JSON.
//!
//! Arguments are untrusted model output: the method, the path and the flat parameters
//! are validated here by the proto newtypes; which calls pass is the helper's policy to
//! judge. The answer's text is escaped when shown or serialized.

use crate::mcp::described::{self, Parameters};
use crate::{
    change::plan,
    policy::grants::some,
    render::{TEXT_LIMIT, truncate, untrusted},
    tools::{
        args::ArgError,
        reply::{forward, invalid, structured, unexpected},
        session::PveMcp,
        spec::ToolSpec,
    },
};
use pve_mcp_proto::{
    ApiCall, ApiMethod, ApiParams, ApiPath, ParamName, ParamValue, Payload, Request,
};
use rmcp::{model::CallToolResult, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::{collections::BTreeMap, fmt::Write, str::FromStr};

/// Largest `data` kept as structured content of `proxmox_api`; the text is cut earlier.
const MAX_STRUCTURED_API: usize = 1024 * 1024;

#[tool_router(router = api_router, vis = "pub(crate)")]
impl PveMcp {
    /// Call the Proxmox VE REST API for what the other tools do not cover; returns its
    /// `data` as JSON. Consoles, node shells and /access writes are never reachable.
    #[tool(
        title = "Proxmox API call",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = described::output::<ApiAnswer>()
    )]
    async fn proxmox_api(&self, Parameters(args): Parameters<ProxmoxApiArgs>) -> CallToolResult {
        let dry_run = args.dry_run == Some(true);
        let call = match args.into_request() {
            Ok(call) => call,
            Err(e) => return invalid(e),
        };
        let (method, path) = (call.method.to_string(), call.path.to_string());
        if dry_run {
            let what = format!("{method} {path}");
            return plan::plan(self.engine(), &Request::Api(call), &what).await;
        }
        match forward(&self.helper, Request::Api(call)).await {
            Ok(Payload::Api(answer)) => api_result(method, path, answer.data),
            Ok(Payload::Plan(p)) => plan::answer(p, &format!("{method} {path}")),
            Ok(other) => unexpected("api", &other),
            Err(result) => result,
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProxmoxApiArgs {
    /// Path below /api2/json, e.g. `/cluster/resources`; no query string.
    #[schemars(length(min = 1, max = 512))]
    pub endpoint: String,
    /// GET reads; POST, PUT, DELETE change.
    #[schemars(extend("enum" = ["GET", "POST", "PUT", "DELETE"], "default" = "GET"))]
    pub method: Option<String>,
    /// Parameters, e.g. {"cores": 4, "onboot": true}.
    #[serde(default)]
    #[schemars(schema_with = "scalar_object_schema")]
    pub data: Option<Map<String, Value>>,
    /// Only show what would be sent; do nothing.
    pub dry_run: Option<bool>,
}

fn scalar_object_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "additionalProperties": {
            "anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]
        },
        "maxProperties": ApiParams::MAX_PARAMS,
    })
}

impl ProxmoxApiArgs {
    pub fn into_request(self) -> Result<ApiCall, ArgError> {
        let method = self.method.as_deref().unwrap_or("GET").to_ascii_uppercase();
        Ok(ApiCall {
            method: ApiMethod::from_str(&method)?,
            path: ApiPath::parse(&self.endpoint)?,
            params: api_params(self.data.unwrap_or_default())?,
        })
    }
}

/// Converts a JSON object of scalars into API parameters, naming the offending key.
pub fn api_params(data: Map<String, Value>) -> Result<ApiParams, ArgError> {
    if data.len() > ApiParams::MAX_PARAMS {
        return Err(ArgError(format!(
            "data has {} parameters; at most {} are allowed",
            data.len(),
            ApiParams::MAX_PARAMS
        )));
    }
    let mut params = BTreeMap::new();
    for (key, value) in data {
        let name = ParamName::parse(&key)?;
        let value = match value {
            Value::Bool(b) => ParamValue::Bool(b),
            Value::String(s) => ParamValue::Text(s),
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => ParamValue::Int(i),
                (None, Some(f)) if n.is_f64() => ParamValue::Float(f),
                _ => return Err(ArgError(format!("data.{key}: the number {n} is too large"))),
            },
            Value::Null => return Err(ArgError(format!("data.{key} is null: omit it instead"))),
            Value::Array(_) | Value::Object(_) => {
                return Err(ArgError(format!(
                    "data.{key} is an array or object: only strings, numbers and booleans are \
                     allowed (Proxmox takes lists as comma-separated strings)"
                )));
            }
        };
        params.insert(name, value);
    }
    Ok(ApiParams::new(params)?)
}

fn api_result(method: String, path: String, data: serde_json::Value) -> CallToolResult {
    let pretty = serde_json::to_string_pretty(&data).unwrap_or_default();
    let truncated = pretty.len() > MAX_STRUCTURED_API;
    let answer = ApiAnswer {
        method,
        path,
        data: if truncated {
            serde_json::Value::Null
        } else {
            data
        },
        truncated,
    };
    let text = render_api(&answer, &pretty);
    structured(&answer, text)
}

/// Result of `proxmox_api`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ApiAnswer {
    pub method: String,
    /// The normalized path that was called.
    pub path: String,
    /// The `data` member of Proxmox's answer, any JSON value as Proxmox returned it;
    /// null when `truncated`.
    #[serde(serialize_with = "crate::render::untrusted::serialize_json")]
    pub data: serde_json::Value,
    /// The answer was too large to return as structured content; the text content holds
    /// its beginning.
    pub truncated: bool,
}

/// The `proxmox_api` answer: pretty JSON, cut at [`TEXT_LIMIT`].
pub fn render_api(a: &ApiAnswer, pretty: &str) -> String {
    let mut out = format!("{} {}:\n", a.method, a.path);
    out.push_str(&untrusted::text(truncate(pretty, TEXT_LIMIT)));
    if pretty.len() > TEXT_LIMIT {
        let _ = write!(
            out,
            "\n[truncated: showing {TEXT_LIMIT} of {} bytes; ask for a narrower endpoint or \
             use filters in data]",
            pretty.len()
        );
    }
    out.push('\n');
    out
}

/// `proxmox_api` is listed when the policy allows some raw API pattern; its note names
/// them.
pub const PROXMOX_API: ToolSpec = ToolSpec {
    name: "proxmox_api",
    grant: None,
    listed: |caps| !caps.api.is_empty(),
    note: |caps| Some(format!("Allowed: {}.", some(&caps.api))),
};

#[cfg(test)]
mod tests;
