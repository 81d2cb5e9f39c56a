//! Who is on the other end of a connection: the uid, gid and pid the kernel reports
//! for a Unix socket peer (SO_PEERCRED). Trusted as far as the kernel is; whether that
//! uid may talk to the helper is the server's question, not this module's.

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
