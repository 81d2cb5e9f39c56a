//! Requests from mcp-front to pve-helper: one variant per thing the front may ask,
//! each a struct of validated values. The helper judges every one by the policy.

use serde::{Deserialize, Serialize};

/// One operation the front may ask for. Closed: the policy must cover every variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "op",
    content = "args",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum Request {
    ListGuests(ListGuests),
    GuestStatus(GuestRef),
    GuestAction(GuestActionRequest),
    NodeStatus(NodeQuery),
    TaskStatus(TaskRef),
    Api(ApiCall),
    RunCommand(RunCommand),
    /// A read-only question to a VM's QEMU guest agent (`agent.read`).
    GuestAgent(AgentQuery),
    /// A guest's resource usage over a timeframe, summarized (`metrics.read`).
    GuestMetrics(MetricsQuery),
    /// Storages with their usage: one node's, or every node's.
    ListStorage(StorageQuery),
    /// The volumes on one storage of one node, filtered.
    StorageContent(ContentQuery),
    /// Start a vzdump backup of one guest to a storage (`backup.create` and `[backup]
    /// storages`); answered with the started task.
    BackupStart(BackupRequest),
    /// The backups of one guest, on every backup storage of its node (`backup.list`).
    ListBackups(GuestRef),
    /// Cluster membership and quorum, and HA state when the policy allows it.
    ClusterStatus(ClusterQuery),
    /// Recent tasks, filtered, of guests in scope and of the nodes.
    ListTasks(TaskQuery),
    /// The last lines of one task's log.
    TaskLog(TaskLogQuery),
    /// The configuration of one guest, secrets redacted (policy operation `config.read`).
    GuestConfig(GuestRef),
    /// The snapshots of one guest (policy operation `snapshot.list`).
    SnapshotList(GuestRef),
    /// Take a snapshot (`snapshot.create`); answered with the started task.
    SnapshotCreate(SnapshotCreate),
    /// Roll a guest back to a snapshot (`snapshot.rollback`); answered with the task.
    SnapshotRollback(SnapshotTarget),
    /// Delete a snapshot (`snapshot.delete`); answered with the task.
    SnapshotDelete(SnapshotTarget),
    /// What this client may do under the policy in force, for tool listings and
    /// instructions. Never denied to a connected client.
    Describe(Describe),
    /// Create a VM or container within `[create]` and `[bounds]`.
    GuestCreate(Box<GuestCreate>),
    /// Clone a guest or template in scope (`clone`) into a new guest within `[create]`.
    GuestClone(GuestClone),
    /// Convert a stopped guest into a template (`template`).
    GuestTemplate(GuestOp),
    /// Change configuration keys listed in `[config] keys`, within `[bounds]`.
    GuestConfigure(GuestConfigure),
    /// Grow a disk (`disk.resize`), within `[bounds] max_disk_gib`.
    DiskResize(DiskResize),
    /// Migrate a guest (`migrate`) to a node in `[migrate] nodes`.
    GuestMigrate(GuestMigrate),
    /// Destroy a guest (`delete`).
    GuestDelete(GuestDelete),
    /// Restore a backup (`backup.restore`) to a new guest or over an existing one.
    BackupRestore(BackupRestore),
    /// Delete a backup (`backup.delete`) or an ISO image or template (`[storage]`).
    VolumeDelete(VolumeDelete),
    /// Download an ISO image or container template (`[storage] download_from`).
    StorageDownload(StorageDownload),
    /// Stop a running task of a guest in scope (`task.cancel`).
    TaskCancel(TaskCancel),
    /// Run a program in a VM through the guest agent (`agent.exec`, `[agent] exec`).
    AgentExec(AgentExec),
    /// Firewall rules and options of the cluster, a node or a guest.
    Firewall(FirewallQuery),
    /// Resource pools, or one pool's members in scope.
    ListPools(PoolQuery),
    /// HA resources of guests in scope, and HA groups.
    HaResources(HaQuery),
    /// The lowest free vmid in `[create] vmids`.
    NextVmid(NextVmidQuery),
    /// Move a disk to another storage or into another guest (`disk.move`, and
    /// `disk.move.delete` when the source is deleted).
    DiskMove(DiskMove),
    /// A node's network interfaces, optionally of one kind.
    NodeNetworks(NetworkQuery),
    /// Add, change, move or delete a guest's firewall rule (`firewall.rules`), or turn
    /// its firewall on or off (`firewall.enable`).
    FirewallEdit(FirewallEdit),
}

