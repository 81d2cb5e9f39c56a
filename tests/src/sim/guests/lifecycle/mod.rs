//! The guest lifecycle's handlers and workers: create (VM and container), clone and
//! template, migrate and destroy, restore, resize, disk moves, power actions, and the worker task
//! each one forks ([`work`]).

pub(crate) mod clone;
pub(crate) mod create;
pub(crate) mod create_ct;
pub(crate) mod migrate;
pub(crate) mod move_disk;
pub(crate) mod power;
pub(crate) mod resize;
pub(crate) mod restore;
pub(crate) mod work;
