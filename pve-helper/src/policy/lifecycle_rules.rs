//! What the lifecycle sections allow, as `decide` reads them: `[create]` (what new
//! guests may be), `[bounds]` (sizes and places of every new or changed guest),
//! `[config]` (changeable keys), `[storage]` (ISO images and templates) and `[agent]`
//! (programs the guest agent may run). Built only by `parse::lifecycle_sections`, so
//! every value here was validated there; matching requests against them is pure.

use super::pattern::ArgPattern;
use pve_mcp_proto::{Argv, Bridge, GuestType, HttpsUrl, NodeName, PoolName, StorageId, Tag, VmId};
use std::{fmt, time::Duration};

/// `[create]`: the vmids, kinds, nodes, pool and tags of new guests.
#[derive(Debug, Clone)]
pub struct Create {
    /// Kinds that may be created from scratch (clones and restores need none).
    pub types: Vec<GuestType>,
    pub vmids: (VmId, VmId),
    pub nodes: Vec<NodeName>,
    /// Every new guest goes into this pool.
    pub pool: Option<PoolName>,
    /// Every new guest carries these tags.
    pub tags: Vec<Tag>,
}

impl Create {
    pub fn vmid_allowed(&self, vmid: VmId) -> bool {
        (self.vmids.0..=self.vmids.1).contains(&vmid)
    }

    pub fn vmids_text(&self) -> String {
        format!("{}-{}", self.vmids.0, self.vmids.1)
    }

    /// The tags every new guest carries that `tags` lacks (compared without case,
    /// as `tag:` selectors compare them).
    pub fn missing_tags(&self, tags: &[String]) -> Vec<&str> {
        self.tags
            .iter()
            .map(|t| t.as_str())
            .filter(|t| !tags.iter().any(|i| i.eq_ignore_ascii_case(t)))
            .collect()
    }
}

/// `[bounds]`: limits every created, cloned, restored or reconfigured guest stays
/// within. An absent limit refuses any request that would set that value.
#[derive(Debug, Clone, Default)]
pub struct Bounds {
    pub max_cores: Option<u64>,
    pub max_memory_mib: Option<u64>,
    pub max_disk_gib: Option<u64>,
    pub storages: Vec<StorageId>,
    pub bridges: Vec<Bridge>,
    pub sources: Vec<VolumePattern>,
}

/// A volume pattern: `STORAGE:PATH` where `*` matches within one path component,
/// e.g. `local:iso/*` or `local:vztmpl/debian-*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumePattern {
    storage: StorageId,
    path: String,
}

impl VolumePattern {
    pub fn parse(s: &str) -> Result<Self, String> {
        let (storage, path) = s.split_once(':').ok_or_else(|| {
            format!("volume pattern {s:?} must be STORAGE:PATH, e.g. \"local:iso/*\"")
        })?;
        let storage = StorageId::parse(storage).map_err(|e| e.to_string())?;
        let sample = path.replace('*', "x");
        pve_mcp_proto::VolumeId::parse(&format!("{storage}:{sample}"))
            .map_err(|e| format!("volume pattern {s:?}: {e}"))?;
        Ok(Self {
            storage,
            path: path.to_owned(),
        })
    }

    pub fn matches(&self, volume: &str) -> bool {
        let Some((storage, path)) = volume.split_once(':') else {
            return false;
        };
        storage == self.storage.as_str() && glob(&self.path, path)
    }
}

/// `*` matches any run of characters other than `/`.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            let Some(rest) = text.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len())
                .take_while(|&i| !rest[..i].contains('/'))
                .any(|i| rest.is_char_boundary(i) && glob(tail, &rest[i..]))
        }
    }
}

impl fmt::Display for VolumePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.storage, self.path)
    }
}

/// `[config] keys`: exact keys (`cores`) or numbered families (`net*` matches `net0`,
/// `net1`, ...).
#[derive(Debug, Clone, Default)]
pub struct ConfigKeys(pub Vec<String>);

impl ConfigKeys {
    /// The entry that lists `key`, if any.
    pub fn listing(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|p| key_matches(p, key))
            .map(String::as_str)
    }
}

fn key_matches(pattern: &str, key: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => key
            .strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())),
        None => pattern == key,
    }
}

/// `[storage]`: where ISO images and container templates may be downloaded to or
/// deleted from, and from which URL prefixes.
#[derive(Debug, Clone, Default)]
pub struct Media {
    pub storages: Vec<StorageId>,
    pub download_from: Vec<String>,
    pub delete: bool,
}

impl Media {
    pub fn url_allowed(&self, url: &HttpsUrl) -> Option<&str> {
        self.download_from
            .iter()
            .find(|p| url.as_str().starts_with(p.as_str()))
            .map(String::as_str)
    }
}

/// `[agent]`: argv patterns the guest agent may run, and their limits.
#[derive(Debug, Clone)]
pub struct AgentRules {
    pub exec: Vec<Vec<ArgPattern>>,
    pub timeout: Duration,
    pub max_output_bytes: usize,
}

impl Default for AgentRules {
    fn default() -> Self {
        Self {
            exec: Vec::new(),
            timeout: Duration::from_secs(30),
            max_output_bytes: 64 * 1024,
        }
    }
}

impl AgentRules {
    /// The index of the first pattern `argv` matches, argument for argument.
    pub fn matching(&self, argv: &Argv) -> Option<usize> {
        let args = argv.args();
        self.exec.iter().position(|p| {
            p.len() == args.len() && p.iter().zip(args).all(|(p, a)| p.matches_arg(a))
        })
    }

    pub fn render(pattern: &[ArgPattern]) -> String {
        pattern
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }
}
