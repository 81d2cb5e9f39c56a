//! Frames, requests and responses: one closed enum variant per operation.

use crate::lifecycle::*;
use crate::payloads::*;
use crate::types::*;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Protocol version; a different major version is refused by both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtoVersion {
    pub major: u16,
    pub minor: u16,
}

pub const PROTO_VERSION: ProtoVersion = ProtoVersion { major: 1, minor: 0 };

impl fmt::Display for ProtoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Correlates a reply with its call; chosen by the front.
pub type CallId = u64;

/// Frames sent by the front.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FrontFrame {
    Hello { proto_version: ProtoVersion },
    Call { id: CallId, request: Request },
}

/// Frames sent by the helper. Decoded by hand (`helper_frame`), on the same wire shape:
/// serde's derive for an internally tagged enum copies the whole frame into a buffer
/// first, which doubled the front's memory and time for a large answer.
// Frames live for one send or receive; boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HelperFrame {
    Welcome {
        proto_version: ProtoVersion,
        helper_version: String,
    },
    Reply {
        id: CallId,
        response: Response,
    },
    /// The helper closes the connection after this frame.
    Fatal {
        error: ErrorBody,
    },
}

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
}

impl Request {
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
        }
    }
}

/// A page of the guests in scope, filtered.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListGuests {
    pub node: Option<NodeName>,
    pub status: Option<GuestState>,
    #[serde(rename = "type")]
    pub guest_type: Option<GuestType>,
    pub tag: Option<Tag>,
    pub name: Option<NameFilter>,
    pub limit: PageLimit,
    pub offset: u32,
}

/// Case-insensitive substring of a guest name: 1..=128 printable characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NameFilter(String);

