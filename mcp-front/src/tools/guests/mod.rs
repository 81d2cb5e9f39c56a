//! The guests as a model first meets them: `list_vms` (a page of guests, filtered) and
//! `vm_status` (one guest in depth), and `guest_config` (its configuration, in
//! [`config`]).
//!
//! Arguments are untrusted model output, validated in [`args`]; answers come from the
//! helper and are only rendered ([`output`]).

use crate::mcp::described::{self, Parameters};
use crate::{
    policy::grants::in_scope,
    tools::{
        args::VmStatusArgs,
        guests::{
            args::ListVmsArgs,
            output::{GuestDetail, GuestPage, guest_detail, guest_page},
        },
        reply::{forward, invalid, structured, unexpected},
        session::PveMcp,
        spec::{ToolSpec, no_note},
    },
};
use pve_mcp_proto::{Payload, Request};
use rmcp::{model::CallToolResult, tool, tool_router};

pub(crate) mod args;
pub(crate) mod config;
pub(crate) mod output;

#[tool_router(router = guests_router, vis = "pub(crate)")]
impl PveMcp {
    /// List the guests (VMs and containers) you may see, one line each: vmid, name,
    /// type, node, status, config lock, CPU, memory, uptime, tags. Start here to find a
    /// VMID. The first line counts every match by state and type; the last gives the
    /// next page's offset. On a large cluster, filter rather than page.
    #[tool(
        title = "List guests",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = described::output::<GuestPage>()
    )]
    async fn list_vms(&self, Parameters(args): Parameters<ListVmsArgs>) -> CallToolResult {
        let request = match args.into_request() {
            Ok(r) => Request::ListGuests(r),
            Err(e) => return invalid(e),
        };
        match forward(&self.helper, request).await {
            Ok(Payload::Guests(page)) => {
                let page = GuestPage::from(page);
                structured(&page, guest_page(&page))
            }
            Ok(other) => unexpected("list_guests", &other),
            Err(result) => result,
        }
    }

    /// One guest's status: state, uptime, CPU, memory, disk, network and disk I/O,
    /// lock, HA state, pool and tags.
    #[tool(
        title = "Guest status",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = described::output::<GuestDetail>()
    )]
    async fn vm_status(&self, Parameters(args): Parameters<VmStatusArgs>) -> CallToolResult {
        let request = match args.into_request() {
            Ok(r) => Request::GuestStatus(r),
            Err(e) => return invalid(e),
        };
        match forward(&self.helper, request).await {
            Ok(Payload::Guest(detail)) => {
                let detail = GuestDetail::from(detail);
                structured(&detail, guest_detail(&detail))
            }
            Ok(other) => unexpected("guest_status", &other),
            Err(result) => result,
        }
    }
}

/// `list_vms` and `vm_status` work on the guests in scope.
pub const LIST_VMS: ToolSpec = ToolSpec {
    name: "list_vms",
    grant: None,
    listed: in_scope,
    note: no_note,
};

pub const VM_STATUS: ToolSpec = ToolSpec {
    name: "vm_status",
    grant: None,
    listed: in_scope,
    note: no_note,
};

#[cfg(test)]
pub(crate) mod tests;
