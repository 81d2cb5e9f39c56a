//! Talking to Proxmox VE: the HTTPS client, TLS trust, and the cluster resource cache.

mod client;
pub mod listing;
pub mod resources;
pub mod tls;

pub use client::{BodySink, ClientError, MAX_BODY, PveClient, PveError, decode, sanitize};
