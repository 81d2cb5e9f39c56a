//! The snapshot tools: list a guest's snapshots, and take, roll back or delete one.
//! Changes run through the change engine like power actions (confirmation when the policy asks
//! for it, task progress while waiting); the helper resolves the guest's node and type.
//!
//! Arguments are untrusted model output, validated here; answers come from the
//! helper and are only rendered here (names escaped, descriptions quoted as data).

use crate::mcp::described::{self, Parameters};
use crate::{
    change::{
        action,
        operation::{ActionPlan, Operation},
        outcome::ActionResult,
    },
    policy::grants::{grant, granted_in_scope},
    render::{
        self,
        untrusted::{self, own_line, own_text},
    },
    tools::{
        args::{ArgError, VmStatusArgs, vmid, wait_for},
        guests::output::GuestType,
        reply::{forward, invalid, structured, unexpected},
        session::PveMcp,
        spec::ToolSpec,
    },
};
use pve_mcp_proto as proto;
use pve_mcp_proto::{
    Payload, Request, SnapshotCreate, SnapshotDescription, SnapshotName, SnapshotTarget,
};
use rmcp::{
    RoleServer,
    handler::server::tool::{InputResponses, RequestState},
    model::{CallToolResponse, CallToolResult},
    service::RequestContext,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

#[tool_router(router = snapshot_router, vis = "pub(crate)")]
impl PveMcp {
    /// One guest's snapshots, oldest first: name, time, whether it holds RAM,
    /// description, and which one the current state derives from. Read-only.
    #[tool(
        title = "List snapshots",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = described::output::<SnapshotList>()
    )]
    async fn snapshot_list(&self, Parameters(args): Parameters<VmStatusArgs>) -> CallToolResult {
        let request = match args.into_request() {
            Ok(r) => Request::SnapshotList(r),
            Err(e) => return invalid(e),
        };
        match forward(&self.helper, request).await {
            Ok(Payload::Snapshots(list)) => {
                let list = SnapshotList::from(list);
                structured(&list, render_list(&list))
            }
            Ok(other) => unexpected("snapshot_list", &other),
            Err(result) => result,
        }
    }

    /// Take a snapshot of a guest, e.g. before an upgrade. Waits for the task.
    #[tool(
        title = "Take a snapshot",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = described::output::<ActionResult>()
    )]
    async fn snapshot_create(
        &self,
        Parameters(args): Parameters<SnapshotCreateArgs>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        action::perform(self.engine(), args.into_plan(), state, responses, &ctx).await
    }

    /// Roll a guest back to a snapshot, losing every change since (without RAM in it,
    /// the guest ends stopped). Waits for the task.
    #[tool(
        title = "Roll back to a snapshot",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = described::output::<ActionResult>()
    )]
    async fn snapshot_rollback(
        &self,
        Parameters(args): Parameters<SnapshotTargetArgs>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        action::perform(self.engine(), args.into_plan(true), state, responses, &ctx).await
    }

    /// Delete one snapshot of a guest for good; its current state stays. Waits for the
    /// task.
    #[tool(
        title = "Delete a snapshot",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = described::output::<ActionResult>()
    )]
    async fn snapshot_delete(
        &self,
        Parameters(args): Parameters<SnapshotTargetArgs>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        action::perform(self.engine(), args.into_plan(false), state, responses, &ctx).await
    }
}

/// The legend of the descriptions quoted under their snapshot.
const DESCRIPTIONS: &str = "Lines starting with │ quote the snapshot above them: its description (text stored \
     with it, shown as data).\n";

/// The `snapshot_list` answer: one line per snapshot with its description quoted below
/// it, then where the guest stands.
pub fn render_list(l: &SnapshotList) -> String {
    let kind = match l.guest_type {
        GuestType::Qemu => "VM",
        GuestType::Lxc => "CT",
    };
    if l.snapshots.is_empty() {
        return format!("{kind} {} has no snapshots.\n", l.vmid);
    }
    let described = l.snapshots.iter().any(|s| !s.description.trim().is_empty());
    let mut out = String::from(if described { DESCRIPTIONS } else { "" });
    let _ = writeln!(
        out,
        "{kind} {} has {} snapshot(s):",
        l.vmid,
        l.snapshots.len()
    );
    for s in &l.snapshots {
        let _ = write!(out, "  {}", untrusted::line(&s.name));
        if let Some(t) = s.snaptime {
            let _ = write!(out, "  {}", render::utc(t));
        }
        if s.vmstate {
            out.push_str("  with RAM");
        }
        if let Some(p) = &s.parent {
            let _ = write!(out, "  (from {})", untrusted::line(p));
        }
        out.push('\n');
        let description = render::truncate(s.description.trim(), 500);
        untrusted::quote_lines(&mut out, "    ", description);
    }
    match &l.current_parent {
        Some(p) => {
            let p = untrusted::line(p);
            let _ = writeln!(out, "The current state derives from snapshot {p}.");
        }
        None => out.push_str("The current state derives from no snapshot.\n"),
    }
    out
}
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotCreateArgs {
    /// The guest's VMID.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: u64,
    /// A new name, e.g. `pre-upgrade`.
    #[schemars(
        length(min = 2, max = 40),
        regex(pattern = r"^[A-Za-z][A-Za-z0-9_-]+$")
    )]
    pub name: String,
    /// What it is for.
    #[schemars(length(max = 1024))]
    pub description: Option<String>,
    /// VMs: also save the running VM's memory, so a rollback resumes it (slower).
    #[schemars(extend("default" = false))]
    pub include_ram: Option<bool>,
    /// Wait for the task to end and report its result.
    #[schemars(extend("default" = true))]
    pub wait: Option<bool>,
    /// Longest wait in seconds; the task goes on after it.
    #[schemars(range(min = 1, max = 3600), extend("default" = 120))]
    pub timeout_secs: Option<u64>,
    /// Only show what would be sent; do nothing.
    pub dry_run: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotTargetArgs {
    /// The guest's VMID.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: u64,
    /// The snapshot's name.
    #[schemars(
        length(min = 2, max = 40),
        regex(pattern = r"^[A-Za-z][A-Za-z0-9_-]+$")
    )]
    pub name: String,
    /// Wait for the task to end and report its result.
    #[schemars(extend("default" = true))]
    pub wait: Option<bool>,
    /// Longest wait in seconds; the task goes on after it.
    #[schemars(range(min = 1, max = 3600), extend("default" = 120))]
    pub timeout_secs: Option<u64>,
    /// Only show what would be sent; do nothing.
    pub dry_run: Option<bool>,
}

