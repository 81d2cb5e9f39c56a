//! Validated domain newtypes: each can only be built (or deserialized) in a valid state.

use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, fmt, str::FromStr};

/// Why a value was refused; the message names the field's rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

fn invalid<T>(msg: impl Into<String>) -> Result<T, InvalidValue> {
    Err(InvalidValue(msg.into()))
}

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl FromStr for $name {
            type Err = InvalidValue;
            fn from_str(s: &str) -> Result<Self, InvalidValue> {
                Self::parse(s)
            }
        }
        impl TryFrom<String> for $name {
            type Error = InvalidValue;
            fn try_from(s: String) -> Result<Self, InvalidValue> {
                Self::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
    };
}

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

/// HTTP method of a raw API call. Only these four exist in the Proxmox API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ApiMethod {
    Get,
    Post,
    Put,
    Delete,
}

impl ApiMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
        }
    }
}

impl fmt::Display for ApiMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ApiMethod {
    type Err = InvalidValue;
    /// Exact upper-case names only; callers that accept other spellings fold case first.
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        match s {
            "GET" => Ok(Self::Get),
            "POST" => Ok(Self::Post),
            "PUT" => Ok(Self::Put),
            "DELETE" => Ok(Self::Delete),
            _ => invalid(format!(
                "method {:?} is not GET, POST, PUT or DELETE",
                truncate(s)
            )),
        }
    }
}

pub(crate) fn truncate(s: &str) -> &str {
    match s.char_indices().nth(64) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Characters allowed in one segment of a normalized API path.
fn is_segment_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.:@!=+,~".contains(&b)
}

/// A normalized Proxmox API path below `/api2/json`, e.g. `/nodes/pve1/qemu/101/status`.
///
/// Normalization accepts an optional `/api2/json` prefix and one trailing slash, decodes
/// percent-escapes of unreserved characters, and rejects everything that could change
/// which resource is addressed: `.` and `..` segments, empty segments (`//`), encoded
/// `/` or `%`, query strings, NUL and control bytes, and any non-ASCII character.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ApiPath(String);
string_newtype!(ApiPath);

impl ApiPath {
    pub const MAX_LEN: usize = 512;

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        if raw.len() > Self::MAX_LEN {
            return invalid(format!("API path is longer than {} bytes", Self::MAX_LEN));
        }
        if let Some(c) = raw.chars().find(|c| !c.is_ascii() || c.is_ascii_control()) {
            return invalid(format!(
                "API path contains the character {c:?}: only printable ASCII is allowed"
            ));
        }
        if raw.contains('?') || raw.contains('#') {
            return invalid("API path must not contain a query string: pass parameters in `data`");
        }
        let decoded = percent_decode(raw)?;
        let mut path = decoded.as_str();
        if !path.starts_with('/') {
            return invalid("API path must start with '/'");
        }
        // The prefix must end at a '/': after `/api2/json` a backslash would escape the
        // segment checks below, and a URL parser turns it into '/' (an unchecked path).
        match path.strip_prefix("/api2/json") {
            Some("") => path = "/",
            Some(rest) if rest.starts_with('/') => path = rest,
            _ => {}
        }
        if path.len() > 1 {
            path = path.strip_suffix('/').unwrap_or(path);
        }
        if path == "/" {
            return Ok(Self("/".to_owned()));
        }
        if path == "/api2" || path.starts_with("/api2/") {
            // Keeps normalization idempotent: a result never starts with the prefix.
            return invalid(
                "API path must be given below /api2/json (e.g. /version), with that prefix at most once",
            );
        }
        for seg in path[1..].split('/') {
            if seg.is_empty() {
                return invalid("API path has an empty segment ('//')");
            }
            if seg == "." || seg == ".." {
                return invalid("API path must not contain '.' or '..' segments");
            }
            if let Some(b) = seg.bytes().find(|b| !is_segment_byte(*b)) {
                return invalid(format!(
                    "API path segment {:?} contains {:?}: allowed are letters, digits and -_.:@!=+,~",
                    truncate(seg),
                    b as char
                ));
            }
        }
        Ok(Self(path.to_owned()))
    }

    /// The path's segments, without the leading empty one.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/').filter(|s| !s.is_empty())
    }
}

