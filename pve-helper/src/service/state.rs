//! The service's shared state: the policy in force (reloaded whole, or not at all),
//! the Proxmox client and its resource cache, the per-client limiter, the auditor,
//! the tasks this helper started lately and the cluster's release. Holds no request;
//! the pipeline in `service` reads and updates it.

use super::outcome::upstream_error;
use crate::{
    audit::Auditor,
    limits::Limiter,
    policy::{Policy, PolicyError},
    pve::{PveClient, PveError, cache::ResourceCache},
};
use pve_mcp_proto::ErrorBody;
use std::{
    path::PathBuf,
    sync::{Arc, RwLock},
};

/// Everything a connection handler needs to serve requests.
#[derive(Debug)]
pub struct Service {
    pub(super) policy: RwLock<Arc<Policy>>,
    pub(super) policy_path: PathBuf,
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
    pub fn new(policy: Policy, policy_path: PathBuf, pve: PveClient, audit: Auditor) -> Self {
        Self {
            policy: RwLock::new(Arc::new(policy)),
            policy_path,
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

    /// The policy file this service reloads.
    pub fn policy_path(&self) -> &std::path::Path {
        &self.policy_path
    }

    /// The policy in force now; a request keeps the one it started with.
    pub fn policy(&self) -> Arc<Policy> {
        match self.policy.read() {
            Ok(p) => p.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Loads the policy file again; on any error the old policy stays in force.
    pub fn reload(&self) -> Result<usize, PolicyError> {
        let (policy, warnings) = Policy::load(&self.policy_path)?;
        for w in &warnings {
            tracing::warn!("{w}");
        }
        let new = Arc::new(policy);
        match self.policy.write() {
            Ok(mut p) => *p = new,
            Err(poisoned) => *poisoned.into_inner() = new,
        }
        Ok(warnings.len())
    }
}
