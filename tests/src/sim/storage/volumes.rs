//! Volumes on the simulated storages, as `PVE::Storage` names and lists them: the
//! dataset's files (an ISO image on `local` and `nas`, a container template and a cloud
//! image on `local`, backups of every guest with `i % 4 == 0` on `nas`, a second, older
//! one when `i % 8 == 0`), files added since (downloads, `vzdump` archives), files
//! deleted since, and the guests' disks (read from their configs). Also new disk names
//! (`vm-{vmid}-disk-{n}`, `{vmid}/vm-{vmid}-disk-{n}.qcow2` on file storages) and the
//! paths PVE's messages show. Volume IDs from clients are untrusted and only compared.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Value, json};

use crate::sim::cluster::dataset::{self, GuestKind, StorageSeed};
use crate::sim::cluster::state::{Cluster, Guest};
use crate::sim::errors::ApiError;
use crate::sim::guests::config::file::ConfVolume;
use crate::sim::params::Params;

/// Backups of the dataset are taken at these times (seconds since the epoch), newest last.
pub const BACKUP_TIMES: [u64; 2] = [1_733_108_400, 1_733_713_200];

/// One file on a file-based storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileVolume {
    pub volid: String,
    /// `iso`, `vztmpl`, `import` or `backup`.
    pub content: &'static str,
    pub format: String,
    pub size: u64,
    pub ctime: u64,
    /// The guest a backup belongs to.
    pub vmid: Option<u32>,
    pub kind: Option<GuestKind>,
    pub notes: Option<String>,
    /// A disk image's virtual size (cloud images), what `import-from` allocates.
    pub virtual_size: u64,
    /// A backup's guest config, as `extractconfig` returns it.
    pub config: Option<String>,
}

/// The files added and removed since the simulator started, by [`file_key`].
#[derive(Debug, Default)]
pub struct Files {
    pub added: BTreeMap<String, FileVolume>,
    pub removed: HashSet<String>,
}

/// Where a file is kept: its volume ID on a shared storage, `node` and volume ID on a
/// node's own storage (`local` on `pve1` is not `local` on `pve2`).
pub fn file_key(node: &str, volid: &str) -> String {
    let sid = volid.split(':').next().unwrap_or_default();
    match dataset::storage(sid) {
        Some(s) if !s.shared => format!("{node}/{volid}"),
        _ => volid.to_owned(),
    }
}

impl Files {
    /// Adds (or replaces) a file on `node`.
    pub fn add(&mut self, node: &str, f: FileVolume) {
        let key = file_key(node, &f.volid);
        self.removed.remove(&key);
        self.added.insert(key, f);
    }

    /// Removes a file from `node` (whether it was added or is the dataset's).
    pub fn remove(&mut self, node: &str, volid: &str) {
        let key = file_key(node, volid);
        if self.added.remove(&key).is_none() {
            self.removed.insert(key);
        }
    }
}

/// The dataset's ISO images, container templates and cloud images: (storage content,
/// file name, format, size, ctime, virtual size).
const STATIC: [(&str, &str, &str, u64, u64, u64); 3] = [
    (
        "iso",
        "debian-12.8.0-amd64-netinst.iso",
        "iso",
        661_651_456,
        1_731_200_000,
        0,
    ),
    (
        "vztmpl",
        "debian-12-standard_12.7-1_amd64.tar.zst",
        "tzst",
        126_083_244,
        1_725_000_000,
        0,
    ),
    (
        "import",
        "debian-12-genericcloud-amd64.qcow2",
        "qcow2",
        337_674_240,
        1_731_300_000,
        3 << 30,
    ),
];

/// The directory of a content type under a file storage's path.
pub fn content_dir(content: &str) -> &'static str {
    match content {
        "iso" => "template/iso",
        "vztmpl" => "template/cache",
        "import" => "import",
        "backup" => "dump",
        _ => "images",
    }
}

