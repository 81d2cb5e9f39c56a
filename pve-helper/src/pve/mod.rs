//! Talking to Proxmox VE: the HTTPS client, TLS trust, and the cluster resource cache.

mod client;
pub mod resources;
pub mod tls;

pub use client::{ClientError, PveClient, PveError, decode, sanitize};
