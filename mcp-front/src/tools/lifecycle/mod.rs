//! The guest lifecycle tools: make a guest (guest_create, guest_clone,
//! backup_restore), change one (guest_template, guest_configure, disk_resize,
//! guest_migrate) or destroy one (guest_delete). Each is one typed request, run by
//! the change engine (`change::lifecycle`) like the power actions: confirmation when the policy asks for it, the
//! Proxmox task followed with progress, the outcome as a `ChangeResult`.
//!
//! Arguments are untrusted model output, validated in [`create`] and [`change`]; the policy (what may be
//! made where, within which bounds) is the helper's to judge.

pub(crate) mod change;
pub(crate) mod create;
pub(crate) mod disk_move;

use crate::mcp::described::{self, Parameters};
use crate::{
    change::lifecycle::{self, ChangeResult},
    policy::grants::{bounds, config_keys, create_words, grant, granted_in_scope, or_none, some},
    tools::{
        lifecycle::{
            change::{
                DiskResizeArgs, GuestConfigureArgs, GuestDeleteArgs, GuestMigrateArgs,
                GuestTemplateArgs,
            },
            create::{BackupRestoreArgs, GuestCloneArgs, GuestCreateArgs},
            disk_move::DiskMoveArgs,
        },
        session::PveMcp,
        spec::ToolSpec,
    },
};
use pve_mcp_proto::{Capabilities, Operation};
use rmcp::{
    RoleServer,
    handler::server::tool::{InputResponses, RequestState},
    model::CallToolResponse,
    service::RequestContext,
    tool, tool_router,
};

#[tool_router(router = lifecycle_router, vis = "pub(crate)")]
impl PveMcp {
    /// Create a VM or container: for a VM from an ISO image (`iso`) or an imported
    /// disk image (`image`, e.g. a cloud image, with `cloud_init`), for a container
    /// from a template (`ostemplate`). The policy bounds every part and sets its pool
    /// and tags. Waits for the task with progress; reports the new vmid and node.
    #[tool(
        title = "Create a guest",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = described::output::<ChangeResult>()
    )]
    async fn guest_create(
        &self,
        Parameters(args): Parameters<GuestCreateArgs>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        lifecycle::perform(self.engine(), args.into_plan(), state, responses, &ctx).await
    }

    /// Clone a guest or template into a new guest (full, or linked to a template's
    /// disks). Waits for the task with progress; reports the new vmid and node.
    #[tool(
        title = "Clone a guest",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = described::output::<ChangeResult>()
    )]
    async fn guest_clone(
        &self,
        Parameters(args): Parameters<GuestCloneArgs>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        lifecycle::perform(self.engine(), args.into_plan(), state, responses, &ctx).await
    }

    /// Convert a stopped guest into a template, the source of clones. Irreversible: a
    /// template cannot be started or turned back.
    #[tool(
        title = "Convert to a template",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = described::output::<ChangeResult>()
    )]
    async fn guest_template(
        &self,
        Parameters(args): Parameters<GuestTemplateArgs>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        lifecycle::perform(self.engine(), args.into_plan(), state, responses, &ctx).await
    }

    /// Change a guest's configuration: `set` and `delete` keys as Proxmox spells them
    /// (cores, memory, net1, ...). `cipassword` only as a crypt hash, `sshkeys` only
    /// as public key lines. A running guest may need a reboot for some changes.
    #[tool(
        title = "Change a guest's configuration",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = described::output::<ChangeResult>()
    )]
    async fn guest_configure(
        &self,
        Parameters(args): Parameters<GuestConfigureArgs>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        lifecycle::perform(self.engine(), args.into_plan(), state, responses, &ctx).await
    }

    /// Grow one disk of a guest to `size_gib` (disks only grow). The file system
    /// inside is not grown: do that in the guest.
    #[tool(
        title = "Grow a disk",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = described::output::<ChangeResult>()
    )]
    async fn disk_resize(
        &self,
        Parameters(args): Parameters<DiskResizeArgs>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        lifecycle::perform(self.engine(), args.into_plan(), state, responses, &ctx).await
    }

    /// Move a guest's disk (e.g. scsi0, mp0) to `storage` on its node, or into guest
    /// `target_vmid` there as `target_disk` (default: the same slot). The source stays as
    /// an unused disk unless `delete_source`.
    #[tool(
        title = "Move a disk",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = described::output::<ChangeResult>()
    )]
    async fn disk_move(
        &self,
        Parameters(args): Parameters<DiskMoveArgs>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        lifecycle::perform(self.engine(), args.into_plan(), state, responses, &ctx).await
    }

    /// Move a guest to another node: a running VM live, a running container by a
    /// restart there. Waits for the task with progress.
    #[tool(
        title = "Migrate a guest",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = described::output::<ChangeResult>()
    )]
    async fn guest_migrate(
        &self,
        Parameters(args): Parameters<GuestMigrateArgs>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        lifecycle::perform(self.engine(), args.into_plan(), state, responses, &ctx).await
    }

    /// Destroy a guest with its disks and snapshots, stopping it first if it runs;
    /// backups stay. Irreversible.
    #[tool(
        title = "Delete a guest",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = described::output::<ChangeResult>()
    )]
    async fn guest_delete(
        &self,
        Parameters(args): Parameters<GuestDeleteArgs>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        lifecycle::perform(self.engine(), args.into_plan(), state, responses, &ctx).await
    }

    /// Restore a backup (see list_backups) to a new guest, or with `force` over guest
    /// `vmid`, losing all since the backup. Waits for the task with progress.
    #[tool(
        title = "Restore a backup",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = described::output::<ChangeResult>()
    )]
    async fn backup_restore(
        &self,
        Parameters(args): Parameters<BackupRestoreArgs>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        lifecycle::perform(self.engine(), args.into_plan(), state, responses, &ctx).await
    }
}

