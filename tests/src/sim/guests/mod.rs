//! Guests as qemu-server and pve-container handle them: the lifecycle (create, clone,
//! migrate, restore, resize, destroy, power), config files and their writes, config
//! locks, snapshots, the firewall and the QEMU guest agent.

pub(crate) mod agent;
pub(crate) mod agent_exec;
pub(crate) mod config;
pub(crate) mod firewall;
pub(crate) mod firewall_write;
pub(crate) mod lifecycle;
pub(crate) mod locks;
pub(crate) mod snapshots;
