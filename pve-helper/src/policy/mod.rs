//! The policy: what a connected client may see and do. Parsed from `policy.toml`
//! (untrusted admin input, every error reported with its position), then judged purely
//! by [`decide`]; nothing here does I/O except [`Policy::load`] reading the file and
//! resolving command paths. This file is the face: the entry points that load, parse
//! and summarise a policy, and [`PolicyError`]. The validated policy is `model`, its
//! parser `parse`; `decide` judges over `facts` and returns a `decision`.

mod api_call;
mod api_class;
mod bounds;
mod config_file;
mod decide;
mod decision;
mod facts;
pub mod firewall;
pub(crate) mod floor;
mod lifecycle_rules;
mod model;
mod parse;
mod pattern;
pub mod refs;
mod selector;
mod summary;
#[cfg(test)]
mod tests;

pub use api_call::{Analysis, Mention, analyze};
pub use api_class::{Class, Filter, Typed};
pub use bounds::{Denial, Origin, numbered, size_gib, tags_of};
pub use config_file::{ConfigFile, GuestSettings, parse_config_text};
pub use decide::{
    config_vmids, create_settings, decide, equivalent_request, local_disk_storages, named_task,
    node_task_names_no_guest, raw_create_vmid, referenced_vmids,
};
pub use decision::{Decision, Rule};
pub use facts::{Facts, GuestAttrs, GuestFacts};
pub use floor::{config_floor, floor_reason, inherited_floor};
pub use lifecycle_rules::{AgentRules, Bounds, ConfigKeys, Create, Media, VolumePattern};
pub use model::{ApiRule, ClientSpec, CommandRules, Grant, Limits, Operation, Policy, Scope};
pub use parse::{COMMAND_PATH, Diagnostic, Severity, client_positions, is_login_name};
pub use pattern::{ArgPattern, CommandRule, PathPattern, is_plain_arg};
pub use refs::task_guest;
pub use selector::{Selector, Term};
pub(crate) use summary::get_allowed;

use std::path::{Path, PathBuf};

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
        parse::parse(text, path, None).map_err(PolicyError::Invalid)
    }

    /// Validates the text of `login`'s own policy (`clients.d/LOGIN.toml`): its
    /// `[clients]` may be left out and names no one but `login`.
    pub fn parse_own(
        text: &str,
        path: &Path,
        login: &str,
    ) -> Result<(Self, Vec<Diagnostic>), PolicyError> {
        parse::parse(text, path, Some(login)).map_err(PolicyError::Invalid)
    }

    /// A short human summary, as `pve-helper check` prints it.
    pub fn summary(&self) -> String {
        summary::render(self)
    }

    /// Whether `[api] allow` lets `GET path` through (the fixed floor aside).
    pub fn allows_get(&self, path: &str) -> bool {
        summary::get_allowed(self, path)
    }

    /// What this policy lets a client do, for the front.
    pub fn capabilities(&self) -> pve_mcp_proto::Capabilities {
        summary::capabilities(self)
    }
}
