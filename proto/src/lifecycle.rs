//! Requests and values of the guest lifecycle: create, clone, configure, resize,
//! migrate, restore, delete, and the storage, task and agent operations around them.
//! Every value validates on deserialization; what the policy bounds (sizes, storages,
//! bridges, keys) is judged by the helper, not here.

use crate::InvalidValue;
use crate::types::{Argv, GuestType, NodeName, PoolName, StorageId, Upid, VmId};
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, fmt, str::FromStr};

fn invalid<T>(msg: impl Into<String>) -> Result<T, InvalidValue> {
    Err(InvalidValue(msg.into()))
}

fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(64).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// A volume as PVE names it: `STORAGE:PATH`, e.g. `local:iso/debian-12.iso` or
/// `nas:backup/vzdump-qemu-101-2024_12_02-03_00_00.vma.zst`. The path is relative
/// (never a host path), at most 255 bytes of letters, digits and `._+-/`, with no
/// empty or `..` component.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VolumeId(String);
string_newtype!(VolumeId);

impl VolumeId {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let Some((storage, path)) = s.split_once(':') else {
            return invalid(format!(
                "volume {:?} must be STORAGE:PATH, e.g. local:iso/debian-12.iso",
                shown(s)
            ));
        };
        StorageId::parse(storage)?;
        let ok = (1..=255).contains(&path.len())
            && path
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._+-/".contains(&b))
            && path
                .split('/')
                .all(|c| !c.is_empty() && c != "." && c != "..");
        if !ok {
            return invalid(format!(
                "volume path {:?} is invalid: a relative path of letters, digits and ._+-/ \
                 without empty, . or .. components",
                shown(path)
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The storage id before the colon (valid: checked by `parse`).
    pub fn storage(&self) -> &str {
        self.0.split_once(':').map_or("", |(s, _)| s)
    }

    /// The part after `STORAGE:`.
    pub fn path(&self) -> &str {
        self.0.split_once(':').map_or("", |(_, p)| p)
    }

    /// The directory-like content of the path: `iso`, `vztmpl`, `backup`, `import`,
    /// `snippets` or `images` (for `vm-101-disk-0` style names).
    pub fn content(&self) -> Option<&str> {
        match self.path().split_once('/') {
            Some((dir @ ("iso" | "vztmpl" | "backup" | "import" | "snippets"), _)) => Some(dir),
            Some(_) => None,
            None => Some("images"),
        }
    }

    /// For a vzdump backup (`backup/vzdump-{qemu,lxc}-VMID-...`), the guest's kind and
    /// vmid.
    pub fn backup_of(&self) -> Option<(GuestType, VmId)> {
        let name = self.path().strip_prefix("backup/")?;
        let rest = name.strip_prefix("vzdump-")?;
        let (kind, rest) = rest.split_once('-')?;
        let kind = match kind {
            "qemu" => GuestType::Qemu,
            "lxc" => GuestType::Lxc,
            _ => return None,
        };
        let (id, _) = rest.split_once('-')?;
        Some((kind, id.parse().ok()?))
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

macro_rules! bounded_number {
    ($(#[$doc:meta])* $name:ident, $min:expr, $max:expr, $what:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "u64", into = "u64")]
        pub struct $name(u64);

        impl $name {
            pub const MIN: u64 = $min;
            pub const MAX: u64 = $max;

            pub fn new(n: u64) -> Result<Self, InvalidValue> {
                if (Self::MIN..=Self::MAX).contains(&n) {
                    Ok(Self(n))
                } else {
                    invalid(format!(
                        "{} {n} is out of range: must be {} to {}",
                        $what,
                        Self::MIN,
                        Self::MAX
                    ))
                }
            }

            pub fn get(self) -> u64 {
                self.0
            }
        }

        impl TryFrom<u64> for $name {
            type Error = InvalidValue;
            fn try_from(n: u64) -> Result<Self, InvalidValue> {
                Self::new(n)
            }
        }

        impl From<$name> for u64 {
            fn from(v: $name) -> u64 {
                v.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
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

/// Cloud-init settings of a new VM.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CloudInit {
    /// `ciuser`: the user cloud-init creates.
    pub user: Option<GuestName>,
    /// `cipassword`, as a crypt hash only.
    pub password_hash: Option<PasswordHash>,
    /// `sshkeys`.
    pub ssh_keys: SshKeys,
    /// `ipconfig0`, e.g. `ip=dhcp` or `ip=10.0.0.5/24,gw=10.0.0.1`.
    pub ipconfig: Option<ConfigValue>,
}

/// A new guest's first disk (VM) or root file system (container).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDisk {
    pub storage: StorageId,
    pub size_gib: DiskGib,
}

/// A guest to create from scratch. The helper places it in the policy's pool with the
/// policy's tags, and picks the next free vmid of `[create] vmids` when `vmid` is absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestCreate {
    #[serde(rename = "type")]
    pub guest_type: GuestType,
    pub node: NodeName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmid: Option<VmId>,
    pub name: GuestName,
    pub cores: Cores,
    pub memory_mib: MemoryMib,
    pub disk: NewDisk,
    /// VMs: an ISO volume attached as a CD-ROM to install from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iso: Option<VolumeId>,
    /// VMs: a disk image (e.g. a cloud image under `import/`) imported as the first disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<VolumeId>,
    /// Containers: the template (`STORAGE:vztmpl/...`) to create from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ostemplate: Option<VolumeId>,
    /// A network interface on this bridge (DHCP for containers); none when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridge: Option<Bridge>,
    /// VMs: a cloud-init drive with these settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_init: Option<CloudInit>,
    /// Containers: SSH keys for root.
    #[serde(default, skip_serializing_if = "SshKeys::is_empty")]
    pub ssh_keys: SshKeys,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<ConfigValue>,
    /// Further configuration keys, each of which `[config] keys` must list.
    #[serde(default, skip_serializing_if = "ConfigMap::is_empty")]
    pub config: ConfigMap,
}

/// A clone of a template or guest in scope. Linked clones (`full: false`) only from
/// templates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestClone {
    pub vmid: VmId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newid: Option<VmId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<GuestName>,
    /// The node the clone goes to; the source's node when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<NodeName>,
    #[serde(default = "yes")]
    pub full: bool,
    /// Storage for a full clone's disks; the source's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<ConfigValue>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

fn yes() -> bool {
    true
}

/// One guest and whether the user confirmed the operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestOp {
    pub vmid: VmId,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// A configuration change: keys to set and keys to remove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestConfigure {
    pub vmid: VmId,
    #[serde(default, skip_serializing_if = "ConfigMap::is_empty")]
    pub set: ConfigMap,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delete: Vec<ConfigKey>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// Grow one disk to `size_gib` (never shrink).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskResize {
    pub vmid: VmId,
    pub disk: DiskSlot,
    pub size_gib: DiskGib,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// Move a guest to another node. A running VM migrates live; a running container
/// is restarted on the target (`restart`), which `online: false` refuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestMigrate {
    pub vmid: VmId,
    pub target: NodeName,
    #[serde(default = "yes")]
    pub online: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// Destroy a guest: stopped first if running, removed from jobs and HA (`purge`),
/// optionally with disks it no longer references.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestDelete {
    pub vmid: VmId,
    #[serde(default = "yes")]
    pub purge: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub destroy_unreferenced_disks: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// Restore a vzdump backup: to a new vmid on `node` (bounded like a new guest), or,
/// with `force`, over the existing guest `vmid` (destructive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupRestore {
    pub volume: VolumeId,
    pub node: NodeName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmid: Option<VmId>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force: bool,
    /// Storage for the restored disks; the backup's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageId>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// Delete one volume: a backup (`backup.delete` on its guest), or an ISO image or
/// container template (`[storage] delete`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeDelete {
    pub node: NodeName,
    pub volume: VolumeId,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// What a download is: an ISO image or a container template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DownloadContent {
    Iso,
    Vztmpl,
}

impl DownloadContent {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Iso => "iso",
            Self::Vztmpl => "vztmpl",
        }
    }
}

/// An `https://` URL of at most 2048 printable ASCII characters without spaces,
/// quotes, backslashes or user info.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HttpsUrl(String);
string_newtype!(HttpsUrl);

impl HttpsUrl {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let Some(rest) = s.strip_prefix("https://") else {
            return invalid(format!("URL {:?} must start with https://", shown(s)));
        };
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let ok = s.len() <= 2048
            && !host.is_empty()
            && !host.contains('@')
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
            && s.bytes()
                .all(|b| b.is_ascii_graphic() && !b"\"'\\<>`{}|^".contains(&b));
        if !ok {
            return invalid(format!(
                "URL {:?} is invalid: https://HOST/PATH, printable, no user info",
                shown(s)
            ));
        }
        // Allowed prefixes are matched on the text: a path that a server would
        // resolve elsewhere (`..`, `.`, encoded dots or slashes) could leave the prefix.
        let path = rest[host.len()..]
            .split(['?', '#'])
            .next()
            .unwrap_or_default();
        let lower = path.to_ascii_lowercase();
        if path.split('/').any(|seg| seg == "." || seg == "..")
            || ["%2e", "%2f", "%5c", "%00"]
                .iter()
                .any(|e| lower.contains(e))
            || path.contains("//")
        {
            return invalid(format!(
                "URL {:?} is invalid: its path must not hold '.' or '..' segments, '//', or \
                 encoded dots or slashes",
                shown(s)
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

/// The file name of a download: letters, digits and `._+-`, at most 200, ending in
/// `.iso`/`.img` (ISO images) or `.tar.gz`/`.tar.xz`/`.tar.zst` (templates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FileName(String);
string_newtype!(FileName);

impl FileName {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let ok = (1..=200).contains(&s.len())
            && !s.starts_with('.')
            && !s.starts_with('-')
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._+-".contains(&b));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            invalid(format!(
                "file name {:?} is invalid: letters, digits and ._+-, not starting with . or -",
                shown(s)
            ))
        }
    }

    /// Whether the name's extension fits the content.
    pub fn fits(&self, content: DownloadContent) -> bool {
        let n = self.0.as_str();
        match content {
            DownloadContent::Iso => n.ends_with(".iso") || n.ends_with(".img"),
            DownloadContent::Vztmpl => [".tar.gz", ".tar.xz", ".tar.zst"]
                .iter()
                .any(|e| n.ends_with(e)),
        }
    }
}

/// An expected checksum of a download.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checksum {
    pub algorithm: ChecksumAlgorithm,
    /// Lowercase hex, of the algorithm's length.
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChecksumAlgorithm {
    Sha256,
    Sha512,
}

impl ChecksumAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha512 => "sha512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            Self::Sha256 => 64,
            Self::Sha512 => 128,
        }
    }
}

impl Checksum {
    pub fn check(&self) -> Result<(), InvalidValue> {
        let ok = self.value.len() == self.algorithm.hex_len()
            && self
                .value
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if ok {
            Ok(())
        } else {
            invalid(format!(
                "checksum must be {} lowercase hex digits for {}",
                self.algorithm.hex_len(),
                self.algorithm.as_str()
            ))
        }
    }
}

/// Download an ISO image or container template from a URL onto a storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageDownload {
    pub node: NodeName,
    pub storage: StorageId,
    pub url: HttpsUrl,
    pub content: DownloadContent,
    pub filename: FileName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Checksum>,
}

