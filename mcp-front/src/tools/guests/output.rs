//! What `list_vms` and `vm_status` answer: front-side mirrors of the proto payloads
//! that derive `JsonSchema` (the tools' output schemas), and their compact text, one
//! line per guest.
//!
//! Every conversion destructures the proto type exhaustively: a field added to the
//! wire contract does not compile here until the output schema says what becomes of
//! it. Text from Proxmox is escaped on the way in ([`untrusted`]).

use crate::render::{
    NAME_WIDTH, Percent, Table, Uptime, UsedOf, bytes, percent, truncate,
    untrusted::{self, own_line, own_lines},
    uptime,
};
use pve_mcp_proto as proto;
use schemars::JsonSchema;
use serde::{Serialize, Serializer};
use serde_json::Value;
use std::{borrow::Cow, fmt::Write};

#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GuestState {
    Running,
    Stopped,
    Paused,
    Suspended,
    Unknown,
}

impl GuestState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Stopped => "stopped",
            Self::Paused => "paused",
            Self::Suspended => "suspended",
            Self::Unknown => "unknown",
        }
    }
}

impl From<proto::GuestState> for GuestState {
    fn from(s: proto::GuestState) -> Self {
        match s {
            proto::GuestState::Running => Self::Running,
            proto::GuestState::Stopped => Self::Stopped,
            proto::GuestState::Paused => Self::Paused,
            proto::GuestState::Suspended => Self::Suspended,
            proto::GuestState::Unknown => Self::Unknown,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GuestType {
    Qemu,
    Lxc,
}

impl GuestType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Qemu => "qemu",
            Self::Lxc => "lxc",
        }
    }
}

impl From<proto::GuestType> for GuestType {
    fn from(t: proto::GuestType) -> Self {
        match t {
            proto::GuestType::Qemu => Self::Qemu,
            proto::GuestType::Lxc => Self::Lxc,
        }
    }
}

/// One guest (VM or container).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Guest {
    pub vmid: u32,
    pub name: String,
    #[serde(rename = "type")]
    pub guest_type: GuestType,
    pub node: String,
    pub status: GuestState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    pub tags: Vec<String>,
    pub template: bool,
    /// The config lock a Proxmox task holds on the guest (`backup`, `migrate`,
    /// `snapshot`, ...); absent when there is none. While it is held, Proxmox refuses
    /// most changes to the guest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock: Option<String>,
    /// CPU in use, in cores (0 to maxcpu).
    pub cpu: f64,
    /// Number of virtual CPUs.
    pub maxcpu: f64,
    /// Memory in use, bytes.
    pub mem: u64,
    /// Memory assigned, bytes.
    pub maxmem: u64,
    /// Seconds since start; 0 when not running.
    pub uptime: u64,
}

impl From<proto::GuestSummary> for Guest {
    fn from(g: proto::GuestSummary) -> Self {
        let proto::GuestSummary {
            vmid,
            name,
            guest_type,
            node,
            status,
            pool,
            tags,
            template,
            lock,
            cpu,
            maxcpu,
            mem,
            maxmem,
            uptime,
        } = g;
        Self {
            vmid: vmid.get(),
            name: own_line(name),
            guest_type: guest_type.into(),
            node: node.into(),
            status: status.into(),
            pool: pool.map(own_line),
            tags: own_lines(tags),
            template,
            lock: lock.map(|l| own_line(l.into())),
            cpu,
            maxcpu,
            mem,
            maxmem,
            uptime,
        }
    }
}

/// Counts over every guest that matched the filter, not only this page.
#[derive(Debug, Clone, Copy, Default, Serialize, JsonSchema)]
pub struct GuestCounts {
    pub running: u32,
    pub stopped: u32,
    pub other: u32,
    pub qemu: u32,
    pub lxc: u32,
}

/// One page of `list_vms`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GuestPage {
    /// Guests matching the filter, before paging.
    pub total: u32,
    pub offset: u32,
    pub limit: u32,
    /// Offset of the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<u32>,
    pub counts: GuestCounts,
    // A table: a page of objects with the same keys would repeat every key on every row.
    /// The page's guests as a table: the column names once, then one row of values per
    /// guest. `pool` and `lock` are null when the guest has none, and there is a `lock`
    /// column only when a guest on the page holds a lock. `cpu` is in cores, `mem` and
    /// `maxmem` in bytes, `uptime` in seconds.
    #[serde(serialize_with = "guest_table")]
    #[schemars(with = "GuestTable<'static>")]
    pub guests: Vec<Guest>,
}

/// The guests of a page as one table (see [`GuestPage::guests`]); `cpu` is rounded to
/// 4 decimals. Written straight from the guests: a tree of values of a 1,000-guest page
/// took 0.7 MB of the front's memory.
#[derive(Debug, Serialize, JsonSchema)]
pub struct GuestTable<'a> {
    /// `vmid`, `name`, `type`, `node`, `status`, `pool`, `tags`, `template`, [`lock`,]
    /// `cpu`, `maxcpu`, `mem`, `maxmem`, `uptime`.
    pub columns: Vec<&'static str>,
    /// One array of values per guest, in the order of `columns`.
    #[schemars(with = "Vec<Vec<Value>>")]
    pub rows: Rows<'a>,
}

/// The rows of a [`GuestTable`].
#[derive(Debug)]
pub struct Rows<'a> {
    guests: &'a [Guest],
    lock_column: bool,
}

