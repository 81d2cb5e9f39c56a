//! The product's end-to-end tests: the real `mcp-front`, driven by an MCP client over
//! stdio, talking to the real `pve-helper` over a real Unix socket, which talks HTTPS
//! to the simulated cluster (`pve-sim`) or to a third party's fake of Proxmox VE.
//! Grouped by area; each area's shared support lives in its `mod.rs`.
//!
//! - `tools`: each tool family, allowed and refused as the policy says.
//! - `lifecycle`: creating, configuring and removing guests under the lab-builder
//!   policy, its bounds and the fixed floor.
//! - `policy`: reloads, rate limits and the audit trail, several clients each under its
//!   own policy, what the model is told it may do, and text that a guest controls.
//! - `adversarial`: a hostile assistant against a permissive-but-bounded policy.
//! - `hardening`: hostile bytes on the socket, faults of Proxmox, load, secrets.
//! - `clients`: third-party MCP clients (the Python SDK, the Inspector CLI).
//! - `fakepve`: the whole lab workflow against fakepve, a fake of PVE 9 no one here wrote.
//! - `demo`, `bench`: the README's demo and the benchmark binary, at a tiny size.

mod adversarial;
mod bench;
mod clients;
mod demo;
mod fakepve;
mod hardening;
mod lifecycle;
mod policy;
mod tools;
