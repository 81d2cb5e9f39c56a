//! `decide` for a change to a guest's firewall: `firewall.enable` for its `enable`
//! option; `firewall.rules` and `[firewall]` for its rules. A change by position is
//! judged on the rule it hits, as the facts hold the rules (their digest must be the
//! one the change was made against), and on the result. Rules outside the bounds
//! (an admin's) are never changed, moved or removed, and keep their precedence: a rule
//! is added, changed or moved only below every one of them. A raw rule or options
//! write is read here into the same request ([`raw`]). Pure.

use super::common::{allowed, denied, operation, permitted};
use super::raw_params::{bad, only, parsed, path_vmid};
use crate::policy::api_call::Analysis;
use crate::policy::config_file::GuestSettings;
use crate::policy::decision::{Decision, Rule};
use crate::policy::facts::Facts;
use crate::policy::firewall::{GuestRules, rule_fields};
use crate::policy::model::Policy;
use pve_mcp_proto::{
    ApiMethod, FirewallChange, FirewallEdit, FwFields, FwValue, GuestConfigure, Operation, Request,
};

pub(super) fn edit(policy: &Policy, e: &FirewallEdit, facts: &Facts) -> Decision {
    let d = operation(policy, e.vmid, e.operation(), e.confirmed, facts);
    if !permitted(&d) || matches!(e.change, FirewallChange::Enable { .. }) {
        return d;
    }
    let Some(current) = &facts.firewall else {
        return refuse(format!(
            "the firewall rules of guest {} could not be read, so no change is judged",
            e.vmid
        ));
    };
    if e.digest.is_none() && current.digest.is_some() {
        return refuse(format!(
            "give the digest of the firewall rules of guest {} as read (each rule of GET \
             .../firewall/rules carries it), so that the change cannot hit another rule",
            e.vmid
        ));
    }
    if e.digest.as_ref().map(|d| d.as_str()) != current.digest.as_deref() {
        return refuse(format!(
            "the firewall rules of guest {} changed since they were read (digest); read them \
             again",
            e.vmid
        ));
    }
    match rules_change(policy, &e.change, current) {
        Ok(()) => d,
        Err(why) => refuse(format!("guest {}: {why}", e.vmid)),
    }
}

fn refuse(reason: String) -> Decision {
    denied(Rule::Firewall, reason)
}

fn rules_change(
    policy: &Policy,
    change: &FirewallChange,
    current: &GuestRules,
) -> Result<(), String> {
    let b = &policy.firewall;
    let n = current.rules.len();
    let src = policy.source.display();
    let hit = |pos: u32| -> Result<usize, String> {
        let i = usize::try_from(pos).unwrap_or(usize::MAX);
        let rule = current
            .rules
            .get(i)
            .ok_or_else(|| format!("there is no rule at position {pos} ({n} rules)"))?;
        b.judge(rule).map_err(|why| {
            format!(
                "the rule at position {pos} is outside [firewall] in {src} ({why}), so it is \
                 neither changed, moved nor deleted"
            )
        })?;
        Ok(i)
    };
    let placed = |at: usize, except: Option<usize>| -> Result<(), String> {
        let floor = current.floor(b, except);
        if at < floor {
            return Err(format!(
                "position {at} is above a rule outside [firewall] in {src}; rules outside the \
                 bounds keep their precedence: use position {floor} or below"
            ));
        }
        Ok(())
    };
    match change {
        FirewallChange::Add { rule, pos } => {
            let rule = rule_fields(rule);
            b.judge(&rule)
                .map_err(|why| format!("the new rule is outside [firewall] in {src}: {why}"))?;
            let at = pos.map_or(current.floor(b, None), |p| {
                usize::try_from(p).unwrap_or(usize::MAX)
            });
            if at > n {
                return Err(format!("position {at} is past the end ({n} rules)"));
            }
            placed(at, None)
        }
        FirewallChange::Update { pos, set, delete } => {
            let i = hit(*pos)?;
            placed(i, Some(i))?;
            let mut after = current.rules[i].clone();
            after.extend(rule_fields(set));
            for key in delete {
                after.remove(key.as_str());
            }
            b.judge(&after).map_err(|why| {
                format!("the rule at position {pos} would be outside [firewall] in {src}: {why}")
            })
        }
        FirewallChange::Delete { pos } => hit(*pos).map(drop),
        FirewallChange::Move { pos, to } => {
            let i = hit(*pos)?;
            let to = usize::try_from(*to).unwrap_or(usize::MAX);
            if to >= n {
                return Err(format!("position {to} is past the end ({n} rules)"));
            }
            placed(to, Some(i))
        }
        FirewallChange::Enable { .. } => Ok(()),
    }
}

/// Whether a network device's value has its `firewall` flag on.
fn nic_firewall(value: Option<&str>) -> bool {
    value.is_some_and(|v| {
        v.split(',').any(|o| {
            // As PVE reads a boolean: 1, on, yes or true, in any case.
            o.strip_prefix("firewall=").is_some_and(|f| {
                ["1", "on", "yes", "true"]
                    .iter()
                    .any(|t| f.eq_ignore_ascii_case(t))
            })
        })
    })
}