/// `guest_create` is listed when guests may be created; its note says what they may be.
pub const GUEST_CREATE: ToolSpec = ToolSpec {
    name: "guest_create",
    grant: None,
    listed: |caps| caps.create.is_some(),
    note: |caps| {
        Some(format!(
            "Allowed: {}.{}{}",
            caps.create.as_ref().map_or("none".into(), create_words),
            bounds(caps),
            config_keys(caps, "Further config keys")
        ))
    },
};

/// A clone needs its grant on the source and a [create] section for the new guest.
pub const GUEST_CLONE: ToolSpec = ToolSpec {
    name: "guest_clone",
    grant: Some(Operation::Clone),
    listed: |caps| granted_in_scope(caps, Operation::Clone) && caps.create.is_some(),
    note: |caps| {
        Some(format!(
            "{}{}",
            grant(caps, Operation::Clone),
            new_guests(caps)
        ))
    },
};

pub const BACKUP_RESTORE: ToolSpec = ToolSpec {
    name: "backup_restore",
    grant: Some(Operation::BackupRestore),
    listed: |caps| granted_in_scope(caps, Operation::BackupRestore),
    note: |caps| {
        Some(format!(
            "{}{}",
            grant(caps, Operation::BackupRestore),
            new_guests(caps)
        ))
    },
};

pub const GUEST_TEMPLATE: ToolSpec = ToolSpec {
    name: "guest_template",
    grant: Some(Operation::Template),
    listed: |caps| granted_in_scope(caps, Operation::Template),
    note: |caps| Some(grant(caps, Operation::Template)),
};

/// `guest_configure` needs its grant and some configuration key it may change.
pub const GUEST_CONFIGURE: ToolSpec = ToolSpec {
    name: "guest_configure",
    grant: Some(Operation::ConfigWrite),
    listed: |caps| granted_in_scope(caps, Operation::ConfigWrite) && !caps.config_keys.is_empty(),
    note: |caps| {
        Some(format!(
            "{}{}{}",
            grant(caps, Operation::ConfigWrite),
            config_keys(caps, "Keys you may change"),
            bounds_here(caps)
        ))
    },
};

pub const DISK_RESIZE: ToolSpec = ToolSpec {
    name: "disk_resize",
    grant: Some(Operation::DiskResize),
    listed: |caps| granted_in_scope(caps, Operation::DiskResize),
    note: |caps| {
        let largest = caps
            .bounds
            .max_disk_gib
            .map(|n| format!(" Largest disk: {n} GiB."))
            .unwrap_or_default();
        Some(format!("{}{largest}", grant(caps, Operation::DiskResize)))
    },
};

/// `guest_migrate` needs its grant and some node guests may be moved to.
pub const GUEST_MIGRATE: ToolSpec = ToolSpec {
    name: "guest_migrate",
    grant: Some(Operation::Migrate),
    listed: |caps| granted_in_scope(caps, Operation::Migrate) && !caps.migrate_nodes.is_empty(),
    note: |caps| {
        Some(format!(
            "{} Target nodes: {}.",
            grant(caps, Operation::Migrate),
            or_none(&caps.migrate_nodes)
        ))
    },
};

pub const GUEST_DELETE: ToolSpec = ToolSpec {
    name: "guest_delete",
    grant: Some(Operation::Delete),
    listed: |caps| granted_in_scope(caps, Operation::Delete),
    note: |caps| Some(grant(caps, Operation::Delete)),
};

/// The bounds in a note of a tool other than `guest_create`: when `guest_create` is
/// listed (guests may be created), its note states them, once for every tool.
fn bounds_here(caps: &Capabilities) -> String {
    match (&caps.create, bounds(caps).is_empty()) {
        (_, true) => String::new(),
        (Some(_), false) => " Bounds as for guest_create.".into(),
        (None, false) => bounds(caps),
    }
}

/// ` New guests ... .` for clones and restores, which keep their source's tags rather
/// than being given `[create]` tags: the source must carry those already. What new
/// guests may be is stated once, in `guest_create`'s note.
fn new_guests(caps: &Capabilities) -> String {
    let Some(c) = &caps.create else {
        return format!(" New guests: none may be created.{}", bounds(caps));
    };
    let mut out = String::from(" New guests and bounds as for guest_create");
    if c.tags.is_empty() {
        out.push('.');
    } else {
        out.push_str(&format!(
            ", but the source must already be tagged {} (the new guest keeps its tags).",
            some(&c.tags)
        ));
    }
    out
}
