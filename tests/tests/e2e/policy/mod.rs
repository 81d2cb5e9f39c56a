//! The policy through the real binaries: reloads, rate limits and the audit trail
//! (`rules`), several clients each under its own policy (`clients`), the admin reading that trail back with `pve-helper audit` (`audit`), what the model is told it may do (`permissions`, `visibility`), and text
//! that a guest or Proxmox controls reaching the model only as data (`guest_text`).

mod audit;
mod clients;
mod guest_text;
mod permissions;
mod rules;
mod visibility;
