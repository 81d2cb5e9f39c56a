//! One notion of a guest reference, for requests and answers alike: vmids (also in
//! lists, HA resource ids `vm:N` and replication jobs `N-M`), volumes whose names say
//! whose they are (`vm-N-disk-K`, `N/vm-N-disk-K.qcow2`, `base-M-…/vm-N-…`,
//! `backup/vzdump-TYPE-N-…`, `backup/vm/N/…`), tasks (UPIDs, `N@STORAGE`), and vmids
//! in free text. Every reader is exact, as Proxmox reads these: a value in a position
//! that can name a guest but does not parse so is an error, never skipped.

use pve_mcp_proto::{GuestType, Upid, VmId};

/// A vmid as Proxmox's `pve-vmid` format accepts it: `^[1-9][0-9]{2,8}$`.
pub fn vmid(s: &str) -> Result<VmId, String> {
    let ok =
        (3..=9).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0');
    match ok.then(|| s.parse::<VmId>().ok()).flatten() {
        Some(v) => Ok(v),
        None => Err(format!(
            "{:?} is not a vmid (100 to 999999999, digits only)",
            shown(s)
        )),
    }
}

/// A `pve-vmid-list`: vmids separated by commas, semicolons or white space.
pub fn vmid_list(s: &str) -> Result<Vec<VmId>, String> {
    s.split([',', ';', ' ', '\t'])
        .filter(|p| !p.is_empty())
        .map(vmid)
        .collect()
}

/// A `pve-ha-resource-or-vm-id`: `vm:N`, `ct:N` or `N`.
pub fn ha_resource(s: &str) -> Result<VmId, String> {
    let id = s
        .strip_prefix("vm:")
        .or_else(|| s.strip_prefix("ct:"))
        .unwrap_or(s);
    vmid(id).map_err(|_| format!("{:?} is not an HA resource id (vm:N or ct:N)", shown(s)))
}

/// A `pve-replication-job-id`: `VMID-N`.
pub fn replication_job(s: &str) -> Result<VmId, String> {
    let bad = || format!("{:?} is not a replication job id (VMID-N)", shown(s));
    let (guest, n) = s.split_once('-').ok_or_else(bad)?;
    if n.is_empty() || n.len() > 9 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    vmid(guest).map_err(|_| bad())
}

/// What kind of content a volume is, as its name says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// A guest's disk or mount point.
    Images,
    Iso,
    Vztmpl,
    /// A backup; of a guest of this kind when its name says so.
    Backup(Option<GuestType>),
    Snippets,
    Import,
    /// A name none of Proxmox's storage plugins would give a guest's volume.
    Unknown,
}

/// A volume id read like `PVE::Storage::parse_volume_id` and the plugins'
/// `parse_volname`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    pub id: String,
    pub storage: String,
    pub name: String,
    pub content: Content,
    /// The guest whose volume it is.
    pub owner: Option<VmId>,
    /// For a linked clone's disk, the template whose base disk it builds on.
    pub base: Option<VmId>,
}

impl Volume {
    /// Every guest the volume names.
    pub fn guests(&self) -> impl Iterator<Item = VmId> + '_ {
        self.owner.into_iter().chain(self.base)
    }
}

/// A storage id as Proxmox accepts it: `^[a-z][a-z0-9\-_.]*[a-z0-9]$`, any case.
pub fn is_storage_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2
        && b.len() <= 64
        && b[0].is_ascii_alphabetic()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(c))
}

/// Reads `STORAGE:NAME`. Names with white space, control characters, `..` components
/// or a leading `/` are refused: no storage plugin gives a volume such a name.
pub fn volume(s: &str) -> Result<Volume, String> {
    let bad = |why: &str| format!("{:?} is not a volume id ({why})", shown(s));
    let (storage, name) = s.split_once(':').ok_or_else(|| bad("STORAGE:NAME"))?;
    if !is_storage_id(storage) {
        return Err(bad("the storage id is invalid"));
    }
    if name.is_empty()
        || name.starts_with('/')
        || name.chars().any(|c| c.is_whitespace() || c.is_control())
        || name
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(bad("the name is invalid"));
    }
    let (content, owner, base) = volume_name(name).map_err(|e| bad(&e))?;
    Ok(Volume {
        id: s.to_owned(),
        storage: storage.to_owned(),
        name: name.to_owned(),
        content,
        owner,
        base,
    })
}

