//! The connection to pve-helper: lazy connect, version handshake, pipelined calls matched
//! by id, and a transparent reconnect after the helper restarts.
//!
//! The helper's frames are trusted only as far as `pve_mcp_proto` validates them; a
//! malformed frame or a reply out of turn ends the connection, and every call in flight
//! on it fails with that reason.

use crate::render::untrusted;
use pve_mcp_proto::{
    CallId, ErrorBody, FrameError, FrontFrame, HelperFrame, MAX_REQUEST_FRAME, MAX_RESPONSE_FRAME,
    PROTO_VERSION, Request, Response, read_frame, stream, write_frame,
};
use std::{
    collections::HashMap,
    io,
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex as StdMutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};
use tokio::{
    net::UnixStream,
    sync::{Mutex, oneshot},
    task::JoinHandle,
    time::timeout,
};

/// Default socket of the helper (*contract*: the systemd unit creates it).
pub const DEFAULT_SOCKET: &str = "/run/pve-mcp/helper.sock";
/// How long a call may wait for its reply.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// How long connecting plus the Hello/Welcome exchange may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a call to the helper produced no [`Response`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HelperError {
    #[error(
        "the pve-mcp helper is not reachable at {path}: {reason}. Check it on the node with \
         `systemctl status pve-mcp-helper` (and `journalctl -u pve-mcp-helper`)"
    )]
    Unreachable { path: String, reason: String },
    #[error(
        "the pve-mcp helper speaks protocol {helper}, this mcp-front speaks {front}: \
         install the same version of the pve-mcp package for both"
    )]
    VersionMismatch { front: String, helper: String },
    /// The helper refused the connection, or ended it with a `Fatal` frame.
    #[error("the helper closed the connection: {}", describe(.0))]
    Fatal(ErrorBody),
    /// The connection broke while this call was in flight; the helper may have run it.
    #[error(
        "the connection to the helper was lost before it answered ({reason}); the request \
         may or may not have been carried out: check the current state before retrying"
    )]
    Lost { reason: String },
    #[error("the helper did not answer within {secs} s (the request may still complete)")]
    Timeout { secs: u64 },
    /// The helper broke the protocol (unexpected frame, bad handshake).
    #[error("protocol error talking to the helper: {0}")]
    Protocol(String),
    /// The request could not be encoded within the frame limit.
    #[error("the request could not be sent: {0}")]
    Encode(String),
}

impl HelperError {
    /// Whether the helper cannot serve this front at all, as opposed to one call having
    /// failed: it is not reachable, it refused this peer, or it speaks another protocol.
    pub fn cannot_serve(&self) -> bool {
        match self {
            Self::Unreachable { .. }
            | Self::VersionMismatch { .. }
            | Self::Fatal(_)
            | Self::Protocol(_) => true,
            Self::Lost { .. } | Self::Timeout { .. } | Self::Encode(_) => false,
        }
    }
}

/// `Kind: message (rule: r) (Proxmox HTTP status)`, the text a model reads for an error.
/// The message may quote Proxmox or a guest (a name, PVE's own error): it is one line,
/// with every hidden character and line break written escaped.
pub fn describe(e: &ErrorBody) -> String {
    let kind = e.kind.as_str();
    let mut kind_title = kind[..1].to_uppercase();
    kind_title.push_str(&kind[1..]);
    let mut out = format!("{kind_title}: {}", untrusted::line(&e.message));
    if let Some(rule) = &e.rule {
        out.push_str(&format!(" (rule: {})", untrusted::line(rule)));
    }
    if let Some(status) = e.upstream_status {
        out.push_str(&format!(" (Proxmox answered HTTP {status})"));
    }
    out
}

/// Whether sending `request` twice has the same effect as sending it once, so a call
/// whose connection broke after it was written may be sent again.
pub fn is_resendable(request: &Request) -> bool {
    !request.changes()
}

/// A cheap-to-clone handle on the (lazily opened) connection to the helper.
#[derive(Debug, Clone)]
pub struct HelperClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    socket: PathBuf,
    call_timeout: Duration,
    next_id: AtomicU64,
    current: Mutex<Option<Arc<Connection>>>,
}

type Pending = HashMap<CallId, oneshot::Sender<Result<Response, HelperError>>>;

/// Calls awaiting a reply; `None` once the connection is dead.
#[derive(Debug, Default)]
struct Shared {
    pending: StdMutex<Option<Pending>>,
}

