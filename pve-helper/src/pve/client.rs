//! The one HTTPS client to the Proxmox API: pooled keep-alive connections, timeouts,
//! bounded retries for idempotent GETs. The only code that sees the token.

use super::tls::{self, Trust};
use crate::{
    config::PveConfig,
    secret::ApiToken,
    stages::{self, Stage},
};
use pve_mcp_proto::{ApiMethod, ApiParams};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde::de::DeserializeOwned;
use std::{
    borrow::Cow,
    time::{Duration, Instant},
};

/// An error talking to Proxmox. Messages carry PVE's own words, never the token or
/// a raw response body.
#[derive(Debug, thiserror::Error)]
pub enum PveError {
    /// Proxmox answered with an HTTP error status.
    #[error("Proxmox answered {status}: {message}")]
    Http { status: u16, message: String },
    /// The connection could not be made or broke (including TLS verification).
    #[error("cannot reach Proxmox at {url}: {message}")]
    Transport { url: String, message: String },
    #[error("Proxmox did not answer within {0} s")]
    Timeout(u64),
    /// The answer was not the JSON we expect.
    #[error("Proxmox sent an answer that cannot be read: {0}")]
    Decode(String),
    /// The node runs a Proxmox VE release the helper does not know.
    #[error("Proxmox VE {0} is not supported (8 and 9 are)")]
    Unsupported(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("cannot build the HTTP client: {0}")]
    Build(String),
    #[error("cannot read the fingerprint: {0}")]
    Fingerprint(String),
}

#[derive(Debug, Clone)]
pub struct PveClient {
    http: reqwest::Client,
    /// `https://host:port/api2/json`
    base: String,
    auth: HeaderValue,
    timeout_secs: u64,
}

#[derive(serde::Deserialize)]
struct Envelope<T> {
    data: T,
}

/// Where [`PveClient::get_chunks`] delivers an answer.
pub trait BodySink {
    /// The answer's length, when Proxmox announced it (at most [`MAX_BODY`]).
    fn announced(&mut self, _len: usize) {}
    fn chunk(&mut self, bytes: bytes::Bytes);
    /// Done when the sink may take more: one that reads what it takes elsewhere has
    /// the answer wait (and Proxmox with it) while it is far behind.
    fn ready(&mut self) -> impl std::future::Future<Output = ()> + Send {
        std::future::ready(())
    }
}

/// The whole answer, in memory.
impl BodySink for Vec<u8> {
    fn chunk(&mut self, bytes: bytes::Bytes) {
        self.extend_from_slice(&bytes);
    }
}

/// A sink that counts the time spent handing it chunks.
struct TimedSink<'a, S> {
    sink: &'a mut S,
    busy: Duration,
}

impl<S: BodySink> BodySink for TimedSink<'_, S> {
    fn announced(&mut self, len: usize) {
        self.sink.announced(len);
    }

    fn chunk(&mut self, bytes: bytes::Bytes) {
        let started = Instant::now();
        self.sink.chunk(bytes);
        self.busy += started.elapsed();
    }

    /// Waiting for the sink to read is decoding, too.
    fn ready(&mut self) -> impl std::future::Future<Output = ()> + Send {
        let started = Instant::now();
        let (wait, busy) = (self.sink.ready(), &mut self.busy);
        async move {
            wait.await;
            *busy += started.elapsed();
        }
    }
}

/// Retries for idempotent requests that failed to connect.
const GET_RETRIES: u32 = 2;

/// Largest answer read from Proxmox: ten times the listing of a 30,000-guest cluster.
/// A larger one is refused, never buffered.
pub const MAX_BODY: usize = 96 * 1024 * 1024;

fn too_large() -> PveError {
    PveError::Decode(format!(
        "the answer is larger than {} MiB",
        MAX_BODY / (1024 * 1024)
    ))
}

