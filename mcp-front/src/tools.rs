//! The MCP server: six tools, each mapped to one typed request to the helper, answered
//! with compact text plus structured content.
//!
//! Arguments come from the model and are validated in `args`; answers come from the
//! helper and are only rendered. Nothing here decides what is allowed: the helper does.

use crate::{
    action,
    args::{
        ArgError, ExecuteCommandArgs, ListVmsArgs, NodeStatusArgs, ProxmoxApiArgs, VmActionArgs,
        VmStatusArgs,
    },
    helper_client::{HelperClient, HelperError, describe},
    output, render,
};
use pve_mcp_proto::{Payload, Request, Response};
use rmcp::{
    RoleServer, ServerHandler,
    handler::server::{router::tool::ToolRouter, tool::schema_for_output, wrapper::Parameters},
    model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig},
    service::RequestContext,
    tool, tool_handler, tool_router,
};
use serde::Serialize;

/// Largest `data` kept as structured content of `proxmox_api`; the text is cut earlier.
const MAX_STRUCTURED_API: usize = 1024 * 1024;

const INSTRUCTIONS: &str = "\
pve-mcp operates a Proxmox VE cluster within a policy set by its admin. \
list_vms pages through the guests (filter by node, status, type, tag or name); \
vm_status and node_status show one guest or the nodes; \
vm_action starts, stops, shuts down, reboots, resets, suspends or resumes a guest and waits \
for its task; proxmox_api calls the Proxmox REST API for anything else; \
execute_command runs allow-listed commands on the node without a shell. \
Every request passes the admin's policy (/etc/pve-mcp/policy.toml): a refusal starts with \
\"Denied:\" and names the deciding rule, and guests outside the policy's scope are reported \
as not found. Do not retry a denied request in other forms; tell the user which rule \
refused it.";

/// The MCP server of one assistant session.
#[derive(Debug, Clone)]
pub struct PveMcp {
    helper: HelperClient,
    tool_router: ToolRouter<Self>,
}

/// A tool result with `isError: true` and `text` as its content.
pub(crate) fn tool_error(text: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text)])
}

fn invalid(e: ArgError) -> CallToolResult {
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
    };
    format!("Unavailable: protocol error: the helper answered {op} with a {kind} payload")
}

pub(crate) fn unexpected(op: &str, payload: &Payload) -> CallToolResult {
    tool_error(unexpected_text(op, payload))
}

#[tool_router]
impl PveMcp {
    pub fn new(helper: HelperClient) -> Self {
        Self {
            helper,
            tool_router: Self::tool_router(),
        }
    }