type NameParts = (Content, Option<VmId>, Option<VmId>);

/// The owner of a volume name, by every plugin's naming: directory storages
/// (`N/FILE`, `M/BASE/N/FILE`, `backup/vzdump-TYPE-N-…`), Proxmox Backup Server
/// (`backup/vm/N/TIME`), block storages (`vm-N-…`, `base-M-…/vm-N-…`, `subvol-N-…`).
fn volume_name(name: &str) -> Result<NameParts, String> {
    let parts: Vec<&str> = name.split('/').collect();
    let id = |s: &str| vmid(s).map_err(|e| format!("its guest: {e}"));
    match parts.as_slice() {
        ["iso", _] => Ok((Content::Iso, None, None)),
        ["vztmpl", _] => Ok((Content::Vztmpl, None, None)),
        ["snippets", _] => Ok((Content::Snippets, None, None)),
        ["import", ..] => Ok((Content::Import, None, None)),
        ["backup", file] => match file.strip_prefix("vzdump-") {
            Some(rest) => {
                let (kind, rest) = rest.split_once('-').ok_or("an unreadable backup name")?;
                let kind = match kind {
                    "qemu" => GuestType::Qemu,
                    "lxc" | "openvz" => GuestType::Lxc,
                    _ => return Err("an unreadable backup name".into()),
                };
                let (guest, _) = rest.split_once('-').ok_or("an unreadable backup name")?;
                Ok((Content::Backup(Some(kind)), Some(id(guest)?), None))
            }
            None => Ok((Content::Backup(None), None, None)),
        },
        ["backup", kind @ ("vm" | "ct"), guest, _] => {
            let kind = if *kind == "vm" {
                GuestType::Qemu
            } else {
                GuestType::Lxc
            };
            Ok((Content::Backup(Some(kind)), Some(id(guest)?), None))
        }
        ["backup", ..] => Ok((Content::Backup(None), None, None)),
        [dir, file] if dir.bytes().all(|b| b.is_ascii_digit()) => {
            let owner = id(dir)?;
            check_disk_name(file, Some(owner))?;
            Ok((Content::Images, Some(owner), None))
        }
        [base_dir, base_file, dir, file] if base_dir.bytes().all(|b| b.is_ascii_digit()) => {
            let base = id(base_dir)?;
            let owner = id(dir)?;
            check_disk_name(base_file, Some(base))?;
            check_disk_name(file, Some(owner))?;
            Ok((Content::Images, Some(owner), Some(base)))
        }
        [file] => match disk_owner(file)? {
            Some(owner) => Ok((Content::Images, Some(owner), None)),
            None => Ok((Content::Unknown, None, None)),
        },
        [base_file, file] => {
            let base = disk_owner(base_file)?;
            let owner = disk_owner(file)?;
            match (base, owner) {
                (Some(b), Some(o)) => Ok((Content::Images, Some(o), Some(b))),
                _ => Ok((Content::Unknown, None, None)),
            }
        }
        _ => Ok((Content::Unknown, None, None)),
    }
}

/// `vm-N-…`, `base-N-…`, `subvol-N-…` or `basevol-N-…`: the guest N.
fn disk_owner(file: &str) -> Result<Option<VmId>, String> {
    for prefix in ["vm-", "base-", "subvol-", "basevol-"] {
        if let Some(rest) = file.strip_prefix(prefix) {
            let guest = rest.split('-').next().unwrap_or("");
            if rest.len() == guest.len() {
                return Err(format!("{file:?} lacks the part after its guest"));
            }
            return vmid(guest).map(Some).map_err(|e| format!("its guest: {e}"));
        }
    }
    Ok(None)
}

