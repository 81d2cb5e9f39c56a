//! What every family's text rendering shares: human units (bytes, uptimes, dates),
//! compact tables, lengths and the end of a task log. Each family renders its own
//! answers with these; [`untrusted`] escapes and quotes what Proxmox or a guest wrote.
//!
//! Input is the front's own output types (already validated by proto); free text from
//! Proxmox or a guest is untrusted in size and content: it is truncated here, and shown
//! through [`untrusted`] (hidden characters escaped, guest-written text quoted as data).

use std::fmt::{self, Write};

pub mod untrusted;

/// Longest text rendering of a raw API answer or of one command output stream.
pub const TEXT_LIMIT: usize = 32 * 1024;
/// Longest guest name shown in the table.
pub(crate) const NAME_WIDTH: usize = 32;

/// Bytes in binary units: `512B`, `1.5K`, `3.8G`, `120G`.
pub fn bytes(n: u64) -> String {
    Bytes(n).to_string()
}

/// [`bytes`], written where it is displayed.
pub(crate) struct Bytes(pub u64);

impl fmt::Display for Bytes {
    /// One decimal below 100 of the unit, rounded half to even from the exact quotient:
    /// what formatting the quotient as a float gives, in integers (a listing shows three
    /// figures a guest, and exact float formatting took most of the time a row took).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 6] = ["K", "M", "G", "T", "P", "E"];
        let n = self.0;
        if n < 1024 {
            return write!(f, "{n}B");
        }
        let mut unit = 0;
        while unit < UNITS.len() - 1 && n >> (10 * (unit + 2)) > 0 {
            unit += 1;
        }
        let shift = 10 * (unit as u32 + 1);
        let tenths = shift_rounded(u128::from(n) * 10, shift);
        if tenths >= 1000 {
            write!(f, "{}{}", shift_rounded(u128::from(n), shift), UNITS[unit])
        } else {
            write!(f, "{}.{}{}", tenths / 10, tenths % 10, UNITS[unit])
        }
    }
}

/// `x / 2^shift` rounded half to even (`shift` at least 1); small enough for a `u64`
/// whenever `x` is a size in bytes, or ten times one, shifted to its unit.
fn shift_rounded(x: u128, shift: u32) -> u64 {
    let (quotient, rest, half) = (x >> shift, x & ((1 << shift) - 1), 1 << (shift - 1));
    let rounded = match rest.cmp(&half) {
        std::cmp::Ordering::Greater => quotient + 1,
        std::cmp::Ordering::Equal => quotient + (quotient & 1),
        std::cmp::Ordering::Less => quotient,
    };
    u64::try_from(rounded).unwrap_or(u64::MAX)
}

/// A duration in seconds as its two largest units: `3d4h`, `5h12m`, `42m`, `30s`; `-` for 0.
pub fn uptime(secs: u64) -> String {
    Uptime(secs).to_string()
}

/// [`uptime`], written where it is displayed.
pub(crate) struct Uptime(pub u64);

impl fmt::Display for Uptime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0;
        let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
        match (d, h, m) {
            _ if secs == 0 => f.write_str("-"),
            (0, 0, 0) => write!(f, "{s}s"),
            (0, 0, _) => write!(f, "{m}m"),
            (0, _, _) => write!(f, "{h}h{m}m"),
            _ => write!(f, "{d}d{h}h"),
        }
    }
}

/// Milliseconds as seconds with one decimal: `3.4 s`.
pub fn elapsed(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

pub(crate) fn percent(used: f64, total: f64) -> String {
    Percent(used, total).to_string()
}

/// [`percent`], written where it is displayed: `used` as a whole percentage of
/// `total`, at most 999%; `-` when there is no total.
pub(crate) struct Percent(pub f64, pub f64);

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Percent(used, total) = *self;
        if total > 0.0 && used.is_finite() {
            // As `{:.0}` rounds, without its exact formatting of a float (300 ns).
            let whole = (used / total * 100.0).clamp(0.0, 999.0).round_ties_even();
            write!(f, "{}%", whole as u32)
        } else {
            f.write_str("-")
        }
    }
}

/// `used/total` in binary units ([`bytes`]), `-` for nothing used.
pub(crate) struct UsedOf(pub u64, pub u64);

impl fmt::Display for UsedOf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            UsedOf(0, total) => write!(f, "-/{}", Bytes(total)),
            UsedOf(used, total) => write!(f, "{}/{}", Bytes(used), Bytes(total)),
        }
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

/// Left-aligned columns separated by two spaces; the last column is not padded, and
/// no line ends in a space. Built cell by cell, row after row, into one buffer: a
/// 100-guest page has 1,000 cells, and a string of its own for each cost most of the
/// time the page took to render.
pub(crate) struct Table {
    /// Every cell's text, one after another.
    text: String,
    cells: Vec<Cell>,
    cols: usize,
}

#[derive(Debug, Clone, Copy)]
struct Cell {
    /// Where the cell's text ends in [`Table::text`].
    end: usize,
    /// Its width in characters.
    width: usize,
}

impl Table {
    /// A table with `header` as its first row, room made for `rows` more.
    pub(crate) fn new(header: &[&str], rows: usize) -> Table {
        let cols = header.len();
        let mut table = Table {
            text: String::with_capacity((rows + 1) * cols * 8),
            cells: Vec::with_capacity((rows + 1) * cols),
            cols,
        };
        for h in header {
            table.cell(h);
        }
        table
    }

    /// Appends the next cell: the next column of the row, or the first of a new row.
    pub(crate) fn cell(&mut self, value: impl fmt::Display) -> &mut Self {
        let start = self.text.len();
        let _ = write!(self.text, "{value}");
        self.cells.push(Cell {
            end: self.text.len(),
            width: self.text[start..].chars().count(),
        });
        self
    }

    /// Writes the table to `out`, each line ending in a line feed.
    pub(crate) fn write_to(&self, out: &mut String) {
        let cols = self.cols.max(1);
        let widths: Vec<usize> = (0..cols)
            .map(|c| self.cells.iter().skip(c).step_by(cols).map(|x| x.width))
            .map(|w| w.max().unwrap_or(0))
            .collect();
        let line_len: usize = widths.iter().map(|w| w + 2).sum();
        out.reserve(self.cells.len().div_ceil(cols) * (line_len + 1));
        let mut start = 0;
        for row in self.cells.chunks(cols) {
            let line = out.len();
            for (c, cell) in row.iter().enumerate() {
                out.push_str(&self.text[start..cell.end]);
                start = cell.end;
                if c + 1 < cols {
                    out.extend(std::iter::repeat_n(' ', widths[c] - cell.width + 2));
                }
            }
            let kept = out[line..].trim_end().len();
            out.truncate(line + kept);
            out.push('\n');
        }
    }
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
