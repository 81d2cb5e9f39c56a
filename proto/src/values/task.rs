//! Values that name Proxmox tasks: a UPID, parsed as Proxmox writes it, and a task
//! type filter.

use super::{InvalidValue, NodeName, VmId, invalid, truncate};
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// Part of a task type to filter on (`qmstart`, `vzdump`, `qm`): 1 to 32 lowercase
/// letters, digits, `_` or `-`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TaskTypeFilter(String);
string_newtype!(TaskTypeFilter);

impl TaskTypeFilter {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let ok = (1..=32).contains(&s.len())
            && s.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            invalid(format!(
                "task type {:?} is invalid: use 1 to 32 lowercase letters, digits, _ or -",
                truncate(s)
            ))
        }
    }
}

/// A Proxmox task id:
/// `UPID:{node}:{pid:08X}:{pstart:08X}:{starttime:08X}:{type}:{id}:{user}:`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Upid(String);
string_newtype!(Upid);

impl Upid {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let bad = || InvalidValue(format!("{:?} is not a Proxmox task id (UPID)", truncate(s)));
        if s.len() > 256 {
            return Err(bad());
        }
        let f: Vec<&str> = s.split(':').collect();
        if f.len() != 9 || f[0] != "UPID" || !f[8].is_empty() {
            return Err(bad());
        }
        NodeName::parse(f[1]).map_err(|_| bad())?;
        let hex =
            |x: &str| !x.is_empty() && x.len() <= 16 && x.bytes().all(|b| b.is_ascii_hexdigit());
        let word = |x: &str, extra: &[u8]| {
            x.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b) || extra.contains(&b))
        };
        let ok = hex(f[2])
            && hex(f[3])
            && hex(f[4])
            && !f[5].is_empty()
            && word(f[5], b"")
            // `9000@local` for a volume deletion (`imgdel`), `101-scsi0>102-scsi1` for a
            // disk moved into another guest (`qmmove`, `move_volume`).
            && word(f[6], b"@>")
            && !f[7].is_empty()
            && word(f[7], b"@!");
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(bad())
        }
    }

    fn field(&self, i: usize) -> &str {
        self.0.split(':').nth(i).unwrap_or("")
    }

    /// The node the task runs on.
    pub fn node(&self) -> NodeName {
        NodeName::checked(self.field(1))
    }

    /// The task type, e.g. `qmstart`, `vzstop`.
    pub fn task_type(&self) -> &str {
        self.field(5)
    }

    /// The task's object id: a vmid for guest tasks, often empty otherwise.
    pub fn object_id(&self) -> &str {
        self.field(6)
    }

    /// The guest the task works on, when its object id is a vmid.
    pub fn vmid(&self) -> Option<VmId> {
        self.object_id().parse().ok()
    }

    /// Start time of the task, seconds since the epoch.
    pub fn start_time(&self) -> u64 {
        u64::from_str_radix(self.field(4), 16).unwrap_or(0)
    }
}
