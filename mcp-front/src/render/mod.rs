//! Text rendering of tool results for a model: compact, human units, one line per item.
//!
//! Input is the front's own output types (already validated by proto); free text from
//! Proxmox or a guest is untrusted in size and content: it is truncated here, and shown
//! through [`untrusted`] (hidden characters escaped, guest-written text quoted as data).

use crate::tools::output::{
    ActionOutcome, ActionResult, ApiAnswer, CommandResult, Guest, GuestDetail, GuestPage,
    GuestType, Node, Nodes,
};
use std::fmt::Write;

pub mod untrusted;

/// Longest text rendering of a raw API answer or of one command output stream.
pub const TEXT_LIMIT: usize = 32 * 1024;
/// Longest guest name shown in the table.
const NAME_WIDTH: usize = 32;

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

fn percent(used: f64, total: f64) -> String {
    if total > 0.0 && used.is_finite() {
        format!("{:.0}%", (used / total * 100.0).clamp(0.0, 999.0))
    } else {
        "-".into()
    }
}

fn used_of(used: u64, total: u64) -> String {
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
fn table(rows: &[Vec<String>]) -> String {
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

fn kind_word(t: GuestType) -> &'static str {
    match t {
        GuestType::Qemu => "VM",
        GuestType::Lxc => "CT",
    }
}

fn guest_row(g: &Guest) -> Vec<String> {
    let mut name = untrusted::line(truncate(&g.name, NAME_WIDTH)).into_owned();
    if truncate(&g.name, NAME_WIDTH).len() < g.name.len() {
        name.push('~');
    }
    if g.template {
        name.push_str(" (template)");
    }
    let running = g.uptime > 0 || g.mem > 0;
    vec![
        g.vmid.to_string(),
        name,
        g.guest_type.as_str().into(),
        g.node.clone(),
        g.status.as_str().into(),
        if running {
            percent(g.cpu, 1.0)
        } else {
            "-".into()
        },
        used_of(g.mem, g.maxmem),
        uptime(g.uptime),
        untrusted::line(&g.tags.join(",")).into_owned(),
    ]
}

/// The `list_vms` page: a summary line, a table, and how to get the next page.
pub fn guest_page(p: &GuestPage) -> String {
    let c = &p.counts;
    let mut out = format!(
        "{} guests match (running {}, stopped {}, other {}; qemu {}, lxc {})",
        p.total, c.running, c.stopped, c.other, c.qemu, c.lxc
    );
    if p.guests.is_empty() {
        if p.total > 0 {
            let _ = write!(out, "; offset {} is past the end.", p.offset);
        }
        out.push('\n');
        return out;
    }
    let _ = writeln!(
        out,
        "; showing {}-{}. CPU is % of the guest's vCPUs; memory used/assigned.",
        p.offset + 1,
        p.offset as usize + p.guests.len()
    );
    let header = [
        "VMID", "NAME", "TYPE", "NODE", "STATUS", "CPU", "MEM", "UPTIME", "TAGS",
    ];
    let mut rows = vec![header.map(String::from).to_vec()];
    rows.extend(p.guests.iter().map(guest_row));
    out.push_str(&table(&rows));
    if let Some(next) = p.next_offset {
        let _ = writeln!(
            out,
            "More: call list_vms with offset={next} and the same filters for the next page."
        );
    }
    out
}

/// The `vm_status` answer, a few lines.
pub fn guest_detail(d: &GuestDetail) -> String {
    let g = &d.guest;
    let mut out = format!(
        "{} {} \"{}\" ({}) on node {}: {}",
        kind_word(g.guest_type),
        g.vmid,
        untrusted::line(&g.name),
        g.guest_type.as_str(),
        g.node,
        g.status.as_str()
    );
    if g.uptime > 0 {
        let _ = write!(out, ", up {}", uptime(g.uptime));
    }
    if g.template {
        out.push_str(" (template)");
    }
    let _ = writeln!(
        out,
        "\nCPU {} of {} vCPUs; memory {} of {}; disk {} of {}",
        percent(g.cpu, 1.0),
        g.maxcpu,
        bytes(g.mem),
        bytes(g.maxmem),
        bytes(d.disk),
        bytes(d.maxdisk)
    );
    let _ = writeln!(
        out,
        "Network in {} / out {}; disk read {} / written {}",
        bytes(d.netin),
        bytes(d.netout),
        bytes(d.diskread),
        bytes(d.diskwrite)
    );
    let mut extra = Vec::new();
    if !g.tags.is_empty() {
        extra.push(format!("tags: {}", untrusted::line(&g.tags.join(", "))));
    }
    let fields = [
        ("pool", &g.pool),
        ("qmp status", &d.qmpstatus),
        ("lock", &d.lock),
        ("HA", &d.ha_state),
    ];
    for (label, value) in fields {
        if let Some(v) = value {
            extra.push(format!("{label}: {}", untrusted::line(v)));
        }
    }
    if !extra.is_empty() {
        out.push_str(&extra.join("; "));
        out.push('\n');
    }
    out
}

/// The `node_status` answer: a table, and details when one node was asked for.
pub fn nodes(n: &Nodes) -> String {
    let online = n.nodes.iter().filter(|n| n.status == "online").count();
    let mut out = format!("{} nodes ({online} online)\n", n.nodes.len());
    let header = ["NODE", "STATUS", "CPU", "MEM", "DISK", "UPTIME"];
    let mut rows = vec![header.map(String::from).to_vec()];
    rows.extend(n.nodes.iter().map(|n| {
        vec![
            n.node.clone(),
            untrusted::line(&n.status).into_owned(),
            percent(n.cpu, 1.0),
            used_of(n.mem, n.maxmem),
            used_of(n.disk, n.maxdisk),
            uptime(n.uptime),
        ]
    }));
    out.push_str(&table(&rows));
    for node in &n.nodes {
        node_details(node, &mut out);
    }
    out
}

fn node_details(n: &Node, out: &mut String) {
    if let Some([a, b, c]) = n.loadavg {
        let _ = writeln!(out, "{}: load average {a:.2} {b:.2} {c:.2}", n.node);
    }
    let details = [
        ("PVE", &n.pveversion),
        ("kernel", &n.kversion),
        ("CPU", &n.cpu_model),
    ];
    for (label, value) in details {
        if let Some(v) = value {
            let _ = writeln!(out, "{}: {label} {}", n.node, untrusted::line(v));
        }
    }
}

fn task_hint(r: &ActionResult) -> String {
    format!(
        "task {} (check it with proxmox_api GET /nodes/{}/tasks/{}/status)",
        r.upid, r.node, r.upid
    )
}

/// The `vm_action` answer.
/// `"stop" on guest 101`, `"snapshot.rollback" to "pre-up" on guest 101`.
pub fn action_what(r: &ActionResult) -> String {
    match &r.snapshot {
        Some(name) => format!(
            "\"{}\" of snapshot \"{name}\" on guest {}",
            r.action, r.vmid
        ),
        None => format!("\"{}\" on guest {}", r.action, r.vmid),
    }
}

pub fn action(r: &ActionResult) -> String {
    let what = action_what(r);
    let status = untrusted::line(r.exitstatus.as_deref().unwrap_or("unknown"));
    let took = elapsed(r.elapsed_ms);
    let mut out = match r.outcome {
        ActionOutcome::Started => format!("Started {what}: {}.", task_hint(r)),
        ActionOutcome::Succeeded => {
            format!(
                "OK: {what} finished in {took} (exit status {status}; task {}).",
                r.upid
            )
        }
        ActionOutcome::Failed => format!(
            "Failed: {what} ended after {took} with: {status} (task {}).",
            r.upid
        ),
        ActionOutcome::StillRunning => format!(
            "Still running: {what} has not finished after {took}; it was not cancelled. \
             {}.",
            task_hint(r)
        ),
    };
    out.push('\n');
    log_tail(&r.log_tail, &mut out);
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

/// The `proxmox_api` answer: pretty JSON, cut at [`TEXT_LIMIT`].
pub fn api(a: &ApiAnswer, pretty: &str) -> String {
    let mut out = format!("{} {}:\n", a.method, a.path);
    out.push_str(&untrusted::text(truncate(pretty, TEXT_LIMIT)));
    if pretty.len() > TEXT_LIMIT {
        let _ = write!(
            out,
            "\n[truncated: showing {TEXT_LIMIT} of {} bytes; ask for a narrower endpoint or \
             use filters in data]",
            pretty.len()
        );
    }
    out.push('\n');
    out
}

/// The `execute_command` answer: exit status, then each non-empty stream quoted as
/// data (a node command may print text a guest or its admin wrote).
pub fn command(c: &CommandResult) -> String {
    command_from(c, "the command's output")
}

/// A command's answer, its streams quoted as data from `source`.
pub fn command_from(c: &CommandResult, source: &str) -> String {
    let mut out = match (c.exit_code, c.signal) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        (None, None) => "ended without an exit status".into(),
    };
    let _ = writeln!(out, " after {} ms", c.duration_ms);
    for (label, text) in [("stdout", &c.stdout), ("stderr", &c.stderr)] {
        if text.is_empty() {
            continue;
        }
        untrusted::quote(&mut out, "", (label, source), truncate(text, TEXT_LIMIT));
        if text.len() > TEXT_LIMIT {
            let _ = writeln!(out, "[{label} cut at {TEXT_LIMIT} of {} bytes]", text.len());
        }
    }
    if c.stdout.is_empty() && c.stderr.is_empty() {
        out.push_str("(no output)\n");
    }
    if c.truncated {
        out.push_str("[output beyond the policy's cap was dropped]\n");
    }
    out
}

#[cfg(test)]
mod tests;
