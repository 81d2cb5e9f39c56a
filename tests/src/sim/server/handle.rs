//! Starting a simulator and holding on to it: [`spawn`] (own thread and 2-worker tokio
//! runtime, for sync tests), [`start`] (on the caller's runtime), and [`SimHandle`], which
//! exposes the URL, certificate, token, counters, faults, guest states and configs, and
//! storage contents, and shuts the server down when dropped, writing what the schema
//! checks judged to `target/tmp/pve-mcp-figures/` ([`crate::sim::schema::tally`]).

use std::collections::BTreeMap;

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use super::auth::TokenAuth;
use super::faults::Faults;
use super::https;
use super::shared::Shared;
use super::stats::{SimStats, Stats};
use super::tls::{self, TlsIdentity};
use crate::sim::cluster::state::Cluster;
use crate::sim::{DEFAULT_TOKEN_ID, GuestState, SimConfig};

/// Everything built before listening.
struct Prepared {
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    identity: TlsIdentity,
    cfg: SimConfig,
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.into())
}

fn prepare(cfg: SimConfig) -> io::Result<Prepared> {
    if cfg.nodes == 0 {
        return Err(invalid("a cluster needs at least one node"));
    }
    if cfg.guests > crate::sim::cluster::dataset::MAX_GUESTS {
        return Err(invalid("too many guests: vmids would exceed 999999999"));
    }
    let auth = if cfg.token.is_empty() {
        TokenAuth::random(DEFAULT_TOKEN_ID)
    } else {
        TokenAuth::parse(&cfg.token)
    }
    .map_err(invalid)?;
    if let Some(p) = &cfg.privileges {
        cfg.pve.check_privileges(p).map_err(invalid)?;
    }
    let identity = tls::generate()?;
    let mut cluster = Cluster::new(
        cfg.nodes,
        cfg.guests,
        cfg.task_duration,
        identity.fingerprint.clone(),
    );
    cluster.role = cfg.privileges.as_ref().map(|p| p.iter().cloned().collect());
    cluster.pve = cfg.pve;
    let (shutdown, shutdown_rx) = watch::channel(false);
    let faults = Faults {
        latency: cfg.latency,
        ..Faults::default()
    };
    let shared = Arc::new(Shared {
        cluster: crate::sim::cluster::shared::SharedCluster::new(cluster),
        auth,
        faults: Mutex::new(faults),
        stats: Stats::default(),
        tally: crate::sim::schema::Tally::default(),
        auth_failure_delay: cfg.auth_failure_delay,
        shutdown: shutdown_rx,
    });
    Ok(Prepared {
        shared,
        shutdown,
        identity,
        cfg,
    })
}

async fn bind(port: u16) -> io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

#[derive(Debug)]
enum Runner {
    Thread(std::thread::JoinHandle<()>),
    Task(tokio::task::JoinHandle<()>),
}

/// A running simulator. Dropping it stops the server (and joins its thread for [`spawn`]).
#[derive(Debug)]
pub struct SimHandle {
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    runner: Option<Runner>,
    addr: SocketAddr,
    identity: TlsIdentity,
    cfg: SimConfig,
    /// Whether the schema figures were written (once, when the server stops).
    figures_written: bool,
}

