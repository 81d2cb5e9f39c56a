//! What every request handler shares: the cluster, the token's auth, the faults, the
//! counters, the schema tally and the shutdown signal. Built once by [`super::handle`];
//! the server and the control endpoints read it.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::watch;

use super::auth::TokenAuth;
use super::faults::Faults;
use super::stats::Stats;

/// Everything the request handlers share.
#[derive(Debug)]
pub struct Shared {
    pub cluster: crate::sim::cluster::shared::SharedCluster,
    pub auth: TokenAuth,
    pub faults: Mutex<Faults>,
    pub stats: Stats,
    /// What the schema checks judged and refused.
    pub tally: crate::sim::schema::Tally,
    /// pveproxy delays every 401 by 3 s; the simulator by this (default zero).
    pub auth_failure_delay: Duration,
    pub shutdown: watch::Receiver<bool>,
}
