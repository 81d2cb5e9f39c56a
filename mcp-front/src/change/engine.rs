//! What the change engine needs of a session, and nothing more: the helper client to
//! send through, the confirmations pending a client's second call, and the policy view
//! (for how long a long call may run). Tools hand it over with `PveMcp::engine`, so
//! the engine never sees the server, its router or its tools.
//!
//! Holds references only; nothing here is untrusted.

use crate::{
    change::confirm::Confirmations, helper::HelperClient, policy::permissions::Permissions,
};

/// The session's parts a change runs with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Engine<'a> {
    pub helper: &'a HelperClient,
    pub confirmations: &'a Confirmations,
    pub permissions: &'a Permissions,
}
