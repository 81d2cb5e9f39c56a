//! The change engine: every change the policy may want confirmed, described as one
//! [`operation::Operation`], sent by [`action`] (asking the user through [`confirm`]
//! when the helper wants a confirmation, waiting past the call timeout through
//! [`long_call`] where the policy lets a program run longer), its Proxmox task followed
//! with [`progress`] notifications, and answered as an [`outcome::ActionResult`] or,
//! for the guest lifecycle, a [`lifecycle::ChangeResult`]. It runs with an
//! [`engine::Engine`]: the helper client, the pending confirmations and the policy
//! view, never the server or its tools.
//!
//! Operations come from validated tool arguments; answers from the helper are checked
//! to be of the kind the operation expects, then rendered.

pub(crate) mod action;
pub(crate) mod confirm;
pub(crate) mod engine;
pub(crate) mod lifecycle;
pub(crate) mod long_call;
pub(crate) mod operation;
pub(crate) mod outcome;
pub(crate) mod plan;
pub(crate) mod progress;