impl PveClient {
    pub fn new(cfg: &PveConfig, token: &ApiToken) -> Result<Self, ClientError> {
        let trust = match (&cfg.fingerprint, &cfg.ca_file, cfg.insecure) {
            (Some(fp), _, _) => Trust::Fingerprint(tls::parse_fingerprint(fp)?),
            (None, Some(ca), _) => Trust::CaFile(ca.clone()),
            _ => Trust::Insecure,
        };
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls::client_config(&trust)?)
            .http1_only()
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(cfg.timeout_secs))
            .pool_idle_timeout(Duration::from_secs(50))
            .pool_max_idle_per_host(32)
            .tcp_keepalive(Duration::from_secs(30))
            .build()
            .map_err(|e| ClientError::Build(e.to_string()))?;
        let mut auth = HeaderValue::from_str(&token.header_value()).map_err(|_| {
            ClientError::Build("the token holds characters not allowed in a header".into())
        })?;
        auth.set_sensitive(true);
        Ok(Self {
            http,
            base: format!("{}/api2/json", cfg.url.trim_end_matches('/')),
            auth,
            timeout_secs: cfg.timeout_secs,
        })
    }

    /// The base URL, for messages.
    pub fn url(&self) -> &str {
        self.base.trim_end_matches("/api2/json")
    }

    /// `GET path`, decoding the `data` member as `T`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, PveError> {
        let body = self.send(ApiMethod::Get, path, query, None).await?;
        decode(&body)
    }

    /// `GET path`, returning the raw body, for callers that decode it with borrowed
    /// strings through [`decode`].
    pub async fn get_body(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<bytes::Bytes, PveError> {
        self.send(ApiMethod::Get, path, query, None).await
    }

    /// Any method with parameters that may repeat (`command=a&command=b`): in the
    /// query for GET and DELETE, as a form body otherwise. Returns `data` as JSON.
    pub async fn call_form(
        &self,
        method: ApiMethod,
        path: &str,
        form: &[(String, String)],
    ) -> Result<serde_json::Value, PveError> {
        let body = match method {
            ApiMethod::Get | ApiMethod::Delete => {
                let query: Vec<(&str, &str)> =
                    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                self.send(method, path, &query, None).await?
            }
            ApiMethod::Post | ApiMethod::Put => self.send(method, path, &[], Some(form)).await?,
        };
        decode(&body)
    }

    /// Any method, with form parameters; returns the `data` member as JSON.
    pub async fn call(
        &self,
        method: ApiMethod,
        path: &str,
        params: &ApiParams,
    ) -> Result<serde_json::Value, PveError> {
        let form: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_form()))
            .collect();
        let body = if method == ApiMethod::Get {
            let query: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            self.send(method, path, &query, None).await?
        } else {
            self.send(method, path, &[], Some(&form)).await?
        };
        decode(&body)
    }

    /// `GET path`, handing the body to `sink` chunk by chunk as it arrives, so that a
    /// large answer is decoded while the rest of it is still on the wire. An error
    /// status is read and reported whole, as for the other calls.
    pub async fn get_chunks(
        &self,
        path: &str,
        query: &[(&str, &str)],
        sink: &mut impl BodySink,
    ) -> Result<(), PveError> {
        let started = Instant::now();
        let mut resp = self.request(ApiMethod::Get, path, query, None).await?;
        if !resp.status().is_success() {
            stages::add(Stage::Fetch, started.elapsed());
            return self.read(resp).await.map(drop);
        }
        let mut timed = TimedSink {
            sink,
            busy: Duration::ZERO,
        };
        let drained = self.drain(&mut resp, &mut timed).await;
        // The decoding done while the answer arrived is the decoder's, not the wire's.
        stages::add(Stage::Fetch, started.elapsed().saturating_sub(timed.busy));
        stages::add(Stage::Decode, timed.busy);
        drained
    }

    /// Hands the body to `sink` as it arrives, refusing one of more than [`MAX_BODY`]
    /// bytes (announced or not) before it is read.
    async fn drain(
        &self,
        resp: &mut reqwest::Response,
        sink: &mut impl BodySink,
    ) -> Result<(), PveError> {
        if let Some(n) = resp.content_length() {
            if n > MAX_BODY as u64 {
                return Err(too_large());
            }
            sink.announced(n as usize);
        }
        let mut len = 0usize;
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.transport(&e))? {
            len += chunk.len();
            if len > MAX_BODY {
                return Err(too_large());
            }
            sink.chunk(chunk);
            sink.ready().await;
        }
        Ok(())
    }

    async fn send(
        &self,
        method: ApiMethod,
        path: &str,
        query: &[(&str, &str)],
        form: Option<&[(String, String)]>,
    ) -> Result<bytes::Bytes, PveError> {
        if let Some(answer) = super::plan::intercept(method, path, query, form) {
            return Ok(answer);
        }
        let started = Instant::now();
        let resp = self.request(method, path, query, form).await?;
        let body = self.read(resp).await;
        stages::add(Stage::Fetch, started.elapsed());
        body
    }

    /// Sends one request (retrying a GET that could not connect); the answer's status
    /// and body are the caller's to read.
    async fn request(
        &self,
        method: ApiMethod,
        path: &str,
        query: &[(&str, &str)],
        form: Option<&[(String, String)]>,
    ) -> Result<reqwest::Response, PveError> {
        let url = format!("{}{}", self.base, path);
        let mut attempt = 0;
        loop {
            let m = match method {
                ApiMethod::Get => reqwest::Method::GET,
                ApiMethod::Post => reqwest::Method::POST,
                ApiMethod::Put => reqwest::Method::PUT,
                ApiMethod::Delete => reqwest::Method::DELETE,
            };
            let mut req = self
                .http
                .request(m, &url)
                .header(AUTHORIZATION, self.auth.clone());
            if !query.is_empty() {
                req = req.query(query);
            }
            if let Some(form) = form {
                req = req.form(form);
            }
            match req.send().await {
                Ok(resp) => return Ok(resp),
                Err(e)
                    if method == ApiMethod::Get
                        && e.is_connect()
                        && tls_cause(&e).is_none()
                        && attempt < GET_RETRIES =>
                {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                }
                Err(e) => return Err(self.transport(&e)),
            }
        }
    }

    async fn read(&self, mut resp: reqwest::Response) -> Result<bytes::Bytes, PveError> {
        let status = resp.status();
        let reason = resp
            .extensions()
            .get::<hyper::ext::ReasonPhrase>()
            .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned())
            .or_else(|| status.canonical_reason().map(str::to_owned))
            .unwrap_or_default();
        let mut body = Vec::new();
        self.drain(&mut resp, &mut body).await?;
        let body = bytes::Bytes::from(body);
        if status.is_success() {
            return Ok(body);
        }
        Err(PveError::Http {
            status: status.as_u16(),
            message: error_message(&reason, &body),
        })
    }

    fn transport(&self, e: &reqwest::Error) -> PveError {
        if e.is_timeout() {
            return PveError::Timeout(self.timeout_secs);
        }
        PveError::Transport {
            url: self.url().to_owned(),
            message: describe(e),
        }
    }
}

