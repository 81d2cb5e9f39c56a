//! The service's shared state: the policies in force (each file reloaded whole, or
//! not at all; each client judged by its own),
//! the Proxmox client and its resource cache, the per-client limiter, the auditor,
//! the tasks this helper started lately and the cluster's release. Holds no request;
//! the pipeline in `service` reads and updates it.

use super::outcome::upstream_error;
use crate::{
    audit::Auditor,
    limits::Limiter,
    peer::Client,
    policies::{Policies, PolicyFile, Reloaded},
    policy::Policy,
    pve::{PveClient, PveError, cache::ResourceCache},
};
use pve_mcp_proto::ErrorBody;
use std::sync::{Arc, RwLock};

/// Everything a connection handler needs to serve requests.
#[derive(Debug)]
pub struct Service {
    pub(super) policies: RwLock<Arc<Policies>>,
    pub(super) pve: PveClient,
    pub(super) cache: ResourceCache,
    pub(super) limiter: Limiter,
    pub(super) audit: Auditor,
    /// Tasks this helper started lately, so their status stays readable after their
    /// guest is gone (a deletion's own task).
    pub(super) started: std::sync::Mutex<std::collections::VecDeque<pve_mcp_proto::Upid>>,
    /// The Proxmox VE release of the cluster, read once (`GET /version`).
    pub(super) release: tokio::sync::OnceCell<crate::pve::release::Release>,
}

/// How many started tasks the helper remembers.
pub(super) const STARTED_TASKS: usize = 4096;

impl Service {
    pub fn new(policies: Policies, pve: PveClient, audit: Auditor) -> Self {
        Self {
            policies: RwLock::new(Arc::new(policies)),
            pve,
            cache: ResourceCache::default(),
            limiter: Limiter::default(),
            audit,
            started: std::sync::Mutex::default(),
            release: tokio::sync::OnceCell::new(),
        }
    }

    /// The cluster's Proxmox VE release, asked once.
    pub(crate) async fn release(&self) -> Result<crate::pve::release::Release, ErrorBody> {
        self.node_release().await.map_err(upstream_error)
    }

    pub(super) async fn node_release(&self) -> Result<crate::pve::release::Release, PveError> {
        #[derive(serde::Deserialize)]
        struct Version {
            version: String,
        }
        self.release
            .get_or_try_init(|| async {
                let v: Version = self.pve.get("/version", &[]).await?;
                crate::pve::release::Release::from_version(&v.version)
                    .ok_or_else(|| PveError::Unsupported(crate::pve::sanitize(&v.version)))
            })
            .await
            .copied()
    }

    /// The policies in force now.
    pub fn policies(&self) -> Arc<Policies> {
        match self.policies.read() {
            Ok(p) => p.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The policy that judges `client` now, or `None` if no policy names it; a request
    /// keeps the one it started with.
    pub fn policy_for(&self, client: &Client) -> Option<Arc<Policy>> {
        self.policies()
            .for_client(client.peer.uid, client.name.as_deref())
            .map(|f: &PolicyFile| f.policy.clone())
    }

    /// Loads every policy file again, each on its own: a file that does not load keeps
    /// its old policy, the others are taken ([`Policies::reload`]).
    pub fn reload(&self) -> Reloaded {
        let reloaded = self.policies().reload();
        let new = Arc::new(reloaded.policies.clone());
        match self.policies.write() {
            Ok(mut p) => *p = new,
            Err(poisoned) => *poisoned.into_inner() = new,
        }
        reloaded
    }
}
