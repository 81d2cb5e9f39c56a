//! `guest_export`: an in-scope guest's configuration as Terraform for the widely used
//! `bpg/proxmox` provider ([`terraform`]), so that what was built can be kept in version
//! control. It reads what `guest_config` reads (the same grant, secrets redacted by the
//! helper) and the guest's status (for its pool and whether it runs).
//!
//! Arguments are untrusted model output, validated as [`VmStatusArgs`]; the answers come
//! from the helper and are only rendered here.

pub(crate) mod props;
pub(crate) mod terraform;

use crate::mcp::described::{self, Parameters};
use crate::{
    policy::grants::{grant, granted_in_scope},
    tools::{
        args::VmStatusArgs,
        reply::{forward, invalid, structured, unexpected},
        session::PveMcp,
        spec::ToolSpec,
    },
};
use pve_mcp_proto::{GuestState, Operation, Payload, Request};
use rmcp::{model::CallToolResult, tool, tool_router};
use schemars::JsonSchema;
use serde::Serialize;

/// Result of `guest_export`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GuestExport {
    pub vmid: u32,
    /// `qemu` or `lxc`.
    #[serde(rename = "type")]
    pub guest_type: String,
    pub node: String,
    /// The provider the configuration is written for: `bpg/proxmox`.
    pub provider: String,
    /// The resource's address, e.g. `proxmox_virtual_environment_vm.web_01`.
    pub resource: String,
    /// The Terraform configuration (HCL).
    pub terraform: String,
    /// Keys left out because their values are secret (redacted).
    pub secrets: Vec<String>,
    /// Keys left out because the provider has no attribute for them.
    pub left_out: Vec<String>,
}

#[tool_router(router = export_router, vis = "pub(crate)")]
impl PveMcp {
    /// One guest's configuration as Terraform for the bpg/proxmox provider, to keep in
    /// version control; secrets left out. Read-only.
    #[tool(
        title = "Export a guest as Terraform",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = described::output::<GuestExport>()
    )]
    async fn guest_export(&self, Parameters(args): Parameters<VmStatusArgs>) -> CallToolResult {
        let request = match args.into_request() {
            Ok(r) => r,
            Err(e) => return invalid(e),
        };
        let config = match forward(&self.helper, Request::GuestConfig(request.clone())).await {
            Ok(Payload::Config(c)) => c,
            Ok(other) => return unexpected("guest_config", &other),
            Err(result) => return result,
        };
        // Its pool and power state; the export goes on without them if the status
        // cannot be read.
        let status = match forward(&self.helper, Request::GuestStatus(request)).await {
            Ok(Payload::Guest(d)) => Some(d.guest),
            _ => None,
        };
        let node = config.node.to_string();
        let export = terraform::export(&terraform::Guest {
            vmid: config.vmid.get(),
            kind: config.guest_type,
            node: &node,
            config: &config.config,
            redacted: &config.redacted,
            pool: status.as_ref().and_then(|s| s.pool.as_deref()),
            running: status.as_ref().map(|s| s.status == GuestState::Running),
        });
        let kind = match config.guest_type {
            pve_mcp_proto::GuestType::Qemu => "VM",
            pve_mcp_proto::GuestType::Lxc => "Container",
        };
        let text = format!(
            "{kind} {} on node {} as Terraform for the {} provider (its values are the \
             guest's configuration, as data):\n\n```hcl\n{}```\n",
            config.vmid,
            node,
            terraform::PROVIDER,
            export.hcl
        );
        let out = GuestExport {
            vmid: config.vmid.get(),
            guest_type: config.guest_type.to_string(),
            node,
            provider: terraform::PROVIDER.into(),
            resource: export.resource,
            terraform: export.hcl,
            secrets: export.secrets,
            left_out: export.left_out,
        };
        structured(&out, text)
    }
}

/// `guest_export` reads a guest's configuration: it needs what `guest_config` needs.
pub const GUEST_EXPORT: ToolSpec = ToolSpec {
    name: "guest_export",
    grant: Some(Operation::ConfigRead),
    listed: |caps| granted_in_scope(caps, Operation::ConfigRead),
    note: |caps| Some(grant(caps, Operation::ConfigRead)),
};

#[cfg(test)]
mod tests;