/// The volume's path as PVE's messages show it (`/var/lib/vz/template/iso/x.iso`).
pub fn path(volid: &str) -> String {
    let (sid, name) = volid.split_once(':').unwrap_or(("", volid));
    let Some(s) = dataset::storage(sid) else {
        return volid.to_owned();
    };
    match (s.path, name.split_once('/')) {
        (Some(root), Some((kind, file)))
            if ["iso", "vztmpl", "import", "backup"].contains(&kind) =>
        {
            format!("{root}/{}/{file}", content_dir(kind))
        }
        (Some(root), _) => format!("{root}/images/{name}"),
        (None, _) => format!("/dev/pve/{name}"),
    }
}

/// `YYYY_MM_DD-HH_MM_SS` (UTC) for a vzdump file name.
pub fn backup_stamp(t: u64) -> String {
    let days = (t / 86_400) as i64;
    let s = t % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}_{month:02}_{day:02}-{:02}_{:02}_{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// A backup's file name ending and format: `vma.zst` for VMs, `tar.zst` for containers.
pub fn backup_ext(kind: GuestKind) -> (&'static str, &'static str) {
    match kind {
        GuestKind::Qemu => ("qemu", "vma.zst"),
        GuestKind::Lxc => ("lxc", "tar.zst"),
    }
}

/// The dataset's backups of guest index `i` (newest last).
fn dataset_backups(c: &Cluster, i: usize) -> Vec<FileVolume> {
    if i >= c.dataset_guests || !i.is_multiple_of(4) {
        return Vec::new();
    }
    let seed = dataset::guest(i, c.dataset_nodes);
    let copies = if i.is_multiple_of(8) { 2 } else { 1 };
    let (kind, ext) = backup_ext(seed.kind);
    BACKUP_TIMES[BACKUP_TIMES.len() - copies..]
        .iter()
        .map(|t| FileVolume {
            volid: format!(
                "nas:backup/vzdump-{kind}-{}-{}.{ext}",
                seed.vmid,
                backup_stamp(*t)
            ),
            content: "backup",
            format: ext.to_owned(),
            size: seed.maxdisk() / 5,
            ctime: *t,
            vmid: Some(seed.vmid),
            kind: Some(seed.kind),
            notes: Some(seed.name.clone()),
            virtual_size: 0,
            config: None,
        })
        .collect()
}

/// The dataset's static files on storage `s`.
fn static_files(s: &StorageSeed) -> Vec<FileVolume> {
    STATIC
        .iter()
        .filter(|(content, ..)| s.holds(content) && (s.id == "local" || *content == "iso"))
        .map(|(content, name, format, size, ctime, vsize)| FileVolume {
            volid: format!("{}:{content}/{name}", s.id),
            content,
            format: (*format).to_owned(),
            size: *size,
            ctime: *ctime,
            vmid: None,
            kind: None,
            notes: None,
            virtual_size: *vsize,
            config: None,
        })
        .collect()
}

/// The file `volid` as node `node` sees it, if it exists now.
pub fn file(c: &Cluster, node: &str, volid: &str) -> Option<FileVolume> {
    let key = file_key(node, volid);
    if let Some(f) = c.files.added.get(&key) {
        return Some(f.clone());
    }
    if c.files.removed.contains(&key) {
        return None;
    }
    let (sid, name) = volid.split_once(':')?;
    let s = dataset::storage(sid)?;
    if let Some(f) = static_files(s).into_iter().find(|f| f.volid == volid) {
        return Some(f);
    }
    let rest = name.strip_prefix("backup/vzdump-")?;
    let vmid: u32 = rest.split('-').nth(1)?.parse().ok()?;
    let i = usize::try_from(vmid.checked_sub(dataset::FIRST_VMID)?).ok()?;
    let mut f = dataset_backups(c, i)
        .into_iter()
        .find(|f| f.volid == volid)?;
    let seed = dataset::guest(i, c.dataset_nodes);
    f.config = Some(super::vzdump::backup_text(&Guest::new(seed, c.started)));
    Some(f)
}

/// The volumes of a guest's config that live on storage `sid`.
fn guest_volumes(g: &Guest, sid: &str) -> Vec<ConfVolume> {
    g.volumes()
        .into_iter()
        .filter(|v| !v.cdrom && !v.cloudinit && v.volid.split(':').next() == Some(sid))
        .collect()
}

fn file_entry(f: &FileVolume) -> Value {
    let mut v = json!({"volid": f.volid, "content": f.content, "format": f.format,
                       "size": f.size, "ctime": f.ctime});
    if let Some(vmid) = f.vmid {
        v["vmid"] = json!(vmid);
    }
    if f.content == "backup" {
        v["protected"] = json!(0);
        if let Some(kind) = f.kind {
            v["subtype"] = json!(kind.as_str());
        }
        if let Some(notes) = &f.notes {
            v["notes"] = json!(notes);
        }
    }
    v
}

fn disk_entry(g: &Guest, v: &ConfVolume) -> Value {
    let (content, format) = match (g.seed.kind, v.volid.rsplit_once('.')) {
        (GuestKind::Qemu, Some((_, ext))) => ("images", ext.to_owned()),
        (GuestKind::Lxc, Some((_, ext))) => ("rootdir", ext.to_owned()),
        (GuestKind::Qemu, None) => ("images", "raw".to_owned()),
        (GuestKind::Lxc, None) => ("rootdir", "raw".to_owned()),
    };
    let mut e = json!({
        "volid": v.volid, "content": content, "format": format, "vmid": g.seed.vmid,
        "size": v.size, "ctime": 1_718_000_000 + u64::from(g.seed.vmid),
    });
    if g.seed.kind == GuestKind::Qemu {
        e["parent"] = Value::Null;
    }
    e
}

/// `GET /nodes/{node}/storage/{storage}/content`.
pub fn content(
    c: &Cluster,
    node: &str,
    storage: &str,
    params: &Params,
) -> Result<Vec<Value>, ApiError> {
    let Some(s) = dataset::storage(storage) else {
        return Err(ApiError::Internal(format!(
            "storage '{storage}' does not exist"
        )));
    };
    let gone = |volid: &str| {
        let key = file_key(node, volid);
        c.files.removed.contains(&key) || c.files.added.contains_key(&key)
    };
    let mut out: Vec<Value> = static_files(s)
        .iter()
        .filter(|f| !gone(&f.volid))
        .map(file_entry)
        .collect();
    if s.holds("images") || s.holds("rootdir") {
        for g in &c.guests {
            if !s.shared && g.seed.node != node {
                continue;
            }
            for v in guest_volumes(g, storage) {
                out.push(disk_entry(g, &v));
            }
        }
    }
    if s.id == "nas" {
        for i in (0..c.dataset_guests).step_by(4) {
            for f in dataset_backups(c, i) {
                if !gone(&f.volid) {
                    out.push(file_entry(&f));
                }
            }
        }
    }
    let prefix = format!("{storage}:");
    out.extend(
        c.files
            .added
            .iter()
            .filter(|(k, f)| f.volid.starts_with(&prefix) && **k == file_key(node, &f.volid))
            .map(|(_, f)| file_entry(f)),
    );
    out.retain(|v| {
        params.get("content").is_none_or(|c| v["content"] == c)
            && params
                .get("vmid")
                .is_none_or(|id| v["vmid"].as_u64().map(|x| x.to_string()).as_deref() == Some(id))
    });
    Ok(out)
}

/// Parses a disk volume name (`vm-101-disk-0`, `base-109-disk-1`, `101/vm-101-disk-0.qcow2`,
/// `109/base-109-disk-0.qcow2/123/vm-123-disk-0.qcow2`): `(vmid, disk number)`.
fn disk_number(volname: &str) -> Option<(u32, u32)> {
    let file = volname.rsplit('/').next()?;
    let stem = file.split('.').next()?;
    let rest = stem
        .strip_prefix("vm-")
        .or_else(|| stem.strip_prefix("base-"))
        .or_else(|| stem.strip_prefix("subvol-"))?;
    let (vmid, n) = rest.split_once("-disk-")?;
    Some((vmid.parse().ok()?, n.parse().ok()?))
}

/// Every disk volume ID any guest references, on any storage.
pub fn disks_in_use(c: &Cluster) -> HashSet<String> {
    let mut used = HashSet::new();
    for g in &c.guests {
        for v in g.volumes() {
            if !v.cdrom {
                used.insert(v.volid);
            }
        }
    }
    used
}

/// A new disk's volume ID on storage `s` for guest `vmid`, `taken` being the volume IDs
/// already in use (`find_free_diskname`: the lowest free number, base images included).
pub fn new_disk(s: &StorageSeed, vmid: u32, kind: GuestKind, taken: &[String]) -> String {
    let used: HashSet<u32> = taken
        .iter()
        .filter_map(|v| v.split_once(':'))
        .filter(|(sid, _)| *sid == s.id)
        .filter_map(|(_, name)| disk_number(name))
        .filter(|(owner, _)| *owner == vmid)
        .map(|(_, n)| n)
        .collect();
    let n = (0..).find(|n| !used.contains(n)).unwrap_or(0);
    match (s.path, kind) {
        (None, _) => format!("{}:vm-{vmid}-disk-{n}", s.id),
        (Some(_), GuestKind::Qemu) => format!("{}:{vmid}/vm-{vmid}-disk-{n}.qcow2", s.id),
        (Some(_), GuestKind::Lxc) => format!("{}:{vmid}/vm-{vmid}-disk-{n}.raw", s.id),
    }
}

/// The base volume a template conversion makes of a disk (`vm-` becomes `base-`).
pub fn base_of(volid: &str) -> String {
    volid
        .replace("/vm-", "/base-")
        .replacen(":vm-", ":base-", 1)
}

/// Whether a volume is a template's base image.
pub fn is_base(volid: &str) -> bool {
    volid.contains(":base-") || volid.contains("/base-")
}

/// The volume ID of the cloud-init drive of guest `vmid` on storage `s`.
pub fn cloudinit_disk(s: &StorageSeed, vmid: u32) -> String {
    match s.path {
        None => format!("{}:vm-{vmid}-cloudinit", s.id),
        Some(_) => format!("{}:{vmid}/vm-{vmid}-cloudinit.qcow2", s.id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_stamps() {
        assert_eq!(backup_stamp(1_733_713_200), "2024_12_09-03_00_00");
        assert_eq!(backup_stamp(951_782_400), "2000_02_29-00_00_00");
        let lvm = dataset::storage("local-lvm").unwrap();
        let nas = dataset::storage("nas").unwrap();
        let taken = vec![
            "local-lvm:vm-200-disk-0".to_owned(),
            "local-lvm:base-200-disk-1".to_owned(),
            "local-lvm:vm-201-disk-2".to_owned(),
        ];
        assert_eq!(
            new_disk(lvm, 200, GuestKind::Qemu, &taken),
            "local-lvm:vm-200-disk-2"
        );
        assert_eq!(
            new_disk(nas, 200, GuestKind::Qemu, &taken),
            "nas:200/vm-200-disk-0.qcow2"
        );
        assert_eq!(
            base_of("local-lvm:vm-200-disk-0"),
            "local-lvm:base-200-disk-0"
        );
        assert_eq!(
            base_of("nas:200/vm-200-disk-0.qcow2"),
            "nas:200/base-200-disk-0.qcow2"
        );
        assert_eq!(path("local:iso/x.iso"), "/var/lib/vz/template/iso/x.iso");
        assert_eq!(path("nas:backup/v.vma.zst"), "/mnt/pve/nas/dump/v.vma.zst");
    }
}
