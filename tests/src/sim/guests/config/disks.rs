//! Guest disks in create and config calls, as qemu-server's `$check_drive_param`,
//! `$check_storage_access` and `create_disks` (and pve-container's `create_disks`)
//! handle them: the synchronous checks (HTTP 400 per parameter, or 500), then the
//! allocation a worker does, whose failures end the task. Drive strings are untrusted.

use super::file as conf;
use super::keys::{self as cs};
use crate::sim::cluster::dataset::{self, GuestKind, StorageSeed};
use crate::sim::cluster::state::Cluster;
use crate::sim::errors::ApiError;
use crate::sim::params::property_string::{self as propstr, Props};
use crate::sim::storage::volumes;

/// What a drive or mount point value asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Alloc {
    /// `none`, `cdrom` (QEMU CD-ROM drive without a medium).
    Empty,
    /// `STORAGE:cloudinit`.
    CloudInit(&'static StorageSeed),
    /// `STORAGE:SIZE_GIB` (and `STORAGE:0,import-from=VOLID`).
    New(&'static StorageSeed, f64, Option<String>),
    /// An existing volume.
    Existing(String),
}

/// `$NEW_DISK_RE`: `STORAGE:SIZE` with a size in GiB (fractions allowed).
pub(crate) fn new_disk_size(volid: &str) -> Option<(&str, f64)> {
    let (sid, size) = volid.split_once(':')?;
    let (int, frac) = size.split_once('.').unwrap_or((size, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(int) && digits(frac)).then(|| (sid, size.parse().unwrap_or(0.0)))
}

/// The content type a volume ID names (`parse_volname`), or PVE's complaint.
pub fn vtype(volid: &str) -> Result<&'static str, ApiError> {
    let (sid, name) = volid
        .split_once(':')
        .ok_or_else(|| ApiError::Internal(format!("unable to parse volume ID '{volid}'")))?;
    let s = dataset::storage(sid)
        .ok_or_else(|| ApiError::Internal(format!("storage '{sid}' does not exist")))?;
    let file_ok = |f: &str, exts: &[&str]| {
        let lower = f.to_ascii_lowercase();
        !f.contains('/')
            && exts
                .iter()
                .any(|e| lower.ends_with(e) && lower.len() > e.len())
    };
    let files = s.path.is_some();
    let ty = match name.split_once('/') {
        Some(("iso", f)) if files && file_ok(f, &[".iso", ".img"]) => "iso",
        Some(("vztmpl", f))
            if files && file_ok(f, &[".tar.gz", ".tar.xz", ".tar.zst", ".tar.bz2"]) =>
        {
            "vztmpl"
        }
        Some(("import", f))
            if files && file_ok(f, &[".ova", ".ovf", ".qcow2", ".raw", ".vmdk"]) =>
        {
            "import"
        }
        Some(("backup", f)) if files && f.starts_with("vzdump-") && !f.contains('/') => "backup",
        _ if name.starts_with("vm-") || name.starts_with("base-") => "images",
        Some((vmid, _)) if s.path.is_some() && vmid.parse::<u32>().is_ok() => "images",
        _ => {
            let what = if s.path.is_some() { "directory" } else { "lvm" };
            return Err(ApiError::Internal(format!(
                "unable to parse {what} volume name '{name}'"
            )));
        }
    };
    Ok(ty)
}

fn storage_of(sid: &str) -> Result<&'static StorageSeed, ApiError> {
    dataset::storage(sid)
        .ok_or_else(|| ApiError::Internal(format!("storage '{sid}' does not exist")))
}

/// The checks PVE makes on a QEMU drive parameter before anything runs; returns what the
/// drive asks for.
pub fn check_qemu_drive(
    key: &str,
    props: &Props,
    default_storage: Option<&str>,
) -> Result<Alloc, ApiError> {
    let volid = propstr::get(props, "file").unwrap_or_default();
    let cdrom = propstr::get(props, "media") == Some("cdrom");
    if let Some(src) = propstr::get(props, "import-from") {
        if !new_disk_size(volid).is_some_and(|(_, size)| size == 0.0) {
            return Err(ApiError::param(
                key,
                "'import-from' requires special syntax - use <storage ID>:0,import-from=<source>",
            ));
        }
        if src.starts_with('/') {
            return Err(ApiError::Internal(
                "Only root can pass arbitrary filesystem paths.".into(),
            ));
        }
        let ty = vtype(src)?;
        if ty != "images" && ty != "import" {
            return Err(ApiError::param(
                key,
                format!("{src} has wrong type '{ty}' - needs to be 'images' or 'import'"),
            ));
        }
    }
    if volid == "none" || volid == "cdrom" || volid.is_empty() {
        return Ok(Alloc::Empty);
    }
    if volid.starts_with('/') {
        return Err(ApiError::Internal(
            "Only root can pass arbitrary filesystem paths.".into(),
        ));
    }
    if let Some(sid) = volid.strip_suffix(":cloudinit") {
        return Ok(Alloc::CloudInit(storage_of(sid)?));
    }
    let bare_size = volid.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let sized = if bare_size {
        default_storage.map(|d| (d, volid.parse().unwrap_or(0.0)))
    } else {
        new_disk_size(volid)
    };
    if bare_size && sized.is_none() {
        return Err(ApiError::Internal(
            "no storage ID specified (and no default storage)".into(),
        ));
    }
    if let Some((sid, size)) = sized.filter(|_| !cdrom) {
        let s = storage_of(sid)?;
        if !s.holds("images") {
            return Err(ApiError::param(
                "storage",
                format!("storage '{sid}' does not support vm images"),
            ));
        }
        let import = propstr::get(props, "import-from").map(str::to_owned);
        return Ok(Alloc::New(s, size, import));
    }
    let ty = vtype(volid)?;
    if ty == "iso" && !cdrom {
        return Err(ApiError::param(
            key,
            "explicit 'media=cdrom' is required for iso images",
        ));
    }
    if ty != "images" && ty != "iso" {
        return Err(ApiError::param(
            key,
            "content type needs to be 'images' or 'iso'",
        ));
    }
    Ok(Alloc::Existing(volid.to_owned()))
}

