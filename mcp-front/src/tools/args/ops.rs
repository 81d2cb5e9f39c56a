//! Arguments of the tools beyond the first six (snapshots, tasks, storage, backups,
//! metrics, guest agent), with their JSON Schemas and conversion into typed requests.
//! Untrusted model output, validated like the rest of `args`.

use super::{ActionPlan, ArgError, node, vmid, wait_for};
use crate::change::operation::Operation;
use pve_mcp_proto::{
    AgentCommand, AgentQuery, BackupRequest, ContentQuery, ContentType, MetricsQuery, PageLimit,
    SnapshotCreate, SnapshotDescription, SnapshotName, SnapshotTarget, StorageId, StorageQuery,
    TaskLogQuery, TaskQuery, TaskStatusFilter, TaskTypeFilter, Timeframe, Upid,
};
use schemars::JsonSchema;
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotCreateArgs {
    /// The guest's numeric id (VMID), e.g. 101.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: u64,
    /// Name of the new snapshot: 2 to 40 letters, digits, `_` or `-`, starting with a
    /// letter, e.g. `pre-upgrade`. Must not already exist on the guest.
    #[schemars(
        length(min = 2, max = 40),
        regex(pattern = r"^[A-Za-z][A-Za-z0-9_-]+$")
    )]
    pub name: String,
    /// What the snapshot is for, shown in Proxmox (at most 1024 characters).
    #[schemars(length(max = 1024))]
    pub description: Option<String>,
    /// VMs only: also save the running VM's memory, so that a rollback resumes it
    /// exactly where it was (slower, and takes disk space). Default false.
    #[schemars(extend("default" = false))]
    pub include_ram: Option<bool>,
    /// Wait until the Proxmox task finishes and report its result (default true).
    #[schemars(extend("default" = true))]
    pub wait: Option<bool>,
    /// Longest wait in seconds (1 to 3600, default 120); the task is not cancelled.
    #[schemars(range(min = 1, max = 3600), extend("default" = 120))]
    pub timeout_secs: Option<u64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotTargetArgs {
    /// The guest's numeric id (VMID), e.g. 101.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: u64,
    /// Name of an existing snapshot of the guest (see snapshot_list).
    #[schemars(
        length(min = 2, max = 40),
        regex(pattern = r"^[A-Za-z][A-Za-z0-9_-]+$")
    )]
    pub name: String,
    /// Wait until the Proxmox task finishes and report its result (default true).
    #[schemars(extend("default" = true))]
    pub wait: Option<bool>,
    /// Longest wait in seconds (1 to 3600, default 120); the task is not cancelled.
    #[schemars(range(min = 1, max = 3600), extend("default" = 120))]
    pub timeout_secs: Option<u64>,
}

