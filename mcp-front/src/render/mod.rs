//! What every family's text rendering shares: human units (bytes, uptimes, dates),
//! compact tables, lengths and the end of a task log. Each family renders its own
//! answers with these; [`untrusted`] escapes and quotes what Proxmox or a guest wrote.
//!
//! Input is the front's own output types (already validated by proto); free text from
//! Proxmox or a guest is untrusted in size and content: it is truncated here, and shown
//! through [`untrusted`] (hidden characters escaped, guest-written text quoted as data).

use std::fmt::Write;

pub mod untrusted;

/// Longest text rendering of a raw API answer or of one command output stream.
pub const TEXT_LIMIT: usize = 32 * 1024;
/// Longest guest name shown in the table.
pub(crate) const NAME_WIDTH: usize = 32;

/// Bytes in binary units: `512B`, `1.5K`, `3.8G`, `120G`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["K", "M", "G", "T", "P", "E"];
    if n < 1024 {
        return format!("{n}B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if v >= 99.95 {
        format!("{v:.0}{}", UNITS[unit])
    } else {
        format!("{v:.1}{}", UNITS[unit])
    }
}

/// A duration in seconds as its two largest units: `3d4h`, `5h12m`, `42m`, `30s`; `-` for 0.
pub fn uptime(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        _ if secs == 0 => "-".into(),
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m"),
        (0, _, _) => format!("{h}h{m}m"),
        _ => format!("{d}d{h}h"),
    }
}

/// Milliseconds as seconds with one decimal: `3.4 s`.
pub fn elapsed(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

pub(crate) fn percent(used: f64, total: f64) -> String {
    if total > 0.0 && used.is_finite() {
        format!("{:.0}%", (used / total * 100.0).clamp(0.0, 999.0))
    } else {
        "-".into()
    }
}

pub(crate) fn used_of(used: u64, total: u64) -> String {
    match used {
        0 => format!("-/{}", bytes(total)),
        _ => format!("{}/{}", bytes(used), bytes(total)),
    }
}

/// Seconds since the Unix epoch as a UTC date and time: `2023-11-14 22:13 UTC`.
pub fn utc(secs: u64) -> String {
    // Civil date from a day count (H. Hinnant's `civil_from_days`), for days >= 0.
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rest / 3600,
        rest / 60 % 60
    )
}

/// Cuts `s` to at most `max` bytes on a character boundary.
pub fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Left-aligned columns separated by two spaces; the last column is not padded.
pub(crate) fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..cols)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let line_len: usize = widths.iter().map(|w| w + 2).sum();
    let mut out = String::with_capacity(rows.len() * (line_len + 1));
    for row in rows {
        let start = out.len();
        for (c, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if c + 1 < cols {
                let pad = widths[c] - cell.chars().count() + 2;
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        let line = out[start..].trim_end().len();
        out.truncate(start + line);
        out.push('\n');
    }
    out
}

/// The last lines of a failed task's log, quoted: Proxmox's and the guest's words.
pub fn log_tail(lines: &[String], out: &mut String) {
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(out, "{}", untrusted::label(TASK_LOG.0, TASK_LOG.1));
    for line in lines {
        untrusted::quote_line(out, "", truncate(line, 512));
    }
}

/// The label of task log lines: what they are and whose words.
pub const TASK_LOG: (&str, &str) = ("Last lines of the task log", "the task's output");

#[cfg(test)]
mod tests;