/// Decodes the `data` member of a Proxmox answer.
pub fn decode<'a, T: serde::Deserialize<'a>>(body: &'a [u8]) -> Result<T, PveError> {
    // One UTF-8 check of the whole body: decoding from bytes would check every string
    // on its own, which costs more than the check of the whole (a sixth of decoding a
    // large listing).
    stages::timed_sync(Stage::Decode, || {
        let text = std::str::from_utf8(body).map_err(|e| {
            PveError::Decode(format!(
                "the answer is not UTF-8 (at byte {})",
                e.valid_up_to()
            ))
        })?;
        serde_json::from_str::<Envelope<T>>(text)
            .map(|e| e.data)
            .map_err(|e| PveError::Decode(e.to_string()))
    })
}

/// PVE's error text: the reason phrase or `message`, plus per-parameter `errors`.
fn error_message(reason: &str, body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct ErrBody {
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        errors: Option<std::collections::BTreeMap<String, serde_json::Value>>,
    }
    let parsed: Option<ErrBody> = serde_json::from_slice(body).ok();
    let mut msg = parsed
        .as_ref()
        .and_then(|b| b.message.clone())
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| reason.to_owned());
    if let Some(errors) = parsed.and_then(|b| b.errors) {
        for (k, v) in errors {
            let v = v
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| v.to_string());
            msg.push_str(&format!("; {k}: {}", v.trim()));
        }
    }
    sanitize(&msg)
}

