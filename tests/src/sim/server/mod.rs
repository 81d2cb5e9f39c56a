//! The simulator as a process and a server: the HTTPS listener and its TLS identity,
//! token authentication, HTTP replies, the `/_sim/` control endpoints, injectable
//! faults, counters, the handle tests hold, the administrator's back door and the
//! `pve-sim` command line. Requests are routed from here into [`super::api`].

pub(crate) mod admin;
pub(crate) mod auth;
pub mod cli;
pub(crate) mod control;
pub mod faults;
pub(crate) mod handle;
pub(crate) mod https;
pub(crate) mod reply;
pub(crate) mod shared;
pub mod stats;
pub mod tls;
