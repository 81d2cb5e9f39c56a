//! The six original tools (the snapshot tools and my_permissions have their own
//! modules), each mapped to one typed request to the helper and answered with
//! compact text plus structured content. Their descriptions are written for a model:
//! what the tool does, when to use it, what it returns.
//!
//! Arguments come from the model and are validated in `args`; answers come from the
//! helper and are only rendered. Nothing here decides what is allowed: the helper does.

pub(crate) mod agent;
pub mod args;
pub(crate) mod cluster;
pub(crate) mod config;
pub(crate) mod firewall;
pub(crate) mod inventory;
pub(crate) mod lifecycle;
pub(crate) mod media;
pub(crate) mod metrics;
pub mod output;
pub(crate) mod reply;
pub(crate) mod snapshots;
pub(crate) mod storage;
pub(crate) mod tasks;

use crate::{
    change::action,
    change::confirm::Confirmations,
    change::long_call::{self, LongRun},
    helper::HelperClient,
    mcp::session::PveMcp,
    render,
    tools::args::{
        ExecuteCommandArgs, ListVmsArgs, NodeStatusArgs, ProxmoxApiArgs, VmActionArgs, VmStatusArgs,
    },
    tools::reply::{forward, invalid, settle, structured, tool_error, unexpected},
    view::permissions::Permissions,
};
use pve_mcp_proto::{Payload, Request};
use rmcp::{
    RoleServer,
    handler::server::{
        tool::{InputResponses, RequestState, schema_for_output},
        wrapper::Parameters,
    },
    model::{CallToolResponse, CallToolResult},
    service::RequestContext,
    tool, tool_router,
};

use std::time::Duration;

/// Largest `data` kept as structured content of `proxmox_api`; the text is cut earlier.
const MAX_STRUCTURED_API: usize = 1024 * 1024;

#[tool_router]
impl PveMcp {
    /// A server whose view of the policy is at most `policy_max_age` old.
    pub fn new(helper: HelperClient, policy_max_age: Duration) -> Self {
        Self {
            permissions: Permissions::new(helper.clone(), policy_max_age),
            helper,
            confirmations: Confirmations::default(),
            tool_router: Self::tool_router()
                + Self::snapshot_router()
                + Self::permissions_router()
                + Self::config_router()
                + Self::task_router()
                + Self::cluster_router()
                + Self::storage_router()
                + Self::metrics_router()
                + Self::agent_router()
                + Self::backup_router()
                + Self::firewall_router()
                + Self::inventory_router()
                + Self::lifecycle_router()
                + Self::media_router(),
        }
    }

    /// Run one allow-listed command on the Proxmox node and return its exit code, stdout
    /// and stderr. Use it for node-level facts no other tool gives (e.g. `pvesm status`,
    /// `qm config 101`). The line is split into words at spaces; an argument in single
    /// quotes is taken as it is. No shell runs it, so shell syntax (`;`, `|`, `&`, `>`,
    /// `$`, backquotes, backslashes, `#`, globs, line breaks) is refused with the reason,
    /// never passed on. Only command lines on the admin's allow-list run, with its
    /// timeout and output cap; any other is refused with the rule that refused it.
    #[tool(
        title = "Run an allow-listed command",
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
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let command = match args.into_request() {
            Ok(r) => r,
            Err(e) => return invalid(e),
        };
        let what = format!("run `{}` on the node", command.argv);
        let request = Request::RunCommand(command);
        // The policy may let the command run longer than the call timeout.
        let wait = long_call::wait_for(self.engine(), LongRun::Command).await;
        let answer = tokio::select! {
            _ = ctx.ct.cancelled() => return tool_error(format!(
                "Cancelled: stopped waiting to {what}; the command may still run until it \
                 ends or reaches its time limit."
            )),
            answer = long_call::call(self.engine(), &request, Some(wait), what.clone(), &ctx) => answer,
        };
        match settle(answer) {
            Ok(Payload::Command(c)) => {
                let out = output::CommandResult::from(c);
                structured(&out, render::command(&out))
            }
            Ok(other) => unexpected("run_command", &other),
            Err(text) => tool_error(text),
        }
    }

    /// List the Proxmox guests (QEMU VMs and LXC containers) you may see, one line each:
    /// vmid, name, type, node, status, CPU, memory, uptime, tags. Start here to find a
    /// guest's VMID. The first line counts all matching guests by state and type. Paged:
    /// 100 guests by default, at most 1000; the last line gives the offset of the next
    /// page. On a large cluster, filter by node, status, type, tag or name instead of
    /// paging through everything. Read-only.
    #[tool(
        title = "List guests",
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
        title = "Guest status",
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
    /// with progress notifications) and reports its outcome: `succeeded`, `failed` (with
    /// the end of the task log), `still_running` (the wait ended first; the task goes on
    /// and its UPID is given) or, with wait false, `started`. `stop` and `reset` cut
    /// power at once: prefer `shutdown` or `reboot` unless the guest hangs. Actions the
    /// policy marks for confirmation first ask the user, when the client can ask.
    #[tool(
        title = "Guest power action",
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
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        action::perform(self.engine(), args.into_plan(), state, responses, &ctx).await
    }

    /// Status of the cluster nodes: online state, CPU, memory, root disk and uptime. With
    /// `node`, also its load average, kernel and PVE versions and CPU model. Read-only.
    #[tool(
        title = "Node status",
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
    /// change things. Returns Proxmox's `data` member as JSON. Only the methods and paths
    /// the admin's policy allows pass, and some endpoints (consoles, /access writes, node
    /// shell) are never reachable.
    #[tool(
        title = "Proxmox API call",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_result_truncates_large_answers() {
        let big: Vec<_> = (0..40_000).map(|i| format!("item-{i}")).collect();
        let r = api_result("GET".into(), "/x".into(), serde_json::json!(big));
        let text = r.content[0].as_text().unwrap().text.clone();
        assert!(text.len() < render::TEXT_LIMIT + 500, "{}", text.len());
        assert!(text.contains("[truncated: showing"));
        let structured = crate::tools::reply::structured_value(&r).unwrap();
        assert_eq!(structured["truncated"], false);
    }
}
