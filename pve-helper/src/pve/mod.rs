//! Talking to Proxmox VE: the HTTPS client, TLS trust, and the cluster resource cache.

pub mod cache;
mod client;
pub mod listing;
pub mod plan;
pub mod release;
pub mod resources;
pub mod tls;

pub use client::{
    BodySink, ClientError, MAX_BODY, PveClient, PveError, cut_text, decode, escape_value, sanitize,
    sanitize_text, sanitize_text_owned,
};
