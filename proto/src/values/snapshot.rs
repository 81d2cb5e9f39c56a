//! Snapshot names and descriptions, as Proxmox accepts them.

use super::{InvalidValue, invalid, truncate};
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// A snapshot name as PVE accepts it (`pve-configid`, at most 40): a letter, then
/// letters, digits, `_` or `-`; at least two characters; not `current` or `pending`
/// (reserved by PVE).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SnapshotName(String);
string_newtype!(SnapshotName);

impl SnapshotName {
    pub const MAX_LEN: usize = 40;

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let b = s.as_bytes();
        let ok = (2..=Self::MAX_LEN).contains(&b.len())
            && b[0].is_ascii_alphabetic()
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-');
        if !ok {
            return invalid(format!(
                "snapshot name {:?} is invalid: use 2 to 40 letters, digits, _ or -, starting \
                 with a letter",
                truncate(s)
            ));
        }
        if s == "current" || s.eq_ignore_ascii_case("pending") {
            return invalid(format!("snapshot name {s:?} is reserved by Proxmox"));
        }
        Ok(Self(s.to_owned()))
    }
}

/// A snapshot description: at most 1024 characters, no control characters except
/// newlines and tabs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SnapshotDescription(String);
string_newtype!(SnapshotDescription);

impl SnapshotDescription {
    pub const MAX_CHARS: usize = 1024;

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let bad = s.chars().any(|c| c.is_control() && c != '\n' && c != '\t');
        if bad || s.chars().count() > Self::MAX_CHARS {
            return invalid(format!(
                "snapshot description must be at most {} characters, without control \
                 characters other than newlines and tabs",
                Self::MAX_CHARS
            ));
        }
        Ok(Self(s.to_owned()))
    }
}
