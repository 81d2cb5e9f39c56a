//! Counters of what the simulator saw: connections, TLS handshakes, requests per method
//! and path, responses per status. Read through [`crate::sim::SimHandle::stats`] or
//! `GET /_sim/stats`; cleared by [`crate::sim::SimHandle::reset_stats`] or `DELETE /_sim/stats`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Distinct `METHOD path` keys remembered; later ones are counted under `OTHER`.
const MAX_PATHS: usize = 10_000;

/// A snapshot of the counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SimStats {
    /// TCP connections accepted.
    pub connections: u64,
    /// TLS handshakes completed.
    pub tls_handshakes: u64,
    /// TLS handshakes that failed or timed out.
    pub tls_failures: u64,
    /// HTTP requests received (all paths, including `/_sim/`).
    pub requests: u64,
    /// Requests refused with 401.
    pub auth_failures: u64,
    /// Worker tasks started by guest actions.
    pub tasks_started: u64,
    /// Requests per `METHOD /path` (query string excluded).
    pub per_path: BTreeMap<String, u64>,
    /// Responses per HTTP status.
    pub per_status: BTreeMap<u16, u64>,
}

impl SimStats {
    /// Requests for `path` with any method.
    pub fn path_count(&self, path: &str) -> u64 {
        self.per_path
            .iter()
            .filter(|(k, _)| k.split_once(' ').is_some_and(|(_, p)| p == path))
            .map(|(_, v)| v)
            .sum()
    }

    /// The write requests (every method but `GET`) per `METHOD /path`: what a test
    /// checks to prove that a refused call never reached Proxmox.
    pub fn writes(&self) -> BTreeMap<String, u64> {
        self.per_path
            .iter()
            .filter(|(k, _)| !k.starts_with("GET "))
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }
}

/// The live counters.
#[derive(Debug, Default)]
pub struct Stats {
    connections: AtomicU64,
    tls_handshakes: AtomicU64,
    tls_failures: AtomicU64,
    requests: AtomicU64,
    auth_failures: AtomicU64,
    tasks_started: AtomicU64,
    maps: Mutex<(BTreeMap<String, u64>, BTreeMap<u16, u64>)>,
}

impl Stats {
    pub fn connection(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    pub fn tls_handshake(&self, ok: bool) {
        let c = if ok {
            &self.tls_handshakes
        } else {
            &self.tls_failures
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub fn auth_failure(&self) {
        self.auth_failures.fetch_add(1, Ordering::Relaxed);
    }

    pub fn task_started(&self) {
        self.tasks_started.fetch_add(1, Ordering::Relaxed);
    }

    pub fn request(&self, method: &str, path: &str) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut maps = self.maps.lock().unwrap_or_else(|e| e.into_inner());
        let key = format!("{method} {path}");
        let key = if maps.0.len() < MAX_PATHS || maps.0.contains_key(&key) {
            key
        } else {
            "OTHER".to_owned()
        };
        *maps.0.entry(key).or_default() += 1;
    }

    pub fn response(&self, status: u16) {
        let mut maps = self.maps.lock().unwrap_or_else(|e| e.into_inner());
        *maps.1.entry(status).or_default() += 1;
    }

    pub fn snapshot(&self) -> SimStats {
        let maps = self.maps.lock().unwrap_or_else(|e| e.into_inner());
        SimStats {
            connections: self.connections.load(Ordering::Relaxed),
            tls_handshakes: self.tls_handshakes.load(Ordering::Relaxed),
            tls_failures: self.tls_failures.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            auth_failures: self.auth_failures.load(Ordering::Relaxed),
            tasks_started: self.tasks_started.load(Ordering::Relaxed),
            per_path: maps.0.clone(),
            per_status: maps.1.clone(),
        }
    }

    pub fn reset(&self) {
        for c in [
            &self.connections,
            &self.tls_handshakes,
            &self.tls_failures,
            &self.requests,
            &self.auth_failures,
            &self.tasks_started,
        ] {
            c.store(0, Ordering::Relaxed);
        }
        let mut maps = self.maps.lock().unwrap_or_else(|e| e.into_inner());
        maps.0.clear();
        maps.1.clear();
    }
}
