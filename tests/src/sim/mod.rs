//! A simulated Proxmox VE 8 or 9 cluster, served over HTTPS on loopback, for end-to-end
//! tests, benchmarks, fault tests and the no-Proxmox demo. It owns the whole fake: TLS
//! identity, token auth, the `/api2/json` endpoints pve-mcp uses, stateful guests and
//! tasks, faults and counters. Every request is treated as hostile input and answered
//! PVE-style.
//!
//! # Where things live
//! A request travels down the folders: `server/` (HTTPS, TLS, token auth, replies,
//! the `/_sim/` control endpoints, faults, counters, the [`SimHandle`] and the command
//! line) hands it to `api/` (the `/api2/json` dispatcher and route tables), which has
//! [`schema`] judge it against the published API schema (with `params/`, the
//! hand-written parameter checks of the lifecycle routes) and `access/` check the
//! token's privileges; the handlers live in `guests/` (lifecycle, config, locks,
//! snapshots, firewall, agent), `storage/` (volumes, downloads, vzdump) and
//! `tasks/` (the task store, listings, history, logs), over the state in `cluster/`
//! (dataset, guests, pools, HA, jobs); `render/` writes the JSON views. `errors`
//! are the answers every layer may fail with.
//!
//! # The published schema judges every request
//! Before any handler runs, [`schema`] judges the request against the API schema of the
//! release the cluster runs ([`SimConfig::pve`]: `api/pve-8.json.gz` or
//! `api/pve-9.json.gz`), as pveproxy's `rest_handler` does and in its order: the
//! endpoint must exist (501), path and request parameters must not conflict (400), the
//! token's role, when one is set ([`SimConfig::privileges`]), must hold what the
//! endpoint's `permissions` ask (403 `Permission check failed (PATH, PRIV)`; the
//! handlers' own checks follow), the node must be a cluster member (500), and the
//! parameters must pass `PVE::JSONSchema::validate` (400 with per-parameter errors):
//! types, enumerations, ranges, lengths, Perl patterns, named formats and property
//! strings, in pve-common's words for that release. Request parameters are read as
//! pveproxy reads them (`schema::perl_values`): `GET`/`DELETE` bodies are ignored, the query
//! replaces body parameters, `name=` is `undef`, JSON keeps its types. What was judged,
//! refused and denied, and the named formats not modelled (they pass), are counted per
//! simulator ([`SimHandle::schema_figures`], `GET /_sim/schema`) and written to
//! `target/tmp/pve-mcp-figures/schema-*.txt` when it stops; `.ci/run` fails when the
//! product sent a request the schema refuses. Tests that send invalid requests on
//! purpose set [`SimConfig::expects_invalid_requests`].
//!
//! # PVE 8 and PVE 9
//! [`PveVersion`] (default PVE 8.4): the schema; `GET /version` and a node's
//! `pveversion` and kernel (8.4.1 / 9.2.11); the privileges a role may hold (PVE 9 has
//! no `VM.Monitor`, and has `VM.GuestAgent.{Audit,Unrestricted,FileRead,FileWrite,
//! FileSystemMgmt}` and `VM.Replicate`: a role with another release's privilege is
//! refused with `invalid privilege 'NAME'`); the guest agent's permissions (from each
//! schema, and in the `exec` handler); HA (PVE 9 migrated the group to the rule
//! `ha-group-all-nodes`: `GET /cluster/ha/groups` answers 500, resources carry no group,
//! `/cluster/ha/rules` exists; PVE 8 has no rules endpoint, 501); and pve-common's
//! wording (`missing property required by 'x'`, `storage ID 'a' cannot be shorter than
//! 2 characters`, `key 'k' is already defined (via alias)`, sizes in `GiB`).
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
//! - Guest lifecycle (`api::lifecycle_routes`, checked against qemu-server 8.3,
//!   pve-container 5.2, pve-storage 8.3, pve-manager 8.4): `POST /nodes/{node}/{qemu,lxc}`
//!   (create; restore with `archive`, or `ostemplate` + `restore=1`), `.../{vmid}/clone`,
//!   `.../{vmid}/template`, `PUT .../{vmid}/config` (both kinds, returns null) and `POST
//!   .../qemu/{vmid}/config` (a `qmconfig` task), `PUT .../{vmid}/resize`, `POST
//!   .../{vmid}/migrate`, `DELETE .../{vmid}`, `POST /nodes/{node}/storage/{storage}/
//!   download-url`, `DELETE /nodes/{node}/storage/{storage}/content/{volume}`, `DELETE
//!   /nodes/{node}/tasks/{upid}`, `POST .../qemu/{vmid}/agent/exec` and `GET
//!   .../agent/exec-status`; reads: firewall rules and options (cluster, node, guest),
//!   `/pools`, `/pools/{poolid}`, `/cluster/ha/{resources,groups}`, `/cluster/nextid`,
//!   `/nodes/{node}/vzdump/extractconfig`. Checks PVE makes before forking answer at once
//!   (400 per parameter, 403, 500), the rest end the task (`unable to create VM 131 -
//!   volume local:iso/x.iso does not exist`, QEMU's `shrinking disks is not supported`).
//!   Task types: `qmcreate`, `qmrestore`, `vzcreate`, `vzrestore`, `qmclone`, `vzclone`,
//!   `qmtemplate`, `vztemplate`, `qmconfig`, `resize`, `qmigrate`, `vzmigrate`,
//!   `hamigrate`, `qmdestroy`, `vzdestroy`, `download`, `imgdel`. A stopped task ends
//!   with its worker's interrupt message (`received interrupt`, `got interrupted by
//!   signal`, `clone failed: interrupted by signal`).
//! - Simplifications: config changes apply at once, also to running guests (PVE keeps
//!   some `pending` until a reboot); a new guest exists with its whole config (locked
//!   `create`) while its worker runs; HA migrations move the guest when `hamigrate` ends;
//!   a bridge is only checked when a guest starts (`bridge 'vmbr9' does not exist`, as
//!   PVE); deleting a disk volume a guest still uses fails its `imgdel` task; cloud-init
//!   drives are not listed as storage content; only the token's own view is simulated:
//!   a role on `/` (no ACL paths). By default that role is reported as
//!   `TOKEN_PRIVILEGES` and not checked (only the `pve-locked` guests'
//!   403); with [`SimConfig::privileges`] it is exactly those privileges, checked as
//!   every endpoint's schema `permissions` say, then on the lifecycle routes and vzdump
//!   as their handlers check them (`access`: `VM.Config.HWType` for `scsihw`, `SDN.Use`
//!   for bridges, `VM.Backup` for another guest's backup, ...).
//!
//! - Config locks (`guests::locks`, checked against pve-guest-common's `AbstractConfig`,
//!   qemu-server 9.2, pve-container and pve-manager's `VZDump`): a vzdump task locks its
//!   guest `backup` while it runs (and holds the node's global vzdump lock: another
//!   backup on that node waits, `trying to get global lock - waiting...`), a snapshot
//!   task `snapshot`, `snapshot-delete` or `rollback`; so does a task an administrator
//!   runs ([`TaskRecord`] still running, e.g. a backup job), until it ends or is stopped.
//!   Meanwhile handlers that run `check_lock` answer 500 `VM is locked (backup)` (config
//!   writes, QEMU migrate, clone, template, restore over it, CT destroy), and workers
//!   that do fail at once with it (power actions, snapshots, QEMU destroy and resize, CT
//!   migrate: `migration aborted`, vzdump: `job errors`) instead of waiting for the lock
//!   holder; qemu-server's exemptions hold (a `backup` lock lets a VM pause, resume and
//!   start while running, a `suspended` one lets it be destroyed). A template whose base
//!   volume a linked clone still uses is not destroyed (`storage::linked`: `base volume
//!   'local-lvm:base-109-disk-0' is still in use by linked cloned`, qemu-server's words;
//!   pve-storage's `... by linked clones` for containers). A VM's restore ends with
//!   qemu-server's `rescan`: a disk of its vmid no config line references becomes
//!   `unusedN` (`VM 103 add unreferenced volume '...' as 'unused0' to config`).
//! - What surrounds the guests (`api::audit_routes`, checked against pve-manager 8.4/9,
//!   pve-ha-manager, pve-access-control, qemu-server and pve-storage): the cluster log and
//!   a node's syslog and journal, which log `starting task UPID` and `end task UPID STATUS`
//!   for every task (`fork_worker`), and `GET /nodes/{node}/report` (`qm list`, `pct
//!   list`); `GET /access/acl`; backup jobs (`/cluster/backup[/{id}[/included_volumes]]`,
//!   `/cluster/backup-info/not-backed-up`) and replication jobs (`/cluster/replication
//!   [/{id}]`, `/nodes/{node}/replication[/{id}/status|log]`); HA resources by sid, the
//!   manager's status (`/cluster/ha/status/manager_status`) and PVE 9's `/cluster/ha/rules
//!   [/{rule}]`; a guest's `/pending`, a VM's `/cloudinit/dump` (the password hash unless
//!   the token lacks `VM.Config.Cloudinit`) and a snapshot's `/config` (unmasked); one
//!   volume's attributes (`GET .../content/{volume}`) and `GET .../prunebackups`.
//!   Snapshots keep the config and tags they were taken with, and a rollback restores
//!   them. Jobs, rules, ACL entries, tasks others ran ([`TaskRecord`], of any type, with
//!   their log) and orphan disks exist only once an administrator adds them.
//! - What a health check reads (`api::health_routes`): ZFS pools, disks with their SMART
//!   health, certificates, pending updates and Ceph's status, a fixed picture with a few
//!   things wrong (a DEGRADED pool and a FAILED disk on the second node, a certificate
//!   expiring in 10 days on the third, updates pending on the first, one OSD down).
//!
//! Not simulated: tickets, compression, HTTP/2, other endpoints of the schema (they
//! answer 501 like unknown paths do, and are counted apart), idle-connection timeouts. A restore reads an archive's config
//! loosely: section headers (`[snapshot]`, `[PENDING]`) do not end the main section, and
//! raw `lxc.key = value` lines are ignored (PVE keeps sections and takes both spellings
//! of raw LXC keys).
//!
//! The dataset is documented in [`dataset`].
//!
//! # Inspecting the state from tests
//! [`SimHandle`] gives [`SimHandle::guest_state`] (node, power, name, template, pool,
//! tags, `maxmem`/`maxdisk`, lock, busy), [`SimHandle::guest_config`] (the stored config:
//! the cloud-init password as its hash), [`SimHandle::vmids`], [`SimHandle::volumes`]
//! (a storage's volume IDs as a node lists them) and [`SimHandle::running_tasks`]; a
//! `pve-sim` process answers `GET /_sim/guests/{vmid}` and `GET
//! /_sim/guests/{vmid}/config` the same way. What no API call of the token makes, an
//! administrator does through [`SimHandle::edit_config`] (a privileged container, a
//! host device), [`SimHandle::add_backup`] (a backup holding any config) and
//! [`SimHandle::set_privileges`] (the token's role), or the `/_sim/` control endpoints;
//! and, through [`SimHandle`] only, [`SimHandle::add_guest`] (any vmid, pool, tags,
//! config and snapshots), [`SimHandle::remove_guest`], [`SimHandle::add_task`],
//! [`SimHandle::add_orphan_disk`] and [`SimHandle::add_record`] (backup and replication
//! jobs, HA rules, ACL entries). [`SimStats::writes`] lists the write requests that
//! reached the simulator, per method and path.

