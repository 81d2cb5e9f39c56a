//! HTTP answers as pveproxy writes them: the `{"data": ...}` envelope, error bodies with
//! `message` (and `errors`), the message as reason phrase, `Connection: close` after
//! every error, PVE's headers, and a body type that can also break off mid-way (the
//! `reset` fault).

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use hyper::body::{Body, Frame, SizeHint};
use hyper::ext::ReasonPhrase;
use serde::Serialize;
use serde_json::json;

use crate::sim::errors::ApiError;

const JSON_TYPE: &str = "application/json;charset=UTF-8";

/// One answer, before it becomes an HTTP response.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub reason: Option<String>,
    pub body: Bytes,
    pub json: bool,
    /// Close the connection after this answer.
    pub close: bool,
    /// Send only half the body, then drop the connection.
    pub truncate: bool,
}

impl Reply {
    /// 200 with a complete JSON document.
    pub fn json(body: Vec<u8>) -> Reply {
        Reply::json_bytes(Bytes::from(body))
    }

    /// Like [`Reply::json`], for a body that is shared (rendered once, sent many times).
    pub fn json_bytes(body: Bytes) -> Reply {
        Reply {
            status: 200,
            reason: None,
            body,
            json: true,
            close: false,
            truncate: false,
        }
    }

    /// 200 with `{"data": value}`.
    pub fn data(value: &impl Serialize) -> Reply {
        Reply::json(serde_json::to_vec(&json!({ "data": value })).unwrap_or_default())
    }

    /// 200 with `{"data": value, "total": total}`.
    pub fn data_total(value: &impl Serialize, total: u64) -> Reply {
        let doc = json!({ "data": value, "total": total });
        Reply::json(serde_json::to_vec(&doc).unwrap_or_default())
    }

    /// A plain-text error as `PVE::APIServer::AnyEvent::error` sends it (outside the
    /// API handlers): the message is both reason phrase and body.
    pub fn plain_error(status: u16, message: &str) -> Reply {
        Reply {
            status,
            reason: Some(message.to_owned()),
            body: Bytes::from(message.to_owned()),
            json: false,
            close: true,
            truncate: false,
        }
    }

    /// An API error in PVE 8's shape.
    pub fn error(e: &ApiError) -> Reply {
        let message = e.message();
        let reason = message.lines().next().unwrap_or("").to_owned();
        let (body, json) = match e {
            ApiError::Unauthorized(_) => (Bytes::new(), false),
            ApiError::Param(errors) => (
                to_bytes(&json!({"data": null, "errors": errors, "message": message})),
                true,
            ),
            _ => (to_bytes(&json!({"data": null, "message": message})), true),
        };
        Reply {
            status: e.status(),
            reason: Some(reason),
            body,
            json,
            close: true,
            truncate: false,
        }
    }

    /// Builds the HTTP response.
    pub fn into_response(self) -> Response<SimBody> {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let len = self.body.len() as u64;
        let body = if self.truncate {
            let half = self.body.slice(..self.body.len() / 2);
            SimBody {
                data: Some(half),
                declared: len.max(16),
                fail: true,
            }
        } else {
            SimBody {
                data: Some(self.body),
                declared: len,
                fail: false,
            }
        };
        let mut resp = Response::new(body);
        *resp.status_mut() = status;
        if let Some(reason) = self.reason.as_deref().and_then(reason_phrase) {
            resp.extensions_mut().insert(reason);
        }
        let h = resp.headers_mut();
        let now = httpdate::fmt_http_date(SystemTime::now());
        if let Ok(v) = HeaderValue::from_str(&now) {
            h.insert(header::EXPIRES, v);
        }
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=0"));
        h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        h.insert(
            header::SERVER,
            HeaderValue::from_static("pve-api-daemon/3.0"),
        );
        if self.json {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_TYPE));
        }
        if self.close {
            h.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        resp
    }
}

fn to_bytes(v: &serde_json::Value) -> Bytes {
    Bytes::from(serde_json::to_vec(v).unwrap_or_default())
}

/// A reason phrase hyper accepts: control characters become `?`.
fn reason_phrase(text: &str) -> Option<ReasonPhrase> {
    let clean: Vec<u8> = text
        .bytes()
        .map(|b| {
            if (b < 0x20 && b != b'\t') || b == 0x7f {
                b'?'
            } else {
                b
            }
        })
        .collect();
    if clean.is_empty() {
        return None;
    }
    ReasonPhrase::try_from(clean).ok()
}

/// A response body: all of it, or (for the `reset` fault) part of it and then an error,
/// which makes hyper drop the connection with the declared length unmet.
#[derive(Debug)]
pub struct SimBody {
    data: Option<Bytes>,
    declared: u64,
    fail: bool,
}

impl Body for SimBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        if let Some(data) = this.data.take().filter(|d| !d.is_empty()) {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        if this.fail {
            this.fail = false;
            let e = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "simulated reset");
            return Poll::Ready(Some(Err(e)));
        }
        Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        self.data.as_ref().is_none_or(Bytes::is_empty) && !self.fail
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.declared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_shapes() {
        let r = Reply::error(&ApiError::Internal("VM 101 not running".into()));
        assert_eq!(r.status, 500);
        assert_eq!(r.reason.as_deref(), Some("VM 101 not running"));
        assert_eq!(
            &r.body[..],
            br#"{"data":null,"message":"VM 101 not running\n"}"#
        );
        assert!(r.close);
        let p = Reply::error(&ApiError::param("vmid", "bad"));
        assert_eq!(p.reason.as_deref(), Some("Parameter verification failed."));
        assert_eq!(
            &p.body[..],
            br#"{"data":null,"errors":{"vmid":"bad"},"message":"Parameter verification failed.\n"}"#
        );
        let u = Reply::error(&ApiError::Unauthorized("No ticket"));
        assert!(u.body.is_empty() && !u.json);
    }

    #[test]
    fn reason_phrases_are_sanitized() {
        assert!(reason_phrase("a\u{1}b").is_some());
        assert!(reason_phrase("").is_none());
        assert!(reason_phrase("Configuration file 'x' does not exist").is_some());
    }
}