impl Request {
    /// Whether the request changes something (a guest, a volume, a task, the node);
    /// what `[changes] plans_only` turns into a plan, and what the front never sends
    /// twice. Exhaustive on purpose: a new request must say.
    pub fn changes(&self) -> bool {
        match self {
            Self::GuestAction(_)
            | Self::BackupStart(_)
            | Self::SnapshotCreate(_)
            | Self::SnapshotRollback(_)
            | Self::SnapshotDelete(_)
            | Self::GuestCreate(_)
            | Self::GuestClone(_)
            | Self::GuestTemplate(_)
            | Self::GuestConfigure(_)
            | Self::DiskResize(_)
            | Self::GuestMigrate(_)
            | Self::GuestDelete(_)
            | Self::BackupRestore(_)
            | Self::VolumeDelete(_)
            | Self::StorageDownload(_)
            | Self::TaskCancel(_)
            | Self::AgentExec(_)
            | Self::DiskMove(_)
            | Self::FirewallEdit(_)
            | Self::RunCommand(_) => true,
            Self::Api(call) => call.method != crate::ApiMethod::Get,
            Self::ListGuests(_)
            | Self::GuestStatus(_)
            | Self::TaskStatus(_)
            | Self::NodeStatus(_)
            | Self::Describe(_)
            | Self::GuestConfig(_)
            | Self::ListTasks(_)
            | Self::ClusterStatus(_)
            | Self::GuestAgent(_)
            | Self::GuestMetrics(_)
            | Self::ListStorage(_)
            | Self::StorageContent(_)
            | Self::ListBackups(_)
            | Self::TaskLog(_)
            | Self::SnapshotList(_)
            | Self::Firewall(_)
            | Self::ListPools(_)
            | Self::HaResources(_)
            | Self::NextVmid(_)
            | Self::NodeNetworks(_) => false,
        }
    }

    /// Short name of the operation, for logs and errors.
    pub fn op(&self) -> &'static str {
        match self {
            Self::ListGuests(_) => "list_guests",
            Self::GuestStatus(_) => "guest_status",
            Self::GuestAction(_) => "guest_action",
            Self::NodeStatus(_) => "node_status",
            Self::TaskStatus(_) => "task_status",
            Self::Api(_) => "api",
            Self::RunCommand(_) => "run_command",
            Self::GuestConfig(_) => "guest_config",
            Self::ListTasks(_) => "list_tasks",
            Self::ClusterStatus(_) => "cluster_status",
            Self::ListStorage(_) => "list_storage",
            Self::GuestMetrics(_) => "guest_metrics",
            Self::GuestAgent(_) => "guest_agent",
            Self::StorageContent(_) => "storage_content",
            Self::ListBackups(_) => "list_backups",
            Self::BackupStart(_) => "backup_start",
            Self::TaskLog(_) => "task_log",
            Self::SnapshotList(_) => "snapshot_list",
            Self::SnapshotCreate(_) => "snapshot_create",
            Self::SnapshotRollback(_) => "snapshot_rollback",
            Self::SnapshotDelete(_) => "snapshot_delete",
            Self::Describe(_) => "describe",
            Self::GuestCreate(_) => "guest_create",
            Self::GuestClone(_) => "guest_clone",
            Self::GuestTemplate(_) => "guest_template",
            Self::GuestConfigure(_) => "guest_configure",
            Self::DiskResize(_) => "disk_resize",
            Self::GuestMigrate(_) => "guest_migrate",
            Self::GuestDelete(_) => "guest_delete",
            Self::BackupRestore(_) => "backup_restore",
            Self::VolumeDelete(_) => "volume_delete",
            Self::StorageDownload(_) => "storage_download",
            Self::TaskCancel(_) => "task_cancel",
            Self::AgentExec(_) => "agent_exec",
            Self::Firewall(_) => "firewall",
            Self::ListPools(_) => "list_pools",
            Self::HaResources(_) => "ha_resources",
            Self::NextVmid(_) => "next_vmid",
            Self::DiskMove(_) => "disk_move",
            Self::NodeNetworks(_) => "node_networks",
            Self::FirewallEdit(_) => "firewall_edit",
        }
    }
}

mod api;
mod change;
mod firewall;
mod lifecycle;
mod read;

pub use api::*;
pub use change::*;
pub use firewall::*;
pub use lifecycle::*;
pub use read::*;
