//! pve-helper: the privileged half of pve-mcp. It alone holds the Proxmox API token,
//! judges every request from a connected front against the policy, audits the
//! decision, and only then calls Proxmox or runs an allow-listed command.
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod policy;
