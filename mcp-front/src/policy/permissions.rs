//! What the policy in force lets this client do, as the helper describes it
//! (`Request::Describe`): fetched once at start-up in the background, then again at
//! `tools/list` time, or after a tool call, when older than its maximum age (a policy
//! reload shows within that time; a session that has listed the tools is then told
//! `notifications/tools/list_changed`). The tools' listing rules and notes, and the
//! server instructions, read it.
//!
//! Informational only: the helper judges every call whatever is listed. So when the
//! helper cannot be asked, every tool is listed (each call then says why it failed)
//! and nothing is cached, so the next listing asks again: a helper that was down at
//! start-up never hides tools for the rest of the session.

use crate::helper::{HelperClient, HelperError};
use pve_mcp_proto::{Capabilities, Describe, Payload, Request, Response};
use std::{
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};
use tokio::task::JoinHandle;

/// How long a description is reused, unless configured otherwise.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(10);
/// How long a `tools/list` waits for a fresh description before listing every tool.
const DESCRIBE_TIMEOUT: Duration = Duration::from_secs(2);

type Described = Option<Arc<Capabilities>>;

/// What asking the helper gave: the description, or the helper's error (`None` when it
/// answered late or oddly, which says nothing about whether it can serve).
type Asked = Result<Arc<Capabilities>, Option<HelperError>>;

/// The cached description, shared by the session's handlers.
#[derive(Debug, Clone)]
pub struct Permissions {
    helper: HelperClient,
    max_age: Duration,
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    cached: Mutex<Option<(Instant, Arc<Capabilities>)>>,
    startup: Mutex<Option<JoinHandle<Asked>>>,
    /// The description the last `tools/list` used (`Some(None)`: it listed everything).
    listed: Mutex<Option<Described>>,
}

impl Permissions {
    pub fn new(helper: HelperClient, max_age: Duration) -> Self {
        Self {
            helper,
            max_age,
            inner: Arc::default(),
        }
    }

    /// Starts asking the helper in the background, so that `initialize` (which usually
    /// arrives at once) can use the answer without waiting for a round trip of its own.
    pub fn prefetch(&self) {
        let this = self.clone();
        let task = tokio::spawn(async move { this.ask().await });
        *lock(&self.inner.startup) = Some(task);
    }

    /// The start-up description if it arrives within `wait`; else whatever is cached.
    /// An error when the helper cannot serve this session at all (not reachable, it
    /// refused this peer, another protocol version): `initialize` then fails, so that
    /// the client shows a failed server instead of a healthy one whose every call fails.
    /// A helper that is merely slow fails nothing here.
    /// A second start (a client that tried `server/discover` before `initialize`) asks
    /// again, unless a description is cached.
    pub async fn at_startup(&self, wait: Duration) -> Result<Described, HelperError> {
        let task = lock(&self.inner.startup).take();
        let asked = match task {
            // On timeout the task is detached, and still fills the cache when it ends.
            Some(mut task) => match tokio::time::timeout(wait, &mut task).await {
                Ok(Ok(asked)) => Some(asked),
                _ => None,
            },
            None => match self.cached(self.max_age) {
                Some(caps) => return Ok(Some(caps)),
                None => tokio::time::timeout(wait, self.ask()).await.ok(),
            },
        };
        match asked {
            Some(Ok(caps)) => Ok(Some(caps)),
            Some(Err(Some(e))) if e.cannot_serve() => Err(e),
            _ => Ok(self.cached(self.max_age)),
        }
    }

    /// The cached description if younger than `max_age`.
    pub fn cached(&self, max_age: Duration) -> Described {
        lock(&self.inner.cached)
            .as_ref()
            .filter(|(at, _)| at.elapsed() < max_age)
            .map(|(_, caps)| caps.clone())
    }

    /// A description at most the maximum age old, asking the helper if needed; `None`
    /// when the helper cannot say (then nothing is hidden).
    pub async fn current(&self) -> Described {
        match self.cached(self.max_age) {
            Some(caps) => Some(caps),
            None => self.fetch().await,
        }
    }

    /// The description for `tools/list`, remembered to detect a later change.
    pub async fn for_listing(&self) -> Described {
        let caps = self.current().await;
        *lock(&self.inner.listed) = Some(caps.clone());
        caps
    }

    /// Whether the tools listed last would now be listed differently (asking the helper
    /// if the description is stale). An unreachable helper changes nothing.
    pub async fn changed_since_listing(&self) -> bool {
        let Some(listed) = lock(&self.inner.listed).clone() else {
            return false;
        };
        let now = self.current().await;
        let changed = match (&listed, &now) {
            (Some(before), Some(now)) => before != now,
            (None, Some(_)) => true,
            (_, None) => false,
        };
        if changed {
            *lock(&self.inner.listed) = Some(now);
        }
        changed
    }

    async fn fetch(&self) -> Described {
        self.ask().await.ok()
    }

    async fn ask(&self) -> Asked {
        let request = Request::Describe(Describe {});
        let answer = tokio::time::timeout(DESCRIBE_TIMEOUT, self.helper.call(&request)).await;
        match answer {
            Ok(Ok(Response::Ok(Payload::Capabilities(caps)))) => {
                let caps = Arc::new(caps);
                *lock(&self.inner.cached) = Some((Instant::now(), caps.clone()));
                Ok(caps)
            }
            Ok(Ok(other)) => {
                tracing::warn!(?other, "the helper answered describe unexpectedly");
                Err(None)
            }
            Ok(Err(e)) => {
                tracing::info!(error = %e, "cannot ask the helper what the policy allows");
                Err(Some(e))
            }
            Err(_) => {
                tracing::info!("the helper did not describe the policy in time");
                Err(None)
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn an_unreachable_helper_fails_start_up_hides_nothing_and_caches_nothing() {
        let helper = HelperClient::new("/nonexistent/helper.sock", Duration::from_secs(1));
        let p = Permissions::new(helper, DEFAULT_MAX_AGE);
        p.prefetch();
        for start in ["initialize", "initialize after server/discover"] {
            let e = p.at_startup(Duration::from_secs(1)).await.unwrap_err();
            assert!(
                e.to_string()
                    .contains("not reachable at /nonexistent/helper.sock"),
                "{start}: {e}"
            );
        }
        assert!(p.current().await.is_none());
        assert!(p.cached(Duration::MAX).is_none());
        assert!(p.for_listing().await.is_none());
        assert!(
            !p.changed_since_listing().await,
            "an outage changes nothing"
        );
    }
}
