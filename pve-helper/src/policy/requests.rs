//! The requests as two patterns, one per module that judges them, so that both
//! `decide` matches stay exhaustive without a `_` arm: a new request compiles only once
//! one of the patterns names it and its module judges it.

/// The lifecycle requests, judged in `decide_lifecycle`: a pattern, so that the
/// matches of both `decide` modules stay exhaustive (a new request compiles only once
/// one of the two patterns names it).
macro_rules! lifecycle_requests {
    () => {
        pve_mcp_proto::Request::GuestCreate(_)
            | pve_mcp_proto::Request::GuestClone(_)
            | pve_mcp_proto::Request::GuestTemplate(_)
            | pve_mcp_proto::Request::GuestConfigure(_)
            | pve_mcp_proto::Request::DiskResize(_)
            | pve_mcp_proto::Request::GuestMigrate(_)
            | pve_mcp_proto::Request::GuestDelete(_)
            | pve_mcp_proto::Request::BackupRestore(_)
            | pve_mcp_proto::Request::VolumeDelete(_)
            | pve_mcp_proto::Request::StorageDownload(_)
            | pve_mcp_proto::Request::TaskCancel(_)
            | pve_mcp_proto::Request::AgentExec(_)
            | pve_mcp_proto::Request::Firewall(_)
            | pve_mcp_proto::Request::ListPools(_)
            | pve_mcp_proto::Request::HaResources(_)
            | pve_mcp_proto::Request::NextVmid(_)
    };
}

/// Every other request, judged in `decide` itself.
macro_rules! other_requests {
    () => {
        pve_mcp_proto::Request::ListGuests(_)
            | pve_mcp_proto::Request::GuestStatus(_)
            | pve_mcp_proto::Request::GuestAction(_)
            | pve_mcp_proto::Request::NodeStatus(_)
            | pve_mcp_proto::Request::TaskStatus(_)
            | pve_mcp_proto::Request::Api(_)
            | pve_mcp_proto::Request::RunCommand(_)
            | pve_mcp_proto::Request::GuestAgent(_)
            | pve_mcp_proto::Request::GuestMetrics(_)
            | pve_mcp_proto::Request::ListStorage(_)
            | pve_mcp_proto::Request::StorageContent(_)
            | pve_mcp_proto::Request::BackupStart(_)
            | pve_mcp_proto::Request::ListBackups(_)
            | pve_mcp_proto::Request::ClusterStatus(_)
            | pve_mcp_proto::Request::ListTasks(_)
            | pve_mcp_proto::Request::TaskLog(_)
            | pve_mcp_proto::Request::GuestConfig(_)
            | pve_mcp_proto::Request::SnapshotList(_)
            | pve_mcp_proto::Request::SnapshotCreate(_)
            | pve_mcp_proto::Request::SnapshotRollback(_)
            | pve_mcp_proto::Request::SnapshotDelete(_)
            | pve_mcp_proto::Request::Describe(_)
    };
}