/// Starts a simulator on its own thread with its own 2-worker tokio runtime.
pub fn spawn(cfg: SimConfig) -> io::Result<SimHandle> {
    let p = prepare(cfg)?;
    let (tx, rx) = std::sync::mpsc::channel();
    let shared = p.shared.clone();
    let acceptor = TlsAcceptor::from(p.identity.server_config.clone());
    let port = p.cfg.port;
    let thread = std::thread::Builder::new()
        .name("pve-sim".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("pve-sim-worker")
                .enable_all()
                .build();
            let rt = match rt {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            rt.block_on(async move {
                match bind(port).await {
                    Ok((listener, addr)) => {
                        let _ = tx.send(Ok(addr));
                        https::serve(listener, acceptor, shared).await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            });
            rt.shutdown_timeout(Duration::from_secs(2));
        })?;
    let addr = rx
        .recv()
        .map_err(|_| io::Error::other("simulator thread died"))??;
    Ok(SimHandle::new(p, addr, Runner::Thread(thread)))
}

/// Starts a simulator on the current tokio runtime.
pub async fn start(cfg: SimConfig) -> io::Result<SimHandle> {
    let p = prepare(cfg)?;
    let (listener, addr) = bind(p.cfg.port).await?;
    let acceptor = TlsAcceptor::from(p.identity.server_config.clone());
    let task = tokio::spawn(https::serve(listener, acceptor, p.shared.clone()));
    Ok(SimHandle::new(p, addr, Runner::Task(task)))
}

impl SimHandle {
    fn new(p: Prepared, addr: SocketAddr, runner: Runner) -> SimHandle {
        tracing::info!(
            "simulated {} cluster on https://{addr}: {} nodes, {} guests, token {}",
            p.cfg.pve,
            p.cfg.nodes,
            p.cfg.guests,
            p.shared.auth.tokenid()
        );
        SimHandle {
            shared: p.shared,
            shutdown: p.shutdown,
            runner: Some(runner),
            addr,
            identity: p.identity,
            cfg: p.cfg,
            figures_written: false,
        }
    }

    /// `https://127.0.0.1:PORT` (no trailing slash; the API is under `/api2/json`).
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// SHA-256 fingerprint of the certificate, `AB:CD:...` (32 pairs).
    pub fn fingerprint(&self) -> &str {
        &self.identity.fingerprint
    }

    /// The certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.identity.cert_pem
    }

    /// The certificate, DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.identity.cert_der
    }

    /// The full token, `USER@REALM!TOKENID=SECRET`.
    pub fn token(&self) -> String {
        self.shared.auth.full()
    }

    /// The token ID, `USER@REALM!TOKENID`.
    pub fn token_id(&self) -> &str {
        self.shared.auth.tokenid()
    }

    /// The configuration the simulator runs with.
    pub fn config(&self) -> &SimConfig {
        &self.cfg
    }

    pub fn stats(&self) -> SimStats {
        self.shared.stats.snapshot()
    }

    pub fn reset_stats(&self) {
        self.shared.stats.reset();
    }

    /// What the schema checks judged so far: requests judged, refused by the schema,
    /// denied for the token's privileges, not simulated, formats not implemented.
    pub fn schema_figures(&self) -> crate::sim::Figures {
        self.shared.tally.figures()
    }

    /// Replaces the injected faults.
    pub fn set_faults(&self, faults: Faults) {
        *self.shared.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults;
    }

    pub fn faults(&self) -> Faults {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The current state of guest `vmid` (finishing due tasks first).
    pub fn guest_state(&self, vmid: u32) -> Option<GuestState> {
        crate::sim::guest_state(&self.shared.cluster, vmid)
    }

    /// Guest `vmid`'s config as stored: keys and values as PVE writes them (the
    /// cloud-init password as its hash), without `digest`, `lock`, `tags`, `template`.
    pub fn guest_config(&self, vmid: u32) -> Option<BTreeMap<String, String>> {
        crate::sim::guest_config(&self.shared.cluster, vmid)
    }

    /// Sets (`Some`) or removes (`None`) keys of guest `vmid`'s stored config, as an
    /// administrator editing its config file would; `false` if there is no such guest.
    pub fn edit_config(&self, vmid: u32, changes: &[(&str, Option<&str>)]) -> bool {
        let changes: Vec<(String, Option<String>)> = changes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.map(str::to_owned)))
            .collect();
        super::admin::edit_config(&self.shared.cluster, vmid, &changes)
    }

    /// Puts a backup of guest `vmid` holding `config` (a config file's text, as
    /// `extractconfig` returns it) on `storage` of `node`; returns its volume ID.
    pub fn add_backup(
        &self,
        node: &str,
        storage: &str,
        kind: crate::sim::GuestKind,
        vmid: u32,
        config: &str,
    ) -> Result<String, String> {
        super::admin::add_backup(&self.shared.cluster, node, storage, kind, vmid, config)
    }

    /// Gives the token a role of exactly `privileges`, which every endpoint checks from
    /// now on (`None`: the default role, not checked).
    ///
    /// # Panics
    /// If one is no privilege of the simulated release (`pveum` refuses it: `invalid
    /// privilege 'VM.Monitor'` on PVE 9); [`SimHandle::try_set_privileges`] returns that.
    pub fn set_privileges(&self, privileges: Option<&[String]>) {
        if let Err(e) = self.try_set_privileges(privileges) {
            panic!("set_privileges on {}: {e}", self.cfg.pve);
        }
    }

    /// [`SimHandle::set_privileges`], failing as `pveum role add` does on a privilege
    /// the release does not have.
    pub fn try_set_privileges(&self, privileges: Option<&[String]>) -> Result<(), String> {
        super::admin::set_role(&self.shared.cluster, privileges)
    }

    /// Adds a guest made behind the API, with any vmid, pool, tags and config.
    pub fn add_guest(&self, guest: crate::sim::NewGuest) -> Result<(), String> {
        super::admin::add_guest(&self.shared.cluster, guest)
    }

    /// Removes guest `vmid` behind the API (volumes, tasks and jobs stay).
    pub fn remove_guest(&self, vmid: u32) -> bool {
        super::admin::remove_guest(&self.shared.cluster, vmid)
    }

    /// Records a task someone else ran, with its log; returns its UPID.
    pub fn add_task(&self, record: crate::sim::TaskRecord) -> Result<String, String> {
        super::admin::add_task(&self.shared.cluster, record)
    }

    /// Puts an orphan disk `volid` (owned by `vmid`, referenced by no config) on `node`.
    pub fn add_orphan_disk(
        &self,
        node: &str,
        volid: &str,
        vmid: u32,
        size: u64,
    ) -> Result<(), String> {
        super::admin::add_orphan_disk(&self.shared.cluster, node, volid, vmid, size)
    }

    /// Adds a backup job, a replication job, an HA rule or an ACL entry.
    pub fn add_record(&self, record: crate::sim::Record) {
        super::admin::add_record(&self.shared.cluster, record);
    }

    /// Every guest's vmid, ascending.
    pub fn vmids(&self) -> Vec<u32> {
        let c = self
            .shared
            .cluster
            .read()
            .unwrap_or_else(|e| e.into_inner());
        c.guests.iter().map(|g| g.seed.vmid).collect()
    }

    /// The volume IDs on `storage` as `node` lists them (files and guest disks).
    pub fn volumes(&self, node: &str, storage: &str) -> Vec<String> {
        let mut c = self
            .shared
            .cluster
            .write()
            .unwrap_or_else(|e| e.into_inner());
        c.settle(std::time::Instant::now());
        let all = crate::sim::storage::volumes::content(&c, node, storage, &Default::default());
        all.unwrap_or_default()
            .iter()
            .filter_map(|v| v["volid"].as_str().map(str::to_owned))
            .collect()
    }

    /// Number of tasks still running.
    pub fn running_tasks(&self) -> usize {
        let mut c = self
            .shared
            .cluster
            .write()
            .unwrap_or_else(|e| e.into_inner());
        c.settle(std::time::Instant::now());
        c.tasks.running()
    }

    /// Stops the server and, for [`spawn`], waits for its thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    /// Stops the server and waits for it (for [`start`]ed simulators).
    pub async fn shutdown_async(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(Runner::Task(task)) = self.runner.take() {
            let _ = task.await;
        }
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.shutdown.send(true);
        match self.runner.take() {
            Some(Runner::Thread(t)) => {
                let _ = t.join();
            }
            Some(Runner::Task(_)) | None => {}
        }
        if !self.figures_written {
            self.figures_written = true;
            let text = self
                .shared
                .tally
                .figures()
                .render(self.cfg.pve.version(), self.cfg.expects_invalid_requests);
            crate::sim::schema::tally::write_figures(&text);
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.stop();
    }
}
