//! Values of a raw Proxmox API call (method, normalized path, parameters) and of an
//! allow-listed command line (argv, never a shell string).

use super::{InvalidValue, invalid, truncate};
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, fmt, str::FromStr};

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
