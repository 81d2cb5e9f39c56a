//! Values that name or describe a guest: its vmid, node, tags, pool, type, power
//! action and state, name, and what may be asked about it (a metrics timeframe, a
//! guest-agent question).

use super::{InvalidValue, invalid, shown, truncate};
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// A Proxmox guest id: 100 ..= 999,999,999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u32")]
pub struct VmId(u32);

impl VmId {
    pub const MIN: u32 = 100;
    pub const MAX: u32 = 999_999_999;

    pub fn new(id: u64) -> Result<Self, InvalidValue> {
        match u32::try_from(id) {
            Ok(id) if (Self::MIN..=Self::MAX).contains(&id) => Ok(Self(id)),
            _ => invalid(format!(
                "vmid {id} is out of range: must be {} to {}",
                Self::MIN,
                Self::MAX
            )),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u64> for VmId {
    type Error = InvalidValue;
    fn try_from(id: u64) -> Result<Self, InvalidValue> {
        Self::new(id)
    }
}

impl From<VmId> for u32 {
    fn from(v: VmId) -> u32 {
        v.0
    }
}

impl FromStr for VmId {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return invalid(format!("vmid {s:?} is not a number from 100 to 999999999"));
        }
        s.parse::<u64>()
            .map_err(|_| InvalidValue(format!("vmid {s:?} is not a number")))
            .and_then(Self::new)
    }
}

impl fmt::Display for VmId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A cluster node name: a DNS label (letters, digits, inner hyphens, 1..=63 bytes).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NodeName(String);
string_newtype!(NodeName);

impl NodeName {
    /// `unknown`: a valid name standing for a node nobody has told us about.
    pub fn unknown() -> Self {
        Self("unknown".to_owned())
    }

    /// A name its caller has already checked as [`NodeName::parse`] does (the node
    /// field of a parsed [`Upid`](crate::Upid)).
    pub(crate) fn checked(s: &str) -> Self {
        debug_assert!(Self::parse(s).is_ok(), "{s:?}");
        Self(s.to_owned())
    }

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let b = s.as_bytes();
        let ok = (1..=63).contains(&b.len())
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
            && b[0] != b'-'
            && b[b.len() - 1] != b'-';
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            invalid(format!(
                "node name {:?} is invalid: use 1 to 63 letters, digits or inner hyphens",
                truncate(s)
            ))
        }
    }
}

/// A Proxmox tag: starts with a letter, digit or underscore, then `[a-z0-9_+.-]`, 1..=64.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Tag(String);
string_newtype!(Tag);

impl Tag {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let lower = s.to_ascii_lowercase();
        let b = lower.as_bytes();
        let ok = (1..=64).contains(&b.len())
            && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || b"_+.-".contains(c));
        if ok {
            Ok(Self(lower))
        } else {
            invalid(format!(
                "tag {:?} is invalid: use letters, digits and _ + . - (at most 64)",
                truncate(s)
            ))
        }
    }
}

/// A Proxmox pool id: letters, digits, `_`, `-`, `.`; 1..=64.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PoolName(String);
string_newtype!(PoolName);

impl PoolName {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let ok = (1..=64).contains(&s.len())
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"_-.".contains(&c));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            invalid(format!("pool name {:?} is invalid", truncate(s)))
        }
    }
}

/// QEMU virtual machine or LXC container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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

impl fmt::Display for GuestType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GuestType {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        match s {
            "qemu" => Ok(Self::Qemu),
            "lxc" => Ok(Self::Lxc),
            _ => invalid(format!("guest type {:?} is not qemu or lxc", truncate(s))),
        }
    }
}

/// A lifecycle action on a guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GuestAction {
    Start,
    Stop,
    Shutdown,
    Reboot,
    Reset,
    Suspend,
    Resume,
}

impl GuestAction {
    pub const ALL: [GuestAction; 7] = [
        Self::Start,
        Self::Stop,
        Self::Shutdown,
        Self::Reboot,
        Self::Reset,
        Self::Suspend,
        Self::Resume,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Stop => "stop",
            Self::Shutdown => "shutdown",
            Self::Reboot => "reboot",
            Self::Reset => "reset",
            Self::Suspend => "suspend",
            Self::Resume => "resume",
        }
    }

    /// Whether the action can lose guest state (unclean power-off or reset).
    pub fn is_destructive(self) -> bool {
        matches!(self, Self::Stop | Self::Reset)
    }
}

impl fmt::Display for GuestAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GuestAction {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                InvalidValue(format!(
                    "action {:?} is not one of start, stop, shutdown, reboot, reset, suspend, resume",
                    truncate(s)
                ))
            })
    }
}

/// Run state of a guest as Proxmox reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GuestState {
    Running,
    Stopped,
    Paused,
    Suspended,
    Unknown,
}

impl GuestState {
    /// Maps Proxmox's status strings; anything unexpected is `Unknown`.
    pub fn from_pve(status: &str, qmpstatus: Option<&str>) -> Self {
        match (status, qmpstatus) {
            (_, Some("paused")) => Self::Paused,
            (_, Some("suspended")) | ("suspended", _) => Self::Suspended,
            ("running", _) => Self::Running,
            ("stopped", _) => Self::Stopped,
            ("paused", _) => Self::Paused,
            _ => Self::Unknown,
        }
    }

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

impl FromStr for GuestState {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        match s {
            "running" => Ok(Self::Running),
            "stopped" => Ok(Self::Stopped),
            "paused" => Ok(Self::Paused),
            "suspended" => Ok(Self::Suspended),
            "unknown" => Ok(Self::Unknown),
            _ => invalid(format!(
                "status {:?} is not running, stopped, paused, suspended or unknown",
                truncate(s)
            )),
        }
    }
}

/// How far back resource usage goes: the last hour (1-minute points), day
/// (30-minute points) or week (3-hour points).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Timeframe {
    #[default]
    Hour,
    Day,
    Week,
}

impl Timeframe {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hour => "hour",
            Self::Day => "day",
            Self::Week => "week",
        }
    }
}

/// A read-only QEMU guest agent command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentCommand {
    /// Whether the agent answers.
    Ping,
    /// The guest OS (`get-osinfo`).
    OsInfo,
    /// Network interfaces and addresses (`network-get-interfaces`).
    Network,
}

impl AgentCommand {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ping => "ping",
            Self::OsInfo => "osinfo",
            Self::Network => "network",
        }
    }
}

/// A guest name (VM `name`, container `hostname`): a DNS name of labels of letters,
/// digits and `-`, at most 63 each, 1..=128 in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GuestName(String);
string_newtype!(GuestName);

impl GuestName {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let ok = (1..=128).contains(&s.len())
            && s.split('.').all(|l| {
                (1..=63).contains(&l.len())
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            invalid(format!(
                "guest name {:?} is invalid: a DNS name (letters, digits and -, dot-separated)",
                shown(s)
            ))
        }
    }
}
