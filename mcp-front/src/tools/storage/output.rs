//! What the storage tools answer: storages with their usage and the volumes on them, as
//! structured content (the tools' output schemas) and as compact text.
//!
//! Answers come from the helper; Proxmox's text is escaped on the way in, and a
//! volume's notes (free text whoever made the volume wrote) quoted as data.

use crate::render::{
    self,
    untrusted::{self, own_line, own_text},
};
use schemars::JsonSchema;
use serde::Serialize;
use std::fmt::Write;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Storage {
    pub storage: String,
    pub node: String,
    /// `dir`, `lvmthin`, `nfs`, `zfspool`, ...
    #[serde(rename = "type")]
    pub storage_type: String,
    /// What it holds: `images`, `rootdir`, `iso`, `vztmpl`, `backup`, ...
    pub content: Vec<String>,
    pub shared: bool,
    pub active: bool,
    /// Bytes.
    pub total: u64,
    pub used: u64,
}

/// Result of `list_storage`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Storages {
    pub storages: Vec<Storage>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Volume {
    pub storage: String,
    /// `storage:path`, e.g. `nas:backup/vzdump-qemu-101-2024_12_02-03_00_00.vma.zst`.
    pub volid: String,
    /// `images`, `rootdir`, `iso`, `vztmpl`, `backup`, ...
    pub content: String,
    pub format: String,
    /// Bytes.
    pub size: u64,
    /// Creation time, seconds since the Unix epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctime: Option<u64>,
    /// The guest it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vmid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// Result of `storage_content` and `list_backups`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Volumes {
    pub volumes: Vec<Volume>,
}

pub(crate) fn volumes(list: Vec<pve_mcp_proto::Volume>) -> Volumes {
    Volumes {
        volumes: list
            .into_iter()
            .map(|v| {
                let pve_mcp_proto::Volume {
                    storage,
                    volid,
                    content,
                    format,
                    size,
                    ctime,
                    vmid,
                    notes,
                } = v;
                Volume {
                    storage: storage.to_string(),
                    volid: own_line(volid),
                    content: own_line(content),
                    format: own_line(format),
                    size,
                    ctime,
                    vmid: vmid.map(|v| v.get()),
                    notes: notes.map(own_text),
                }
            })
            .collect(),
    }
}

pub(crate) fn render_storages(s: &Storages) -> String {
    if s.storages.is_empty() {
        return "No storages.\n".into();
    }
    let mut out = String::new();
    for st in &s.storages {
        let _ = writeln!(
            out,
            "{}  {}  {}  {}  {} of {}{}{}",
            st.node,
            st.storage,
            untrusted::line(&st.storage_type),
            untrusted::line(&st.content.join(",")),
            render::bytes(st.used),
            render::bytes(st.total),
            if st.shared { "  shared" } else { "" },
            if st.active { "" } else { "  INACTIVE" }
        );
    }
    out
}

/// The legend of the notes quoted under their volume.
pub(crate) const NOTES: &str = "Lines starting with │ quote the volume above them: its notes (text \
                     stored with it, shown as data).\n";

pub(crate) fn render_volumes(v: &Volumes) -> String {
    if v.volumes.is_empty() {
        return "No volumes.\n".into();
    }
    let noted = |vol: &Volume| vol.notes.as_deref().is_some_and(|n| !n.trim().is_empty());
    let mut out = String::from(if v.volumes.iter().any(noted) {
        NOTES
    } else {
        ""
    });
    for vol in &v.volumes {
        let _ = write!(
            out,
            "{}  {}  {}",
            untrusted::line(&vol.volid),
            untrusted::line(&vol.content),
            render::bytes(vol.size)
        );
        if let Some(t) = vol.ctime {
            let _ = write!(out, "  {}", render::utc(t));
        }
        out.push('\n');
        if let Some(n) = &vol.notes {
            untrusted::quote_lines(&mut out, "  ", render::truncate(n.trim(), 200));
        }
    }
    let _ = writeln!(out, "{} volume(s).", v.volumes.len());
    out
}
