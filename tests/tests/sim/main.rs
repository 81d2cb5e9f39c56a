//! The simulator's own tests: `pve-sim` checked directly over HTTPS (no mcp-front, no
//! pve-helper), against Proxmox VE's published API schema and its sources, so that the
//! product's end-to-end tests (`tests/tests/e2e`) run against a Proxmox that behaves
//! as a real one does. One module per concern.

mod access;
mod admin;
mod api;
mod binary;
mod faults;
mod firewall;
mod lifecycle;
mod locks;
mod moves;
mod perf;
mod schema;
mod versions;