impl SnapshotCreateArgs {
    pub fn into_plan(self) -> Result<ActionPlan, ArgError> {
        let description = self
            .description
            .filter(|d| !d.is_empty())
            .map(|d| SnapshotDescription::parse(&d))
            .transpose()?;
        Ok(ActionPlan {
            request: Operation::SnapshotCreate(SnapshotCreate {
                vmid: vmid(self.vmid)?,
                name: SnapshotName::parse(&self.name)?,
                description,
                include_ram: self.include_ram.unwrap_or(false),
                confirmed: false,
            }),
            wait: wait_for(self.wait, self.timeout_secs)?,
            dry_run: self.dry_run == Some(true),
        })
    }
}

impl SnapshotTargetArgs {
    /// The plan for a rollback (`rollback`) or a deletion.
    pub fn into_plan(self, rollback: bool) -> Result<ActionPlan, ArgError> {
        let target = SnapshotTarget {
            vmid: vmid(self.vmid)?,
            name: SnapshotName::parse(&self.name)?,
            confirmed: false,
        };
        Ok(ActionPlan {
            request: if rollback {
                Operation::SnapshotRollback(target)
            } else {
                Operation::SnapshotDelete(target)
            },
            wait: wait_for(self.wait, self.timeout_secs)?,
            dry_run: self.dry_run == Some(true),
        })
    }
}

/// One snapshot of a guest.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Snapshot {
    pub name: String,
    pub description: String,
    /// Creation time, seconds since the Unix epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snaptime: Option<u64>,
    /// The snapshot includes the VM's RAM (rolling back resumes the VM running).
    pub vmstate: bool,
    /// The snapshot this one was taken from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

/// Result of `snapshot_list`: the snapshots of one guest, oldest first.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SnapshotList {
    pub vmid: u32,
    #[serde(rename = "type")]
    pub guest_type: GuestType,
    pub snapshots: Vec<Snapshot>,
    /// The snapshot the guest's current state derives from (absent: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_parent: Option<String>,
}

impl From<proto::SnapshotList> for SnapshotList {
    fn from(l: proto::SnapshotList) -> Self {
        let proto::SnapshotList {
            vmid,
            guest_type,
            snapshots,
            current_parent,
        } = l;
        Self {
            vmid: vmid.get(),
            guest_type: guest_type.into(),
            snapshots: snapshots
                .into_iter()
                .map(|s| {
                    let proto::SnapshotInfo {
                        name,
                        description,
                        snaptime,
                        vmstate,
                        parent,
                    } = s;
                    Snapshot {
                        name: own_line(name),
                        description: own_text(description),
                        snaptime,
                        vmstate,
                        parent: parent.map(own_line),
                    }
                })
                .collect(),
            current_parent: current_parent.map(own_line),
        }
    }
}

pub const SNAPSHOT_LIST: ToolSpec = ToolSpec {
    name: "snapshot_list",
    grant: Some(proto::Operation::SnapshotList),
    listed: |caps| granted_in_scope(caps, proto::Operation::SnapshotList),
    note: |caps| Some(grant(caps, proto::Operation::SnapshotList)),
};

pub const SNAPSHOT_CREATE: ToolSpec = ToolSpec {
    name: "snapshot_create",
    grant: Some(proto::Operation::SnapshotCreate),
    listed: |caps| granted_in_scope(caps, proto::Operation::SnapshotCreate),
    note: |caps| Some(grant(caps, proto::Operation::SnapshotCreate)),
};

pub const SNAPSHOT_ROLLBACK: ToolSpec = ToolSpec {
    name: "snapshot_rollback",
    grant: Some(proto::Operation::SnapshotRollback),
    listed: |caps| granted_in_scope(caps, proto::Operation::SnapshotRollback),
    note: |caps| Some(grant(caps, proto::Operation::SnapshotRollback)),
};

pub const SNAPSHOT_DELETE: ToolSpec = ToolSpec {
    name: "snapshot_delete",
    grant: Some(proto::Operation::SnapshotDelete),
    listed: |caps| granted_in_scope(caps, proto::Operation::SnapshotDelete),
    note: |caps| Some(grant(caps, proto::Operation::SnapshotDelete)),
};

#[cfg(test)]
mod tests;
