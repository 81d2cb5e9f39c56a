//! A client of the simulator for tests that check it directly: an HTTPS client built the way
//! the helper builds its own (reqwest + rustls with the ring provider, trusting only the
//! simulator's certificate), a raw TLS client to see status lines and reason phrases,
//! and a task waiter.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::sim::{SimHandle, tls};
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The line of `pve-helper status` that compares the token's privileges with the
/// policy's needs.
pub fn privileges_line(status: &str) -> &str {
    status
        .lines()
        .find(|l| l.contains("privileges"))
        .unwrap_or_default()
}

/// A rustls client config trusting exactly the simulator's certificate.
pub fn client_config(sim: &SimHandle) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(sim.cert_der().to_vec()))
        .expect("simulator certificate is a valid trust anchor");
    rustls::ClientConfig::builder_with_provider(tls::provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// An API client for one simulator.
#[derive(Debug)]
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
    pub auth: String,
}

impl Api {
    pub fn new(sim: &SimHandle) -> Api {
        Api::with_token(sim, &sim.token())
    }

    pub fn with_token(sim: &SimHandle, token: &str) -> Api {
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(client_config(sim))
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client builds");
        Api {
            client,
            base: format!("{}/api2/json", sim.url()),
            auth: format!("PVEAPIToken={token}"),
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> (u16, Value) {
        let resp = req
            .header("Authorization", &self.auth)
            .send()
            .await
            .expect("request is answered");
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.expect("body is read");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("body is JSON")
        };
        (status, body)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(self.client.get(format!("{}{path}", self.base)))
            .await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        self.form(reqwest::Method::POST, path, form).await
    }

    pub async fn put(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        self.form(reqwest::Method::PUT, path, form).await
    }

    /// `DELETE`, with its parameters in the query string as clients send them.
    pub async fn delete(&self, path: &str, query: &[(&str, &str)]) -> (u16, Value) {
        let query: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{k}={}", encode_value(v)))
            .collect();
        let sep = if query.is_empty() { "" } else { "?" };
        let url = format!("{}{path}{sep}{}", self.base, query.join("&"));
        self.send(self.client.delete(url)).await
    }

    /// A request with a form body (a key may repeat: PVE takes that as a list).
    pub async fn form(
        &self,
        method: reqwest::Method,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, Value) {
        let body: Vec<String> = form
            .iter()
            .map(|(k, v)| format!("{k}={}", encode_value(v)))
            .collect();
        let req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.join("&"));
        self.send(req).await
    }

    /// A `POST` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let req = self.client.post(format!("{}{path}", self.base)).json(body);
        self.send(req).await
    }

    /// Polls a task until it stops; returns its final status object.
    pub async fn wait_task(&self, node: &str, upid: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        let path = format!("/nodes/{node}/tasks/{}/status", encode(upid));
        loop {
            let (code, body) = self.get(&path).await;
            assert_eq!(code, 200, "{body}");
            if body["data"]["status"] == "stopped" {
                return body["data"].clone();
            }
            assert!(Instant::now() < deadline, "task {upid} did not finish");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Percent-encodes a form or query value: everything but unreserved characters.
pub fn encode_value(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-encodes the characters of a UPID that are not path-safe.
pub fn encode(s: &str) -> String {
    s.replace('%', "%25")
        .replace(':', "%3A")
        .replace('!', "%21")
        .replace('@', "%40")
}

/// Sends one raw HTTP/1.1 request over TLS and returns the whole response text.
pub async fn raw(sim: &SimHandle, request: &str) -> String {
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_config(sim)));
    let tcp = tokio::net::TcpStream::connect(sim.addr())
        .await
        .expect("connects");
    let name = ServerName::IpAddress(sim.addr().ip().into());
    let mut tls = connector.connect(name, tcp).await.expect("TLS handshake");
    tls.write_all(request.as_bytes()).await.expect("writes");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), tls.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// A GET request for [`raw`], closing the connection after the answer.
pub fn raw_get(path: &str, auth: Option<&str>) -> String {
    let auth = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Connection: close\r\n\r\n")
}

/// One raw keep-alive TLS connection, for exact connection-level assertions.
#[derive(Debug)]
pub struct RawConn {
    tls: tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
    buf: Vec<u8>,
}

/// A response read from a [`RawConn`]: status line, lower-cased header block, body.
#[derive(Debug)]
pub struct RawResponse {
    pub status_line: String,
    pub headers: String,
    pub body: Vec<u8>,
}

impl RawConn {
    pub async fn open(sim: &SimHandle) -> RawConn {
        let connector = tokio_rustls::TlsConnector::from(Arc::new(client_config(sim)));
        let tcp = tokio::net::TcpStream::connect(sim.addr())
            .await
            .expect("connects");
        let name = ServerName::IpAddress(sim.addr().ip().into());
        let tls = connector.connect(name, tcp).await.expect("TLS handshake");
        RawConn {
            tls,
            buf: Vec::new(),
        }
    }

    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 16 * 1024];
        match tokio::time::timeout(Duration::from_secs(5), self.tls.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            _ => false,
        }
    }

    /// Sends `request` and reads one response; `None` if the server closed the connection.
    pub async fn request(&mut self, request: &str) -> Option<RawResponse> {
        self.tls.write_all(request.as_bytes()).await.ok()?;
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            if !self.fill().await {
                return None;
            }
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        let (status_line, headers) = head.split_once("\r\n").unwrap_or((&head, ""));
        let headers = headers.to_ascii_lowercase();
        let len: usize = headers
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while self.buf.len() < head_end + 4 + len {
            if !self.fill().await {
                return None;
            }
        }
        let body = self.buf[head_end + 4..head_end + 4 + len].to_vec();
        self.buf.drain(..head_end + 4 + len);
        Some(RawResponse {
            status_line: status_line.to_owned(),
            headers,
            body,
        })
    }

    /// Whether the server has closed the connection.
    pub async fn closed(&mut self) -> bool {
        !self.fill().await
    }
}

/// A keep-alive GET request for [`RawConn`].
pub fn keepalive_get(path: &str, auth: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {auth}\r\n\r\n")
}
