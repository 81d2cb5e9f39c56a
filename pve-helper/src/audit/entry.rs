//! One audit record as `pve-helper audit` reads it back, from any shape the helper
//! writes it in: a JSON line of `audit_file`, a journal entry (`journalctl -o json`),
//! or a log line of the `pve_mcp::audit` target (`journalctl -o cat`, the helper's
//! standard error). The lines are the admin's own files, but a line may be cut,
//! edited or someone else's: each is parsed without panicking, and one that is not a
//! record is told apart from one that claims to be a record and is broken.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

/// One decision (or refused connection), normalized from whichever shape it came in.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub time: DateTime<Utc>,
    pub uid: Option<u32>,
    pub pid: Option<i32>,
    /// The client's login name as the helper recorded it (records before there was one
    /// have none).
    pub client: Option<String>,
    /// The kind of request (`guest_status`, `api`, ...), or `connection` for a
    /// connection refused before any request.
    pub tool: String,
    /// The request's redacted rendering, without its kind.
    pub detail: String,
    /// The guest the request names, if it names one.
    pub guest: Option<u32>,
    /// `allow`, `deny`, `not_found`, `confirm`, `limited` or `error`.
    pub decision: String,
    pub rule: String,
    /// `ok`, or the kind of error the client was answered.
    pub outcome: String,
    pub upstream_status: Option<u16>,
    pub upid: Option<String>,
    pub duration_ms: Option<u64>,
}

/// What one line of input is.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Record(Box<Entry>),
    /// Not an audit record: an empty line, another log message of the helper, a
    /// message of systemd about the unit.
    Other,
    /// Claims to be a record (or is not a line of any known shape) and cannot be read.
    Malformed(String),
}

/// A record of the audit file, as `crate::audit::Record` writes it. Unknown fields
/// are ignored: a newer helper may add some.
#[derive(Debug, Deserialize)]
struct FileRecord {
    time: String,
    peer_uid: u32,
    peer_pid: i32,
    #[serde(default)]
    client: Option<String>,
    request: String,
    decision: String,
    rule: String,
    outcome: String,
    #[serde(default)]
    upstream_status: Option<u16>,
    #[serde(default)]
    upid: Option<String>,
    #[serde(default)]
    duration_ms: Option<u64>,
}

/// The target the helper logs its audit records under.
const TARGET: &str = "pve_mcp::audit: ";

/// Reads one line of any of the three shapes.
pub fn parse_line(line: &str) -> Line {
    let line = line.trim();
    if line.is_empty() {
        return Line::Other;
    }
    if line.starts_with('{') {
        return match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(o)) if o.contains_key("MESSAGE") => journal_entry(&o),
            Ok(v @ Value::Object(_)) => file_record(v),
            Ok(_) => Line::Malformed("a JSON value that is not an object".into()),
            Err(e) => Line::Malformed(format!("not valid JSON ({e})")),
        };
    }
    match line.find(TARGET) {
        Some(at) => text_record(line, at, None),
        None if looks_like_log_line(line) => Line::Other,
        None => Line::Malformed("neither a JSON record nor a log line of the helper".into()),
    }
}

fn file_record(v: Value) -> Line {
    let r: FileRecord = match serde_json::from_value(v) {
        Ok(r) => r,
        Err(e) => return Line::Malformed(format!("not an audit record ({e})")),
    };
    let Some(time) = parse_time(&r.time) else {
        return Line::Malformed(format!("bad time {:?}", r.time));
    };
    let (tool, detail) = split_request(&r.request);
    let guest = guest_of(&r.request).or_else(|| r.upid.as_deref().and_then(upid_guest));
    Line::Record(Box::new(Entry {
        time,
        uid: Some(r.peer_uid),
        pid: Some(r.peer_pid),
        client: r.client,
        tool,
        detail,
        guest,
        decision: r.decision,
        rule: r.rule,
        outcome: r.outcome,
        upstream_status: r.upstream_status,
        upid: r.upid,
        duration_ms: r.duration_ms,
    }))
}

/// A journal entry: its `MESSAGE` is the helper's log line; its time the journal's.
fn journal_entry(o: &serde_json::Map<String, Value>) -> Line {
    let message = match o.get("MESSAGE") {
        Some(Value::String(s)) => s.clone(),
        // journalctl writes a message that is not UTF-8 as an array of bytes.
        Some(Value::Array(bytes)) => {
            let bytes: Vec<u8> = bytes
                .iter()
                .filter_map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                .collect();
            String::from_utf8_lossy(&bytes).into_owned()
        }
        _ => return Line::Other,
    };
    let time = o
        .get("__REALTIME_TIMESTAMP")
        .and_then(Value::as_str)
        .and_then(|us| us.parse::<i64>().ok())
        .and_then(DateTime::from_timestamp_micros);
    match message.find(TARGET) {
        Some(at) => text_record(&message, at, time),
        None => Line::Other,
    }
}