/// A disk file in a guest's directory must name that same guest, if it names one.
fn check_disk_name(file: &str, dir_owner: Option<VmId>) -> Result<(), String> {
    match disk_owner(file)? {
        Some(o) if Some(o) != dir_owner => Err(format!(
            "{file:?} names guest {o} but lies in another guest's directory"
        )),
        _ => Ok(()),
    }
}

/// The guest a task works on: its object id when that is a vmid, or for a backup's
/// deletion (`imgdel`, object `VMID@STORAGE`) the guest the backup belongs to.
/// `Err` when the object id has the shape of a guest reference but is not one exactly.
pub fn task_guest(upid: &Upid) -> Result<Option<VmId>, String> {
    let object = upid.object_id();
    let id = object.split_once('@').map_or(object, |(id, _)| id);
    let id = id
        .strip_prefix("vm:")
        .or_else(|| id.strip_prefix("ct:"))
        .unwrap_or(id);
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    vmid(id).map(Some).map_err(|e| format!("task {upid}: {e}"))
}

/// The two guests a task that moved a disk into another guest names, source first:
/// its object id is `101-scsi0>102-scsi1` (`qmmove`, `move_volume`).
pub fn task_moved_between(upid: &Upid) -> Option<(VmId, VmId)> {
    let (from, to) = upid.object_id().split_once('>')?;
    let guest = |part: &str| {
        let (id, key) = part.split_once('-')?;
        pve_mcp_proto::is_disk_key(key)
            .then(|| vmid(id).ok())
            .flatten()
    };
    Some((guest(from)?, guest(to)?))
}

/// Every guest a task names: [`task_guest`], or both guests of a disk moved between
/// them ([`task_moved_between`]).
pub fn task_guests(upid: &Upid) -> Vec<VmId> {
    match (task_guest(upid), task_moved_between(upid)) {
        (Ok(Some(v)), _) => vec![v],
        (_, Some((a, b))) => vec![a, b],
        _ => Vec::new(),
    }
}

/// Every vmid written in free text (log lines, error messages): each maximal run of
/// ASCII digits that is a vmid as Proxmox writes one, wherever it stands (`VM 250`,
/// `vm-250-disk-0`, `tap250i0`, `qemu-server/250.conf`). Broad on purpose: a caller
/// withholds text that names a guest the client may not see.
pub fn vmids_in_text(text: &str) -> impl Iterator<Item = VmId> + '_ {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|run| !run.is_empty())
        .filter_map(|run| vmid(run).ok())
}

