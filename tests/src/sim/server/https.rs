//! The HTTPS server: accepts TCP connections on loopback, completes TLS (ring), serves
//! HTTP/1.1 with keep-alive through hyper, and routes each request: `/_sim/` to the
//! control endpoints, `/api2/json/...` through faults and auth to the API. Requests are
//! untrusted: bodies are bounded, errors get PVE's shapes, nothing here panics on input.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, header};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::control;
use super::faults::{FaultAction, GARBAGE_BODY};
use super::reply::{Reply, SimBody};
use super::shared::Shared;
use crate::sim::errors::ApiError;
use crate::sim::params::{Params, percent_decode};

/// pveproxy's limit on request bodies.
const MAX_BODY: usize = 512 * 1024;
/// pveproxy closes a connection after this many requests (`keep_alive => 100`).
const MAX_REQUESTS_PER_CONNECTION: u32 = 100;
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Resolves once the simulator is told to stop.
pub async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Accepts connections until `shutdown` turns true, then drops every connection.
pub async fn serve(listener: TcpListener, acceptor: TlsAcceptor, shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.clone();
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            () = stopped(&mut shutdown) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    shared.stats.connection();
                    conns.spawn(connection(stream, acceptor.clone(), shared.clone()));
                }
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.shutdown().await;
}

async fn connection(stream: TcpStream, acceptor: TlsAcceptor, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let tls = match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            shared.stats.tls_handshake(false);
            tracing::debug!("TLS handshake failed: {e}");
            return;
        }
        Err(_) => {
            shared.stats.tls_handshake(false);
            return;
        }
    };
    shared.stats.tls_handshake(true);
    let served = Arc::new(AtomicU32::new(0));
    let svc_shared = shared.clone();
    let service = service_fn(move |req| {
        let shared = svc_shared.clone();
        let served = served.clone();
        async move {
            let n = served.fetch_add(1, Ordering::Relaxed) + 1;
            let mut resp = respond(&shared, req).await;
            if n >= MAX_REQUESTS_PER_CONNECTION {
                resp.headers_mut()
                    .insert(header::CONNECTION, http::HeaderValue::from_static("close"));
            }
            shared.stats.response(resp.status().as_u16());
            Ok::<Response<SimBody>, Infallible>(resp)
        }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(64 * 1024 + MAX_BODY)
        .serve_connection(TokioIo::new(tls), service);
    let mut shutdown = shared.shutdown.clone();
    tokio::select! {
        res = conn => if let Err(e) = res {
            tracing::debug!("connection ended: {e}");
        },
        () = stopped(&mut shutdown) => {}
    }
}

/// Reads the body, at most [`MAX_BODY`] bytes.
async fn read_body(body: Incoming) -> Result<Bytes, Reply> {
    match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(Reply::plain_error(501, "for data too large"))
        }
        Err(_) => Err(Reply::plain_error(400, "Bad Request")),
    }
}

async fn respond(shared: &Shared, req: Request<Incoming>) -> Response<SimBody> {
    let (parts, body) = req.into_parts();
    let method = parts.method.as_str().to_owned();
    let raw_path = parts.uri.path().to_owned();
    shared.stats.request(&method, &raw_path);
    if !matches!(method.as_str(), "GET" | "POST" | "PUT" | "DELETE") {
        let mut r = Reply::plain_error(501, &format!("method '{method}' not available"));
        r.body = Bytes::new();
        return r.into_response();
    }
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY as u64) {
        return Reply::plain_error(501, "for data too large").into_response();
    }
    let body = match read_body(body).await {
        Ok(b) => b,
        Err(reply) => return reply.into_response(),
    };
    if let Some(rest) = raw_path.strip_prefix("/_sim/") {
        return control::handle(shared, &method, rest, &body).into_response();
    }
    let (latency, fault) = shared
        .faults
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .decide(&raw_path);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let mut reply = match fault {
        FaultAction::Hang => {
            stopped(&mut shared.shutdown.clone()).await;
            return Reply::plain_error(503, "shutting down").into_response();
        }
        FaultAction::Fail(code, msg) => {
            return Reply::error(&ApiError::Other(code, msg)).into_response();
        }
        FaultAction::Garbage => Reply::json(GARBAGE_BODY.to_vec()),
        FaultAction::None | FaultAction::Reset => {
            api_request(shared, &parts, &raw_path, &body).await
        }
    };
    if fault == FaultAction::Reset {
        reply.truncate = true;
        reply.close = true;
    }
    reply.into_response()
}

/// Auth, path decoding and parameters, then the API.
async fn api_request(
    shared: &Shared,
    parts: &http::request::Parts,
    raw_path: &str,
    body: &[u8],
) -> Reply {
    let header = |name: header::HeaderName| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let path = percent_decode(raw_path);
    let Some(after_base) = path.strip_prefix("/api2") else {
        return Reply::plain_error(500, &format!("no such file '{path}'"));
    };
    let Some(after_base) = after_base.strip_prefix('/') else {
        return Reply::plain_error(501, "no such uri");
    };
    let after_base = after_base.trim_start_matches('/');
    let (format, rel) = match after_base.find('/') {
        Some(i) => (&after_base[..i], &after_base[i..]),
        None => (after_base, "/"),
    };
    let format_ok = format.len() >= 2
        && format
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase())
        && format
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !format_ok {
        return Reply::plain_error(501, "no such uri");
    }
    let user = match shared
        .auth
        .check(header(header::AUTHORIZATION), header(header::COOKIE))
    {
        Ok(user) => user,
        Err(e) => {
            shared.stats.auth_failure();
            if !shared.auth_failure_delay.is_zero() {
                tokio::time::sleep(shared.auth_failure_delay).await;
            }
            return Reply::error(&e);
        }
    };
    if format != "json" {
        return Reply::plain_error(501, &format!("no formatter for uri {rel}, {format}"));
    }
    let method = parts.method.as_str();
    let params = match Params::parse_request(
        method,
        parts.uri.query(),
        header(header::CONTENT_TYPE),
        body,
    ) {
        Ok(p) => p,
        Err(bad) => return Reply::plain_error(500, &bad.0),
    };
    let api = crate::sim::api::dispatch::handle(
        &shared.cluster,
        &shared.stats,
        &shared.tally,
        method,
        rel,
        &params,
        user,
    );
    match api {
        Ok(reply) => reply,
        Err(e) => Reply::error(&e),
    }
}
