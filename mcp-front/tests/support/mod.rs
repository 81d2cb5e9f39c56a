//! Test support: a fake helper and a raw JSON-RPC driver of the real binary. Each test
//! file uses a part of it.
#![allow(dead_code)]
pub mod fake_helper;
pub mod mcp_client;
