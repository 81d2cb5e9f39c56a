//! `[firewall]`: the bounds of the guest firewall rules a client may write, and the
//! judgment of one rule against them. A rule is a map of Proxmox's field names to
//! their values, as a request gives it or as Proxmox holds it; every field and every
//! spelling not understood here refuses the rule (fail closed). Pure.
//!
//! What a missing field means is judged too: a rule without `source` or `dest` reaches
//! every address (`0.0.0.0/0` and `::/0`), one without `proto` (and without a macro)
//! every protocol, one without `dport` every port of its protocol. A rule without
//! `sport` or `iface` is the usual case: any source port, every interface.

mod addrs;
mod ports;

pub use addrs::AddrSet;
pub use ports::PortSet;

use std::collections::BTreeMap;

/// A firewall rule: Proxmox's field names to their values.
pub type RuleFields = BTreeMap<String, String>;

/// The fields of a rule a request gives, as Proxmox names them.
pub fn rule_fields(f: &pve_mcp_proto::FwFields) -> RuleFields {
    f.pairs()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

/// A guest's firewall rules in order, with the list's digest (`None` for no rules:
/// Proxmox reports the digest on each rule).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuestRules {
    pub rules: Vec<RuleFields>,
    pub digest: Option<String>,
}

impl GuestRules {
    /// The rules of `GET .../firewall/rules` (each with `pos` and the list's `digest`),
    /// values as text; an entry of another shape is kept as text too, and so falls
    /// outside every bound.
    pub fn from_listing(raw: Vec<serde_json::Map<String, serde_json::Value>>) -> Self {
        let mut out = Self::default();
        for r in raw {
            let mut fields = RuleFields::new();
            for (k, v) in r {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                if k == "digest" {
                    out.digest = Some(v);
                } else if k != "pos" {
                    fields.insert(k, v);
                }
            }
            out.rules.push(fields);
        }
        out
    }

    /// The first position below every rule outside `bounds`, leaving out the rule at
    /// `except`: rules outside the bounds keep their precedence over every rule a
    /// client places, so a rule it adds or moves goes no higher.
    pub fn floor(&self, bounds: &FirewallBounds, except: Option<usize>) -> usize {
        let mut floor = 0;
        let mut at = 0;
        for (i, r) in self.rules.iter().enumerate() {
            if Some(i) == except {
                continue;
            }
            at += 1;
            if bounds.judge(r).is_err() {
                floor = at;
            }
        }
        floor
    }
}

/// The `[firewall]` section, validated. Empty: no rule is within the bounds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FirewallBounds {
    /// `in`, `out`.
    pub directions: Vec<String>,
    /// `ACCEPT`, `DROP`, `REJECT`.
    pub actions: Vec<String>,
    /// Security groups a rule of type `group` may name.
    pub groups: Vec<String>,
    /// Protocols (`tcp`, `udp`, `icmp`, ...), and `any` for a rule without one.
    pub protocols: Vec<String>,
    pub dports: PortSet,
    pub sports: PortSet,
    pub sources: AddrSet,
    pub dests: AddrSet,
    /// Macros (`SSH`, `HTTP`), compared as Proxmox does: without regard to case.
    pub macros: Vec<String>,
    /// Interfaces (`net0`) a rule may name; empty: rules name none.
    pub ifaces: Vec<String>,
    /// The section in the policy's words, one `key: values` line per entry set.
    pub summary: Vec<String>,
}

/// Fields Proxmox reports but no client writes: not judged.
const REPORTED: &[&str] = &["pos", "digest", "ipversion"];

/// Protocols whose rules have ports (as iptables takes `--dport`).
const PORTED: &[&str] = &[
    "tcp", "udp", "dccp", "sctp", "udplite", "6", "17", "33", "132", "136",
];

/// Log levels a rule may carry (`pve-fw-loglevel`).
const LOG_LEVELS: &[&str] = &[
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", "nolog",
];

