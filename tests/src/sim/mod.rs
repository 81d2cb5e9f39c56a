//! A simulated Proxmox VE 8 cluster, served over HTTPS on loopback, for end-to-end tests,
//! benchmarks, fault tests and the no-Proxmox demo. It owns the whole fake: TLS identity,
//! token auth, the `/api2/json` endpoints pve-mcp uses, stateful guests and tasks, faults
//! and counters. Every request is treated as hostile input and answered PVE-style.
//!
//! # Fidelity
//! Shapes were checked against the PVE sources (pve-manager, qemu-server, pve-container,
//! pve-http-server, pve-common, pve-access-control) of PVE 8.3/8.4:
//! - `{"data": ...}` envelopes; errors carry the message as reason phrase *and* (since
//!   libpve-http-server-perl 5.2.0) in the body: `{"data":null,"message":"...\n"}`, plus
//!   `"errors":{param: msg}` for 400 "Parameter verification failed.". `die` messages keep
//!   their trailing newline in the body. Every response with status >= 400 closes the
//!   connection, and a connection is closed after 100 requests, as pveproxy does.
//! - 401 has an empty body and reason "No ticket" (no credentials) or "Authentication
//!   failed!" (bad token; tickets are never accepted). pveproxy delays 401s by 3 s; the
//!   simulator only does with [`SimConfig::auth_failure_delay`].
//! - Auth header: `Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET` (or a space
//!   instead of the first `=`); the value is split at its last `=`. A `:` separator is
//!   refused, like PVE does.
//! - Oddities kept: `/cluster/resources` lists pools, guests (vmids sorted as *strings*:
//!   100, 1000, 1001, ..., 101), nodes, storages, SDN; its `type` filter only accepts
//!   `vm|storage|node|sdn` (PVE's enum has no `pool`); a paused VM has status "paused"
//!   there but "running" (with `qmpstatus` "paused") in `/nodes/{node}/qemu`; QEMU config
//!   `memory` is a string; LXC `cpus` is a string when only `cpulimit` is set; booleans
//!   are 0/1; `loadavg`, `cpuinfo.mhz` and `cpuinfo.hvm` are strings; node `idle` is 0.
//! - Actions follow PVE's split between synchronous checks (HTTP 500, e.g. "VM 101 not
//!   running" for reset/reboot/suspend/resume, "CT 102 already running") and worker
//!   failures (task exit status, e.g. "VM 101 already running" for qmstart). In-memory
//!   suspend is task type `qmpause` (`qmsuspend` is suspend-to-disk); containers have
//!   no reset (501). HA-managed guests start/stop through `hastart`/`hastop` tasks.
//! - Unknown nodes fail like pveproxy's proxy lookup (500 "hostname lookup ... failed");
//!   `localhost` means the first node; a guest looked up on the wrong node or with the
//!   wrong type fails with "Configuration file 'nodes/{node}/qemu-server/{vmid}.conf'
//!   does not exist".
//!
//! Not simulated: tickets, compression, HTTP/2, other endpoints (they answer 501 like
//! unknown paths do), idle-connection timeouts.
//!
//! The dataset is documented in [`dataset`].

mod actions;
mod agent;
mod api;
mod auth;
pub mod cli;
mod cluster;
mod control;
pub mod dataset;
mod errors;
pub mod faults;
mod ha;
mod handle;
mod params;
mod render_cluster;
mod render_guests;
mod reply;
mod rrd;
mod server;
mod shared_cluster;
mod snapshots;
pub mod stats;
mod storage;
mod task_list;
mod tasks;
pub mod tls;
mod vzdump;

use std::time::{Duration, Instant};

use serde::Serialize;

pub use auth::TokenAuth;
pub use dataset::{GuestKind, GuestSeed, PowerState, StorageSeed, dataset, node_names};
pub use errors::ApiError;
pub use faults::Faults;
pub use handle::{SimHandle, spawn, start};
pub use render_cluster::{PVE_RELEASE, PVE_REPOID, PVE_VERSION};
pub use stats::SimStats;
pub use tasks::Upid;

/// The default API token ID (`USER@REALM!TOKENID`).
pub const DEFAULT_TOKEN_ID: &str = "mcp@pve!mcp";

/// How to build and serve a simulated cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// Number of nodes (`pve1`..): at least 1.
    pub nodes: usize,
    /// Number of guests (vmid 100..).
    pub guests: usize,
    /// `USER@REALM!TOKENID=SECRET`; empty means [`DEFAULT_TOKEN_ID`] with a random secret.
    pub token: String,
    /// How long each worker task runs before it finishes and changes the guest.
    pub task_duration: Duration,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Latency added to every API request (the initial [`Faults::latency`]).
    pub latency: Duration,
    /// Delay before answering 401 (real pveproxy: 3 s).
    pub auth_failure_delay: Duration,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            nodes: 3,
            guests: 300,
            token: String::new(),
            task_duration: Duration::from_millis(300),
            port: 0,
            latency: Duration::ZERO,
            auth_failure_delay: Duration::ZERO,
        }
    }
}

/// A guest's current state, for test assertions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuestState {
    pub vmid: u32,
    pub kind: GuestKind,
    pub node: String,
    pub power: PowerState,
    /// Seconds; 0 when stopped.
    pub uptime: u64,
    /// Config lock, e.g. `suspended` after a suspend to disk.
    pub lock: Option<&'static str>,
    /// Whether a task on this guest is still running.
    pub busy: bool,
}

/// The state of guest `vmid`, after finishing every due task.
fn guest_state(cluster: &shared_cluster::SharedCluster, vmid: u32) -> Option<GuestState> {
    let now = Instant::now();
    let mut c = cluster.write().unwrap_or_else(|e| e.into_inner());
    c.settle(now);
    let g = c.guest(vmid)?;
    Some(GuestState {
        vmid,
        kind: g.seed.kind,
        node: g.seed.node.clone(),
        power: g.power,
        uptime: g.uptime(now),
        lock: g.lock,
        busy: g.busy_until.is_some_and(|t| t > now),
    })
}