/// Whether `c` is written escaped when shown: Unicode format characters (general
/// category Cf: bidi embeddings, overrides and isolates, zero-width space and joiners,
/// word joiner, the byte order mark, tag characters, ...), the line and paragraph
/// separators, and the other default-ignorable code points (combining grapheme joiner,
/// Hangul fillers, variation selectors). Control characters are not among them: each
/// function below says what becomes of those.
fn hidden(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00AD
            | 0x034F
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x115F..=0x1160
            | 0x17B4..=0x17B5
            | 0x180B..=0x180F
            | 0x200B..=0x200F
            | 0x2028..=0x202E
            | 0x2060..=0x206F
            | 0x3164
            | 0xFE00..=0xFE0F
            | 0xFEFF
            | 0xFFA0
            | 0xFFF0..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0000..=0xE0FFF
    )
}

/// How a hidden character is written: `\u{202E}`, at least four hex digits.
fn escape(c: char, out: &mut String) {
    use std::fmt::Write;
    let _ = write!(out, "\\u{{{:04X}}}", u32::from(c));
}

/// One line of at most 500 printable characters, made fit to show whoever reads it:
/// control characters (C0, DEL, C1) become spaces, and characters that are invisible or
/// reorder what is shown (format characters such as bidi overrides, zero-width space or
/// tag characters: see `hidden`) are written escaped as `\u{202E}` (never cut in half).
/// Every value from Proxmox or a guest passes here or through one of the functions
/// below, whatever tool renders it.
pub fn sanitize(s: &str) -> String {
    const MAX: usize = 500;
    let mut out = String::new();
    let mut shown = 0;
    for c in s.trim().chars() {
        if c.is_control() {
            out.push(' ');
            shown += 1;
        } else if hidden(c) {
            let mut escaped = String::new();
            escape(c, &mut escaped);
            if shown + escaped.len() > MAX {
                break;
            }
            out.push_str(&escaped);
            shown += escaped.len();
        } else {
            out.push(c);
            shown += 1;
        }
        if shown >= MAX {
            break;
        }
    }
    out
}

