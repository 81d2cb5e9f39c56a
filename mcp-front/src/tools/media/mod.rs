//! The storage changes around the guest lifecycle: `volume_delete` (a backup, an ISO
//! image or a container template) and `storage_download` (an ISO image or template
//! from an allowed URL). Both run by `change` like the guest changes: confirmation
//! when the policy asks for it, the Proxmox task followed with progress.
//!
//! Arguments are untrusted model output, validated in `args`; which storages, URLs
//! and backups are allowed is the helper's to judge.

use crate::{
    change::lifecycle::{self, ChangeResult},
    mcp::session::PveMcp,
    tools::args::{StorageDownloadArgs, VolumeDeleteArgs},
};
use rmcp::{
    RoleServer,
    handler::server::{
        tool::{InputResponses, RequestState, schema_for_output},
        wrapper::Parameters,
    },
    model::CallToolResponse,
    service::RequestContext,
    tool, tool_router,
};

#[tool_router(router = media_router, vis = "pub(crate)")]
impl PveMcp {
    /// Delete one volume from a storage: a backup of a guest (see list_backups), or an
    /// ISO image or container template (see storage_content). Guest disks are not
    /// deleted this way. Gone for good. Runs at once or as a Proxmox task, waited for
    /// like vm_action; may need the user's confirmation.
    #[tool(
        title = "Delete a backup, ISO image or template",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<ChangeResult>()
    )]
    async fn volume_delete(
        &self,
        Parameters(args): Parameters<VolumeDeleteArgs>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        lifecycle::perform(self.engine(), args.into_plan(), state, responses, &ctx).await
    }

    /// Download an ISO image (`content: iso`) or a container template (`vztmpl`)
    /// from an https URL onto a storage of a node, as `filename`; give its
    /// `checksum` so Proxmox verifies it. Only URLs under the prefixes the policy
    /// lists, onto the storages it lists. Runs as a Proxmox task; by default this
    /// waits for it (up to 600 s, with progress) and reports the new volume, then
    /// usable as guest_create's iso or ostemplate.
    #[tool(
        title = "Download an ISO image or template",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        ),
        output_schema = schema_for_output::<ChangeResult>()
    )]
    async fn storage_download(
        &self,
        Parameters(args): Parameters<StorageDownloadArgs>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        lifecycle::perform(self.engine(), args.into_plan(), state, responses, &ctx).await
    }
}