/// A configuration change that turns a network device's `firewall` flag on or off
/// (`netN`, set anew) changes the guest's firewall as its `enable` option does: it needs
/// `firewall.enable` too. `None` when it changes no flag, or the grant allows it.
pub(super) fn nic_flags(
    policy: &Policy,
    c: &GuestConfigure,
    before: &GuestSettings,
    facts: &Facts,
) -> Option<Decision> {
    let is_nic = |k: &str| {
        k.strip_prefix("net")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    let flips = c.set.iter().any(|(k, v)| {
        is_nic(k.as_str())
            && nic_firewall(before.get(k.as_str()).map(String::as_str))
                != nic_firewall(Some(v.as_str()))
    });
    if !flips {
        return None;
    }
    let d = operation(
        policy,
        c.vmid,
        Operation::FirewallEnable,
        c.confirmed,
        facts,
    );
    (!allowed(&d)).then_some(d)
}

/// The fields of a rule a guest firewall write gives.
const RULE_FIELDS: &[&str] = &[
    "type", "action", "enable", "source", "dest", "proto", "dport", "sport", "macro", "iface",
    "log", "comment",
];

/// A guest firewall write as pve-firewall makes it: `POST .../rules` puts the rule at
/// the top (whatever `pos` says); `PUT .../rules/{pos}` with a `moveto` other than
/// `pos` only moves the rule (before the one at `moveto`, or last), and otherwise
/// changes it; `DELETE .../rules/{pos}` removes it; `PUT .../options` may only set
/// `enable`. The `digest` is the one the write was made against.
pub(super) fn raw(a: &Analysis) -> Result<Request, Decision> {
    let text = |name: &str| -> Result<Option<FwValue>, Decision> {
        a.param(name)
            .map(|v| parsed(a, FwValue::parse(v)))
            .transpose()
    };
    let truth = |name: &str, v: &str| -> Result<bool, Decision> {
        match v {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err(bad(a, format!("{name} {v:?} must be 0 or 1"))),
        }
    };
    let number = |name: &str| -> Result<u32, Decision> {
        let v = a.param(name).unwrap_or("");
        v.parse::<u32>()
            .map_err(|_| bad(a, format!("{name} {v:?} is not a position")))
    };
    let tool = "firewall_edit";
    let change = if a.endpoint.template.ends_with("/options") {
        only(a, &["enable", "digest"], tool)?;
        let Some(v) = a.param("enable") else {
            return Err(bad(
                a,
                "only the enable option is judged; give enable".into(),
            ));
        };
        FirewallChange::Enable {
            enable: truth("enable", v)?,
        }
    } else {
        let rule = || -> Result<FwFields, Decision> {
            Ok(FwFields {
                rule_type: text("type")?,
                action: text("action")?,
                enable: a.param("enable").map(|v| truth("enable", v)).transpose()?,
                source: text("source")?,
                dest: text("dest")?,
                proto: text("proto")?,
                dport: text("dport")?,
                sport: text("sport")?,
                macro_name: text("macro")?,
                iface: text("iface")?,
                log: text("log")?,
                comment: text("comment")?,
            })
        };
        match a.endpoint.method {
            ApiMethod::Post => {
                only(a, &[RULE_FIELDS, &["pos", "digest"]].concat(), tool)?;
                FirewallChange::Add {
                    rule: Box::new(rule()?),
                    pos: Some(0),
                }
            }
            ApiMethod::Delete => {
                only(a, &["pos", "digest"], tool)?;
                FirewallChange::Delete {
                    pos: number("pos")?,
                }
            }
            _ => {
                let pos = number("pos")?;
                match a.param("moveto").map(|_| number("moveto")).transpose()? {
                    Some(moveto) if moveto != pos => {
                        only(a, &["pos", "moveto", "digest"], tool)?;
                        FirewallChange::Move {
                            pos,
                            to: if moveto > pos { moveto - 1 } else { moveto },
                        }
                    }
                    _ => {
                        only(
                            a,
                            &[RULE_FIELDS, &["pos", "moveto", "digest", "delete"]].concat(),
                            tool,
                        )?;
                        let delete = a
                            .param("delete")
                            .map(|d| {
                                d.split([',', ';', ' '])
                                    .filter(|k| !k.is_empty())
                                    .map(|k| parsed(a, FwValue::parse(k)))
                                    .collect::<Result<Vec<_>, _>>()
                            })
                            .transpose()?
                            .unwrap_or_default();
                        FirewallChange::Update {
                            pos,
                            set: Box::new(rule()?),
                            delete,
                        }
                    }
                }
            }
        }
    };
    Ok(Request::FirewallEdit(FirewallEdit {
        vmid: path_vmid(a)?,
        change,
        digest: text("digest")?,
        confirmed: false,
    }))
}
