//! A guest's config: the file and its map of keys, the keys PVE's API accepts and the
//! formats of their values, how values are written, the disks in a config, the writes
//! (`PUT`/`POST .../config`) and the other views of a config (`pending`, ...).

pub(crate) mod disks;
pub(crate) mod file;
pub(crate) mod keys;
pub(crate) mod update;
pub(crate) mod value_formats;
pub(crate) mod values;
pub(crate) mod views;