/// Text of several lines (a description, command output), made fit to show as
/// [`sanitize`] makes one line, but neither trimmed nor cut: line feeds and tabs are
/// kept, a carriage return before a line feed is dropped (`\r\n` ends a line), and
/// every other control character (a NUL separator, an escape sequence's ESC, C1) and
/// every hidden character is written escaped (`\u{0000}`), so nothing is lost and
/// nothing acts on the reader's terminal. Borrowed when nothing needs changing.
pub fn sanitize_text(s: &str) -> Cow<'_, str> {
    let special = |c: char| (c.is_control() && c != '\n' && c != '\t') || hidden(c);
    let Some(first) = s.find(special) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 16);
    out.push_str(&s[..first]);
    let mut chars = s[first..].chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() == Some(&'\n') {
            continue;
        }
        if special(c) {
            escape(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`sanitize_text`] of an owned string, without copying one that needs nothing changed.
pub fn sanitize_text_owned(s: String) -> String {
    match sanitize_text(&s) {
        Cow::Owned(t) => t,
        Cow::Borrowed(_) => s,
    }
}

/// Cuts text made by [`sanitize_text`] to at most `max` bytes, on a character boundary
/// and never inside an escape; returns whether anything was cut.
pub fn cut_text(s: &mut String, max: usize) -> bool {
    if s.len() <= max {
        return false;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    // An escape is at most `\u{10FFFF}`: only the last few bytes can hold a cut one.
    let mut tail = end.saturating_sub(10);
    while !s.is_char_boundary(tail) {
        tail -= 1;
    }
    if let Some(at) = s[tail..end].rfind('\\').map(|at| tail + at)
        && s[at..].starts_with("\\u{")
        && !s[at..end].contains('}')
    {
        end = at;
    }
    s.truncate(end);
    true
}

/// One value of the guest listing (a guest's name, a tag, a pool) fit to show: every
/// control and hidden character written escaped as `\u{202E}`, and nothing else changed
/// (not trimmed, not cut, no character turned into another). The policy matches pools
/// and tags, which are plain ASCII names: a value made fit to show never reads as
/// another one that the policy names (` lab` does not become `lab`). Printable ASCII,
/// every value Proxmox itself accepts, is returned as it is after one scan of its bytes.
pub fn escape_value(s: &str) -> Cow<'_, str> {
    if s.bytes().all(|b| matches!(b, b' '..=b'~')) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if c.is_control() || hidden(c) {
            escape(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A transport error's cause chain, naming a TLS verification failure plainly.
fn describe(e: &reqwest::Error) -> String {
    if let Some(t) = tls_cause(e) {
        return sanitize(&format!("TLS verification failed: {}", describe_tls(t)));
    }
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let s = err.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = err.source();
    }
    sanitize(&parts.join(": "))
}

/// The TLS error somewhere in `e`'s cause chain.
fn tls_cause(e: &reqwest::Error) -> Option<&rustls::Error> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(t) = find_rustls(err) {
            return Some(t);
        }
        cur = err.source();
    }
    None
}

/// The TLS error inside `err`, looking through nested `io::Error` wrappers (hyper and
/// tokio-rustls each wrap it once).
fn find_rustls<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(t) = err.downcast_ref::<rustls::Error>() {
        return Some(t);
    }
    let inner = err.downcast_ref::<std::io::Error>()?.get_ref()?;
    find_rustls(inner)
}