impl NameFilter {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        if s.is_empty() || s.chars().count() > 128 || s.chars().any(char::is_control) {
            return Err(InvalidValue(
                "name filter must be 1 to 128 printable characters".into(),
            ));
        }
        Ok(Self(s.to_lowercase()))
    }

    pub fn matches(&self, name: &str) -> bool {
        name.to_lowercase().contains(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for NameFilter {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, InvalidValue> {
        Self::parse(&s)
    }
}

impl From<NameFilter> for String {
    fn from(n: NameFilter) -> String {
        n.0
    }
}

/// Page size: 1..=1000, default 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u32")]
pub struct PageLimit(u32);

impl PageLimit {
    pub const MAX: u32 = 1000;
    pub const DEFAULT: u32 = 100;

    pub fn new(n: u64) -> Result<Self, InvalidValue> {
        match u32::try_from(n) {
            Ok(n) if (1..=Self::MAX).contains(&n) => Ok(Self(n)),
            _ => Err(InvalidValue(format!(
                "limit {n} is out of range: must be 1 to {}",
                Self::MAX
            ))),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for PageLimit {
    fn default() -> Self {
        Self(Self::DEFAULT)
    }
}

impl TryFrom<u64> for PageLimit {
    type Error = InvalidValue;
    fn try_from(n: u64) -> Result<Self, InvalidValue> {
        Self::new(n)
    }
}

impl From<PageLimit> for u32 {
    fn from(l: PageLimit) -> u32 {
        l.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestRef {
    pub vmid: VmId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestActionRequest {
    pub vmid: VmId,
    pub action: GuestAction,
    /// The user confirmed this action (asked by the front because the policy marks it
    /// `confirm`). Without it, such an action is refused with `ConfirmationRequired`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// A snapshot to take. `include_ram` saves a running VM's memory too (QEMU only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotCreate {
    pub vmid: VmId,
    pub name: SnapshotName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<SnapshotDescription>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub include_ram: bool,
    /// As in [`GuestActionRequest`]: the user confirmed it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// An existing snapshot of a guest, to roll back to or to delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotTarget {
    pub vmid: VmId,
    pub name: SnapshotName,
    /// As in [`GuestActionRequest`]: the user confirmed it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// Asks for [`Capabilities`]; takes no arguments.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Describe {}

/// Status of one node, or of every node when `node` is absent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeQuery {
    pub node: Option<NodeName>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskRef {
    pub upid: Upid,
}

/// A backup to start: one guest, to one storage, in snapshot mode (the guest keeps
/// running), zstd-compressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupRequest {
    pub vmid: VmId,
    pub storage: StorageId,
    /// As in [`GuestActionRequest`]: the user confirmed it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// One agent command for one VM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentQuery {
    pub vmid: VmId,
    pub command: AgentCommand,
}

/// Usage of one guest over `timeframe`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsQuery {
    pub vmid: VmId,
    #[serde(default)]
    pub timeframe: Timeframe,
}

/// Storages of one node, or of every node.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageQuery {
    pub node: Option<NodeName>,
}

/// The volumes of one storage on one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentQuery {
    pub node: NodeName,
    pub storage: StorageId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<ContentType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmid: Option<VmId>,
}

/// Asks for [`ClusterInfo`]; takes no arguments.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterQuery {}

/// Which tasks to list: every filter is optional; newest first, at most `limit`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TaskQuery {
    /// Only this node's tasks (one `/nodes/{node}/tasks` call); else the whole
    /// cluster's recent tasks (`/cluster/tasks`).
    pub node: Option<NodeName>,
    pub vmid: Option<VmId>,
    /// Only task types containing this text, e.g. `qmstart`, `vzdump`, `qm`.
    #[serde(rename = "type")]
    pub task_type: Option<TaskTypeFilter>,
    pub status: Option<TaskStatusFilter>,
    pub limit: PageLimit,
}

/// How a listed task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatusFilter {
    Running,
    Ok,
    Warning,
    /// Failed: stopped with an error.
    Error,
}

/// The tail of a task's log: at most `lines` lines (1 to 1000, default 100).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskLogQuery {
    pub upid: Upid,
    #[serde(default)]
    pub lines: PageLimit,
}

/// A raw Proxmox API call, matched against the policy's `[api]` patterns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiCall {
    pub method: ApiMethod,
    pub path: ApiPath,
    #[serde(default)]
    pub params: ApiParams,
}

/// An allow-listed command, run by execve without a shell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunCommand {
    pub argv: Argv,
}

/// The outcome of one call.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "result",
    content = "value",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum Response {
    Ok(Payload),
    Err(ErrorBody),
}

/// What a successful call returns, one variant per kind of answer. Built once per call
/// and moved, so its variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    content = "data",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum Payload {
    Guests(GuestPage),
    Guest(GuestDetail),
    Task(TaskInfo),
    Nodes(Vec<NodeInfo>),
    Api(ApiResult),
    Command(CommandOutput),
    Capabilities(Capabilities),
    Snapshots(SnapshotList),
    Config(GuestConfig),
    Tasks(TaskList),
    TaskLog(TaskLogTail),
    Cluster(ClusterInfo),
    Storages(Vec<StorageInfo>),
    Volumes(Vec<Volume>),
    Metrics(MetricsSummary),
    Agent(AgentAnswer),
    /// A guest being created, cloned or restored, with its task.
    NewGuest(NewGuest),
    Firewall(FirewallInfo),
    Pools(Vec<PoolInfo>),
    Ha(HaConfig),
    /// A free vmid.
    Vmid(VmId),
}

