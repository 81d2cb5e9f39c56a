//! A guest's config lock as Proxmox reports it (`lock` in `/cluster/resources` and in
//! a guest's `status/current`): the task that holds the guest's configuration, during
//! which Proxmox refuses most changes (`VM is locked (backup)`).
//!
//! The names are those qemu-server, pve-container and pve-guest-common write:
//! the `lock` enums of `PVE/QemuServer.pm` (backup clone create migrate rollback
//! snapshot snapshot-delete suspending suspended) and `PVE/LXC/Config.pm` (backup
//! create destroyed disk fstrim migrate mounted rollback snapshot snapshot-delete),
//! and three that qemu-server writes outside its enum: `destroyed` (a VM being
//! purged), `import` (a live import) and `restore` (`qmrestore` over an existing VM).
//!
//! Trust: the text is Proxmox's, read unchecked from the guest's config file (an
//! administrator may write any `lock:` line by hand). A name not in the list is not an
//! error: the listing must not fail for one odd guest. It becomes [`GuestLock::Other`],
//! kept visible in a safe form: printable ASCII only (every other character written
//! as `\u{..}`), at most [`OtherLock::MAX`] bytes. The same rule is checked again when
//! the value is read from the socket.

use super::{InvalidValue, invalid, shown};
use serde::{Deserialize, Serialize};
use std::fmt::{self, Write};

/// The lock Proxmox holds on a guest's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum GuestLock {
    Backup,
    Clone,
    Create,
    Destroyed,
    Disk,
    Fstrim,
    Import,
    Migrate,
    Mounted,
    Restore,
    Rollback,
    Snapshot,
    SnapshotDelete,
    Suspended,
    Suspending,
    /// A lock this version does not know, in its safe form.
    Other(OtherLock),
}

/// Every named lock, with its name as Proxmox writes it.
const NAMED: [(GuestLock, &str); 15] = [
    (GuestLock::Backup, "backup"),
    (GuestLock::Clone, "clone"),
    (GuestLock::Create, "create"),
    (GuestLock::Destroyed, "destroyed"),
    (GuestLock::Disk, "disk"),
    (GuestLock::Fstrim, "fstrim"),
    (GuestLock::Import, "import"),
    (GuestLock::Migrate, "migrate"),
    (GuestLock::Mounted, "mounted"),
    (GuestLock::Restore, "restore"),
    (GuestLock::Rollback, "rollback"),
    (GuestLock::Snapshot, "snapshot"),
    (GuestLock::SnapshotDelete, "snapshot-delete"),
    (GuestLock::Suspended, "suspended"),
    (GuestLock::Suspending, "suspending"),
];

impl GuestLock {
    /// Reads Proxmox's `lock` value; `None` when there is none (absent or blank).
    /// Never fails: an unknown name is [`GuestLock::Other`]. Allocates only then.
    pub fn from_pve(raw: &str) -> Option<Self> {
        let raw = raw.trim_matches(|c: char| c.is_ascii_whitespace());
        if raw.is_empty() {
            return None;
        }
        Some(Self::named(raw).unwrap_or_else(|| Self::Other(OtherLock::escaped(raw))))
    }

    fn named(s: &str) -> Option<Self> {
        NAMED.iter().find(|(_, n)| *n == s).map(|(l, _)| l.clone())
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Other(o) => &o.0,
            named => NAMED
                .iter()
                .find(|(l, _)| l == named)
                .map_or("", |(_, n)| n),
        }
    }
}

impl fmt::Display for GuestLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for GuestLock {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, InvalidValue> {
        match Self::named(&s) {
            Some(l) => Ok(l),
            None => OtherLock::parse(s).map(Self::Other),
        }
    }
}

impl From<GuestLock> for String {
    fn from(l: GuestLock) -> String {
        match l {
            GuestLock::Other(o) => o.0.into(),
            named => named.as_str().to_owned(),
        }
    }
}

/// An unknown lock's name: 1 to [`OtherLock::MAX`] bytes of printable ASCII, and no
/// known name (that is its own variant).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OtherLock(Box<str>);

impl OtherLock {
    pub const MAX: usize = 64;

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn parse(s: String) -> Result<Self, InvalidValue> {
        let ok = (1..=Self::MAX).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_graphic())
            && GuestLock::named(&s).is_none();
        if ok {
            Ok(Self(s.into()))
        } else {
            invalid(format!(
                "lock {:?} is invalid: use 1 to {} printable ASCII characters",
                shown(&s),
                Self::MAX
            ))
        }
    }

    /// `raw` with every character but printable ASCII written as `\u{..}`, cut (with a
    /// `~`) to fit [`OtherLock::MAX`] bytes, never inside an escape.
    fn escaped(raw: &str) -> Self {
        let mut out = String::with_capacity(raw.len().min(Self::MAX));
        let mut piece = String::new();
        for c in raw.chars() {
            piece.clear();
            if c.is_ascii_graphic() {
                piece.push(c);
            } else {
                let _ = write!(piece, "\\u{{{:04X}}}", u32::from(c));
            }
            if out.len() + piece.len() > Self::MAX - 1 {
                out.push('~');
                break;
            }
            out.push_str(&piece);
        }
        Self(out.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_proxmox_writes_is_known_and_round_trips() {
        for (lock, name) in &NAMED {
            assert_eq!(GuestLock::from_pve(name).as_ref(), Some(lock));
            assert_eq!(lock.as_str(), *name);
            let json = serde_json::to_string(lock).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(&serde_json::from_str::<GuestLock>(&json).unwrap(), lock);
        }
        assert_eq!(GuestLock::from_pve(" backup\n"), Some(GuestLock::Backup));
        assert_eq!(GuestLock::from_pve(""), None);
        assert_eq!(GuestLock::from_pve(" \t"), None);
    }

    #[test]
    fn an_unknown_lock_is_kept_in_a_safe_form() {
        let odd = GuestLock::from_pve("replicate").unwrap();
        assert_eq!(odd.as_str(), "replicate");
        assert!(matches!(odd, GuestLock::Other(_)));
        let hostile = GuestLock::from_pve("x\u{202E} y\u{1b}[2J\nSYSTEM").unwrap();
        assert_eq!(
            hostile.as_str(),
            "x\\u{202E}\\u{0020}y\\u{001B}[2J\\u{000A}SYSTEM"
        );
        let long = GuestLock::from_pve(&"é".repeat(100)).unwrap();
        assert!(long.as_str().len() <= OtherLock::MAX, "{long}");
        assert!(long.as_str().ends_with("\\u{00E9}~"), "{long}");
        // What the helper makes, the front reads back.
        for l in [odd, hostile, long] {
            let json = serde_json::to_string(&l).unwrap();
            assert_eq!(serde_json::from_str::<GuestLock>(&json).unwrap(), l);
        }
    }

    #[test]
    fn the_socket_refuses_a_lock_not_in_its_safe_form() {
        let long = format!("\"{}\"", "a".repeat(OtherLock::MAX + 1));
        for bad in [
            "\"\"",
            "\"a b\"",
            "\"x\u{202E}\"",
            "\"é\"",
            "null",
            "1",
            &long,
        ] {
            assert!(serde_json::from_str::<GuestLock>(bad).is_err(), "{bad}");
        }
        // A known name is never an `Other`.
        assert!(OtherLock::parse("backup".into()).is_err());
    }
}