pub(crate) mod access;
pub(crate) mod api;
pub(crate) mod cluster;
mod errors;
pub(crate) mod guests;
pub(crate) mod params;
pub(crate) mod render;
pub mod schema;
pub(crate) mod server;
pub(crate) mod storage;
pub(crate) mod tasks;

use std::time::{Duration, Instant};

use serde::Serialize;

pub use access::acl::AclEntry;
pub use cluster::dataset::{
    self, GuestKind, GuestSeed, PowerState, StorageSeed, dataset, node_names,
};
pub use cluster::ha::HaRule;
pub use cluster::jobs::{BackupJob, ReplicationJob, Selection};
pub use errors::ApiError;
pub use render::cluster::{PVE_RELEASE, PVE_REPOID, PVE_VERSION};
pub use schema::version::{self, PveVersion};
pub use schema::{Figures, Rejection};
pub use server::admin::{NewGuest, NewSnapshot, Record};
pub use server::auth::TokenAuth;
pub use server::faults::{self, Faults};
pub use server::handle::{SimHandle, spawn, start};
pub use server::stats::{self, SimStats};
pub use server::{cli, tls};
pub use storage::volumes;
pub use tasks::history::TaskRecord;
pub use tasks::store::Upid;

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
    /// The privileges of the token's role (on `/`, propagated), checked as each
    /// endpoint's schema `permissions` and the lifecycle routes' handlers check them;
    /// `None`: the default role, reported as `TOKEN_PRIVILEGES` and not checked. Each
    /// must be a privilege of [`SimConfig::pve`] (PVE 9 has no `VM.Monitor`).
    pub privileges: Option<Vec<String>>,
    /// The Proxmox VE release to answer as: its API schema, version, privileges and HA.
    pub pve: PveVersion,
    /// The requests sent straight to this simulator include invalid ones on purpose
    /// (tests of the simulator itself): its schema rejections are reported as expected
    /// ones and do not fail CI.
    pub expects_invalid_requests: bool,
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
            privileges: None,
            pve: PveVersion::from_env(),
            expects_invalid_requests: false,
        }
    }
}

