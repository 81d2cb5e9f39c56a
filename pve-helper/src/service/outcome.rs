//! What executing an allowed request yields: a payload, or the coarse error that
//! crosses the socket. Proxmox's errors keep its status and message (already
//! sanitized by the client) so an admin can tell its refusals from the policy's;
//! nothing else of an upstream answer is passed on.

use crate::pve::PveError;
use pve_mcp_proto::{ErrorBody, ErrorKind, Payload};

/// An error while executing an allowed request.
pub type OpResult = Result<Payload, ErrorBody>;

/// Maps a Proxmox error to the coarse error that crosses the socket.
pub fn upstream_error(e: PveError) -> ErrorBody {
    match e {
        PveError::Http {
            status: 401,
            message,
        } => ErrorBody {
            kind: ErrorKind::Upstream,
            message: format!(
                "Proxmox rejected the helper's API token (401 {message}); the admin should check the token (pve-helper setup)"
            ),
            rule: None,
            upstream_status: Some(401),
        },
        PveError::Http { status, message } => ErrorBody {
            kind: ErrorKind::Upstream,
            message: format!("Proxmox answered {status}: {message}"),
            rule: None,
            upstream_status: Some(status),
        },
        e @ PveError::Transport { .. } => ErrorBody::new(ErrorKind::Unavailable, e.to_string()),
        e @ PveError::Timeout(_) => ErrorBody::new(ErrorKind::Timeout, e.to_string()),
        e @ PveError::Decode(_) => ErrorBody::new(ErrorKind::Upstream, e.to_string()),
        e @ PveError::Unsupported(_) => ErrorBody::new(ErrorKind::Unavailable, e.to_string()),
    }
}
