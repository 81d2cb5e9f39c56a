//! The policy: what a connected client may see and do. Parsed from `policy.toml`
//! (untrusted admin input, every error reported with its position), then judged purely
//! by [`decide`]; nothing here does I/O except [`Policy::load`] reading the file.

mod decide;
mod floor;
mod parse;
mod pattern;
mod summary;
#[cfg(test)]
mod tests;

pub use decide::{Decision, Facts, GuestFacts, decide, referenced_vmids};
pub use floor::floor_reason;
pub use parse::{Diagnostic, Severity};
pub use pattern::{ArgPattern, CommandRule, PathPattern};

use pve_mcp_proto::{ApiMethod, GuestAction, GuestType, NodeName, VmId};
use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    time::Duration,
};

/// A validated policy. Build it with [`Policy::parse`] or [`Policy::load`].
#[derive(Debug, Clone)]
pub struct Policy {
    /// Where the policy came from, for error messages that say which file to edit.
    pub source: PathBuf,
    pub clients: Vec<ClientSpec>,
    pub guests: GuestRules,
    pub api: Vec<ApiRule>,
    pub commands: CommandRules,
}

/// A local user allowed to connect, by name or uid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientSpec {
    Name(String),
    Uid(u32),
}

/// Which guests are in scope and what may be done to them.
#[derive(Debug, Clone, Default)]
pub struct GuestRules {
    pub allow: Vec<Selector>,
    pub deny: Vec<Selector>,
    pub actions: BTreeSet<GuestAction>,
    /// Granted actions that need the user's confirmation.
    pub confirm: BTreeSet<GuestAction>,
}

/// One guest selector of `[guests] allow` or `deny`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    All,
    Range(VmId, VmId),
    Pool(String),
    Tag(String),
    Node(NodeName),
    Type(GuestType),
}

impl Selector {
    pub fn matches(&self, g: &GuestFacts) -> bool {
        match self {
            Self::All => true,
            Self::Range(lo, hi) => (*lo..=*hi).contains(&g.vmid),
            Self::Pool(p) => g.pool.as_deref() == Some(p.as_str()),
            Self::Tag(t) => g.tags.iter().any(|x| x.eq_ignore_ascii_case(t)),
            Self::Node(n) => &g.node == n,
            Self::Type(t) => g.guest_type == *t,
        }
    }
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::All => f.write_str("*"),
            Self::Range(lo, hi) if lo == hi => write!(f, "{lo}"),
            Self::Range(lo, hi) => write!(f, "{lo}-{hi}"),
            Self::Pool(p) => write!(f, "pool:{p}"),
            Self::Tag(t) => write!(f, "tag:{t}"),
            Self::Node(n) => write!(f, "node:{n}"),
            Self::Type(t) => write!(f, "type:{t}"),
        }
    }
}

/// One `[api] allow` entry: a method and a path pattern.
#[derive(Debug, Clone)]
pub struct ApiRule {
    pub method: ApiMethod,
    pub pattern: PathPattern,
}

impl std::fmt::Display for ApiRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.pattern)
    }
}

/// The `[commands]` section.
#[derive(Debug, Clone)]
pub struct CommandRules {
    pub allow: Vec<CommandRule>,
    pub timeout: Duration,
    pub max_output_bytes: usize,
}

impl CommandRules {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
    pub const MAX_TIMEOUT: Duration = Duration::from_secs(600);
    pub const DEFAULT_MAX_OUTPUT: usize = 64 * 1024;
    pub const MAX_OUTPUT: usize = 4 * 1024 * 1024;
}

impl Default for CommandRules {
    fn default() -> Self {
        Self {
            allow: Vec::new(),
            timeout: Self::DEFAULT_TIMEOUT,
            max_output_bytes: Self::DEFAULT_MAX_OUTPUT,
        }
    }
}

/// Why a policy could not be loaded: every problem, each with its position.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", render_errors(.0))]
    Invalid(Vec<Diagnostic>),
}

fn render_errors(d: &[Diagnostic]) -> String {
    d.iter()
        .filter(|d| d.severity == Severity::Error)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl Policy {
    /// Reads and validates a policy file.
    pub fn load(path: &Path) -> Result<(Self, Vec<Diagnostic>), PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Validates policy text; `path` is only used in messages. On success, returns the
    /// warnings too.
    pub fn parse(text: &str, path: &Path) -> Result<(Self, Vec<Diagnostic>), PolicyError> {
        let diags = parse::parse(text, path);
        match diags {
            Ok((policy, warnings)) => Ok((policy, warnings)),
            Err(errors) => Err(PolicyError::Invalid(errors)),
        }
    }

    /// Whether a guest is in scope: some `allow` selector matches and no `deny` one.
    /// Returns the matching allow selector.
    pub fn guest_scope(&self, g: &GuestFacts) -> Option<&Selector> {
        if self.guests.deny.iter().any(|s| s.matches(g)) {
            return None;
        }
        self.guests.allow.iter().find(|s| s.matches(g))
    }

    /// A short human summary, as `pve-helper check` prints it.
    pub fn summary(&self) -> String {
        summary::render(self)
    }

    /// What this policy lets a client do, for the front.
    pub fn capabilities(&self) -> pve_mcp_proto::Capabilities {
        summary::capabilities(self)
    }
}
