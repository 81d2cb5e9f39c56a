//! The MCP side of the front: `transport` (stdio, bounded lines), `jsonrpc` (JSON-RPC
//! shape and lifecycle order), `server` (the rmcp handler: initialize/discover, the
//! `catalog` of tools, tool calls, the one resource), `described` (the tools' schemas,
//! generated only where the list is made) and `schema` (portable JSON Schemas).
//!
//! Lines from the client are untrusted until `jsonrpc` has checked them.

pub mod catalog;
pub mod described;
pub mod jsonrpc;
pub mod schema;
pub(crate) mod server;
pub mod transport;