impl FirewallBounds {
    /// Whether `rule` is within the bounds; otherwise which field is not, and why.
    pub fn judge(&self, rule: &RuleFields) -> Result<(), String> {
        for key in rule.keys() {
            let known = [
                "type", "action", "enable", "source", "dest", "proto", "dport", "sport", "macro",
                "iface", "log", "comment",
            ];
            if !known.contains(&key.as_str()) && !REPORTED.contains(&key.as_str()) {
                return Err(format!("field {key:?} is not within [firewall]"));
            }
        }
        let get = |k: &str| rule.get(k).map(String::as_str);
        if let Some(e) = get("enable")
            && e != "0"
            && e != "1"
        {
            return Err(format!("enable {e:?} must be 0 or 1"));
        }
        if let Some(l) = get("log")
            && !LOG_LEVELS.contains(&l)
        {
            return Err(format!("log {l:?} is not a log level"));
        }
        self.iface(get("iface"))?;
        let action = get("action").ok_or("the rule has no action")?;
        match get("type") {
            Some("group") => {
                if let Some(k) = ["source", "dest", "proto", "dport", "sport", "macro"]
                    .into_iter()
                    .find(|k| rule.contains_key(*k))
                {
                    return Err(format!("a security group rule cannot have {k}"));
                }
                if !self.groups.iter().any(|g| g == action) {
                    return Err(format!(
                        "security group {action:?} is not in [firewall] groups{}",
                        listed(&self.groups)
                    ));
                }
                Ok(())
            }
            Some(dir) if self.directions.iter().any(|d| d == dir) => {
                if !self.actions.iter().any(|a| a == action) {
                    return Err(format!(
                        "action {action:?} is not in [firewall] actions{}",
                        listed(&self.actions)
                    ));
                }
                self.matches(rule)
            }
            Some(dir) => Err(format!(
                "direction (type) {dir:?} is not in [firewall] directions{}",
                listed(&self.directions)
            )),
            None => Err("the rule has no type (direction)".into()),
        }
    }

    /// What an `in`/`out` rule matches: macro, protocol, ports and addresses.
    fn matches(&self, rule: &RuleFields) -> Result<(), String> {
        let get = |k: &str| rule.get(k).map(String::as_str);
        let macro_name = get("macro");
        if let Some(m) = macro_name
            && !self.macros.iter().any(|a| a.eq_ignore_ascii_case(m))
        {
            return Err(format!(
                "macro {m:?} is not in [firewall] macros{}",
                listed(&self.macros)
            ));
        }
        let ported = match get("proto") {
            Some(p) if self.protocols.iter().any(|a| a == p) => PORTED.contains(&p),
            Some(p) => {
                return Err(format!(
                    "proto {p:?} is not in [firewall] protocols{}",
                    listed(&self.protocols)
                ));
            }
            None if macro_name.is_some() => false,
            None if self.protocols.iter().any(|a| a == "any") => true,
            None => {
                return Err(
                    "a rule without proto (or macro) matches every protocol: [firewall] \
                     protocols does not list \"any\""
                        .into(),
                );
            }
        };
        match get("dport") {
            Some(d) => self.dports.judge("dport", d)?,
            None if ported => self.dports.judge_all("dport")?,
            None => {}
        }
        if let Some(s) = get("sport") {
            self.sports.judge("sport", s)?;
        }
        self.sources.judge("source", get("source"))?;
        self.dests.judge("dest", get("dest"))
    }

    fn iface(&self, iface: Option<&str>) -> Result<(), String> {
        match iface {
            None => Ok(()),
            Some(i) if self.ifaces.iter().any(|a| a == i) => Ok(()),
            Some(i) => Err(format!(
                "iface {i:?} is not in [firewall] ifaces{}",
                listed(&self.ifaces)
            )),
        }
    }
}

/// ` (a, b)`, or ` (empty)`, for messages.
fn listed(items: &[String]) -> String {
    if items.is_empty() {
        " (it lists none)".into()
    } else {
        format!(" ({})", items.join(", "))
    }
}

#[cfg(test)]
mod tests;
