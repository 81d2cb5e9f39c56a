//! The parser of `[firewall]`: the bounds of guest firewall rules. Every entry is
//! read strictly (admin input); a malformed one is an error with its place, never
//! skipped.

use super::diagnostics::Ctx;
use crate::policy::firewall::{AddrSet, FirewallBounds, PortSet};
use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFirewall {
    #[serde(default)]
    directions: Vec<Spanned<String>>,
    #[serde(default)]
    actions: Vec<Spanned<String>>,
    #[serde(default)]
    groups: Vec<Spanned<String>>,
    #[serde(default)]
    protocols: Vec<Spanned<String>>,
    #[serde(default)]
    dports: Vec<Spanned<String>>,
    #[serde(default)]
    sports: Vec<Spanned<String>>,
    #[serde(default)]
    sources: Vec<Spanned<String>>,
    #[serde(default)]
    dests: Vec<Spanned<String>>,
    #[serde(default)]
    macros: Vec<Spanned<String>>,
    #[serde(default)]
    ifaces: Vec<Spanned<String>>,
}

/// A name of letters, digits, `-` and `_`, starting with a letter.
fn word(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.len() <= 64
        && c.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn words(
    cx: &mut Ctx,
    raw: Vec<Spanned<String>>,
    what: &str,
    ok: impl Fn(&str) -> bool,
    hint: &str,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in raw {
        let v = s.get_ref();
        if !ok(v) {
            cx.error(s.span(), format!("[firewall] {what} {v:?}: {hint}"));
        } else if out.contains(v) {
            cx.error(s.span(), format!("duplicate [firewall] {what} {v:?}"));
        } else {
            out.push(v.clone());
        }
    }
    out
}

fn set<T: Default>(
    cx: &mut Ctx,
    raw: Vec<Spanned<String>>,
    what: &str,
    parse: impl Fn(&[&str]) -> Result<T, String>,
) -> T {
    for s in &raw {
        if let Err(e) = parse(&[s.get_ref().as_str()]) {
            cx.error(s.span(), format!("[firewall] {what}: {e}"));
        }
    }
    let all: Vec<&str> = raw.iter().map(|s| s.get_ref().as_str()).collect();
    parse(&all).unwrap_or_default()
}

pub(super) fn firewall(cx: &mut Ctx, raw: RawFirewall) -> FirewallBounds {
    let summary = [
        ("directions", &raw.directions),
        ("actions", &raw.actions),
        ("groups", &raw.groups),
        ("protocols", &raw.protocols),
        ("dports", &raw.dports),
        ("sports", &raw.sports),
        ("sources", &raw.sources),
        ("dests", &raw.dests),
        ("macros", &raw.macros),
        ("ifaces", &raw.ifaces),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| {
        let items: Vec<&str> = v.iter().map(|s| s.get_ref().as_str()).collect();
        format!("{k}: {}", items.join(", "))
    })
    .collect();
    FirewallBounds {
        summary,
        directions: words(
            cx,
            raw.directions,
            "direction",
            |s| s == "in" || s == "out",
            "a direction is \"in\" or \"out\"",
        ),
        actions: words(
            cx,
            raw.actions,
            "action",
            |s| ["ACCEPT", "DROP", "REJECT"].contains(&s),
            "an action is \"ACCEPT\", \"DROP\" or \"REJECT\" (security groups go in groups)",
        ),
        groups: words(cx, raw.groups, "group", word, "not a security group name"),
        protocols: words(
            cx,
            raw.protocols,
            "protocol",
            |s| {
                !s.is_empty()
                    && s.len() <= 32
                    && s.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            },
            "a protocol is a lowercase name or number as /etc/protocols has it (tcp, udp, \
             icmp, ipv6-icmp, 47), or \"any\"",
        ),
        dports: set(cx, raw.dports, "dports", |v| {
            PortSet::parse(v.iter().copied())
        }),
        sports: set(cx, raw.sports, "sports", |v| {
            PortSet::parse(v.iter().copied())
        }),
        sources: set(cx, raw.sources, "sources", |v| {
            AddrSet::parse(v.iter().copied())
        }),
        dests: set(cx, raw.dests, "dests", |v| {
            AddrSet::parse(v.iter().copied())
        }),
        macros: words(
            cx,
            raw.macros,
            "macro",
            word,
            "not a macro name (SSH, HTTP)",
        ),
        ifaces: words(
            cx,
            raw.ifaces,
            "iface",
            |s| {
                !s.is_empty()
                    && s.len() <= 20
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            },
            "not an interface name (net0)",
        ),
    }
}