fn shown(s: &str) -> String {
    s.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(n: u32) -> VmId {
        VmId::new(u64::from(n)).unwrap()
    }

    #[test]
    fn vmids_are_exact() {
        assert_eq!(vmid("250"), Ok(v(250)));
        assert_eq!(vmid("999999999"), Ok(v(999_999_999)));
        for bad in [
            "+250",
            "0250",
            " 250",
            "250 ",
            "250.0",
            "2.5e2",
            "99",
            "1000000000",
            "",
            "25O",
            "%32%35%30",
            "250\n",
        ] {
            assert!(vmid(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            vmid_list("101,102;103 104"),
            Ok(vec![v(101), v(102), v(103), v(104)])
        );
        assert!(vmid_list("101,+250").is_err());
        assert_eq!(ha_resource("vm:250"), Ok(v(250)));
        assert_eq!(ha_resource("ct:250"), Ok(v(250)));
        assert_eq!(ha_resource("250"), Ok(v(250)));
        assert!(ha_resource("vm:0250").is_err());
        assert!(ha_resource("VM:250").is_err());
        assert_eq!(replication_job("250-0"), Ok(v(250)));
        assert!(replication_job("250").is_err());
        assert!(replication_job("250-x").is_err());
    }

    #[test]
    fn volumes_name_their_guests_in_every_plugins_spelling() {
        let owner = |s: &str| volume(s).unwrap().owner;
        assert_eq!(owner("local-lvm:vm-250-disk-0"), Some(v(250)));
        assert_eq!(owner("zfs:subvol-250-disk-0"), Some(v(250)));
        assert_eq!(owner("zfs:basevol-250-disk-0"), Some(v(250)));
        assert_eq!(owner("ceph:base-100-disk-0/vm-9001-disk-1"), Some(v(9001)));
        assert_eq!(
            volume("ceph:base-100-disk-0/vm-9001-disk-1").unwrap().base,
            Some(v(100))
        );
        assert_eq!(owner("local:250/vm-250-disk-0.qcow2"), Some(v(250)));
        assert_eq!(
            owner("local:100/base-100-disk-0.qcow2/9001/vm-9001-disk-0.qcow2"),
            Some(v(9001))
        );
        assert_eq!(owner("local-lvm:vm-250-cloudinit"), Some(v(250)));
        assert_eq!(owner("local-lvm:vm-250-state-snap1"), Some(v(250)));
        let b = volume("nfs-backup:backup/vzdump-qemu-250-2026_01_01-00_00_00.vma.zst").unwrap();
        assert_eq!(
            (b.content, b.owner),
            (Content::Backup(Some(GuestType::Qemu)), Some(v(250)))
        );
        let b = volume("pbs:backup/ct/250/2026-01-01T00:00:00Z").unwrap();
        assert_eq!(
            (b.content, b.owner),
            (Content::Backup(Some(GuestType::Lxc)), Some(v(250)))
        );
        assert_eq!(owner("local:iso/debian.iso"), None);
        assert_eq!(
            volume("local:vztmpl/x.tar.zst").unwrap().content,
            Content::Vztmpl
        );
        assert_eq!(
            volume("iscsi:0.0.1.scsi-36001").unwrap().content,
            Content::Unknown
        );
        for bad in [
            "local-lvm:vm-0250-disk-0",
            "local-lvm:vm-+250-disk-0",
            "local-lvm:vm-250",
            "local:0250/vm-250-disk-0.raw",
            "local:101/vm-250-disk-0.raw",
            "local:backup/vzdump-qemu-0250-x.vma",
            "local:/etc/shadow",
            "local:../x",
            "local:a//b",
            "local:vm-250-disk-0 ",
            "1local:x",
            "nocolon",
            "local:",
        ] {
            assert!(volume(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tasks_name_their_guests() {
        let upid = |obj: &str, ty: &str| {
            Upid::parse(&format!(
                "UPID:pve1:0000ABCD:00001234:65000000:{ty}:{obj}:root@pam:"
            ))
            .unwrap()
        };
        assert_eq!(task_guest(&upid("250", "qmstart")), Ok(Some(v(250))));
        assert_eq!(
            task_guest(&upid("250@nfs-backup", "imgdel")),
            Ok(Some(v(250)))
        );
        assert_eq!(task_guest(&upid("250", "vncproxy")), Ok(Some(v(250))));
        assert_eq!(task_guest(&upid("", "startall")), Ok(None));
        assert_eq!(task_guest(&upid("local", "download")), Ok(None));
        assert!(task_guest(&upid("0250", "qmstart")).is_err());
        let moved = upid("101-scsi0>250-scsi5", "qmmove");
        assert_eq!(task_guest(&moved), Ok(None));
        assert_eq!(task_moved_between(&moved), Some((v(101), v(250))));
        assert_eq!(task_guests(&moved), [v(101), v(250)]);
        assert_eq!(task_guests(&upid("250", "qmstart")), [v(250)]);
        for odd in [
            "101-scsi0>250",
            "101>250-mp0",
            "101-x0>250-mp0",
            "0101-mp0>250-mp0",
        ] {
            assert_eq!(task_moved_between(&upid(odd, "move_volume")), None, "{odd}");
        }
    }

    #[test]
    fn text_names_guests_wherever_they_stand() {
        let found: Vec<VmId> = vmids_in_text(
            "Starting VM 250; vm-251-disk-0 tap252i0 qemu-server/253.conf 0254 12 1000000000",
        )
        .collect();
        assert_eq!(found, [v(250), v(251), v(252), v(253)]);
    }
}
