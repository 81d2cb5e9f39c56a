//! Guest selectors: `*`, `101`, `100-199`, `pool:NAME`, `tag:NAME`, `node:NAME`,
//! `type:qemu|lxc`, and their combinations with `&` (all must match), e.g.
//! `pool:lab&type:lxc`.

use super::facts::GuestAttrs;
use pve_mcp_proto::{GuestType, NodeName, PoolName, Tag, VmId};
use std::fmt;

/// One condition on a guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    All,
    Range(VmId, VmId),
    Pool(String),
    Tag(String),
    Node(NodeName),
    Type(GuestType),
}

impl Term {
    pub fn matches(&self, g: &(impl GuestAttrs + ?Sized)) -> bool {
        match self {
            Self::All => true,
            Self::Range(lo, hi) => (*lo..=*hi).contains(&g.vmid()),
            Self::Pool(p) => g.pool() == Some(p.as_str()),
            Self::Tag(t) => g.tags().iter().any(|x| x.eq_ignore_ascii_case(t)),
            Self::Node(n) => g.node() == n,
            Self::Type(t) => g.guest_type() == *t,
        }
    }

    /// Whether deciding this term needs the guest's data from Proxmox.
    pub fn needs_facts(&self) -> bool {
        !matches!(self, Self::All | Self::Range(..))
    }

    fn parse(s: &str) -> Result<Self, String> {
        let err = |e: pve_mcp_proto::InvalidValue| e.to_string();
        if s == "*" {
            return Ok(Self::All);
        }
        if let Some((kind, value)) = s.split_once(':') {
            return match kind {
                "pool" => PoolName::parse(value)
                    .map(|p| Self::Pool(p.to_string()))
                    .map_err(err),
                "tag" => Tag::parse(value)
                    .map(|t| Self::Tag(t.to_string()))
                    .map_err(err),
                "node" => NodeName::parse(value).map(Self::Node).map_err(err),
                "type" => value.parse().map(Self::Type).map_err(err),
                _ => Err(format!(
                    "unknown selector kind {kind:?}: use pool:, tag:, node: or type:"
                )),
            };
        }
        let (lo, hi) = s.split_once('-').unwrap_or((s, s));
        let lo: VmId = lo.parse().map_err(err)?;
        let hi: VmId = hi.parse().map_err(err)?;
        if lo > hi {
            return Err(format!("range {s:?} is empty: {lo} is greater than {hi}"));
        }
        Ok(Self::Range(lo, hi))
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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

/// A selector: every term must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub terms: Vec<Term>,
}

impl Selector {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.trim() != s || s.is_empty() {
            return Err(format!("selector {s:?} is empty or has surrounding spaces"));
        }
        let terms = s
            .split('&')
            .map(Term::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if terms.len() > 1 && terms.contains(&Term::All) {
            return Err(format!("in {s:?}, \"*\" cannot be combined"));
        }
        let ranges = terms
            .iter()
            .filter(|t| matches!(t, Term::Range(..)))
            .count();
        let types = terms.iter().filter(|t| matches!(t, Term::Type(_))).count();
        let nodes = terms.iter().filter(|t| matches!(t, Term::Node(_))).count();
        let pools = terms.iter().filter(|t| matches!(t, Term::Pool(_))).count();
        if ranges > 1 || types > 1 || nodes > 1 || pools > 1 {
            return Err(format!(
                "{s:?} combines two conditions of a kind a guest has only one of; \
                 list them as separate selectors instead"
            ));
        }
        Ok(Self { terms })
    }

    pub fn matches(&self, g: &(impl GuestAttrs + ?Sized)) -> bool {
        self.terms.iter().all(|t| t.matches(g))
    }

    pub fn is_all(&self) -> bool {
        self.terms == [Term::All]
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str("&")?;
            }
            t.fmt(f)?;
        }
        Ok(())
    }
}
