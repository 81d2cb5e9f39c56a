//! The Unix socket server. Every byte from a peer is hostile: the peer's uid is
//! checked (SO_PEERCRED) before anything is read, frames are capped in size and time,
//! and work is bounded per connection and overall.

use crate::{
    audit,
    peer::{Client, Peer},
    service::{Service, not_a_client},
    stages,
};
use pve_mcp_proto::*;
use std::{
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::{
    net::{UnixListener, UnixStream},
    sync::{Semaphore, mpsc},
    task::JoinSet,
};

/// Bounds on connections and work.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub max_in_flight_per_connection: usize,
    pub max_in_flight: usize,
    pub handshake_timeout: Duration,
    pub body_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 64,
            max_in_flight_per_connection: 16,
            max_in_flight: 64,
            handshake_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
        }
    }
}

/// Accepts connections until the task is dropped.
pub async fn serve(listener: UnixListener, service: Arc<Service>, limits: Limits) {
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let work = Arc::new(Semaphore::new(limits.max_in_flight));
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let service = service.clone();
        let work = work.clone();
        match connections.clone().try_acquire_owned() {
            Ok(permit) => {
                tokio::spawn(async move {
                    connection(stream, service, work, limits).await;
                    drop(permit);
                });
            }
            Err(_) => {
                if let Some(peer) = Peer::of(&stream) {
                    audit::connection_event(&peer, "refused", "too many connections");
                }
                tokio::spawn(refuse(
                    stream,
                    ErrorKind::Unavailable,
                    "the helper has too many connections; try again later".into(),
                ));
            }
        }
    }
}

async fn refuse(mut stream: UnixStream, kind: ErrorKind, message: String) {
    let frame = HelperFrame::Fatal {
        error: ErrorBody::new(kind, message),
    };
    let _ = tokio::time::timeout(
        Duration::from_secs(2),
        write_frame(&mut stream, &frame, MAX_RESPONSE_FRAME),
    )
    .await;
}

/// A frame for the connection's writer, encoded by whoever sent it (a reply by its
/// call's task, so that calls encode their answers side by side).
struct Outgoing {
    frame: Result<Vec<u8>, FrameError>,
    /// The connection ends after this frame.
    last: bool,
}

impl Outgoing {
    fn of(frame: &HelperFrame) -> Self {
        Self {
            frame: encode_frame(frame, MAX_RESPONSE_FRAME),
            last: matches!(frame, HelperFrame::Fatal { .. }),
        }
    }
}