/// Status of a listed task.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatusArg {
    Running,
    Ok,
    Warning,
    Error,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListTasksArgs {
    /// Only this node's tasks, e.g. `pve1`.
    #[schemars(length(min = 1, max = 63))]
    pub node: Option<String>,
    /// Only the tasks of this guest.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: Option<u64>,
    /// Only task types containing this text: `qmstart`, `vzdump`, `qmsnapshot`, or `qm`
    /// (every VM task), `vz` (container tasks and backups).
    #[serde(rename = "type")]
    #[schemars(length(min = 1, max = 32))]
    pub task_type: Option<String>,
    /// Only running tasks, or those that ended OK, with warnings, or with an error.
    pub status: Option<TaskStatusArg>,
    /// At most this many tasks (1 to 1000, default 100).
    #[schemars(range(min = 1, max = 1000), extend("default" = 100))]
    pub limit: Option<u64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskLogArgs {
    /// The task id (UPID), e.g. `UPID:pve1:0012ABCD:...:qmstart:101:root@pam:`.
    #[schemars(length(min = 1, max = 256))]
    pub upid: String,
    /// How many of the last lines (1 to 1000, default 100).
    #[schemars(range(min = 1, max = 1000), extend("default" = 100))]
    pub lines: Option<u64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskStatusArgs {
    /// The task id (UPID).
    #[schemars(length(min = 1, max = 256))]
    pub upid: String,
    /// Wait until the task stops (default false), with progress notifications.
    #[schemars(extend("default" = false))]
    pub wait: Option<bool>,
    /// Longest wait in seconds (1 to 3600, default 120).
    #[schemars(range(min = 1, max = 3600), extend("default" = 120))]
    pub timeout_secs: Option<u64>,
}

impl ListTasksArgs {
    pub fn into_request(self) -> Result<TaskQuery, ArgError> {
        Ok(TaskQuery {
            node: self.node.as_deref().map(node).transpose()?,
            vmid: self.vmid.map(vmid).transpose()?,
            task_type: self
                .task_type
                .as_deref()
                .map(TaskTypeFilter::parse)
                .transpose()?,
            status: self.status.map(|s| match s {
                TaskStatusArg::Running => TaskStatusFilter::Running,
                TaskStatusArg::Ok => TaskStatusFilter::Ok,
                TaskStatusArg::Warning => TaskStatusFilter::Warning,
                TaskStatusArg::Error => TaskStatusFilter::Error,
            }),
            limit: PageLimit::new(self.limit.unwrap_or(PageLimit::DEFAULT.into()))?,
        })
    }
}

impl TaskLogArgs {
    pub fn into_request(self) -> Result<TaskLogQuery, ArgError> {
        Ok(TaskLogQuery {
            upid: Upid::parse(&self.upid)?,
            lines: PageLimit::new(self.lines.unwrap_or(PageLimit::DEFAULT.into()))?,
        })
    }
}

impl TaskStatusArgs {
    /// The task, and how long to wait for it (`None`: do not wait).
    pub fn into_request(self) -> Result<(Upid, Option<Duration>), ArgError> {
        let wait = wait_for(Some(self.wait.unwrap_or(false)), self.timeout_secs)?;
        Ok((Upid::parse(&self.upid)?, wait))
    }
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListStorageArgs {
    /// Only this node's storages, e.g. `pve1`; omit for every node.
    #[schemars(length(min = 1, max = 63))]
    pub node: Option<String>,
}

/// A kind of storage content.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ContentArg {
    Images,
    Rootdir,
    Vztmpl,
    Iso,
    Backup,
    Snippets,
    Import,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StorageContentArgs {
    /// The node, e.g. `pve1` (for a shared storage, any node that has it).
    #[schemars(length(min = 1, max = 63))]
    pub node: String,
    /// The storage id, e.g. `local` or `nas` (see list_storage).
    #[schemars(length(min = 2, max = 64))]
    pub storage: String,
    /// Only this kind of content: `iso` images, container templates (`vztmpl`),
    /// `backup`s, guest disks (`images`, `rootdir`), `snippets`, `import`.
    pub content: Option<ContentArg>,
    /// Only volumes of this guest.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: Option<u64>,
}

impl ListStorageArgs {
    pub fn into_request(self) -> Result<StorageQuery, ArgError> {
        Ok(StorageQuery {
            node: self.node.as_deref().map(node).transpose()?,
        })
    }
}

impl StorageContentArgs {
    pub fn into_request(self) -> Result<ContentQuery, ArgError> {
        Ok(ContentQuery {
            node: node(&self.node)?,
            storage: StorageId::parse(&self.storage)?,
            content: self.content.map(|c| match c {
                ContentArg::Images => ContentType::Images,
                ContentArg::Rootdir => ContentType::Rootdir,
                ContentArg::Vztmpl => ContentType::Vztmpl,
                ContentArg::Iso => ContentType::Iso,
                ContentArg::Backup => ContentType::Backup,
                ContentArg::Snippets => ContentType::Snippets,
                ContentArg::Import => ContentType::Import,
            }),
            vmid: self.vmid.map(vmid).transpose()?,
        })
    }
}

/// How far back: `hour` (1-minute points), `day` (30 minutes), `week` (3 hours).
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TimeframeArg {
    Hour,
    Day,
    Week,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestMetricsArgs {
    /// The guest's numeric id (VMID), e.g. 101.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: u64,
    /// The last hour (default), day or week.
    pub timeframe: Option<TimeframeArg>,
}

impl GuestMetricsArgs {
    pub fn into_request(self) -> Result<MetricsQuery, ArgError> {
        Ok(MetricsQuery {
            vmid: vmid(self.vmid)?,
            timeframe: match self.timeframe {
                None | Some(TimeframeArg::Hour) => Timeframe::Hour,
                Some(TimeframeArg::Day) => Timeframe::Day,
                Some(TimeframeArg::Week) => Timeframe::Week,
            },
        })
    }
}

/// A guest agent question.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AgentArg {
    /// Whether the agent answers.
    Ping,
    /// OS name, version, kernel.
    Osinfo,
    /// Interfaces with MAC and IP addresses.
    Network,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestAgentArgs {
    /// The VM's numeric id (VMID), e.g. 101.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: u64,
    /// What to ask the agent.
    pub command: AgentArg,
}

impl GuestAgentArgs {
    pub fn into_request(self) -> Result<AgentQuery, ArgError> {
        Ok(AgentQuery {
            vmid: vmid(self.vmid)?,
            command: match self.command {
                AgentArg::Ping => AgentCommand::Ping,
                AgentArg::Osinfo => AgentCommand::OsInfo,
                AgentArg::Network => AgentCommand::Network,
            },
        })
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BackupStartArgs {
    /// The guest's numeric id (VMID), e.g. 101.
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: u64,
    /// The storage to write the backup to; only those the policy lists are allowed
    /// (see my_permissions).
    #[schemars(length(min = 2, max = 64))]
    pub storage: String,
    /// Wait until the backup task finishes and report its result (default true).
    #[schemars(extend("default" = true))]
    pub wait: Option<bool>,
    /// Longest wait in seconds (1 to 3600, default 120); the task is not cancelled.
    #[schemars(range(min = 1, max = 3600), extend("default" = 120))]
    pub timeout_secs: Option<u64>,
}

impl BackupStartArgs {
    pub fn into_plan(self) -> Result<ActionPlan, ArgError> {
        Ok(ActionPlan {
            request: Operation::Backup(BackupRequest {
                vmid: vmid(self.vmid)?,
                storage: StorageId::parse(&self.storage)?,
                confirmed: false,
            }),
            wait: wait_for(self.wait, self.timeout_secs)?,
        })
    }
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
        })
    }
}
