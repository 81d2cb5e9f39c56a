//! Storages and what they hold: status, volumes and their attributes, linked clones'
//! base volumes, downloads and volume deletion, vzdump backups, and QEMU migration's
//! storage map.

pub(crate) mod download;
pub(crate) mod linked;
pub(crate) mod map;
pub(crate) mod status;
pub(crate) mod volume_info;
pub mod volumes;
pub(crate) mod vzdump;
