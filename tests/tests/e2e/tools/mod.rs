//! Each tool family end to end, allowed and refused as the policy says, with the
//! pinned `tools/list` answer.

mod agent;
mod backups;
mod cluster;
mod context;
mod guest_config;
mod health;
mod list_snapshot;
mod locks;
mod metrics;
mod networks;
mod seed;
mod snapshots;
mod storage;
mod tasks;
