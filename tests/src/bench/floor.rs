//! The direct floor: a keep-alive HTTPS GET to the simulator with the same kind of
//! client the helper uses (reqwest, HTTP/1.1 only, rustls with the ring provider),
//! timed from sending the request to having read the whole body. It trusts exactly the
//! simulator's certificate; the body is not parsed.

use crate::sim::{SimHandle, tls};
use anyhow::{Context, bail};
use rustls::pki_types::CertificateDer;
use std::time::{Duration, Instant};

/// A pooled client for one simulator, on its own single-threaded runtime.
#[derive(Debug)]
pub struct Floor {
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
    base: String,
    auth: String,
}

impl Floor {
    pub fn new(sim: &SimHandle) -> anyhow::Result<Floor> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::from(sim.cert_der().to_vec()))?;
        let config = rustls::ClientConfig::builder_with_provider(tls::provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(config)
            .http1_only()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(4)
            .build()
            .context("building the HTTPS client")?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(Floor {
            rt,
            client,
            base: format!("{}/api2/json", sim.url()),
            auth: format!("PVEAPIToken={}", sim.token()),
        })
    }

    /// One GET of `path` (below `/api2/json`, query included); fails unless it is a 200.
    pub fn get(&self, path: &str) -> anyhow::Result<Duration> {
        let url = format!("{}{path}", self.base);
        self.rt.block_on(async {
            let start = Instant::now();
            let resp = self
                .client
                .get(&url)
                .header("Authorization", &self.auth)
                .send()
                .await?;
            let status = resp.status();
            let body = resp.bytes().await?;
            let elapsed = start.elapsed();
            if !status.is_success() || body.is_empty() {
                bail!("GET {path}: {status}");
            }
            Ok(elapsed)
        })
    }
}