/// A guest's current state, for test assertions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuestState {
    pub vmid: u32,
    pub kind: GuestKind,
    pub node: String,
    /// QEMU `name` or LXC `hostname` (PVE's default `VM {vmid}`/`CT{vmid}` without one).
    pub name: String,
    pub template: bool,
    pub pool: Option<&'static str>,
    pub tags: Option<String>,
    /// `maxmem` and `maxdisk`, bytes.
    pub maxmem: u64,
    pub maxdisk: u64,
    pub power: PowerState,
    /// Seconds; 0 when stopped.
    pub uptime: u64,
    /// Config lock, e.g. `suspended` after a suspend to disk.
    pub lock: Option<&'static str>,
    /// Whether a task on this guest is still running.
    pub busy: bool,
}

/// The state of guest `vmid`, after finishing every due task.
fn guest_state(cluster: &cluster::shared::SharedCluster, vmid: u32) -> Option<GuestState> {
    let now = Instant::now();
    let mut c = cluster.write().unwrap_or_else(|e| e.into_inner());
    c.settle(now);
    let g = c.guest(vmid)?;
    Some(GuestState {
        vmid,
        kind: g.seed.kind,
        node: g.seed.node.clone(),
        name: g.seed.name.clone(),
        template: g.seed.template,
        pool: g.seed.pool,
        tags: g.tags.clone(),
        maxmem: g.seed.maxmem(),
        maxdisk: g.maxdisk,
        power: g.power,
        uptime: g.uptime(now),
        lock: g.lock,
        busy: g.busy_until.is_some_and(|t| t > now),
    })
}

/// Guest `vmid`'s config as stored (the cloud-init password as its hash; without
/// `digest`, `lock`, `tags`, `template`).
fn guest_config(
    cluster: &cluster::shared::SharedCluster,
    vmid: u32,
) -> Option<std::collections::BTreeMap<String, String>> {
    let mut c = cluster.write().unwrap_or_else(|e| e.into_inner());
    c.settle(Instant::now());
    c.guest(vmid).map(|g| g.config_map().into_owned())
}
