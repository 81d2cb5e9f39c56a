//! The conversation on the socket: the protocol version, the front's frames (hello,
//! calls) and the helper's (welcome, replies, a fatal error).

use crate::payloads::{ErrorBody, Response};
use crate::requests::Request;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Protocol version; a different major version is refused by both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtoVersion {
    pub major: u16,
    pub minor: u16,
}

/// 1.1: a call may be a plan; guests carry their config lock; the description names
/// the health checks.
pub const PROTO_VERSION: ProtoVersion = ProtoVersion { major: 1, minor: 1 };

impl fmt::Display for ProtoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Correlates a reply with its call; chosen by the front.
pub type CallId = u64;

/// Frames sent by the front.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FrontFrame {
    Hello {
        proto_version: ProtoVersion,
    },
    Call {
        id: CallId,
        request: Request,
        /// Judge the request and answer what it would send ([`crate::Plan`]), sending
        /// nothing to Proxmox.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        plan: bool,
    },
}

/// Frames sent by the helper. Decoded by hand (`helper_frame`), on the same wire shape:
/// serde's derive for an internally tagged enum copies the whole frame into a buffer
/// first, which doubled the front's memory and time for a large answer.
// Frames live for one send or receive; boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HelperFrame {
    Welcome {
        proto_version: ProtoVersion,
        helper_version: String,
    },
    Reply {
        id: CallId,
        response: Response,
    },
    /// The helper closes the connection after this frame.
    Fatal {
        error: ErrorBody,
    },
}