/// Decodes `%XX` escapes, refusing escapes of `/`, `%`, control or non-ASCII bytes.
fn percent_decode(raw: &str) -> Result<String, InvalidValue> {
    if !raw.contains('%') {
        return Ok(raw.to_owned());
    }
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(bytes[i] as char);
            i += 1;
            continue;
        }
        let hex = raw
            .get(i + 1..i + 3)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
        let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) else {
            return invalid("API path has a malformed percent-escape");
        };
        if !is_segment_byte(byte) {
            return invalid(format!(
                "API path encodes the byte 0x{byte:02X} as a percent-escape, which is not allowed"
            ));
        }
        out.push(byte as char);
        i += 3;
    }
    Ok(out)
}

/// Name of a Proxmox API parameter: `[a-zA-Z0-9_-]`, 1..=64 bytes, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ParamName(String);
string_newtype!(ParamName);

impl ParamName {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let ok = (1..=64).contains(&s.len())
            && s.as_bytes()[0].is_ascii_alphabetic()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(Self(s.to_owned()))
        } else if s.starts_with("lxc.") {
            invalid(format!(
                "parameter {:?} is a raw LXC setting; raw LXC settings (lxc.*) are on the fixed \
                 floor and can never be set",
                truncate(s)
            ))
        } else {
            invalid(format!(
                "parameter name {:?} is invalid: use letters, digits, _ and -",
                truncate(s)
            ))
        }
    }
}

/// A scalar parameter value; Proxmox takes every parameter as a form string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

impl ParamValue {
    /// The form-encoded spelling Proxmox expects (booleans as 1/0).
    pub fn to_form(&self) -> String {
        match self {
            Self::Bool(b) => u8::from(*b).to_string(),
            Self::Int(i) => i.to_string(),
            Self::Float(f) => f.to_string(),
            Self::Text(s) => s.clone(),
        }
    }
}

/// Parameters of a raw API call: at most 64 scalars, 64 KiB of text in all, no NUL.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(
    try_from = "BTreeMap<ParamName, ParamValue>",
    into = "BTreeMap<ParamName, ParamValue>"
)]
pub struct ApiParams(BTreeMap<ParamName, ParamValue>);

impl ApiParams {
    pub const MAX_PARAMS: usize = 64;
    pub const MAX_TEXT: usize = 64 * 1024;

    pub fn new(map: BTreeMap<ParamName, ParamValue>) -> Result<Self, InvalidValue> {
        if map.len() > Self::MAX_PARAMS {
            return invalid(format!("more than {} parameters", Self::MAX_PARAMS));
        }
        let mut total = 0;
        for (k, v) in &map {
            if let ParamValue::Text(s) = v {
                if s.contains('\0') {
                    return invalid(format!("parameter {k} contains a NUL byte"));
                }
                total += s.len();
            }
            if let ParamValue::Float(f) = v
                && !f.is_finite()
            {
                return invalid(format!("parameter {k} is not a finite number"));
            }
        }
        if total > Self::MAX_TEXT {
            return invalid(format!(
                "parameters hold more than {} bytes of text",
                Self::MAX_TEXT
            ));
        }
        Ok(Self(map))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&ParamName, &ParamValue)> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl TryFrom<BTreeMap<ParamName, ParamValue>> for ApiParams {
    type Error = InvalidValue;
    fn try_from(map: BTreeMap<ParamName, ParamValue>) -> Result<Self, InvalidValue> {
        Self::new(map)
    }
}

impl From<ApiParams> for BTreeMap<ParamName, ParamValue> {
    fn from(p: ApiParams) -> Self {
        p.0
    }
}

/// A command line as an argument vector: 1..=64 arguments, the first non-empty, each at
/// most 4 KiB, 32 KiB in all, no NUL byte. It is never given to a shell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct Argv(Vec<String>);

impl Argv {
    pub const MAX_ARGS: usize = 64;
    pub const MAX_ARG: usize = 4096;
    pub const MAX_TOTAL: usize = 32 * 1024;

    pub fn new(args: Vec<String>) -> Result<Self, InvalidValue> {
        if args.is_empty() {
            return invalid("the command is empty");
        }
        if args.len() > Self::MAX_ARGS {
            return invalid(format!(
                "the command has {} arguments; at most {} are allowed",
                args.len(),
                Self::MAX_ARGS
            ));
        }
        if args[0].is_empty() {
            return invalid("the program name is empty");
        }
        let mut total = 0;
        for a in &args {
            if a.len() > Self::MAX_ARG {
                return invalid(format!(
                    "an argument is longer than {} bytes",
                    Self::MAX_ARG
                ));
            }
            if a.contains('\0') {
                return invalid("an argument contains a NUL byte");
            }
            total += a.len();
        }
        if total > Self::MAX_TOTAL {
            return invalid(format!(
                "the command is longer than {} bytes",
                Self::MAX_TOTAL
            ));
        }
        Ok(Self(args))
    }