/// A line of the default `tracing` format: `TIME  LEVEL TARGET: FIELDS`.
fn looks_like_log_line(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let time_ok = words.next().is_some_and(|t| parse_time(t).is_some());
    let level_ok = words
        .next()
        .is_some_and(|l| ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"].contains(&l));
    time_ok && level_ok
}

/// The fields of a log line of the audit target, `at` being where the target starts.
fn text_record(line: &str, at: usize, time: Option<DateTime<Utc>>) -> Line {
    let time = time.or_else(|| line.split_whitespace().next().and_then(parse_time));
    let Some(time) = time else {
        return Line::Malformed("an audit log line without a time".into());
    };
    let fields = match fields(&line[at + TARGET.len()..]) {
        Ok(f) => f,
        Err(e) => return Line::Malformed(e),
    };
    let get = |k: &str| {
        fields
            .iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.as_str())
    };
    let number = |k: &str| get(k).and_then(|v| v.parse::<u64>().ok());
    let uid = get("peer_uid").and_then(|v| v.parse().ok());
    let pid = get("peer_pid").and_then(|v| v.parse().ok());
    let client = get("client").map(str::to_owned);
    if let Some(event) = get("event") {
        return Line::Record(Box::new(Entry {
            time,
            uid,
            pid,
            client,
            tool: "connection".into(),
            detail: get("detail").unwrap_or_default().to_owned(),
            guest: None,
            decision: "deny".into(),
            rule: event.to_owned(),
            outcome: "closed".into(),
            upstream_status: None,
            upid: None,
            duration_ms: None,
        }));
    }
    let (Some(request), Some(decision), Some(rule), Some(outcome)) =
        (get("request"), get("decision"), get("rule"), get("outcome"))
    else {
        return Line::Malformed(
            "an audit log line without request, decision, rule or outcome".into(),
        );
    };
    let (tool, detail) = split_request(request);
    let upid = get("upid").map(str::to_owned);
    Line::Record(Box::new(Entry {
        time,
        uid,
        pid,
        client,
        tool,
        detail,
        guest: guest_of(request).or_else(|| upid.as_deref().and_then(upid_guest)),
        decision: decision.to_owned(),
        rule: rule.to_owned(),
        outcome: outcome.to_owned(),
        upstream_status: number("upstream_status").and_then(|v| u16::try_from(v).ok()),
        upid,
        duration_ms: number("duration_ms"),
    }))
}

/// `key=value` pairs of `tracing`'s default format; a string value is quoted and
/// escaped as Rust's `Debug` does. Bare words (the message, `audit`) are skipped.
fn fields(mut s: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return Ok(out);
        }
        let word_end = s.find([' ', '=']).unwrap_or(s.len());
        if !s[word_end..].starts_with('=') {
            s = &s[word_end..];
            continue;
        }
        let key = s[..word_end].to_owned();
        s = &s[word_end + 1..];
        let value;
        if let Some(rest) = s.strip_prefix('"') {
            let (v, after) = unquote(rest).ok_or_else(|| format!("unterminated value of {key}"))?;
            value = v;
            s = after;
        } else {
            let end = s.find(' ').unwrap_or(s.len());
            value = s[..end].to_owned();
            s = &s[end..];
        }
        out.push((key, value));
    }
}

/// The string up to the closing quote, unescaped, and what follows the quote.
fn unquote(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &s[i + 1..])),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                '0' => out.push('\0'),
                'u' => {
                    let rest = &s[i + 2..];
                    let close = rest.find('}')?;
                    let hex = rest.get(1..close)?;
                    out.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
                    for _ in 0..=close {
                        chars.next();
                    }
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

/// RFC 3339, as the helper writes its times.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// `guest_status vmid=101` into `guest_status` and `vmid=101`.
fn split_request(request: &str) -> (String, String) {
    match request.split_once(' ') {
        Some((tool, detail)) => (tool.to_owned(), detail.to_owned()),
        None => (request.to_owned(), String::new()),
    }
}

/// The guest a request's rendering names: its `vmid=`, the guest of its `upid=`, or
/// the `qemu/N` or `lxc/N` of a raw API path.
fn guest_of(request: &str) -> Option<u32> {
    let mut words = request.split(' ');
    let tool = words.next()?;
    for w in words.clone() {
        if let Some(v) = w.strip_prefix("vmid=") {
            return v.parse().ok();
        }
        if let Some(upid) = w.strip_prefix("upid=") {
            return upid_guest(upid);
        }
    }
    if tool == "api" {
        let path = words.nth(1)?;
        let segs: Vec<&str> = path.split('/').collect();
        return segs
            .windows(2)
            .find(|w| w[0] == "qemu" || w[0] == "lxc")
            .and_then(|w| w[1].parse().ok());
    }
    None
}

/// The guest of a task: `UPID:node:pid:pstart:starttime:type:ID:user:`.
fn upid_guest(upid: &str) -> Option<u32> {
    upid.split(':').nth(6)?.parse().ok()
}

#[cfg(test)]
mod tests;
