//! Who is on the other end of a connection: the uid, gid and pid the kernel reports
//! for a Unix socket peer (SO_PEERCRED), and the login name of that uid. Trusted as
//! far as the kernel and the user database are; whether that uid may talk to the
//! helper, and under which policy, is the service's question, not this module's.

use tokio::net::UnixStream;

/// The process on the other end of a connection, as the kernel reports it.
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    pub uid: u32,
    pub gid: u32,
    pub pid: i32,
}

impl Peer {
    /// The peer of a connected stream, or `None` if the kernel cannot say.
    pub fn of(stream: &UnixStream) -> Option<Self> {
        let cred = stream.peer_cred().ok()?;
        Some(Self {
            uid: cred.uid(),
            gid: cred.gid(),
            pid: cred.pid().unwrap_or(0),
        })
    }
}

/// A connected peer and its login name, looked up once per connection: what picks the
/// policy that judges its requests, and what the audit trail names.
#[derive(Debug, Clone)]
pub struct Client {
    pub peer: Peer,
    /// The peer's login name, if its uid has one.
    pub name: Option<String>,
}

impl Client {
    pub fn of(peer: Peer) -> Self {
        Self {
            peer,
            name: crate::policies::name_of(peer.uid),
        }
    }
}