impl Shared {
    fn with<R>(&self, f: impl FnOnce(&mut Option<Pending>) -> R) -> R {
        f(&mut self.pending.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn is_alive(&self) -> bool {
        self.with(|p| p.is_some())
    }

    /// Marks the connection dead and fails every call in flight with `error`.
    fn fail_all(&self, error: HelperError) {
        if let Some(pending) = self.with(Option::take) {
            for (_, tx) in pending {
                let _ = tx.send(Err(error.clone()));
            }
        }
    }
}

#[derive(Debug)]
struct Connection {
    writer: Mutex<stream::WriteHalf>,
    shared: Arc<Shared>,
    reader: JoinHandle<()>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Removes a call's pending entry when the caller stops waiting (timeout, cancellation).
struct PendingGuard<'a> {
    shared: &'a Shared,
    id: CallId,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        self.shared.with(|p| p.as_mut().map(|p| p.remove(&self.id)));
    }
}

/// Outcome of trying to write one call.
enum Sent {
    Written(oneshot::Receiver<Result<Response, HelperError>>),
    /// Not a byte of the call reached the helper in a usable form: safe to retry.
    NotWritten(HelperError),
}

impl HelperClient {
    pub fn new(socket: impl Into<PathBuf>, call_timeout: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                socket: socket.into(),
                call_timeout,
                next_id: AtomicU64::new(1),
                current: Mutex::new(None),
            }),
        }
    }

    pub fn socket(&self) -> &Path {
        &self.inner.socket
    }

    /// How long a call may take unless the caller says otherwise.
    pub fn call_timeout(&self) -> Duration {
        self.inner.call_timeout
    }

    /// Sends one request and waits for its response, connecting first if needed.
    ///
    /// A call that was never written is retried once on a fresh connection; a call that
    /// may have reached the helper is resent only if [`is_resendable`].
    pub async fn call(&self, request: &Request) -> Result<Response, HelperError> {
        self.call_within(request, self.inner.call_timeout).await
    }

    /// [`HelperClient::call`], waiting up to `wait` for the answer (for a request the
    /// policy lets run longer than the call timeout).
    /// How long it took is logged at `debug` (target `mcp_front::stages`: the
    /// operation's name and the time only).
    pub async fn call_within(
        &self,
        request: &Request,
        wait: Duration,
    ) -> Result<Response, HelperError> {
        let started = std::time::Instant::now();
        let result = self.exchange(request, wait, false).await;
        tracing::debug!(
            target: "mcp_front::stages",
            op = request.op(),
            round_trip_us = started.elapsed().as_micros() as u64,
            "helper call"
        );
        result
    }

    /// Asks the helper what `request` would do: judged as it would be, answered with
    /// the Proxmox requests it would send ([`pve_mcp_proto::Plan`]), nothing sent. A plan
    /// changes nothing, so one lost with its connection is asked again.
    pub async fn plan(&self, request: &Request) -> Result<Response, HelperError> {
        self.exchange(request, self.inner.call_timeout, true).await
    }

    async fn exchange(
        &self,
        request: &Request,
        wait: Duration,
        plan: bool,
    ) -> Result<Response, HelperError> {
        let mut retried = false;
        loop {
            let conn = self.connection().await?;
            let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
            let rx = match conn.send(id, request, plan).await {
                Sent::Written(rx) => rx,
                Sent::NotWritten(e @ HelperError::Encode(_)) => return Err(e),
                Sent::NotWritten(e) if retried => return Err(e),
                Sent::NotWritten(e) => {
                    tracing::info!(error = %e, "helper connection broken; reconnecting");
                    retried = true;
                    continue;
                }
            };
            let _guard = PendingGuard {
                shared: &conn.shared,
                id,
            };
            let secs = wait.as_secs();
            let result = match timeout(wait, rx).await {
                Err(_) => return Err(HelperError::Timeout { secs }),
                Ok(Err(_)) => Err(HelperError::Lost {
                    reason: "the reply channel closed".into(),
                }),
                Ok(Ok(result)) => result,
            };
            match result {
                Err(HelperError::Lost { reason })
                    if !retried && (plan || is_resendable(request)) =>
                {
                    tracing::info!(%reason, op = request.op(), "resending a read-only call");
                    retried = true;
                }
                other => return other,
            }
        }
    }

    /// The live connection, opened (and handshaken) now if there is none.
    async fn connection(&self) -> Result<Arc<Connection>, HelperError> {
        let mut current = self.inner.current.lock().await;
        if let Some(conn) = current.as_ref().filter(|c| c.shared.is_alive()) {
            return Ok(conn.clone());
        }
        *current = None;
        let path = &self.inner.socket;
        let conn = match timeout(CONNECT_TIMEOUT, Connection::open(path)).await {
            Ok(conn) => Arc::new(conn?),
            Err(_) => {
                return Err(unreachable(
                    path,
                    format!(
                        "no handshake within {} s (the helper may be overloaded or hung)",
                        CONNECT_TIMEOUT.as_secs()
                    ),
                ));
            }
        };
        *current = Some(conn.clone());
        Ok(conn)
    }
}

fn unreachable(path: &Path, reason: String) -> HelperError {
    HelperError::Unreachable {
        path: path.display().to_string(),
        reason,
    }
}