    /// Run an allow-listed command on the Proxmox node (e.g. `pvesm status`, `qm config 101`)
    /// and return its exit code, stdout and stderr. The line is split into words like a shell
    /// would, but no shell runs it: pipes, redirection, `;`, `&&`, variables and globs do not
    /// work. Only commands matching the admin's policy run, with its timeout and output cap.
    #[tool(
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<output::CommandResult>()
    )]
    async fn execute_command(
        &self,
        Parameters(args): Parameters<ExecuteCommandArgs>,
    ) -> CallToolResult {
        let request = match args.into_request() {
            Ok(r) => Request::RunCommand(r),
            Err(e) => return invalid(e),
        };
        match forward(&self.helper, request).await {
            Ok(Payload::Command(c)) => {
                let out = output::CommandResult::from(c);
                structured(&out, render::command(&out))
            }
            Ok(other) => unexpected("run_command", &other),
            Err(result) => result,
        }
    }

    /// List the Proxmox guests (QEMU VMs and LXC containers) you may see, one line each:
    /// vmid, name, type, node, status, CPU, memory, uptime, tags. The first line counts all
    /// matching guests by state and type. Paged: 100 guests by default, at most 1000; the
    /// last line gives the offset of the next page. On a large cluster, filter by node,
    /// status, type, tag or name instead of paging through everything. Read-only.
    #[tool(
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<output::GuestPage>()
    )]
    async fn list_vms(&self, Parameters(args): Parameters<ListVmsArgs>) -> CallToolResult {
        let request = match args.into_request() {
            Ok(r) => Request::ListGuests(r),
            Err(e) => return invalid(e),
        };
        match forward(&self.helper, request).await {
            Ok(Payload::Guests(page)) => {
                let page = output::GuestPage::from(page);
                structured(&page, render::guest_page(&page))
            }
            Ok(other) => unexpected("list_guests", &other),
            Err(result) => result,
        }
    }

    /// Current status of one guest by VMID: state, uptime, CPU, memory, disk, network and
    /// disk I/O counters, lock, HA state, pool and tags. Use list_vms to find a VMID by
    /// name. Read-only.
    #[tool(
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<output::GuestDetail>()
    )]
    async fn vm_status(&self, Parameters(args): Parameters<VmStatusArgs>) -> CallToolResult {
        let request = match args.into_request() {
            Ok(r) => Request::GuestStatus(r),
            Err(e) => return invalid(e),
        };
        match forward(&self.helper, request).await {
            Ok(Payload::Guest(detail)) => {
                let detail = output::GuestDetail::from(detail);
                structured(&detail, render::guest_detail(&detail))
            }
            Ok(other) => unexpected("guest_status", &other),
            Err(result) => result,
        }
    }

    /// Start, stop, shut down, reboot, reset, suspend or resume a guest. Proxmox runs the
    /// action as a task; by default this waits until the task ends (up to timeout_secs,
    /// sending progress notifications) and reports OK, or the error with the end of the
    /// task log. A task still running then is reported with its id (UPID), not cancelled.
    /// `stop` and `reset` cut power at once: prefer `shutdown` or `reboot` unless the guest
    /// hangs. The admin's policy decides which actions are allowed on which guests.
    #[tool(
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<output::ActionResult>()
    )]
    async fn vm_action(
        &self,
        Parameters(args): Parameters<VmActionArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        match args.into_plan() {
            Ok(plan) => action::perform(&self.helper, plan, &ctx).await,
            Err(e) => invalid(e),
        }
    }

    /// Status of the cluster nodes: online state, CPU, memory, root disk and uptime. With
    /// `node`, also its load average, kernel and PVE versions and CPU model. Read-only.
    #[tool(
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<output::Nodes>()
    )]
    async fn node_status(&self, Parameters(args): Parameters<NodeStatusArgs>) -> CallToolResult {
        let request = match args.into_request() {
            Ok(r) => Request::NodeStatus(r),
            Err(e) => return invalid(e),
        };
        match forward(&self.helper, request).await {
            Ok(Payload::Nodes(nodes)) => {
                let nodes = output::Nodes {
                    nodes: nodes.into_iter().map(output::Node::from).collect(),
                };
                structured(&nodes, render::nodes(&nodes))
            }
            Ok(other) => unexpected("node_status", &other),
            Err(result) => result,
        }
    }

    /// Call the Proxmox VE REST API directly, for what the other tools do not cover
    /// (configuration, storage, snapshots, tasks, cluster state). `endpoint` is the path
    /// below /api2/json, e.g. /nodes/pve1/qemu/101/config. GET reads; POST, PUT and DELETE
    /// change things. Only the methods and paths allowed by the admin's policy pass, and
    /// some endpoints (consoles, /access writes, node shell) are never reachable. Returns
    /// Proxmox's `data` member as JSON.
    #[tool(
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<output::ApiAnswer>()
    )]
    async fn proxmox_api(&self, Parameters(args): Parameters<ProxmoxApiArgs>) -> CallToolResult {
        let call = match args.into_request() {
            Ok(call) => call,
            Err(e) => return invalid(e),
        };
        let (method, path) = (call.method.to_string(), call.path.to_string());
        match forward(&self.helper, Request::Api(call)).await {
            Ok(Payload::Api(answer)) => api_result(method, path, answer.data),
            Ok(other) => unexpected("api", &other),
            Err(result) => result,
        }
    }
}

fn api_result(method: String, path: String, data: serde_json::Value) -> CallToolResult {
    let pretty = serde_json::to_string_pretty(&data).unwrap_or_default();
    let truncated = pretty.len() > MAX_STRUCTURED_API;
    let answer = output::ApiAnswer {
        method,
        path,
        data: if truncated {
            serde_json::Value::Null
        } else {
            data
        },
        truncated,
    };
    let text = render::api(&answer, &pretty);
    structured(&answer, text)
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for PveMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("pve-mcp", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::helper_client::DEFAULT_CALL_TIMEOUT;

    #[test]
    fn six_tools_with_schemas_and_annotations() {
        let server = PveMcp::new(HelperClient::new("/nonexistent", DEFAULT_CALL_TIMEOUT));
        let tools = server.tool_router.list_all();
        let names: Vec<_> = tools.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(
            names,
            [
                "execute_command",
                "list_vms",
                "node_status",
                "proxmox_api",
                "vm_action",
                "vm_status"
            ]
        );
        for t in &tools {
            let desc = t.description.as_deref().unwrap_or("");
            assert!(desc.len() > 80, "{}: short description", t.name);
            assert_eq!(t.input_schema["additionalProperties"], false, "{}", t.name);
            let out = t.output_schema.as_ref().expect("output schema");
            assert_eq!(out["type"], "object", "{}", t.name);
            let a = t.annotations.as_ref().expect("annotations");
            assert_eq!(a.open_world_hint, Some(false));
            let read_only = matches!(t.name.as_ref(), "list_vms" | "vm_status" | "node_status");
            assert_eq!(a.read_only_hint, Some(read_only), "{}", t.name);
            assert_eq!(a.destructive_hint, Some(!read_only), "{}", t.name);
        }
        let vm_status = &tools[5];
        let vmid = &vm_status.input_schema["properties"]["vmid"];
        assert_eq!(vmid["minimum"], 100);
        assert_eq!(vmid["maximum"], 999_999_999);
    }

    #[test]
    fn api_result_truncates_large_answers() {
        let big: Vec<_> = (0..40_000).map(|i| format!("item-{i}")).collect();
        let r = api_result("GET".into(), "/x".into(), serde_json::json!(big));
        let text = r.content[0].as_text().unwrap().text.clone();
        assert!(text.len() < render::TEXT_LIMIT + 500, "{}", text.len());
        assert!(text.contains("[truncated: showing"));
        assert_eq!(r.structured_content.unwrap()["truncated"], false);
    }
}