/// The coarse class of an error; the only error detail that crosses the socket
/// besides the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The policy refused the request; `rule` names the deciding rule.
    Denied,
    /// The request is malformed or violates a field's rule.
    Invalid,
    /// The object does not exist, or is outside the policy's scope.
    NotFound,
    /// Proxmox answered with an error; `upstream_status` holds its HTTP status.
    Upstream,
    /// Proxmox or a command did not answer in time.
    Timeout,
    /// The helper cannot serve now (Proxmox unreachable, TLS failure, overload).
    Unavailable,
    /// The client exceeded a rate or concurrency limit.
    RateLimited,
    /// The policy marks the action `confirm`: ask the user, then send it again with
    /// `confirmed: true`.
    ConfirmationRequired,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Denied => "denied",
            Self::Invalid => "invalid",
            Self::NotFound => "not found",
            Self::Upstream => "upstream error",
            Self::Timeout => "timeout",
            Self::Unavailable => "unavailable",
            Self::RateLimited => "rate limited",
            Self::ConfirmationRequired => "confirmation required",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    pub kind: ErrorKind,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_status: Option<u16>,
}

impl ErrorBody {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            rule: None,
            upstream_status: None,
        }
    }
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)
    }
}

/// One guest as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestSummary {
    pub vmid: VmId,
    pub name: String,
    #[serde(rename = "type")]
    pub guest_type: GuestType,
    pub node: NodeName,
    pub status: GuestState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub template: bool,
    /// CPU usage as a fraction of the guest's vCPUs, 0.0 ..= 1.0 (as PVE reports it).
    pub cpu: f64,
    pub maxcpu: f64,
    pub mem: u64,
    pub maxmem: u64,
    pub uptime: u64,
}

/// A page of guests, with counts over every guest that matched the filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestPage {
    /// Guests in scope that match the filter, before paging.
    pub total: u32,
    pub offset: u32,
    pub limit: u32,
    pub counts: GuestCounts,
    pub guests: Vec<GuestSummary>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestCounts {
    pub running: u32,
    pub stopped: u32,
    pub other: u32,
    pub qemu: u32,
    pub lxc: u32,
}

/// Current status of one guest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestDetail {
    pub guest: GuestSummary,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qmpstatus: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ha_state: Option<String>,
    pub disk: u64,
    pub maxdisk: u64,
    pub netin: u64,
    pub netout: u64,
    pub diskread: u64,
    pub diskwrite: u64,
}

/// Run state of a Proxmox task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskState {
    Running,
    Stopped,
}

/// A Proxmox task: started by an action, or looked up by UPID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskInfo {
    pub upid: Upid,
    pub node: NodeName,
    pub task_type: String,
    pub status: TaskState,
    /// `OK`, `WARNINGS: n`, or the error message, once stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exitstatus: Option<String>,
    pub starttime: u64,
    /// The last lines of the task log, when it failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log_tail: Vec<String>,
}

impl TaskInfo {
    /// Whether the task stopped with `OK` (or only warnings).
    pub fn succeeded(&self) -> bool {
        self.status == TaskState::Stopped
            && self
                .exitstatus
                .as_deref()
                .is_some_and(|s| s == "OK" || s.starts_with("WARNINGS"))
    }
}

/// One node; the detail fields are filled when a single node was asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeInfo {
    pub node: NodeName,
    /// `online`, `offline` or `unknown`.
    pub status: String,
    /// CPU load as a fraction of all the node's cores, 0.0 ..= 1.0 (as PVE reports it).
    pub cpu: f64,
    pub maxcpu: u32,
    pub mem: u64,
    pub maxmem: u64,
    pub disk: u64,
    pub maxdisk: u64,
    pub uptime: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loadavg: Option<[f64; 3]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kversion: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pveversion: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_model: Option<String>,
}

/// The `data` member of a raw API answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiResult {
    pub data: serde_json::Value,
}

