//! Wire contract between `mcp-front` and `pve-helper`.
//!
//! # Frame format
//!
//! Every message is one frame: a 4-byte big-endian length `N`, then `N` bytes of a
//! UTF-8 JSON document. A frame longer than the receiver's cap ([`MAX_REQUEST_FRAME`]
//! towards the helper, [`MAX_RESPONSE_FRAME`] towards the front) is refused before any
//! of its body is read, and the connection is closed with a [`HelperFrame::Fatal`].
//!
//! # Conversation
//!
//! 1. front: [`FrontFrame::Hello`] with [`PROTO_VERSION`];
//!    helper: [`HelperFrame::Welcome`] (same major version) or `Fatal`.
//! 2. front: any number of [`FrontFrame::Call`] `{ id, request }`, possibly pipelined;
//!    helper: one [`HelperFrame::Reply`] `{ id, response }` each, in any order.
//!
//! Every type here validates on deserialization: a [`VmId`], [`NodeName`], [`ApiPath`]
//! or [`Argv`] cannot exist in an invalid state, and every struct and enum rejects
//! unknown fields. The helper still treats all of it as hostile input.
//!
//! # Layout
//!
//! - `values/`: the newtypes, by what they name (guests, the operations the policy
//!   grants on them, configuration, storage, snapshots, tasks, raw API calls and
//!   commands).
//! - `requests/`: [`Request`] and its arguments, by kind: reads, changes to a guest,
//!   the guest lifecycle, raw API calls and commands.
//! - `payloads/`: [`Response`] and what it carries, by domain.
//! - `wire/`: frames, their caps, and the conversation they carry.
//!
//! Everything is re-exported here: users name `pve_mcp_proto::VmId`, never a module.
#![forbid(unsafe_code)]

#[macro_use]
mod values;
mod payloads;
mod requests;
mod wire;

pub use payloads::*;
pub use requests::*;
pub use values::*;
pub use wire::*;