/// The checks pve-container makes on `rootfs`/`mpN` before anything runs. `creating`
/// words a storage without `rootdir` as a create call does (400), else as an update (500).
pub fn check_mountpoint(props: &Props, creating: bool) -> Result<Alloc, ApiError> {
    let volid = propstr::get(props, "volume").unwrap_or_default();
    if volid.starts_with('/') {
        return Err(ApiError::Permission(
            "mount point type bind is only allowed for root@pam".into(),
        ));
    }
    let sid = volid.split(':').next().unwrap_or_default();
    let s = storage_of(sid)?;
    if !s.holds("rootdir") {
        return Err(if creating {
            ApiError::param(
                "storage",
                format!("storage '{sid}' does not support container directories"),
            )
        } else {
            ApiError::Internal(format!(
                "storage '{sid}' does not allow content type 'rootdir' (Container)"
            ))
        });
    }
    match new_disk_size(volid) {
        Some((_, size)) => Ok(Alloc::New(s, size, None)),
        None => {
            vtype(volid)?;
            Ok(Alloc::Existing(volid.to_owned()))
        }
    }
}

/// A volume's size if it exists now (as `node` sees it): a file on a storage, or a disk
/// some guest references.
pub fn volume_size(c: &Cluster, node: &str, volid: &str) -> Option<u64> {
    if let Some(f) = volumes::file(c, node, volid) {
        return Some(f.size);
    }
    c.guests
        .iter()
        .flat_map(|g| g.volumes())
        .find(|v| v.volid == volid)
        .map(|v| v.size)
}

/// Allocates what a drive or mount point asks for, as the worker does: returns the value
/// to write (with the new volume and its `size`), or the worker's failure. `taken` holds
/// the volume IDs in use, and gets the new one.
#[allow(clippy::too_many_arguments)]
pub fn allocate(
    c: &Cluster,
    node: &str,
    kind: GuestKind,
    vmid: u32,
    key: &str,
    props: &Props,
    alloc: &Alloc,
    taken: &mut Vec<String>,
) -> Result<String, String> {
    let format = cs::volume_format(kind, key);
    let mut p = props.clone();
    propstr::remove(&mut p, "import-from");
    propstr::remove(&mut p, "format");
    let (volid, size) = match alloc {
        Alloc::Empty => {
            propstr::remove(&mut p, "size");
            return Ok(propstr::print(&p, format));
        }
        Alloc::CloudInit(s) => {
            let volid = volumes::cloudinit_disk(s, vmid);
            propstr::set(&mut p, "file", &volid);
            propstr::set(&mut p, "media", "cdrom");
            propstr::remove(&mut p, "size");
            return Ok(propstr::print(&p, format));
        }
        Alloc::New(s, gib, import) => {
            let size = match import {
                Some(src) => match volumes::file(c, node, src) {
                    Some(f) => f.virtual_size.max(f.size),
                    None => match volume_size(c, node, src) {
                        Some(size) => size,
                        None => return Err(format!("failed to stat '{}'", volumes::path(src))),
                    },
                },
                None => (gib * f64::from(1u32 << 30)) as u64,
            };
            let size = match key {
                "efidisk0" if propstr::get(props, "efitype") == Some("4m") => 540_672,
                "efidisk0" => 131_072,
                "tpmstate0" => 4 << 20,
                _ => size,
            };
            (volumes::new_disk(s, vmid, kind, taken), size)
        }
        Alloc::Existing(volid) => match volume_size(c, node, volid) {
            Some(size) => (volid.clone(), size),
            None => return Err(format!("volume {volid} does not exist")),
        },
    };
    taken.push(volid.clone());
    Ok(conf::with_volume(kind, key, &p, &volid, Some(size)))
}

/// Where a volume key comes in PVE's allocation order (`rootfs` before `mp0`; `ide`,
/// `sata`, `scsi`, `virtio`, then `efidisk0`, `tpmstate0`), to sort by.
pub fn alloc_order(key: &str) -> (u8, u32) {
    let (prefix, n) = cs::numbered(key);
    let rank = match prefix {
        "rootfs" => 0,
        "ide" => 1,
        "sata" => 2,
        "scsi" => 3,
        "virtio" => 4,
        "efidisk" => 5,
        "tpmstate" => 6,
        "mp" => 7,
        _ => 8,
    };
    (rank, n.unwrap_or(0))
}

/// The message a create task's log gets for a new disk.
pub fn created_line(key: &str, value: &str) -> String {
    format!("{key}: successfully created disk '{value}'")
}

/// The volume IDs in use anywhere (for new disk names).
pub fn taken(c: &Cluster) -> Vec<String> {
    volumes::disks_in_use(c).into_iter().collect()
}