/// What the policy in force lets this client do, rendered for a model and for the
/// front's choice of tools. Informational: the helper still judges every request.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    /// The guests in scope as selectors (`100-199`, `pool:lab`, ...); empty: none.
    pub guests: Vec<String>,
    /// Selectors removed from the scope.
    pub guests_except: Vec<String>,
    /// Operations granted on (part of) the scope, one entry per grant.
    pub grants: Vec<GrantSummary>,
    /// Raw API patterns, `METHOD /path`.
    pub api: Vec<String>,
    /// Whether `node_status` for all nodes (`GET /nodes`) is allowed.
    pub node_list: bool,
    /// Whether `node_status` for one node (`GET /nodes/{node}/status`) is allowed.
    pub node_detail: bool,
    /// Whether `list_storage` may list every node's storages (`GET /cluster/resources`).
    #[serde(default)]
    pub storage_all: bool,
    /// Whether `list_storage` may list one node's storages (`GET /nodes/{node}/storage`).
    #[serde(default)]
    pub storage_node: bool,
    /// Whether `storage_content` is allowed (`GET /nodes/{node}/storage/{id}/content`).
    #[serde(default)]
    pub storage_content: bool,
    /// Whether `cluster_status` is allowed (`GET /cluster/status`).
    #[serde(default)]
    pub cluster_status: bool,
    /// Whether `cluster_status` also shows HA (`GET /cluster/ha/status/current`).
    #[serde(default)]
    pub ha_status: bool,
    /// Storages `backup_start` may write to (`[backup] storages`).
    #[serde(default)]
    pub backup_storages: Vec<String>,
    /// Whether `list_tasks` may list the cluster's tasks (`GET /cluster/tasks`).
    #[serde(default)]
    pub task_list: bool,
    /// Whether `list_tasks` may list one node's tasks (`GET /nodes/{node}/tasks`).
    #[serde(default)]
    pub node_tasks: bool,
    /// Allow-listed commands, as argv patterns joined by spaces.
    pub commands: Vec<String>,
    /// The longest time limit of an allow-listed command (`[commands] timeout_secs`
    /// and each `[[command]]`'s); the front waits that long for `execute_command`'s
    /// answer, whatever its own call timeout. 0: not said.
    #[serde(default)]
    pub command_timeout_secs: u64,
    /// Request limits, in words (e.g. "120 requests per minute, 8 at a time").
    pub limits: String,
    /// What new guests may be (`[create]`), absent when none may be made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<CreateSummary>,
    /// Bounds of every new or changed guest (`[bounds]`).
    #[serde(default)]
    pub bounds: BoundsSummary,
    /// Configuration keys `guest_configure` may change (`[config] keys`).
    #[serde(default)]
    pub config_keys: Vec<String>,
    /// Nodes guests may migrate to (`[migrate] nodes`).
    #[serde(default)]
    pub migrate_nodes: Vec<String>,
    /// Storages ISO images and templates may be downloaded to or deleted from.
    #[serde(default)]
    pub media_storages: Vec<String>,
    /// URL prefixes downloads may come from (`[storage] download_from`).
    #[serde(default)]
    pub download_from: Vec<String>,
    /// Whether ISO images and templates may be deleted (`[storage] delete`).
    #[serde(default)]
    pub media_delete: bool,
    /// Argv patterns the guest agent may run (`[agent] exec`).
    #[serde(default)]
    pub agent_exec: Vec<String>,
    /// How long `agent_exec` waits for a program (`[agent] timeout_secs`); the front
    /// waits that long for the answer, whatever its own call timeout. 0: not said.
    #[serde(default)]
    pub agent_timeout_secs: u64,
    /// Whether `firewall` may read the cluster's (`GET /cluster/firewall/**`).
    #[serde(default)]
    pub firewall_cluster: bool,
    /// Whether `firewall` may read a node's (`GET /nodes/*/firewall/**`).
    #[serde(default)]
    pub firewall_node: bool,
    /// Whether `list_pools` is allowed (`GET /pools`).
    #[serde(default)]
    pub pools: bool,
    /// Whether `ha_resources` is allowed (`GET /cluster/ha/resources`).
    #[serde(default)]
    pub ha_resources: bool,
}

/// `[create]` in words, for the front's tool descriptions and `my_permissions`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSummary {
    /// Kinds that may be created from scratch: `qemu`, `lxc`.
    pub types: Vec<String>,
    /// The vmid range of new guests, e.g. `9000-9099`.
    pub vmids: String,
    pub nodes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    pub tags: Vec<String>,
}

