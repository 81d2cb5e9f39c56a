//! `vm_action`: start, stop, shut down, reboot, reset, suspend or resume a guest, run
//! by the change engine (confirmation when the policy asks for it, the task followed
//! with progress) and answered with an `ActionResult`.
//!
//! Arguments are untrusted model output, validated here; which actions are allowed on
//! which guests is the helper's to judge.

use crate::mcp::described::{self, Parameters};
use crate::{
    change::{
        action,
        operation::{ActionPlan, Operation},
        outcome::ActionResult,
    },
    policy::grants::{granted, in_scope},
    tools::{
        args::{ArgError, vmid, wait_for},
        session::PveMcp,
        spec::ToolSpec,
    },
};
use pve_mcp_proto as proto;
use pve_mcp_proto::{Capabilities, GuestAction, GuestActionRequest};
use rmcp::{
    RoleServer,
    handler::server::tool::{InputResponses, RequestState},
    model::CallToolResponse,
    service::RequestContext,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::Deserialize;

#[tool_router(router = power_router, vis = "pub(crate)")]
impl PveMcp {
    /// Start, stop, shut down, reboot, reset, suspend or resume a guest. Waits for the
    /// task (with progress) and reports `succeeded`, `failed` (with the log's end) or
    /// `still_running` (with its UPID); with wait false, `started`. `stop` and `reset`
    /// cut power: prefer `shutdown` or `reboot` unless the guest hangs.
    #[tool(
        title = "Guest power action",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = described::output::<ActionResult>()
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
}

/// A lifecycle action. `shutdown` asks the guest OS to power off cleanly; `stop` and
/// `reset` cut power at once and may lose unsaved data; `suspend` pauses, `resume`
/// continues a paused or suspended guest.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ActionArg {
    Start,
    Stop,
    Shutdown,
    Reboot,
    Reset,
    Suspend,
    Resume,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VmActionArgs {
    /// The guest's VMID.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: u64,
    /// What to do with the guest.
    pub action: ActionArg,
    /// Wait for the task to end and report its result; false returns its UPID.
    #[schemars(extend("default" = true))]
    pub wait: Option<bool>,
    /// Longest wait in seconds; the task goes on after it.
    #[schemars(range(min = 1, max = 3600), extend("default" = 120))]
    pub timeout_secs: Option<u64>,
    /// Only show what would be sent; do nothing.
    pub dry_run: Option<bool>,
}

impl VmActionArgs {
    pub fn into_plan(self) -> Result<ActionPlan, ArgError> {
        let action = match self.action {
            ActionArg::Start => GuestAction::Start,
            ActionArg::Stop => GuestAction::Stop,
            ActionArg::Shutdown => GuestAction::Shutdown,
            ActionArg::Reboot => GuestAction::Reboot,
            ActionArg::Reset => GuestAction::Reset,
            ActionArg::Suspend => GuestAction::Suspend,
            ActionArg::Resume => GuestAction::Resume,
        };
        Ok(ActionPlan {
            request: Operation::Power(GuestActionRequest {
                vmid: vmid(self.vmid)?,
                action,
                confirmed: false,
            }),
            wait: wait_for(self.wait, self.timeout_secs)?,
            dry_run: self.dry_run == Some(true),
        })
    }
}

/// Granted lifecycle actions, and those among them that need confirmation.
pub(crate) fn actions(caps: &Capabilities) -> (Vec<&'static str>, Vec<&'static str>) {
    let mut allowed = Vec::new();
    let mut confirmed = Vec::new();
    for action in GuestAction::ALL {
        let (yes, ask) = granted(caps, proto::Operation::Power(action));
        if yes {
            allowed.push(action.as_str());
        }
        if ask {
            confirmed.push(action.as_str());
        }
    }
    (allowed, confirmed)
}

/// `vm_action` is listed when some action is granted on guests in scope; its note
/// names the actions, and those the user must confirm.
pub const VM_ACTION: ToolSpec = ToolSpec {
    name: "vm_action",
    grant: None,
    listed: |caps| in_scope(caps) && !actions(caps).0.is_empty(),
    note: |caps| {
        let (granted, confirm) = actions(caps);
        let mut note = format!("Allowed: {}.", granted.join(", "));
        if !confirm.is_empty() {
            note.push_str(&format!(
                " The user confirms first (the call waits): {}.",
                confirm.join(", ")
            ));
        }
        Some(note)
    },
};

#[cfg(test)]
mod tests;
