//! The cluster behind its lock, with a version that moves on with every write, so that
//! a large answer rendered from it can be served again until the cluster changes.
//!
//! PVE's `/cluster/resources` figures come from pvestatd, which refreshes them every
//! 10 s; the simulator likewise renders that answer at most once per 10 s window and
//! cluster version, so 30,000 guests cost a memcpy, not a serialization, per request.

use super::state::Cluster;
use crate::sim::render::cluster::ResourceType;
use bytes::Bytes;
use std::{
    ops::{Deref, DerefMut},
    sync::{LockResult, Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard},
    time::{Duration, Instant},
};

/// How long pvestatd's figures stand.
pub const STATS_INTERVAL: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct SharedCluster {
    lock: RwLock<Cluster>,
    rendered: Mutex<Vec<Rendered>>,
}

/// One rendered `/cluster/resources` answer and what it was rendered from.
#[derive(Debug)]
struct Rendered {
    version: u64,
    window: u64,
    filter: Option<ResourceType>,
    body: Bytes,
}

/// Write access; the cluster's version moves on when it is released.
pub struct WriteGuard<'a> {
    guard: RwLockWriteGuard<'a, Cluster>,
}

impl Deref for WriteGuard<'_> {
    type Target = Cluster;
    fn deref(&self) -> &Cluster {
        &self.guard
    }
}

impl DerefMut for WriteGuard<'_> {
    fn deref_mut(&mut self) -> &mut Cluster {
        &mut self.guard
    }
}

impl Drop for WriteGuard<'_> {
    fn drop(&mut self) {
        // Still under the lock: no reader sees the new state with the old version.
        self.guard.version += 1;
    }
}

impl SharedCluster {
    pub fn new(cluster: Cluster) -> Self {
        Self {
            lock: RwLock::new(cluster),
            rendered: Mutex::new(Vec::new()),
        }
    }

    pub fn read(&self) -> LockResult<RwLockReadGuard<'_, Cluster>> {
        self.lock.read()
    }

    pub fn write(&self) -> LockResult<WriteGuard<'_>> {
        match self.lock.write() {
            Ok(guard) => Ok(WriteGuard { guard }),
            Err(e) => Err(PoisonError::new(WriteGuard {
                guard: e.into_inner(),
            })),
        }
    }

    /// `GET /cluster/resources[?type=..]` for the state `c` (read from this lock), reused
    /// while neither the cluster nor the 10 s statistics window changed.
    pub fn resources(&self, c: &Cluster, filter: Option<ResourceType>, now: Instant) -> Bytes {
        let window =
            (now.saturating_duration_since(c.started).as_secs()) / STATS_INTERVAL.as_secs();
        let mut rendered = self.rendered.lock().unwrap_or_else(|e| e.into_inner());
        rendered.retain(|r| r.version == c.version && r.window == window);
        if let Some(r) = rendered.iter().find(|r| r.filter == filter) {
            return r.body.clone();
        }
        let body = Bytes::from(crate::sim::render::cluster::cluster_resources(
            c, filter, now,
        ));
        rendered.push(Rendered {
            version: c.version,
            window,
            filter,
            body: body.clone(),
        });
        body
    }
}

/// Read access to the cluster, after finishing every task that is due.
pub(crate) fn read(cluster: &SharedCluster, now: Instant) -> RwLockReadGuard<'_, Cluster> {
    {
        let c = cluster.read().unwrap_or_else(|e| e.into_inner());
        if !c.needs_settle(now) {
            return c;
        }
    }
    cluster
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .settle(now);
    cluster.read().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::PowerState;

    fn shared() -> SharedCluster {
        let c = Cluster::new(2, 8, Duration::from_millis(10), "AA".into());
        SharedCluster::new(c)
    }

    fn render(s: &SharedCluster, filter: Option<ResourceType>, now: Instant) -> Bytes {
        let c = s.read().unwrap();
        s.resources(&c, filter, now)
    }

    #[test]
    fn an_answer_is_reused_until_the_cluster_or_the_window_changes() {
        let s = shared();
        let t0 = s.read().unwrap().started;
        let a = render(&s, Some(ResourceType::Vm), t0);
        let b = render(&s, Some(ResourceType::Vm), t0 + Duration::from_secs(9));
        assert_eq!(a.as_ptr(), b.as_ptr(), "rendered twice within one window");
        let all = render(&s, None, t0);
        assert_ne!(all, a, "each filter has its own answer");

        // A write, even one that changes nothing visible, starts a new version.
        let running = {
            let mut c = s.write().unwrap();
            let g = c
                .guests
                .iter_mut()
                .find(|g| g.power == PowerState::Running)
                .unwrap();
            g.power = PowerState::Stopped;
            g.seed.vmid
        };
        let c = render(&s, Some(ResourceType::Vm), t0);
        assert_ne!(c.as_ptr(), a.as_ptr());
        let doc: serde_json::Value = serde_json::from_slice(&c).unwrap();
        let entry = doc["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["vmid"] == running)
            .unwrap();
        assert_eq!(entry["status"], "stopped", "the write is visible at once");

        let d = render(&s, Some(ResourceType::Vm), t0 + STATS_INTERVAL);
        assert_ne!(d.as_ptr(), c.as_ptr(), "a new window renders again");
    }
}
