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
use pve_mcp_proto::{Capabilities, CreateSummary, Operation};
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

#[tool_router(router = lifecycle_router, vis = "pub(crate)")]
impl PveMcp {
    /// Create a VM (`type: qemu`) or container (`type: lxc`) on a node: name, cores,
    /// memory, a first disk, and what it is made from: for a VM an ISO image to install
    /// from (`iso`) or a disk image to import (`image`, e.g. a cloud image, with
    /// `cloud_init` settings), for a container a template (`ostemplate`). `bridge`
    /// adds a network interface. The policy bounds every part (vmids, nodes, cores,
    /// memory, disk size, storages, bridges, sources, extra `config` keys) and puts the
    /// guest in its pool with its tags. Omit `vmid` to take the next free one. Runs as
    /// a Proxmox task; by default this waits for it (with progress) and reports the new
    /// guest's vmid and node and `succeeded` or `failed`. Passwords only as crypt
    /// hashes, SSH keys as public key lines.
    #[tool(
        title = "Create a guest",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<ChangeResult>()
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

    /// Clone a guest or template by VMID into a new guest: a full clone (default) is
    /// independent of its source; a linked clone (`full: false`) shares the
    /// template's disks and only a template can have one. The new guest's vmid and
    /// node must be within the policy's range and nodes for new guests. Runs as a
    /// Proxmox task, waited for with progress; reports the new guest's vmid and node.
    #[tool(
        title = "Clone a guest",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<ChangeResult>()
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

    /// Convert a stopped guest into a template, the read-only source of linked and
    /// full clones (see guest_clone). Irreversible: a template cannot be started or
    /// turned back into a guest. Runs as a Proxmox task, waited for like vm_action (a
    /// container converts at once).
    #[tool(
        title = "Convert to a template",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<ChangeResult>()
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

    /// Change a guest's configuration by VMID: `set` keys (as Proxmox spells them,
    /// e.g. cores, memory, onboot, net1, ipconfig0, description) and `delete` keys.
    /// Only the keys the policy lists, within its bounds. Passwords (`cipassword`) are
    /// accepted only as crypt hashes (`$6$...`, e.g. from `openssl passwd -6`), never
    /// in the clear, and SSH keys (`sshkeys`) only as public key lines. Some changes
    /// apply at once (the answer shows the configuration now), others run as a task
    /// that this waits for; a running guest may need a reboot for some to take effect.
    #[tool(
        title = "Change a guest's configuration",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<ChangeResult>()
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

    /// Grow one disk of a guest to `size_gib` (disks only grow), within the policy's
    /// largest disk. The file system inside the guest is not grown: do that in the
    /// guest afterwards. Runs as a Proxmox task, waited for like vm_action, or at once
    /// (the answer then shows the configuration now).
    #[tool(
        title = "Grow a disk",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<ChangeResult>()
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
        output_schema = schema_for_output::<ChangeResult>()
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

    /// Move a guest to another node of the cluster, one the policy lists. A running VM
    /// migrates live; a running container is restarted on the target (`online: false`
    /// refuses to move a running guest). Migrations copy memory and local disks and
    /// can take long: this waits (default 600 s) with progress and reports
    /// `succeeded`, `failed` or `still_running` with the task's UPID.
    #[tool(
        title = "Migrate a guest",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<ChangeResult>()
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

    /// Destroy a guest by VMID with all its disks, stopping it first if it runs; with
    /// `purge` (default) also remove it from backup jobs, replication and HA. Its
    /// snapshots go with it; backups on backup storages stay. Irreversible. Usually
    /// needs the user's confirmation. Runs as a Proxmox task, waited for like vm_action.
    #[tool(
        title = "Delete a guest",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<ChangeResult>()
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

    /// Restore a vzdump backup (see list_backups) to a new guest on a node (a vmid
    /// within the policy's range for new guests, or the next free one), or, with
    /// `force`, over the existing guest `vmid`, whose disks and configuration are then
    /// replaced: that loses everything since the backup. Runs as a Proxmox task,
    /// waited for (default 600 s) with progress; reports the guest's vmid and node.
    #[tool(
        title = "Restore a backup",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = schema_for_output::<ChangeResult>()
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
            "Allowed by the current policy: {}.{}{}",
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
            "{}{}{}",
            grant(caps, Operation::Clone),
            new_guests(caps),
            bounds(caps)
        ))
    },
};

pub const BACKUP_RESTORE: ToolSpec = ToolSpec {
    name: "backup_restore",
    grant: Some(Operation::BackupRestore),
    listed: |caps| granted_in_scope(caps, Operation::BackupRestore),
    note: |caps| {
        Some(format!(
            "{}{}{}",
            grant(caps, Operation::BackupRestore),
            new_guests(caps),
            bounds(caps)
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
            bounds(caps)
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

/// ` New guests: ... .` for clones and restores, which keep their source's tags rather
/// than being given `[create]` tags: the source must carry those already.
fn new_guests(caps: &Capabilities) -> String {
    let Some(c) = &caps.create else {
        return " New guests: none may be created.".into();
    };
    let untagged = CreateSummary {
        tags: Vec::new(),
        ..c.clone()
    };
    let mut out = format!(" New guests: {}.", create_words(&untagged));
    if !c.tags.is_empty() {
        out.push_str(&format!(
            " The source must already be tagged {} (the new guest keeps its source's tags).",
            some(&c.tags)
        ));
    }
    out
}
