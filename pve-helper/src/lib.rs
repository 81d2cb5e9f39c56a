//! pve-helper: the privileged half of pve-mcp. It alone holds the Proxmox API token,
//! judges every request from a connected front against the policy, audits the
//! decision, and only then calls Proxmox or runs an allow-listed command.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod audit;
pub mod cli;
pub mod commands;
pub mod config;
pub mod explain;
pub mod limits;
pub mod paths;
pub mod peer;
pub mod policies;
pub mod policy;
pub mod privileges;
pub mod pve;
pub mod schema;
pub mod secret;
pub mod server;
pub mod service;
pub mod setup;
pub mod socket;
pub mod stages;
