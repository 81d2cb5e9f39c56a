//! Values of storage: storage ids, content types, volume ids (and the backup they
//! name), and what a download may fetch (an https URL, a file name, a checksum).

use super::{GuestType, InvalidValue, VmId, invalid, shown, truncate};
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

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
