//! `guest_agent`: read-only questions to a VM's QEMU guest agent (ping, OS, network
//! interfaces), and `agent_exec`: an allow-listed program run in the VM through the
//! agent (confirmed by the user when the policy asks). The agent runs inside the
//! guest: its answers and the program's output are the guest's word.
//!
//! Arguments are untrusted model output, validated in `args`; the answer comes from
//! the helper and is only rendered here.

use crate::{
    action,
    args::{AgentExecArgs, GuestAgentArgs},
    operation::Operation,
    output::CommandResult,
    render,
    reply::{forward, invalid, structured, unexpected},
    tools::PveMcp,
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
use schemars::JsonSchema;
use serde::Serialize;
use std::fmt::Write;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GuestOs {
    pub name: String,
    pub pretty_name: String,
    pub version: String,
    pub kernel_release: String,
    pub machine: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct NetInterface {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// `address/prefix`.
    pub addresses: Vec<String>,
}

/// Result of `guest_agent`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AgentResult {
    pub vmid: u32,
    /// `ping`, `osinfo` or `network`.
    pub command: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<GuestOs>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub interfaces: Vec<NetInterface>,
}

#[tool_router(router = agent_router, vis = "pub(crate)")]
impl PveMcp {
    /// Ask a running VM's QEMU guest agent (needs the agent installed in the guest and
    /// enabled in the VM's options): `ping` (is it answering?), `osinfo` (OS name,
    /// version, kernel) or `network` (interfaces with MAC and IP addresses, e.g. to
    /// find the VM's IP). VMs only. Read-only.
    #[tool(
        title = "Guest agent",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<AgentResult>()
    )]
    async fn guest_agent(&self, Parameters(args): Parameters<GuestAgentArgs>) -> CallToolResult {
        let request = match args.into_request() {
            Ok(r) => Request::GuestAgent(r),
            Err(e) => return invalid(e),
        };
        match forward(&self.helper, request).await {
            Ok(Payload::Agent(a)) => {
                let a = AgentResult {
                    vmid: a.vmid.get(),
                    command: a.command.as_str().to_owned(),
                    os: a.os.map(|o| GuestOs {
                        name: o.name,
                        pretty_name: o.pretty_name,
                        version: o.version,
                        kernel_release: o.kernel_release,
                        machine: o.machine,
                    }),
                    interfaces: a
                        .interfaces
                        .into_iter()
                        .map(|i| NetInterface {
                            name: i.name,
                            mac: i.mac,
                            addresses: i.addresses,
                        })
                        .collect(),
                };
                structured(&a, render(&a))
            }
            Ok(other) => unexpected("guest_agent", &other),
            Err(result) => result,
        }
    }

    /// Run a program inside a running VM through its QEMU guest agent and return its
    /// exit code, stdout and stderr, like execute_command does on the node. `argv` is
    /// the program and its arguments; no shell runs it. Only programs matching the
    /// policy's allow-list run; needs the agent installed and enabled. VMs only.
    #[tool(
        title = "Run a program in a VM",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<CommandResult>()
    )]
    async fn agent_exec(
        &self,
        Parameters(args): Parameters<AgentExecArgs>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        let request = match args.into_request() {
            Ok(r) => r,
            Err(e) => return invalid(e).into(),
        };
        let head = format!("VM {}, {}: ", request.vmid, request.argv);
        let mut op = Operation::AgentExec(request);
        let answered = action::answered(state, responses);
        match action::send(self, &mut op, answered, &ctx).await {
            Ok(Payload::Command(c)) => {
                let out = CommandResult::from(c);
                structured(&out, format!("{head}{}", render::command(&out))).into()
            }
            Ok(other) => unexpected("agent_exec", &other).into(),
            Err(response) => response,
        }
    }
}

pub fn render(a: &AgentResult) -> String {
    let mut out = String::new();
    match a.command.as_str() {
        "ping" => {
            let _ = writeln!(out, "The guest agent of VM {} answers.", a.vmid);
        }
        "osinfo" => match &a.os {
            Some(o) => {
                let _ = writeln!(
                    out,
                    "VM {} runs {} (kernel {}, {}).",
                    a.vmid, o.pretty_name, o.kernel_release, o.machine
                );
            }
            None => {
                let _ = writeln!(out, "VM {}: the agent gave no OS information.", a.vmid);
            }
        },
        _ => {
            let _ = writeln!(out, "Network interfaces of VM {}:", a.vmid);
            for i in &a.interfaces {
                let _ = writeln!(
                    out,
                    "  {}  {}  {}",
                    i.name,
                    i.mac.as_deref().unwrap_or("-"),
                    i.addresses.join(", ")
                );
            }
        }
    }
    out
}