async fn connection(
    stream: UnixStream,
    service: Arc<Service>,
    work: Arc<Semaphore>,
    limits: Limits,
) {
    let Some(peer) = Peer::of(&stream) else {
        tracing::warn!("connection without peer credentials refused");
        return;
    };
    let client = Client::of(peer);
    if service.policy_for(&client).is_none() {
        let msg = not_a_client(&client, &service.policies());
        audit::connection_event(&peer, "peer refused", &msg);
        return refuse(stream, ErrorKind::Denied, msg).await;
    }
    let (mut reader, mut writer) = match stream.into_std().and_then(stream::split) {
        Ok(halves) => halves,
        Err(e) => {
            tracing::warn!("cannot register a connection with the runtime: {e}");
            return;
        }
    };
    let hello = tokio::time::timeout(
        limits.handshake_timeout,
        read_frame_timed::<FrontFrame, _>(
            &mut reader,
            MAX_REQUEST_FRAME,
            Some(limits.body_timeout),
        ),
    )
    .await;
    let fatal = |kind, message: String| HelperFrame::Fatal {
        error: ErrorBody::new(kind, message),
    };
    let welcome = match hello {
        Ok(Ok(FrontFrame::Hello { proto_version }))
            if proto_version.major == PROTO_VERSION.major =>
        {
            HelperFrame::Welcome {
                proto_version: PROTO_VERSION,
                helper_version: env!("CARGO_PKG_VERSION").into(),
            }
        }
        Ok(Ok(FrontFrame::Hello { proto_version })) => fatal(
            ErrorKind::Invalid,
            format!(
                "protocol version {proto_version} is not supported; this helper speaks {PROTO_VERSION}"
            ),
        ),
        Ok(Ok(FrontFrame::Call { .. })) => fatal(ErrorKind::Invalid, "expected hello first".into()),
        // Connected and left without a word (a liveness probe): nothing to refuse.
        Ok(Err(FrameError::Closed)) => return,
        Ok(Err(e)) => fatal(ErrorKind::Invalid, format!("bad handshake: {e}")),
        Err(_) => fatal(ErrorKind::Invalid, "no handshake in time".into()),
    };
    let ok = matches!(welcome, HelperFrame::Welcome { .. });
    if !ok {
        audit::connection_event(&peer, "bad handshake", &format!("{welcome:?}"));
    }
    if write_frame(&mut writer, &welcome, MAX_RESPONSE_FRAME)
        .await
        .is_err()
        || !ok
    {
        return;
    }

    let (tx, mut rx) = mpsc::channel::<Outgoing>(limits.max_in_flight_per_connection);
    let writer_task = tokio::spawn(async move {
        while let Some(out) = rx.recv().await {
            let written = match &out.frame {
                Ok(frame) => write_encoded(&mut writer, frame).await,
                Err(e) => Err(FrameError::Malformed(e.to_string())),
            };
            if let Err(e) = written {
                tracing::debug!("write to peer failed: {e}");
                break;
            }
            if out.last {
                break;
            }
        }
    });
    let per_conn = Arc::new(Semaphore::new(limits.max_in_flight_per_connection));
    // Dropping the set aborts calls still running when the peer goes away.
    let mut calls = JoinSet::new();
    loop {
        let frame = read_frame_timed::<FrontFrame, _>(
            &mut reader,
            MAX_REQUEST_FRAME,
            Some(limits.body_timeout),
        )
        .await;
        let (id, request, plan) = match frame {
            Ok(FrontFrame::Call { id, request, plan }) => (id, request, plan),
            Ok(FrontFrame::Hello { .. }) => {
                let _ = tx
                    .send(Outgoing::of(&fatal(
                        ErrorKind::Invalid,
                        "unexpected second hello".into(),
                    )))
                    .await;
                audit::connection_event(&peer, "protocol error", "second hello");
                break;
            }
            Err(FrameError::Closed) => break,
            Err(FrameError::Io(e)) => {
                tracing::debug!("peer connection failed: {e}");
                break;
            }
            Err(e) => {
                audit::connection_event(&peer, "bad frame", &e.to_string());
                let _ = tx
                    .send(Outgoing::of(&fatal(ErrorKind::Invalid, e.to_string())))
                    .await;
                break;
            }
        };
        // Back-pressure: stop reading while this connection has too much in flight.
        let Ok(slot) = per_conn.clone().acquire_owned().await else {
            break;
        };
        let (service, work, tx, client) =
            (service.clone(), work.clone(), tx.clone(), client.clone());
        calls.spawn(async move {
            let (op, started) = (request.op(), Instant::now());
            let (response, mut stages) = stages::measure(async {
                match work.try_acquire_owned() {
                    Ok(_global) => service.handle(&client, request, plan).await,
                    Err(_) => Response::Err(ErrorBody::new(
                        ErrorKind::RateLimited,
                        "the helper is at its limit of concurrent requests; retry in 1 s",
                    )),
                }
            })
            .await;
            let encoding = Instant::now();
            let reply = Outgoing::of(&HelperFrame::Reply { id, response });
            stages.render += encoding.elapsed();
            stages::log(op, &stages, started.elapsed());
            // The slot is held until the reply is queued: a peer that does not read its
            // replies stops being read from, instead of piling up finished calls.
            let _ = tx.send(reply).await;
            drop(slot);
        });
        while calls.try_join_next().is_some() {}
    }
    drop(tx);
    // Give replies already computed a moment to be written, then stop everything.
    let _ = tokio::time::timeout(Duration::from_secs(2), writer_task).await;
    calls.abort_all();
}
