//! Test support: a fake helper and a raw JSON-RPC driver of the real binary.
pub mod fake_helper;
pub mod mcp_client;
