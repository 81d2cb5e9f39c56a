//! Values of a guest's configuration: keys and values, a validated map of them,
//! bounded sizes (cores, memory, disk), bridges, disk slots, cloud-init password hashes
//! and SSH keys.

use super::{InvalidValue, invalid, shown};
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, fmt, str::FromStr};

/// A guest configuration key as PVE spells them: a lowercase letter, then lowercase
/// letters, digits, `_` or `-`; at most 32 (`cores`, `net0`, `ipconfig1`, `rootfs`).
/// Raw `lxc.*` keys cannot be spelled.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConfigKey(String);
string_newtype!(ConfigKey);

impl ConfigKey {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let ok = (1..=32).contains(&s.len())
            && s.as_bytes()[0].is_ascii_lowercase()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if ok {
            Ok(Self(s.to_owned()))
        } else if s.starts_with("lxc.") {
            invalid(format!(
                "configuration key {:?} is a raw LXC setting; raw LXC settings (lxc.*) are on \
                 the fixed floor and can never be set",
                shown(s)
            ))
        } else {
            invalid(format!(
                "configuration key {:?} is invalid: lowercase letters, digits, _ and -",
                shown(s)
            ))
        }
    }
}

/// A configuration value: at most 8 KiB, no control characters except newline and
/// tab (descriptions span lines).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ConfigScalar", into = "String")]
pub struct ConfigValue(String);
string_newtype!(ConfigValue);

impl ConfigValue {
    pub const MAX: usize = 8 * 1024;

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        if s.len() > Self::MAX {
            return invalid(format!(
                "configuration value is longer than {} bytes",
                Self::MAX
            ));
        }
        if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return invalid("configuration value contains a control character");
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Debug for ConfigValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", shown(&self.0))
    }
}

/// What a configuration value may be given as on the wire: text, a number or a
/// boolean (as 1/0), as PVE takes them.
#[derive(Deserialize)]
#[serde(untagged)]
enum ConfigScalar {
    Bool(bool),
    Int(i64),
    Text(String),
}

impl TryFrom<ConfigScalar> for ConfigValue {
    type Error = InvalidValue;
    fn try_from(v: ConfigScalar) -> Result<Self, InvalidValue> {
        match v {
            ConfigScalar::Bool(b) => Ok(Self(u8::from(b).to_string())),
            ConfigScalar::Int(i) => Ok(Self(i.to_string())),
            ConfigScalar::Text(s) => Self::parse(&s),
        }
    }
}

/// Keys to set: at most 64, 64 KiB of values in all.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(
    try_from = "BTreeMap<ConfigKey, ConfigValue>",
    into = "BTreeMap<ConfigKey, ConfigValue>"
)]
pub struct ConfigMap(BTreeMap<ConfigKey, ConfigValue>);

impl ConfigMap {
    pub const MAX_KEYS: usize = 64;
    pub const MAX_TEXT: usize = 64 * 1024;

    pub fn new(map: BTreeMap<ConfigKey, ConfigValue>) -> Result<Self, InvalidValue> {
        if map.len() > Self::MAX_KEYS {
            return invalid(format!("more than {} configuration keys", Self::MAX_KEYS));
        }
        if map.values().map(|v| v.as_str().len()).sum::<usize>() > Self::MAX_TEXT {
            return invalid(format!(
                "configuration values hold more than {} bytes",
                Self::MAX_TEXT
            ));
        }
        Ok(Self(map))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&ConfigKey, &ConfigValue)> {
        self.0.iter()
    }

    pub fn get(&self, key: &str) -> Option<&ConfigValue> {
        self.0
            .iter()
            .find(|(k, _)| k.as_str() == key)
            .map(|(_, v)| v)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl TryFrom<BTreeMap<ConfigKey, ConfigValue>> for ConfigMap {
    type Error = InvalidValue;
    fn try_from(map: BTreeMap<ConfigKey, ConfigValue>) -> Result<Self, InvalidValue> {
        Self::new(map)
    }
}

impl From<ConfigMap> for BTreeMap<ConfigKey, ConfigValue> {
    fn from(m: ConfigMap) -> Self {
        m.0
    }
}

bounded_number!(
    /// Virtual CPU cores: 1 to 1024.
    Cores, 1, 1024, "cores"
);
bounded_number!(
    /// Memory in MiB: 16 MiB to 16 TiB.
    MemoryMib, 16, 16 * 1024 * 1024, "memory_mib"
);
bounded_number!(
    /// A disk size in GiB: 1 GiB to 128 TiB.
    DiskGib, 1, 128 * 1024, "size_gib"
);

/// A network bridge (or SDN vnet) name: a Linux interface name, a letter then
/// letters, digits, `_`, `-` or `.`, at most 15.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Bridge(String);
string_newtype!(Bridge);

impl Bridge {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let ok = (1..=15).contains(&s.len())
            && s.as_bytes()[0].is_ascii_alphabetic()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            invalid(format!(
                "bridge {:?} is invalid: an interface name such as vmbr0",
                shown(s)
            ))
        }
    }
}