fn connect_error(path: &Path, e: &io::Error) -> HelperError {
    let reason = match e.kind() {
        io::ErrorKind::NotFound => "the socket does not exist (is the helper running?)".into(),
        io::ErrorKind::PermissionDenied => {
            "permission denied (the user running mcp-front must be in group pve-mcp-clients)".into()
        }
        io::ErrorKind::ConnectionRefused => "nothing is listening on the socket".into(),
        _ => e.to_string(),
    };
    unreachable(path, reason)
}

impl Connection {
    /// Connects, exchanges Hello/Welcome and starts the reader task.
    async fn open(path: &Path) -> Result<Self, HelperError> {
        let mut stream = UnixStream::connect(path)
            .await
            .map_err(|e| connect_error(path, &e))?;
        let hello = FrontFrame::Hello {
            proto_version: PROTO_VERSION,
        };
        // A helper that refuses this peer says why and closes without reading: its
        // Fatal frame is still readable when our hello can no longer be written.
        let sent = write_frame(&mut stream, &hello, MAX_REQUEST_FRAME).await;
        let answer = read_frame::<HelperFrame, _>(&mut stream, MAX_RESPONSE_FRAME).await;
        if let Ok(HelperFrame::Fatal { error }) = answer {
            return Err(HelperError::Fatal(error));
        }
        sent.map_err(|e| unreachable(path, format!("sending the handshake failed: {e}")))?;
        match answer {
            Ok(HelperFrame::Welcome {
                proto_version,
                helper_version,
            }) => {
                if proto_version.major != PROTO_VERSION.major {
                    return Err(HelperError::VersionMismatch {
                        front: PROTO_VERSION.to_string(),
                        helper: proto_version.to_string(),
                    });
                }
                tracing::debug!(%helper_version, %proto_version, "connected to the helper");
            }
            Ok(HelperFrame::Fatal { error }) => return Err(HelperError::Fatal(error)),
            Ok(HelperFrame::Reply { .. }) => {
                return Err(HelperError::Protocol(
                    "the helper sent a reply before its welcome".into(),
                ));
            }
            Err(e) => {
                return Err(unreachable(
                    path,
                    format!("the helper did not complete the handshake: {e}"),
                ));
            }
        }
        let (read, write) = stream
            .into_std()
            .and_then(stream::split)
            .map_err(|e| unreachable(path, format!("cannot register the connection: {e}")))?;
        let shared = Arc::new(Shared {
            pending: StdMutex::new(Some(HashMap::new())),
        });
        let reader = tokio::spawn(read_loop(read, shared.clone()));
        Ok(Self {
            writer: Mutex::new(write),
            shared,
            reader,
        })
    }

    /// Registers call `id` and writes it.
    async fn send(&self, id: CallId, request: &Request, plan: bool) -> Sent {
        let (tx, rx) = oneshot::channel();
        let registered = self.shared.with(|p| p.as_mut().map(|p| p.insert(id, tx)));
        if registered.is_none() {
            return Sent::NotWritten(HelperError::Lost {
                reason: "the connection had closed".into(),
            });
        }
        let frame = FrontFrame::Call {
            id,
            request: request.clone(),
            plan,
        };
        let written = {
            let mut writer = self.writer.lock().await;
            write_frame(&mut *writer, &frame, MAX_REQUEST_FRAME).await
        };
        match written {
            Ok(()) => Sent::Written(rx),
            Err(e) => {
                self.shared.with(|p| p.as_mut().map(|p| p.remove(&id)));
                match e {
                    FrameError::TooLarge { .. } | FrameError::Malformed(_) => {
                        Sent::NotWritten(HelperError::Encode(e.to_string()))
                    }
                    _ => {
                        // A partly written frame leaves the stream unusable.
                        let error = HelperError::Lost {
                            reason: e.to_string(),
                        };
                        self.shared.fail_all(error.clone());
                        Sent::NotWritten(error)
                    }
                }
            }
        }
    }
}

/// Reads frames until the connection ends, handing each reply to its caller.
async fn read_loop(mut read: stream::ReadHalf, shared: Arc<Shared>) {
    let error = loop {
        match read_frame::<HelperFrame, _>(&mut read, MAX_RESPONSE_FRAME).await {
            Ok(HelperFrame::Reply { id, response }) => {
                match shared.with(|p| p.as_mut().and_then(|p| p.remove(&id))) {
                    Some(tx) => {
                        let _ = tx.send(Ok(response));
                    }
                    None => tracing::debug!(id, "reply to a call nobody waits for"),
                }
            }
            Ok(HelperFrame::Fatal { error }) => {
                tracing::warn!(error = %describe(&error), "the helper closed the connection");
                break HelperError::Fatal(error);
            }
            Ok(HelperFrame::Welcome { .. }) => {
                break HelperError::Protocol("a second welcome from the helper".into());
            }
            Err(FrameError::Closed) => {
                break HelperError::Lost {
                    reason: "the helper closed the connection".into(),
                };
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading from the helper failed");
                break HelperError::Lost {
                    reason: e.to_string(),
                };
            }
        }
    };
    shared.fail_all(error);
}

#[cfg(test)]
mod tests;