fn describe_tls(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InvalidCertificate(rustls::CertificateError::Other(o)) => o.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod sanitize_tests {
    use super::{Cow, cut_text, escape_value, sanitize, sanitize_text, sanitize_text_owned};

    /// Every range the issue lists, and the rest of category Cf (Unicode 16), with the
    /// other default-ignorable code points.
    const HIDDEN: &[(u32, u32)] = &[
        (0x00AD, 0x00AD),
        (0x034F, 0x034F),
        (0x0600, 0x0605),
        (0x061C, 0x061C),
        (0x06DD, 0x06DD),
        (0x070F, 0x070F),
        (0x0890, 0x0891),
        (0x08E2, 0x08E2),
        (0x115F, 0x1160),
        (0x17B4, 0x17B5),
        (0x180B, 0x180F),
        (0x200B, 0x200F),
        (0x2028, 0x2029),
        (0x202A, 0x202E),
        (0x2060, 0x2064),
        (0x2066, 0x2069),
        (0x206A, 0x206F),
        (0x3164, 0x3164),
        (0xFE00, 0xFE0F),
        (0xFEFF, 0xFEFF),
        (0xFFA0, 0xFFA0),
        (0xFFF9, 0xFFFB),
        (0x110BD, 0x110BD),
        (0x110CD, 0x110CD),
        (0x13430, 0x1343F),
        (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A),
        (0xE0000, 0xE007F),
        (0xE0100, 0xE01EF),
    ];

    fn every_hidden() -> impl Iterator<Item = char> {
        HIDDEN
            .iter()
            .flat_map(|&(a, b)| (a..=b).filter_map(char::from_u32))
    }

    #[test]
    fn invisible_and_reordering_characters_are_escaped() {
        for c in every_hidden() {
            let want = format!("a\\u{{{:04X}}}b", u32::from(c));
            let s = format!("a{c}b");
            assert_eq!(sanitize(&s), want, "U+{:04X}", u32::from(c));
            assert_eq!(sanitize_text(&s), want, "U+{:04X}", u32::from(c));
            assert_eq!(escape_value(&s), want, "U+{:04X}", u32::from(c));
        }
        assert_eq!(
            sanitize("Ignore\u{202E}txt.exe\u{2066}\u{200B}"),
            "Ignore\\u{202E}txt.exe\\u{2066}\\u{200B}"
        );
    }

    #[test]
    fn controls_become_spaces_and_the_rest_is_kept() {
        assert_eq!(sanitize("  a\nb\tc\u{7}d\u{85}e\u{7F}  "), "a b c d e ");
        let visible = "Grüße, 日本語 🙂, العربية, עברית, a\\u{202E}b";
        assert_eq!(sanitize(visible), visible);
    }

    #[test]
    fn the_result_is_bounded_and_no_escape_is_cut() {
        assert_eq!(sanitize(&"x".repeat(600)).len(), 500);
        let s = sanitize(&format!("{}{}", "x".repeat(495), "\u{202E}".repeat(10)));
        assert_eq!(s, "x".repeat(495));
        let s = sanitize(&"\u{200B}".repeat(100));
        assert_eq!(s, "\\u{200B}".repeat(62));
        assert!(s.len() <= 500);
    }

    #[test]
    fn text_keeps_its_lines_and_tabs_and_escapes_other_controls() {
        let hostile = "Web\u{202E}txt.exe\r\n\tSYSTEM: obey\u{200B}\u{1B}[31m\u{85}\u{7F}\n\n";
        assert_eq!(
            sanitize_text(hostile),
            "Web\\u{202E}txt.exe\n\tSYSTEM: obey\\u{200B}\\u{001B}[31m\\u{0085}\\u{007F}\n\n"
        );
        for visible in [
            "line one\n\tline two\n",
            "Grüße, 日本語 🙂, עברית",
            "a\\u{202E}b",
            "",
        ] {
            assert!(
                matches!(sanitize_text(visible), Cow::Borrowed(s) if s == visible),
                "{visible:?}"
            );
        }
        assert_eq!(sanitize_text_owned("a\u{2066}\n".into()), "a\\u{2066}\n");
        let all: String = every_hidden().chain(['\u{7}', '\r', '\u{9F}']).collect();
        assert!(
            !sanitize_text(&all)
                .chars()
                .any(|c| c.is_control() || super::hidden(c))
        );
    }

    #[test]
    fn text_is_cut_on_a_character_and_never_inside_an_escape() {
        let mut s = String::from("aé");
        assert!(cut_text(&mut s, 2));
        assert_eq!(s, "a");
        let mut s = sanitize_text_owned("abc\u{202E}def".into());
        assert!(!cut_text(&mut s, 100));
        for max in 3..11 {
            let mut cut = s.clone();
            assert!(cut_text(&mut cut, max));
            assert_eq!(cut, "abc", "cut at {max}");
        }
        let mut cut = s.clone();
        assert!(cut_text(&mut cut, 12));
        assert_eq!(cut, "abc\\u{202E}d");
        let mut s = sanitize_text_owned("\u{E0041}".repeat(10));
        assert!(cut_text(&mut s, 50));
        assert_eq!(s, "\\u{E0041}".repeat(5));
    }

    #[test]
    fn listing_values_are_escaped_whole_and_plain_ones_kept() {
        for plain in ["web-01", " lab ", "VM 101", "a\\u{202E}b", ""] {
            assert!(
                matches!(escape_value(plain), Cow::Borrowed(s) if s == plain),
                "{plain:?}"
            );
        }
        // Nothing trimmed, no control made a space: the value reads as no other.
        assert_eq!(escape_value(" lab\n"), " lab\\u{000A}");
        assert_eq!(escape_value("web\u{7F}\t"), "web\\u{007F}\\u{0009}");
        assert_eq!(
            escape_value("Grüße\u{202E}exe.txt\u{E0041}"),
            "Grüße\\u{202E}exe.txt\\u{E0041}"
        );
        assert!(matches!(escape_value("日本語"), Cow::Owned(s) if s == "日本語"));
    }
}
