//! The storage tools: `list_storage` (storages and their usage), `storage_content`
//! (volumes on one storage, e.g. ISO images, templates, backups), `list_backups` (one
//! guest's backups) and the changes to what storages hold: `backup_start`,
//! `volume_delete` (a backup, an ISO image or a container template) and
//! `storage_download` (an ISO image or template from an allowed URL), run by the change
//! engine. Volumes of guests outside the scope never show: the helper drops them.
//!
//! Arguments are untrusted model output, validated in [`args`]; which storages, URLs and
//! backups are allowed is the helper's to judge; answers come from the
//! helper and are only rendered ([`output`]): text escaped, a volume's notes quoted as
//! data.

pub(crate) mod args;

pub(crate) mod output;

use crate::mcp::described::{self, Parameters};
use crate::{
    change::{
        action,
        lifecycle::{self, ChangeResult},
        outcome::ActionResult,
    },
    policy::grants::{covered, grant, granted, granted_in_scope, or_none},
    render::untrusted::{own_line, own_lines},
    tools::{
        args::VmStatusArgs,
        reply::{forward, invalid, structured, unexpected},
        session::PveMcp,
        spec::{ToolSpec, no_note},
        storage::args::{
            BackupStartArgs, ListStorageArgs, StorageContentArgs, StorageDownloadArgs,
            VolumeDeleteArgs,
        },
    },
};
use output::{Storage, Storages, Volumes, render_storages, render_volumes, volumes};
use pve_mcp_proto::{Capabilities, Operation, Payload, Request};
use rmcp::{
    RoleServer,
    handler::server::tool::{InputResponses, RequestState},
    model::{CallToolResponse, CallToolResult},
    service::RequestContext,
    tool, tool_router,
};

#[tool_router(router = storage_router, vis = "pub(crate)")]
impl PveMcp {
    /// Storages and their usage, one line each: node, storage, type, content kinds,
    /// used of total, shared or not. Read-only.
    #[tool(
        title = "List storages",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = described::output::<Storages>()
    )]
    async fn list_storage(&self, Parameters(args): Parameters<ListStorageArgs>) -> CallToolResult {
        let request = match args.into_request() {
            Ok(r) => Request::ListStorage(r),
            Err(e) => return invalid(e),
        };
        match forward(&self.helper, request).await {
            Ok(Payload::Storages(list)) => {
                let out = Storages {
                    storages: list
                        .into_iter()
                        .map(|s| Storage {
                            storage: s.storage.to_string(),
                            node: s.node.to_string(),
                            storage_type: own_line(s.storage_type),
                            content: own_lines(s.content),
                            shared: s.shared,
                            active: s.active,
                            total: s.total,
                            used: s.used,
                        })
                        .collect(),
                };
                structured(&out, render_storages(&out))
            }
            Ok(other) => unexpected("list_storage", &other),
            Err(result) => result,
        }
    }

    /// The volumes on one storage of a node: ISO images, container templates, backups,
    /// guest disks. Read-only.
    #[tool(
        title = "Storage content",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = described::output::<Volumes>()
    )]
    async fn storage_content(
        &self,
        Parameters(args): Parameters<StorageContentArgs>,
    ) -> CallToolResult {
        let request = match args.into_request() {
            Ok(r) => Request::StorageContent(r),
            Err(e) => return invalid(e),
        };
        match forward(&self.helper, request).await {
            Ok(Payload::Volumes(list)) => {
                let out = volumes(list);
                structured(&out, render_volumes(&out))
            }
            Ok(other) => unexpected("storage_content", &other),
            Err(result) => result,
        }
    }

    /// One guest's backups on its node's storages, newest first: volume, time, size,
    /// notes. Read-only.
    #[tool(
        title = "List backups",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        output_schema = described::output::<Volumes>()
    )]
    async fn list_backups(&self, Parameters(args): Parameters<VmStatusArgs>) -> CallToolResult {
        let request = match args.into_request() {
            Ok(r) => Request::ListBackups(r),
            Err(e) => return invalid(e),
        };
        match forward(&self.helper, request).await {
            Ok(Payload::Volumes(list)) => {
                let out = volumes(list);
                structured(&out, render_volumes(&out))
            }
            Ok(other) => unexpected("list_backups", &other),
            Err(result) => result,
        }
    }
}