impl<'a> GuestTable<'a> {
    pub fn of(guests: &'a [Guest]) -> Self {
        let lock_column = guests.iter().any(|g| g.lock.is_some());
        let mut columns = vec![
            "vmid", "name", "type", "node", "status", "pool", "tags", "template",
        ];
        if lock_column {
            columns.push("lock");
        }
        columns.extend(["cpu", "maxcpu", "mem", "maxmem", "uptime"]);
        Self {
            columns,
            rows: Rows {
                guests,
                lock_column,
            },
        }
    }
}

impl Serialize for Rows<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.guests.iter().map(|guest| Row {
            guest,
            lock_column: self.lock_column,
        }))
    }
}

/// One guest's row of a [`GuestTable`].
struct Row<'a> {
    guest: &'a Guest,
    lock_column: bool,
}

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let g = self.guest;
        let mut row = s.serialize_seq(Some(13 + usize::from(self.lock_column)))?;
        row.serialize_element(&g.vmid)?;
        row.serialize_element(&g.name)?;
        row.serialize_element(&g.guest_type)?;
        row.serialize_element(&g.node)?;
        row.serialize_element(&g.status)?;
        row.serialize_element(&g.pool)?;
        row.serialize_element(&g.tags)?;
        row.serialize_element(&g.template)?;
        if self.lock_column {
            row.serialize_element(&g.lock)?;
        }
        row.serialize_element(&((g.cpu * 10_000.0).round() / 10_000.0))?;
        row.serialize_element(&g.maxcpu)?;
        row.serialize_element(&g.mem)?;
        row.serialize_element(&g.maxmem)?;
        row.serialize_element(&g.uptime)?;
        row.end()
    }
}

fn guest_table<S: Serializer>(guests: &[Guest], s: S) -> Result<S::Ok, S::Error> {
    GuestTable::of(guests).serialize(s)
}

impl From<proto::GuestPage> for GuestPage {
    fn from(p: proto::GuestPage) -> Self {
        let proto::GuestPage {
            total,
            offset,
            limit,
            counts,
            guests,
        } = p;
        let proto::GuestCounts {
            running,
            stopped,
            other,
            qemu,
            lxc,
        } = counts;
        let end = offset.saturating_add(u32::try_from(guests.len()).unwrap_or(u32::MAX));
        Self {
            total,
            offset,
            limit,
            next_offset: (end < total && !guests.is_empty()).then_some(end),
            counts: GuestCounts {
                running,
                stopped,
                other,
                qemu,
                lxc,
            },
            guests: guests.into_iter().map(Guest::from).collect(),
        }
    }
}

/// Current status of one guest.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GuestDetail {
    pub guest: Guest,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qmpstatus: Option<String>,
    /// The guest's config lock, as in `guest.lock`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ha_state: Option<String>,
    pub disk: u64,
    pub maxdisk: u64,
    pub netin: u64,
    pub netout: u64,
    pub diskread: u64,
    pub diskwrite: u64,
}

impl From<proto::GuestDetail> for GuestDetail {
    fn from(d: proto::GuestDetail) -> Self {
        let proto::GuestDetail {
            guest,
            qmpstatus,
            ha_state,
            disk,
            maxdisk,
            netin,
            netout,
            diskread,
            diskwrite,
        } = d;
        let guest = Guest::from(guest);
        Self {
            lock: guest.lock.clone(),
            guest,
            qmpstatus: qmpstatus.map(own_line),
            ha_state: ha_state.map(own_line),
            disk,
            maxdisk,
            netin,
            netout,
            diskread,
            diskwrite,
        }
    }
}

fn kind_word(t: GuestType) -> &'static str {
    match t {
        GuestType::Qemu => "VM",
        GuestType::Lxc => "CT",
    }
}

/// One row of the table; with `lock_column`, the guest's lock (or `-`) after its status.
fn guest_row(t: &mut Table, g: &Guest, lock_column: bool) {
    let shown = truncate(&g.name, NAME_WIDTH);
    let cut = if shown.len() < g.name.len() { "~" } else { "" };
    let template = if g.template { " (template)" } else { "" };
    t.cell(g.vmid)
        .cell(format_args!("{}{cut}{template}", untrusted::line(shown)))
        .cell(g.guest_type.as_str())
        .cell(&g.node)
        .cell(g.status.as_str());
    if lock_column {
        t.cell(
            g.lock
                .as_deref()
                .map_or(Cow::Borrowed("-"), untrusted::line),
        );
    }
    if g.uptime > 0 || g.mem > 0 {
        t.cell(Percent(g.cpu, 1.0));
    } else {
        t.cell("-");
    }
    t.cell(UsedOf(g.mem, g.maxmem))
        .cell(Uptime(g.uptime))
        .cell(Tags(&g.tags));
}

/// A guest's tags, comma-separated, each escaped.
struct Tags<'a>(&'a [String]);

impl std::fmt::Display for Tags<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, tag) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(&untrusted::line(tag))?;
        }
        Ok(())
    }
}

/// The `list_vms` page: a summary line, a table, and how to get the next page. The
/// table has a LOCK column only when a guest of the page is locked, and then says that
/// Proxmox refuses most changes to those guests while they are.
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
    let locked = p.guests.iter().filter(|g| g.lock.is_some()).count();
    let mut header = vec!["VMID", "NAME", "TYPE", "NODE", "STATUS"];
    if locked > 0 {
        header.push("LOCK");
    }
    header.extend(["CPU", "MEM", "UPTIME", "TAGS"]);
    let mut table = Table::new(&header, p.guests.len());
    for g in &p.guests {
        guest_row(&mut table, g, locked > 0);
    }
    table.write_to(&mut out);
    if locked > 0 {
        let _ = writeln!(
            out,
            "{locked} guest(s) shown hold a config lock (LOCK: a backup, migration, \
             snapshot...): Proxmox refuses most changes to them until it is released."
        );
    }
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