/// Stop a running task of a guest in scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskCancel {
    pub upid: Upid,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// Run a program in a VM through the QEMU guest agent: argv only, matched against
/// `[agent] exec`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentExec {
    pub vmid: VmId,
    pub argv: Argv,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmed: bool,
}

/// Firewall rules and options of the cluster (neither field), a node, or a guest.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FirewallQuery {
    pub node: Option<NodeName>,
    pub vmid: Option<VmId>,
}

/// Resource pools: all, or one with its members.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoolQuery {
    pub pool: Option<PoolName>,
}

/// HA resources and groups; takes no arguments.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HaQuery {}

/// The lowest free vmid of `[create] vmids`; takes no arguments.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NextVmidQuery {}

/// A guest being made (created, cloned or restored) and the task making it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewGuest {
    pub vmid: VmId,
    pub node: NodeName,
    pub task: crate::TaskInfo,
    /// What the new guest will be unlike what was asked (a disk imported from an image
    /// takes the image's size).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A firewall's rules and options, as PVE reports them (options are a flat object).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirewallInfo {
    /// `cluster`, `node NAME` or `guest VMID`.
    pub scope: String,
    pub rules: Vec<FirewallRule>,
    pub options: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirewallRule {
    pub pos: u32,
    /// `in`, `out`, `forward` or `group`.
    #[serde(rename = "type")]
    pub rule_type: String,
    pub action: String,
    pub enable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proto: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dport: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sport: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub macro_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iface: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A resource pool and, when one pool was asked for, its members in scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolInfo {
    pub pool: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<PoolMember>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolMember {
    /// `qemu`, `lxc` or `storage`.
    #[serde(rename = "type")]
    pub member_type: String,
    /// The guest's vmid, or absent for a storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmid: Option<VmId>,
    /// The guest's name or the storage id.
    pub name: String,
    pub node: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
}

/// HA resources (of guests in scope) and HA groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HaConfig {
    pub resources: Vec<HaResource>,
    /// HA groups (Proxmox VE 8).
    pub groups: Vec<HaGroup>,
    /// HA rules (Proxmox VE 9, which migrated groups to node-affinity rules): only
    /// rules whose guests are all in scope.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<HaRule>,
}

/// A PVE 9 HA rule: where guests run (`node-affinity`) or whether they run together
/// (`resource-affinity`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HaRule {
    pub rule: String,
    /// `node-affinity` or `resource-affinity`.
    pub rule_type: String,
    /// `vm:101,ct:102`.
    pub resources: String,
    /// Node affinity: `node[:priority],...`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<String>,
    /// Resource affinity: `positive` or `negative`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub strict: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HaResource {
    /// `vm:101`, `ct:102`.
    pub sid: String,
    pub vmid: VmId,
    /// `started`, `stopped`, `disabled`, `ignored`.
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_restart: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_relocate: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HaGroup {
    pub group: String,
    /// `node[:priority],...`
    pub nodes: String,
    pub restricted: bool,
    pub nofailback: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl FromStr for DownloadContent {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        match s {
            "iso" => Ok(Self::Iso),
            "vztmpl" => Ok(Self::Vztmpl),
            _ => invalid(format!("content {:?} must be iso or vztmpl", shown(s))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_ids_are_relative_and_tell_their_backup() {
        let v = VolumeId::parse("nas:backup/vzdump-qemu-101-2024_12_02-03_00_00.vma.zst").unwrap();
        assert_eq!(v.storage(), "nas");
        assert_eq!(v.content(), Some("backup"));
        assert_eq!(
            v.backup_of(),
            Some((GuestType::Qemu, VmId::new(101).unwrap()))
        );
        assert_eq!(
            VolumeId::parse("local:iso/x.iso").unwrap().content(),
            Some("iso")
        );
        assert_eq!(
            VolumeId::parse("local-lvm:vm-101-disk-0")
                .unwrap()
                .content(),
            Some("images")
        );
        for bad in [
            "local",
            "local:",
            "local:/etc/passwd",
            "local:iso/../../etc",
            "local:iso//x",
            "local:iso/x y",
            ":iso/x",
            "l:iso/x",
            "local:iso/x\n",
        ] {
            assert!(VolumeId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn disk_keys_cover_pve_slots_only() {
        for k in [
            "scsi0",
            "scsi30",
            "virtio15",
            "sata5",
            "ide3",
            "efidisk0",
            "tpmstate0",
            "rootfs",
            "mp0",
            "mp255",
            "unused7",
        ] {
            assert!(is_disk_key(k), "{k}");
        }
        for k in [
            "scsi31", "scsi01", "scsi", "net0", "ide4", "mp256", "rootfs0", "efidisk1",
        ] {
            assert!(!is_disk_key(k), "{k}");
        }
        assert!(DiskSlot::parse("unused0").is_err());
    }

    #[test]
    fn config_values_and_keys() {
        assert!(ConfigKey::parse("ipconfig0").is_ok());
        for bad in ["lxc.apparmor.profile", "Cores", "0net", "", "a b"] {
            assert!(ConfigKey::parse(bad).is_err(), "{bad:?}");
        }
        let raw = ConfigKey::parse("lxc.mount.entry").unwrap_err().0;
        assert!(raw.contains("fixed floor"), "{raw}");
        let m: ConfigMap =
            serde_json::from_str(r#"{"cores": 4, "onboot": true, "description": "a\nb"}"#).unwrap();
        assert_eq!(m.get("cores").unwrap().as_str(), "4");
        assert_eq!(m.get("onboot").unwrap().as_str(), "1");
        assert!(serde_json::from_str::<ConfigMap>(r#"{"name": "a\u0000b"}"#).is_err());
        assert!(serde_json::from_str::<ConfigMap>(r#"{"cores": 1.5}"#).is_err());
    }

    #[test]
    fn passwords_only_as_hashes_and_never_shown() {
        let h = PasswordHash::parse("$6$saltsalt$abcdefghijklmnopqrstuv./0123456789").unwrap();
        assert_eq!(format!("{h:?}"), "PasswordHash(..)");
        for clear in ["hunter2", "$6$", "$7$abcdefgh$x", "$6$salt salt$abc"] {
            assert!(PasswordHash::parse(clear).is_err(), "{clear:?}");
        }
    }

    #[test]
    fn urls_names_and_checksums() {
        assert!(HttpsUrl::parse("https://releases.ubuntu.com/24.04/ubuntu.iso").is_ok());
        for bad in [
            "http://x/y",
            "https://",
            "https://user@host/x",
            "https://h/a b",
            "file:///etc/passwd",
            "https://h/\"x",
            "https://h/releases/../daily/x.img",
            "https://h/releases/%2e%2e/daily/x.img",
            "https://h/releases/%2E%2E/daily/x.img",
            "https://h/releases/.%2e/x.img",
            "https://h/releases%2f..%2fx.img",
            "https://h/releases/./x.img",
            "https://h/releases//x.img",
            "https://h/releases/..",
        ] {
            assert!(HttpsUrl::parse(bad).is_err(), "{bad:?}");
        }
        let f = FileName::parse("debian-12.iso").unwrap();
        assert!(f.fits(DownloadContent::Iso) && !f.fits(DownloadContent::Vztmpl));
        assert!(FileName::parse("../x.iso").is_err() && FileName::parse(".x.iso").is_err());
        let c = Checksum {
            algorithm: ChecksumAlgorithm::Sha256,
            value: "ab".repeat(32),
        };
        assert!(c.check().is_ok());
        assert!(
            Checksum {
                value: "AB".repeat(32),
                ..c
            }
            .check()
            .is_err()
        );
    }

    #[test]
    fn ssh_keys_and_numbers() {
        assert!(SshKeys::new(vec![format!("ssh-ed25519 {} me@host", "A".repeat(68))]).is_ok());
        assert!(SshKeys::new(vec!["ssh-ed25519 AAAA\ncommand=x".into()]).is_err());
        assert!(SshKeys::new(vec!["ssh-dss AAAAAAAAAAAAAAAAAAAAAAA".into()]).is_err());
        assert!(Cores::new(0).is_err() && Cores::new(1025).is_err() && Cores::new(8).is_ok());
        assert!(serde_json::from_str::<MemoryMib>("8").is_err());
        assert!(serde_json::from_str::<DiskGib>("-1").is_err());
    }

    #[test]
    fn requests_refuse_unknown_fields() {
        let ok = r#"{"type":"qemu","node":"pve1","name":"web1","cores":2,"memory_mib":2048,
                     "disk":{"storage":"local-lvm","size_gib":16}}"#;
        assert!(serde_json::from_str::<GuestCreate>(ok).is_ok());
        let extra = ok.replace("\"cores\"", "\"hostpci0\":\"x\",\"cores\"");
        assert!(serde_json::from_str::<GuestCreate>(&extra).is_err());
        let c: GuestClone = serde_json::from_str(r#"{"vmid":109}"#).unwrap();
        assert!(c.full);
    }
}