#[tool_router(router = backup_router, vis = "pub(crate)")]
impl PveMcp {
    /// Back up one guest (vzdump, snapshot mode: it keeps running; zstd) to a storage.
    /// Waits for the task with progress.
    #[tool(
        title = "Start a backup",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = described::output::<ActionResult>()
    )]
    async fn backup_start(
        &self,
        Parameters(args): Parameters<BackupStartArgs>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        action::perform(self.engine(), args.into_plan(), state, responses, &ctx).await
    }
}

#[tool_router(router = media_router, vis = "pub(crate)")]
impl PveMcp {
    /// Delete a backup, an ISO image or a container template from a storage, for good
    /// (not guest disks).
    #[tool(
        title = "Delete a backup, ISO image or template",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = described::output::<ChangeResult>()
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

    /// Download an ISO image or a container template from an https URL onto a storage,
    /// for guest_create's `iso` or `ostemplate`; give a `checksum`. Waits for the task
    /// with progress; reports the new volume.
    #[tool(
        title = "Download an ISO image or template",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        ),
        output_schema = described::output::<ChangeResult>()
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

pub const LIST_STORAGE: ToolSpec = ToolSpec {
    name: "list_storage",
    grant: None,
    listed: |caps| caps.storage_all || caps.storage_node,
    note: no_note,
};

pub const STORAGE_CONTENT: ToolSpec = ToolSpec {
    name: "storage_content",
    grant: None,
    listed: |caps| caps.storage_content,
    note: no_note,
};

pub const LIST_BACKUPS: ToolSpec = ToolSpec {
    name: "list_backups",
    grant: Some(Operation::BackupList),
    listed: |caps| granted_in_scope(caps, Operation::BackupList),
    note: |caps| Some(grant(caps, Operation::BackupList)),
};

/// `backup_start` needs its grant and a storage backups may be written to.
pub const BACKUP_START: ToolSpec = ToolSpec {
    name: "backup_start",
    grant: Some(Operation::BackupCreate),
    listed: |caps| {
        granted_in_scope(caps, Operation::BackupCreate) && !caps.backup_storages.is_empty()
    },
    note: |caps| Some(grant(caps, Operation::BackupCreate)),
};

/// `volume_delete` deletes backups of guests it is granted on, or ISO images and
/// container templates when the policy allows deleting media.
pub const VOLUME_DELETE: ToolSpec = ToolSpec {
    name: "volume_delete",
    grant: Some(Operation::BackupDelete),
    listed: |caps| granted_in_scope(caps, Operation::BackupDelete) || caps.media_delete,
    note: |caps| Some(volume_delete_note(caps)),
};

/// `storage_download` fetches from the URLs the policy allows.
pub const STORAGE_DOWNLOAD: ToolSpec = ToolSpec {
    name: "storage_download",
    grant: None,
    listed: |caps| !caps.download_from.is_empty(),
    note: |caps| {
        Some(format!(
            "Allowed: URLs starting with {}; to storages {}.",
            or_none(&caps.download_from),
            or_none(&caps.media_storages)
        ))
    },
};

fn volume_delete_note(caps: &Capabilities) -> String {
    let mut parts = Vec::new();
    if granted(caps, Operation::BackupDelete).0 {
        parts.push(format!(
            "backups of {}{}",
            covered(caps, Operation::BackupDelete),
            if granted(caps, Operation::BackupDelete).1 {
                " (the user confirms first)"
            } else {
                ""
            }
        ));
    }
    if caps.media_delete {
        parts.push(format!(
            "ISO images and container templates on storages {}",
            or_none(&caps.media_storages)
        ));
    }
    format!("Allowed: {}.", parts.join("; "))
}

#[cfg(test)]
mod tests;