/// `[bounds]` in words.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BoundsSummary {
    pub max_cores: Option<u64>,
    pub max_memory_mib: Option<u64>,
    pub max_disk_gib: Option<u64>,
    pub storages: Vec<String>,
    pub bridges: Vec<String>,
    /// Volume patterns guests may be made from (ISO, image, template).
    pub sources: Vec<String>,
}

/// One grant of operations on guests.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantSummary {
    /// `guests` for the `[guests]` section, else the rule's name.
    pub rule: String,
    /// The guests it applies to (selectors); empty means the whole scope.
    pub guests: Vec<String>,
    /// Granted operations: `start`, `stop`, ..., `snapshot.create`, ...
    pub operations: Vec<String>,
    /// Operations among them that need the user's confirmation.
    pub confirm: Vec<String>,
}

/// What an allow-listed command did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandOutput {
    /// Exit code, absent when a signal ended the command.
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Output beyond the policy's cap was dropped.
    pub truncated: bool,
    pub duration_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(v: serde_json::Value) -> Result<FrontFrame, serde_json::Error> {
        serde_json::from_value(v)
    }

    #[test]
    fn request_wire_shape() {
        let f = call(json!({"type": "call", "id": 7,
            "request": {"op": "guest_action", "args": {"vmid": 101, "action": "start"}}}))
        .unwrap();
        let FrontFrame::Call {
            id: 7,
            request: Request::GuestAction(a),
        } = f
        else {
            panic!("wrong frame {f:?}")
        };
        assert_eq!(a.action, GuestAction::Start);
        let f =
            call(json!({"type": "call", "id": 1, "request": {"op": "list_guests", "args": {}}}))
                .unwrap();
        let FrontFrame::Call {
            request: Request::ListGuests(l),
            ..
        } = f
        else {
            panic!()
        };
        assert_eq!(l.limit.get(), 100);
    }

    #[test]
    fn unknown_fields_and_variants_are_refused() {
        for bad in [
            json!({"type": "call", "id": 1, "request": {"op": "guest_status", "args": {"vmid": 101, "x": 1}}}),
            json!({"type": "call", "id": 1, "request": {"op": "format_disk", "args": {}}}),
            json!({"type": "call", "id": 1, "extra": true, "request": {"op": "list_guests", "args": {}}}),
            json!({"type": "call", "id": 1, "request": {"op": "list_guests", "args": {}, "more": 1}}),
            json!({"type": "call", "id": 1, "request": {"op": "guest_status", "args": {"vmid": 5}}}),
            json!({"type": "call", "id": 1, "request": {"op": "guest_action", "args": {"vmid": 101, "action": "destroy"}}}),
            json!({"type": "call", "id": 1, "request": {"op": "api", "args": {"method": "get", "path": "/version"}}}),
            json!({"type": "call", "id": 1, "request": {"op": "api", "args": {"method": "PATCH", "path": "/version"}}}),
            json!({"type": "call", "id": 1, "request": {"op": "api", "args": {"method": "GET", "path": "/a/../b"}}}),
            json!({"type": "call", "id": 1, "request": {"op": "list_guests", "args": {"limit": 0}}}),
            json!({"type": "call", "id": -1, "request": {"op": "list_guests", "args": {}}}),
            json!({"type": "hello", "proto_version": {"major": 1, "minor": 0, "patch": 0}}),
        ] {
            assert!(call(bad.clone()).is_err(), "accepted {bad}");
        }
    }

    #[test]
    fn response_round_trip() {
        let r = HelperFrame::Reply {
            id: 3,
            response: Response::Err(ErrorBody {
                kind: ErrorKind::Denied,
                message: "no".into(),
                rule: Some("guests.actions".into()),
                upstream_status: None,
            }),
        };
        let s = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<HelperFrame>(&s).unwrap(), r);
    }
}
