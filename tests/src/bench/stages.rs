//! Where the time of a call after idleness goes: the stages the helper logs for each
//! request (`pve_helper::stages`: fetch, decode, judge, render, total) and the times
//! the front logs (`mcp_front::stages`: the tool handler, the helper round trip), read
//! back from their log files after each call and set beside the client's own time.
//! Both processes log these lines at debug level only when asked ([`HELPER_LOG`],
//! [`FRONT_LOG`]); the benchmark asks only for the calls after idleness. The logs are
//! our own processes' and trusted; a line that does not parse is skipped.

use serde::Serialize;
use std::{
    fmt::Write as _,
    io::{Read, Seek, SeekFrom},
    path::{Path, PathBuf},
    time::Duration,
};

/// The helper's log filter while stages are measured.
pub const HELPER_LOG: &str = "info,pve_helper::stages=debug";
/// The front's log filter while stages are measured.
pub const FRONT_LOG: &str = "warn,mcp_front::stages=debug";

/// The lines a log file gained since the last look.
#[derive(Debug)]
pub struct LogTail {
    path: PathBuf,
    offset: u64,
}

impl LogTail {
    /// Starts at the file's current end.
    pub fn new(path: &Path) -> Self {
        let offset = std::fs::metadata(path).map_or(0, |m| m.len());
        Self {
            path: path.to_owned(),
            offset,
        }
    }

    pub fn new_lines(&mut self) -> Vec<String> {
        let mut text = String::new();
        let read = std::fs::File::open(&self.path).and_then(|mut f| {
            f.seek(SeekFrom::Start(self.offset))?;
            f.read_to_string(&mut text)
        });
        self.offset += read.unwrap_or(0) as u64;
        text.lines().map(str::to_owned).collect()
    }
}

/// `key=123` in a log line.
fn field(line: &str, key: &str) -> Option<u64> {
    let at = line.find(&format!(" {key}="))? + key.len() + 2;
    let digits: String = line[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The parts of one call, in microseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Parts {
    pub total: u64,
    pub fetch: u64,
    pub decode: u64,
    pub judge: u64,
    pub render: u64,
    /// The helper's time outside the four stages (waiting for a thread, the pipeline).
    pub helper_other: u64,
    /// The front's round trip to the helper, less the helper's own time.
    pub socket: u64,
    /// The front's tool handler, less its round trip to the helper.
    pub front: u64,
    /// The client's time, less the front's tool handler: stdio both ways, MCP
    /// framing, waking the front.
    pub stdio: u64,
}

/// The parts of a call to `tool` (helper operation `op`) that took `client`, from the
/// lines the two logs gained during it.
pub fn parts(
    client: Duration,
    helper: &[String],
    front: &[String],
    op: &str,
    tool: &str,
) -> Option<Parts> {
    let op = format!("op=\"{op}\"");
    let line = helper
        .iter()
        .rev()
        .find(|l| l.contains("pve_helper::stages") && l.contains(&op))?;
    let round_trip = front
        .iter()
        .rev()
        .find(|l| l.contains("helper call") && l.contains(&op))
        .and_then(|l| field(l, "round_trip_us"))?;
    let handler = front
        .iter()
        .rev()
        .find(|l| l.contains("tool call") && l.contains(&format!("tool={tool}")))
        .and_then(|l| field(l, "handler_us"))?;
    let get = |k| field(line, k);
    let (fetch, decode, judge, render) = (
        get("fetch_us")?,
        get("decode_us")?,
        get("judge_us")?,
        get("render_us")?,
    );
    let helper_total = get("total_us")?;
    let total = client.as_micros() as u64;
    Some(Parts {
        total,
        fetch,
        decode,
        judge,
        render,
        helper_other: helper_total.saturating_sub(fetch + decode + judge + render),
        socket: round_trip.saturating_sub(helper_total),
        front: handler.saturating_sub(round_trip),
        stdio: total.saturating_sub(handler),
    })
}

/// Medians of the parts of a set of calls, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Breakdown {
    pub call: String,
    pub n: usize,
    pub total_ms: f64,
    pub fetch_ms: f64,
    pub decode_ms: f64,
    pub judge_ms: f64,
    pub render_ms: f64,
    pub helper_other_ms: f64,
    pub socket_ms: f64,
    pub front_ms: f64,
    pub stdio_ms: f64,
}

impl Breakdown {
    pub fn of(call: &str, parts: &[Parts]) -> Breakdown {
        let median = |f: fn(&Parts) -> u64| {
            let mut v: Vec<u64> = parts.iter().map(f).collect();
            v.sort_unstable();
            v.get(v.len().saturating_sub(1) / 2).copied().unwrap_or(0) as f64 / 1000.0
        };
        Breakdown {
            call: call.to_owned(),
            n: parts.len(),
            total_ms: median(|p| p.total),
            fetch_ms: median(|p| p.fetch),
            decode_ms: median(|p| p.decode),
            judge_ms: median(|p| p.judge),
            render_ms: median(|p| p.render),
            helper_other_ms: median(|p| p.helper_other),
            socket_ms: median(|p| p.socket),
            front_ms: median(|p| p.front),
            stdio_ms: median(|p| p.stdio),
        }
    }
}

/// The breakdowns as a table.
pub fn write_table(out: &mut String, rows: &[Breakdown]) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{:<34} {:>3} {:>7} | {:>6} {:>6} {:>6} {:>6} {:>6} | {:>6} {:>6} {:>6}",
        "where the time goes (ms, medians)",
        "n",
        "total",
        "fetch",
        "decode",
        "judge",
        "render",
        "other",
        "socket",
        "front",
        "stdio"
    );
    for b in rows {
        let _ = writeln!(
            out,
            "{:<34} {:>3} {:>7.3} | {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>6.3} | {:>6.3} {:>6.3} {:>6.3}",
            b.call,
            b.n,
            b.total_ms,
            b.fetch_ms,
            b.decode_ms,
            b.judge_ms,
            b.render_ms,
            b.helper_other_ms,
            b.socket_ms,
            b.front_ms,
            b.stdio_ms
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_splits_into_its_parts() {
        let helper = [
            "2026-01-01T00:00:00Z DEBUG pve_helper::stages: stages op=\"list_guests\" fetch_us=2000 decode_us=300 judge_us=50 render_us=40 total_us=2500".to_owned(),
        ];
        let front = [
            "x DEBUG mcp_front::stages: helper call op=\"describe\" round_trip_us=9".to_owned(),
            "x DEBUG mcp_front::stages: helper call op=\"list_guests\" round_trip_us=2700"
                .to_owned(),
            "x DEBUG mcp_front::stages: tool call tool=list_vms handler_us=2900".to_owned(),
        ];
        let p = parts(
            Duration::from_micros(3200),
            &helper,
            &front,
            "list_guests",
            "list_vms",
        )
        .unwrap();
        assert_eq!(
            (p.fetch, p.decode, p.judge, p.render, p.helper_other),
            (2000, 300, 50, 40, 110)
        );
        assert_eq!((p.socket, p.front, p.stdio, p.total), (200, 200, 300, 3200));
        assert!(parts(Duration::ZERO, &helper, &front, "guest_status", "vm_status").is_none());
    }
}
