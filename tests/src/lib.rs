//! Test support for pve-mcp: the simulated Proxmox VE cluster ([`sim`]) that end-to-end
//! tests, benchmarks, fault tests and the README's no-Proxmox demo run against.
#![forbid(unsafe_code)]

pub mod bench;
pub mod client;
pub mod demo;
pub mod sim;
pub mod sim_client;
pub mod stack;

/// How many tools mcp-front has: what it lists when it cannot know the policy, and what
/// the policy that grants everything lists.
pub const TOOL_COUNT: usize = 43;
