//! How `pve-helper audit` shows records: a table for the admin (local time, the
//! client's user name, one line a record, a count of what was allowed and refused),
//! or one JSON object a line for scripts. Text in a record came through the helper
//! from the assistant or Proxmox: control characters are shown escaped, so that a
//! record cannot move the cursor or forge another line of the table.

use super::entry::Entry;
use chrono::Local;
use serde::Serialize;
use std::{collections::HashMap, fmt::Write as _};

/// User names by uid, looked up once each.
#[derive(Debug, Default)]
pub struct Users(HashMap<u32, Option<String>>);

impl Users {
    pub fn name(&mut self, uid: Option<u32>) -> Option<String> {
        let uid = uid?;
        self.0
            .entry(uid)
            .or_insert_with(|| {
                nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
                    .ok()
                    .flatten()
                    .map(|u| u.name)
            })
            .clone()
    }
}

/// A record as `--json` prints it.
#[derive(Debug, Serialize)]
struct JsonEntry<'a> {
    time: String,
    client: Option<&'a str>,
    uid: Option<u32>,
    pid: Option<i32>,
    tool: &'a str,
    guest: Option<u32>,
    decision: &'a str,
    rule: &'a str,
    outcome: &'a str,
    upstream_status: Option<u16>,
    upid: Option<&'a str>,
    duration_ms: Option<u64>,
    request: &'a str,
}

/// One JSON line.
pub fn json_line(e: &Entry, client: Option<&str>) -> String {
    let j = JsonEntry {
        time: e.time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        client,
        uid: e.uid,
        pid: e.pid,
        tool: &e.tool,
        guest: e.guest,
        decision: &e.decision,
        rule: &e.rule,
        outcome: &e.outcome,
        upstream_status: e.upstream_status,
        upid: e.upid.as_deref(),
        duration_ms: e.duration_ms,
        request: &e.detail,
    };
    serde_json::to_string(&j).unwrap_or_default()
}

pub const HEADER: [&str; 8] = [
    "TIME", "CLIENT", "TOOL", "GUEST", "DECISION", "RULE", "OUTCOME", "REQUEST",
];

/// The cells of one row.
pub fn cells(e: &Entry, client: Option<&str>) -> [String; 8] {
    let client = match (client, e.uid) {
        (Some(name), _) => name.to_owned(),
        (None, Some(uid)) => format!("uid {uid}"),
        (None, None) => "-".to_owned(),
    };
    let outcome = match e.upstream_status {
        Some(status) => format!("{} {status}", e.outcome),
        None => e.outcome.clone(),
    };
    [
        e.time
            .with_timezone(&Local)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        client,
        e.tool.clone(),
        e.guest.map_or("-".to_owned(), |g| g.to_string()),
        e.decision.clone(),
        e.rule.clone(),
        outcome,
        e.detail.clone(),
    ]
    .map(|c| printable(&c))
}

/// Control characters escaped, as Rust writes them.
fn printable(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_owned();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Widths that fit every row (the last column is not padded).
pub fn widths(rows: &[[String; 8]]) -> [usize; 8] {
    let mut w = HEADER.map(str::len);
    for row in rows {
        for (w, cell) in w.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    w
}

/// Widths for rows not known yet (`--follow`): longer cells push the rest along.
pub const FOLLOW_WIDTHS: [usize; 8] = [19, 12, 16, 6, 9, 24, 10, 0];

/// One line of the table.
pub fn row(cells: &[String; 8], widths: &[usize; 8]) -> String {
    let mut line = String::new();
    for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
        if i + 1 == cells.len() {
            line.push_str(cell);
        } else {
            let _ = write!(line, "{cell:<w$}  ");
        }
    }
    line.trim_end().to_owned()
}

pub fn header(widths: &[usize; 8]) -> String {
    row(&HEADER.map(str::to_owned), widths)
}

/// `12 records: 9 allowed, 3 refused (2 deny, 1 not_found).`, with `, 2 planned` when
/// some changes were only planned.
pub fn summary<'a>(decisions: impl Iterator<Item = &'a str>) -> String {
    let mut total = 0;
    let mut planned = 0;
    let mut refused: Vec<(&str, usize)> = Vec::new();
    for d in decisions {
        total += 1;
        if d == "plan" {
            planned += 1;
        } else if d != "allow" {
            match refused.iter_mut().find(|(k, _)| *k == d) {
                Some((_, n)) => *n += 1,
                None => refused.push((d, 1)),
            }
        }
    }
    if total == 0 {
        return "No audit records match.".to_owned();
    }
    let refused_total: usize = refused.iter().map(|(_, n)| n).sum();
    let mut out = format!(
        "{total} record{}: {} allowed, ",
        if total == 1 { "" } else { "s" },
        total - refused_total - planned
    );
    if planned > 0 {
        let _ = write!(out, "{planned} planned, ");
    }
    let _ = write!(out, "{refused_total} refused");
    if !refused.is_empty() {
        refused.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let parts: Vec<String> = refused.iter().map(|(d, n)| format!("{n} {d}")).collect();
        let _ = write!(out, " ({})", parts.join(", "));
    }
    out.push('.');
    out
}

#[cfg(test)]
mod tests;