/// A guest disk slot: `scsiN`, `virtioN`, `sataN`, `ideN`, `efidisk0`, `tpmstate0`
/// (VMs), `rootfs` or `mpN` (containers).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DiskSlot(String);
string_newtype!(DiskSlot);

impl DiskSlot {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        if is_disk_key(s) && !s.starts_with("unused") {
            Ok(Self(s.to_owned()))
        } else {
            invalid(format!(
                "disk {:?} is not a disk slot: use scsi0, virtio0, sata0, ide0, efidisk0, \
                 tpmstate0, rootfs or mp0",
                shown(s)
            ))
        }
    }
}

/// Whether a configuration key holds a volume: disks, mount points, `unusedN`.
pub fn is_disk_key(key: &str) -> bool {
    const NUMBERED: &[(&str, u32)] = &[
        ("scsi", 30),
        ("virtio", 15),
        ("sata", 5),
        ("ide", 3),
        ("efidisk", 0),
        ("tpmstate", 0),
        ("mp", 255),
        ("unused", 255),
    ];
    if key == "rootfs" {
        return true;
    }
    NUMBERED.iter().any(|(prefix, max)| {
        key.strip_prefix(prefix).is_some_and(|n| {
            !n.is_empty()
                && (n == "0" || !n.starts_with('0'))
                && n.parse::<u32>().is_ok_and(|n| n <= *max)
        })
    })
}

/// A cloud-init password, only ever as a crypt(3) hash (`$6$salt$hash`, `$5$`, `$y$`,
/// `$2b$`): the clear password never reaches the helper. Its `Debug` shows nothing.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PasswordHash(String);
string_newtype!(PasswordHash);

impl PasswordHash {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        if Self::looks_hashed(s) {
            Ok(Self(s.to_owned()))
        } else {
            invalid(
                "password must be given as a crypt hash ($6$..., $5$..., $y$... or $2b$...), \
                 e.g. from `openssl passwd -6`; a clear password is refused",
            )
        }
    }

    /// Whether `s` has the shape of a crypt(3) hash.
    pub fn looks_hashed(s: &str) -> bool {
        let Some(rest) = s.strip_prefix('$') else {
            return false;
        };
        let Some((id, body)) = rest.split_once('$') else {
            return false;
        };
        ["1", "5", "6", "y", "2a", "2b", "2y"].contains(&id)
            && (8..=512).contains(&body.len())
            && body.matches('$').count() >= 1
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"./$=,-".contains(&b))
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

/// SSH public keys for cloud-init or a new container: at most 32, one per line, each
/// `TYPE BASE64 [COMMENT]` with a known type.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct SshKeys(Vec<String>);

impl SshKeys {
    pub const MAX: usize = 32;
    const TYPES: &[&str] = &[
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    ];

    pub fn new(keys: Vec<String>) -> Result<Self, InvalidValue> {
        if keys.len() > Self::MAX {
            return invalid(format!("more than {} SSH keys", Self::MAX));
        }
        for k in &keys {
            Self::check(k)?;
        }
        Ok(Self(keys))
    }

    /// Checks one `TYPE BASE64 [COMMENT]` line.
    pub fn check(k: &str) -> Result<(), InvalidValue> {
        let mut parts = k.splitn(3, ' ');
        let ty = parts.next().unwrap_or_default();
        let blob = parts.next().unwrap_or_default();
        let comment = parts.next().unwrap_or_default();
        let ok = Self::TYPES.contains(&ty)
            && (16..=16384).contains(&blob.len())
            && blob
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
            && comment.len() <= 256
            && !comment.chars().any(char::is_control);
        if ok {
            Ok(())
        } else {
            invalid(format!(
                "SSH key {:?} is not a public key line (TYPE BASE64 [COMMENT], e.g. ssh-ed25519 AAAA... user@host)",
                shown(k)
            ))
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn lines(&self) -> String {
        self.0.join("\n")
    }
}

impl TryFrom<Vec<String>> for SshKeys {
    type Error = InvalidValue;
    fn try_from(v: Vec<String>) -> Result<Self, InvalidValue> {
        Self::new(v)
    }
}

impl From<SshKeys> for Vec<String> {
    fn from(k: SshKeys) -> Self {
        k.0
    }
}
