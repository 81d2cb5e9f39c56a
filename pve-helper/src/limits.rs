//! Per-client request limits: a token bucket for requests per minute and a counter
//! of requests in flight, keyed by the peer's uid (all its connections together).

use crate::policy::Limits;
use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
    in_flight: u32,
}

/// Why a request was not admitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Rate { per_minute: u32, retry_in: Duration },
    Concurrency { max: u32 },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Rate {
                per_minute,
                retry_in,
            } => write!(
                f,
                "at most {per_minute} requests per minute; retry in {} s",
                retry_in.as_secs().max(1)
            ),
            Self::Concurrency { max } => write!(
                f,
                "at most {max} requests at a time; retry in 1 s, when one has finished"
            ),
        }
    }
}

#[derive(Debug, Default)]
pub struct Limiter {
    clients: Mutex<HashMap<u32, Bucket>>,
}

/// A request admitted under the limits; dropping it ends the request.
#[derive(Debug)]
pub struct Permit<'a> {
    limiter: &'a Limiter,
    uid: u32,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut clients = self
            .limiter
            .clients
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(b) = clients.get_mut(&self.uid) {
            b.in_flight = b.in_flight.saturating_sub(1);
        }
    }
}

impl Limiter {
    /// Admits one request of `uid` at `now`, or says when to retry.
    pub fn admit(&self, uid: u32, limits: Limits, now: Instant) -> Result<Permit<'_>, Refusal> {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        let capacity = f64::from(limits.requests_per_minute);
        let rate = capacity / 60.0;
        let b = clients.entry(uid).or_insert(Bucket {
            tokens: capacity,
            last: now,
            in_flight: 0,
        });
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(capacity);
        b.last = now;
        if b.in_flight >= limits.concurrent {
            return Err(Refusal::Concurrency {
                max: limits.concurrent,
            });
        }
        if b.tokens < 1.0 {
            let wait = ((1.0 - b.tokens) / rate).ceil();
            return Err(Refusal::Rate {
                per_minute: limits.requests_per_minute,
                retry_in: Duration::from_secs_f64(wait.max(1.0)),
            });
        }
        b.tokens -= 1.0;
        b.in_flight += 1;
        Ok(Permit { limiter: self, uid })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_refills_and_says_when_to_retry() {
        let l = Limiter::default();
        let limits = Limits {
            requests_per_minute: 6,
            concurrent: 100,
        };
        let t0 = Instant::now();
        for _ in 0..6 {
            drop(l.admit(1000, limits, t0).unwrap());
        }
        let e = l.admit(1000, limits, t0).unwrap_err();
        assert_eq!(
            e,
            Refusal::Rate {
                per_minute: 6,
                retry_in: Duration::from_secs(10)
            }
        );
        assert_eq!(
            e.to_string(),
            "at most 6 requests per minute; retry in 10 s"
        );
        // Another client has its own bucket.
        assert!(l.admit(1001, limits, t0).is_ok());
        // Ten seconds later, one more request fits.
        let t1 = t0 + Duration::from_secs(10);
        drop(l.admit(1000, limits, t1).unwrap());
        assert!(l.admit(1000, limits, t1).is_err());
    }

    #[test]
    fn concurrency_is_released_when_requests_end() {
        let l = Limiter::default();
        let limits = Limits {
            requests_per_minute: 1000,
            concurrent: 2,
        };
        let now = Instant::now();
        let a = l.admit(7, limits, now).unwrap();
        let _b = l.admit(7, limits, now).unwrap();
        assert_eq!(
            l.admit(7, limits, now).unwrap_err(),
            Refusal::Concurrency { max: 2 }
        );
        drop(a);
        assert!(l.admit(7, limits, now).is_ok());
    }
}
