//! The cluster resource cache: one `/cluster/resources` listing, fetched by one caller
//! at a time (concurrent callers share it) and reused for at most [`TTL`]. What it
//! holds is what [`ListingDecoder`](super::listing::ListingDecoder) validated; this
//! module only decides when to ask.

use super::listing::background::Background;
use super::resources::Snapshot;
use super::{PveClient, PveError};
use crate::stages::{self, Stage};
use std::{sync::Arc, time::Duration, time::Instant};

/// How long a fetched listing is reused.
pub const TTL: Duration = Duration::from_millis(1500);

/// Single-flight cache of the guest listing.
#[derive(Debug, Default)]
pub struct ResourceCache {
    state: tokio::sync::Mutex<Option<Arc<Snapshot>>>,
    /// The memory the last answer's text took, for the next one: writing a listing
    /// into memory just taken from the system cost a page fault every 4 KiB (274
    /// faults per 3,000-guest fetch, 148 with the buffer kept).
    spare: std::sync::Mutex<String>,
}

/// Largest buffer kept between fetches (a 100,000-guest listing).
const SPARE_MAX: usize = 32 * 1024 * 1024;

impl ResourceCache {
    /// A listing at most [`TTL`] old; concurrent callers share one fetch.
    pub async fn get(&self, pve: &PveClient) -> Result<Arc<Snapshot>, PveError> {
        let mut state = self.state.lock().await;
        if let Some(s) = state.as_ref().filter(|s| s.age() < TTL) {
            return Ok(s.clone());
        }
        // Callers wait for the new listing: the old one is freed meanwhile, its guests'
        // memory reused for the new one's when no caller still holds it.
        let guests = match state.take().map(Arc::try_unwrap) {
            Some(Ok(old)) => old.into_guests(),
            Some(Err(held)) => {
                drop_later(held);
                Vec::new()
            }
            None => Vec::new(),
        };
        let started = Instant::now();
        let mut decoder = Background::start(std::mem::take(&mut *self.spare()), guests);
        pve.get_chunks("/cluster/resources", &[("type", "vm")], &mut decoder)
            .await?;
        let received = started.elapsed();
        let (snap, buffer) = stages::timed(Stage::Decode, decoder.finish()).await;
        if buffer.capacity() <= SPARE_MAX {
            *self.spare() = buffer;
        }
        let snap = Arc::new(snap?);
        tracing::debug!(
            guests = snap.len(),
            receive_us = received.as_micros(),
            finish_us = (started.elapsed() - received).as_micros(),
            "guest listing fetched"
        );
        *state = Some(snap.clone());
        Ok(snap)
    }

    fn spare(&self) -> std::sync::MutexGuard<'_, String> {
        self.spare.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets the listing, after an action changed a guest.
    pub async fn invalidate(&self) {
        if let Some(old) = self.state.lock().await.take() {
            drop_later(old);
        }
    }
}

/// Frees what a replaced listing held on a blocking thread: tens of thousands of
/// guests take about a millisecond, which no caller need wait for.
fn drop_later<T: Send + 'static>(old: T) {
    tokio::task::spawn_blocking(move || drop(old));
}
