//! What the API token may do: its role's privileges as the lifecycle handlers check
//! them (per route, per QEMU and per container setting) and the ACL it reads.

pub(crate) mod acl;
pub(crate) mod lxc_config;
pub(crate) mod qemu_config;
pub(crate) mod role;
pub(crate) mod routes;
pub(crate) mod volumes;