    pub fn program(&self) -> &str {
        &self.0[0]
    }

    pub fn args(&self) -> &[String] {
        &self.0
    }
}

impl TryFrom<Vec<String>> for Argv {
    type Error = InvalidValue;
    fn try_from(v: Vec<String>) -> Result<Self, InvalidValue> {
        Self::new(v)
    }
}

impl From<Argv> for Vec<String> {
    fn from(a: Argv) -> Self {
        a.0
    }
}

impl fmt::Display for Argv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{:?}", truncate(a))?;
        }
        Ok(())
    }
}

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

/// A storage id as PVE accepts it (`pve-storage-id`): a letter, then letters, digits,
/// `-`, `_` or `.`, ending with a letter or digit; at most 64.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StorageId(String);
string_newtype!(StorageId);

impl StorageId {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let b = s.as_bytes();
        let ok = (2..=64).contains(&b.len())
            && b[0].is_ascii_alphabetic()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(c));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            invalid(format!(
                "storage id {:?} is invalid: use letters, digits, - _ or ., starting with a \
                 letter",
                truncate(s)
            ))
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

/// A kind of storage content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentType {
    Images,
    Rootdir,
    Vztmpl,
    Iso,
    Backup,
    Snippets,
    Import,
}

impl ContentType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Images => "images",
            Self::Rootdir => "rootdir",
            Self::Vztmpl => "vztmpl",
            Self::Iso => "iso",
            Self::Backup => "backup",
            Self::Snippets => "snippets",
            Self::Import => "import",
        }
    }
}

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
            // `9000@local` for a volume deletion (`imgdel`).
            && word(f[6], b"@")
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
        NodeName(self.field(1).to_owned())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vmid_bounds() {
        assert!(VmId::new(99).is_err());
        assert!(VmId::new(0).is_err());
        assert!(VmId::new(1 << 32).is_err());
        assert!(VmId::new(1_000_000_000).is_err());
        assert_eq!(VmId::new(100).unwrap().get(), 100);
        assert_eq!(VmId::new(999_999_999).unwrap().get(), 999_999_999);
        assert!(serde_json::from_str::<VmId>("-1").is_err());
        assert!(serde_json::from_str::<VmId>("101.5").is_err());
        assert!(serde_json::from_str::<VmId>("\"101\"").is_err());
        assert!(serde_json::from_str::<VmId>("99999999999").is_err());
        assert!("+101".parse::<VmId>().is_err());
        assert!(" 101".parse::<VmId>().is_err());
        assert_eq!("101".parse::<VmId>().unwrap().get(), 101);
    }

    #[test]
    fn node_names() {
        assert!(NodeName::parse("pve1").is_ok());
        assert!(NodeName::parse("pve-node-2").is_ok());
        for bad in [
            "",
            "-pve",
            "pve-",
            "pve/1",
            "pve.local",
            "p ve",
            "ｐve",
            &"a".repeat(64),
        ] {
            assert!(NodeName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn api_path_normalizes() {
        let ok = |s: &str| ApiPath::parse(s).unwrap().to_string();
        assert_eq!(ok("/nodes/pve1/status"), "/nodes/pve1/status");
        assert_eq!(ok("/api2/json/nodes/pve1/status/"), "/nodes/pve1/status");
        assert_eq!(ok("/api2/json"), "/");
        assert_eq!(ok("/version"), "/version");
        assert_eq!(
            ok("/nodes/pve1/tasks/UPID:pve1:0000A:0000B:6000:qmstart:101:root@pam:/status"),
            "/nodes/pve1/tasks/UPID:pve1:0000A:0000B:6000:qmstart:101:root@pam:/status"
        );
        assert_eq!(ok("/nodes/%70ve1/status"), "/nodes/pve1/status");
        // Normalizing twice changes nothing.
        let once = ok("/api2/json/cluster/resources/");
        assert_eq!(ok(&once), once);
    }

    #[test]
    fn api_path_rejects_hostile_input() {
        for bad in [
            "",
            "nodes",
            "/nodes/../access",
            "/nodes/%2e%2e/access",
            "/nodes/%2E%2E/x",
            "/nodes/pve1%2Fstatus",
            "/nodes//status",
            "/nodes/pve1/status?x=1",
            "/nodes/pve1;rm",
            "/nodes/pve1\0",
            "/nodes/pve1\n",
            "/nodes/ｐve1",
            "/nodes/pve1/status//",
            "/nodes/./status",
            "/nodes/%zz",
            "/nodes/%",
            "/nodes/%252e",
            "/nodes/pve1#frag",
            "/nodes/pve 1",
            "/nodes/\u{2215}etc",
            // Regressions: the prefix must end at a '/', or the character after it
            // escapes validation (a backslash becomes '/' in the URL sent to Proxmox).
            "/api2/json\\access/users",
            "/api2/json\\nodes/pve1/termproxy",
            "/api2/json;x",
            "/api2/json/api2/json/version",
            "/api2",
        ] {
            assert!(ApiPath::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(ApiPath::parse(&format!("/{}", "a".repeat(600))).is_err());
    }

    #[test]
    fn argv_bounds() {
        assert!(Argv::new(vec![]).is_err());
        assert!(Argv::new(vec![String::new()]).is_err());
        assert!(Argv::new(vec!["ls".into(), "a\0b".into()]).is_err());
        assert!(Argv::new(vec!["x".into(); 65]).is_err());
        assert!(Argv::new(vec!["x".repeat(4097)]).is_err());
        assert!(Argv::new(vec!["ls".into(), String::new()]).is_ok());
    }

    #[test]
    fn upid_parses_real_format() {
        let u = Upid::parse("UPID:pve1:000A1B2C:0123ABCD:65F0A1B2:qmstart:101:root@pam:").unwrap();
        assert_eq!(u.node().as_str(), "pve1");
        assert_eq!(u.task_type(), "qmstart");
        assert_eq!(u.vmid().unwrap().get(), 101);
        assert_eq!(u.start_time(), 0x65F0A1B2);
        assert!(
            Upid::parse("UPID:pve1:0:0:0:vzdump::mcp@pve!mcp:")
                .unwrap()
                .vmid()
                .is_none()
        );
        for bad in [
            "UPID:pve1:000A1B2C:0123ABCD:65F0A1B2:qmstart:101:root@pam",
            "UPID:pve/1:0:0:0:qmstart:101:root@pam:",
            "UPID:pve1:xyz:0:0:qmstart:101:root@pam:",
            "UPID:pve1:0:0:0:qm start:101:root@pam:",
            "XPID:pve1:0:0:0:qmstart:101:root@pam:",
        ] {
            assert!(Upid::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn snapshot_names() {
        for ok in ["pre-upgrade", "s1", "Daily_2024-01-01", &"a".repeat(40)] {
            assert!(SnapshotName::parse(ok).is_ok(), "{ok:?}");
        }
        for bad in [
            "",
            "a",
            "1abc",
            "-abc",
            "a b",
            "a/b",
            "a.b",
            "current",
            "PENDING",
            "sn\u{e4}p",
            &"a".repeat(41),
        ] {
            assert!(SnapshotName::parse(bad).is_err(), "{bad:?}");
        }
        assert!(SnapshotDescription::parse("before\nupgrade\t1").is_ok());
        assert!(SnapshotDescription::parse("a\u{0}b").is_err());
        assert!(SnapshotDescription::parse(&"x".repeat(1025)).is_err());
    }

    #[test]
    fn params_bounds() {
        let one = |v: ParamValue| {
            let mut m = BTreeMap::new();
            m.insert(ParamName::parse("x").unwrap(), v);
            ApiParams::new(m)
        };
        assert!(one(ParamValue::Text("a\0".into())).is_err());
        assert!(one(ParamValue::Text("a".repeat(70_000))).is_err());
        assert!(one(ParamValue::Float(f64::NAN)).is_err());
        assert!(serde_json::from_str::<ApiParams>(r#"{"a b": 1}"#).is_err());
        assert!(serde_json::from_str::<ApiParams>(r#"{"x": [1]}"#).is_err());
        assert!(serde_json::from_str::<ApiParams>(r#"{"x": {"y": 1}}"#).is_err());
        let p: ApiParams = serde_json::from_str(r#"{"onboot": true, "cores": 2}"#).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(ParamValue::Bool(true).to_form(), "1");
    }
}
