//! The firewall writes of a guest, as pve-firewall's `PVE::API2::Firewall::VMRules`,
//! `CTRules` and the guest options make them on `{vmid}.fw`: `POST .../rules` puts the
//! new rule at the top (`unshift`; `pos` is not read), disabled unless `enable` is
//! given; `PUT .../rules/{pos}` and `DELETE .../rules/{pos}` first check the list's
//! `digest` when given (`assert_if_modified`) and that a rule is at `pos`; a `PUT`
//! with a `moveto` other than `pos` only moves the rule (before the rule that was at
//! `moveto`, or last), otherwise it sets fields and removes those `delete` names
//! (`verify_rule` then judges the rule); `PUT .../options` sets options. A guest's file
//! starts as the dataset's ([`super::firewall`]) on the first write. Parameters were
//! judged by the published schema before; the values here are still untrusted.

use serde_json::{Map, Value, json};

use super::firewall::{digest_of, role_rules};
use crate::sim::cluster::state::Cluster;
use crate::sim::errors::ApiError;
use crate::sim::params::Params;

/// A guest's `{vmid}.fw` once written.
#[derive(Debug, Clone, Default)]
pub struct FwFile {
    pub rules: Vec<Map<String, Value>>,
    pub options: Map<String, Value>,
}

/// Which write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FwWrite {
    Add,
    Update(String),
    Delete(String),
    Options,
}

/// The rule fields `copy_rule_data` copies.
const RULE_FIELDS: &[&str] = &[
    "type",
    "action",
    "macro",
    "source",
    "dest",
    "proto",
    "dport",
    "sport",
    "comment",
    "iface",
    "log",
    "icmp-type",
];

/// Macros the simulator knows (a part of pve-firewall's `$pve_fw_macros`).
const MACROS: &[&str] = &[
    "SSH",
    "HTTP",
    "HTTPS",
    "Ping",
    "DNS",
    "SMTP",
    "IMAP",
    "IMAPS",
    "NTP",
    "MySQL",
    "PostgreSQL",
    "RDP",
    "Web",
    "Telnet",
    "FTP",
    "SNMP",
    "VNC",
];

fn internal(msg: String) -> ApiError {
    ApiError::Internal(msg)
}

impl Cluster {
    /// The guest's firewall file, made from the dataset's on first use.
    fn fw_file(&mut self, vmid: u32) -> &mut FwFile {
        let role = self.guest(vmid).and_then(|g| g.firewall);
        self.fw_files.entry(vmid).or_insert_with(|| match role {
            Some(role) => FwFile {
                rules: role_rules(role),
                options: super::firewall::role_options(),
            },
            None => FwFile::default(),
        })
    }

    /// Runs firewall write `w` on guest `vmid`: `null` as pve-firewall answers.
    pub fn fw_write(&mut self, vmid: u32, w: &FwWrite, params: &Params) -> Result<Value, ApiError> {
        if self.guest(vmid).is_none() {
            return Err(internal(format!("VM {vmid} does not exist\n")));
        }
        let file = self.fw_file(vmid);
        match w {
            FwWrite::Options => {
                if let Some(d) = params.get("digest")
                    && d != digest_of(std::slice::from_ref(&file.options))
                {
                    return Err(modified());
                }
                for (k, v) in params.iter() {
                    if matches!(k, "node" | "vmid" | "digest" | "delete") {
                        continue;
                    }
                    file.options.insert(k.to_owned(), scalar(k, v));
                }
                for k in params
                    .get("delete")
                    .unwrap_or_default()
                    .split([',', ';', ' '])
                {
                    file.options.remove(k);
                }
                return Ok(Value::Null);
            }
            FwWrite::Add => {
                let mut rule = Map::new();
                copy(&mut rule, params);
                verify(&mut rule)?;
                if params.get("enable").is_none() {
                    rule.insert("enable".into(), json!(0));
                }
                file.rules.insert(0, rule);
                return Ok(Value::Null);
            }
            FwWrite::Update(_) | FwWrite::Delete(_) => {}
        }
        if let Some(d) = params.get("digest")
            && d != digest_of(&file.rules)
        {
            return Err(modified());
        }
        let raw = match w {
            FwWrite::Update(p) | FwWrite::Delete(p) => p,
            _ => "",
        };
        let pos: usize = raw.parse().unwrap_or(usize::MAX);
        if pos >= file.rules.len() {
            return Err(internal(format!("no rule at position {raw}\n")));
        }
        if let FwWrite::Delete(_) = w {
            file.rules.remove(pos);
            return Ok(Value::Null);
        }
        let moveto = params.get("moveto").and_then(|m| m.parse::<usize>().ok());
        match moveto {
            Some(to) if to != pos => {
                let rule = file.rules[pos].clone();
                let mut out = Vec::with_capacity(file.rules.len());
                for (i, r) in file.rules.iter().enumerate() {
                    if i == pos {
                        continue;
                    }
                    if i == to {
                        out.push(rule.clone());
                    }
                    out.push(r.clone());
                }
                if to >= file.rules.len() {
                    out.push(rule);
                }
                file.rules = out;
            }
            _ => {
                let mut rule = file.rules[pos].clone();
                copy(&mut rule, params);
                for k in params
                    .get("delete")
                    .unwrap_or_default()
                    .split([',', ';', ' '])
                {
                    if k != "type" && k != "action" {
                        rule.remove(k);
                    }
                }
                verify(&mut rule)?;
                file.rules[pos] = rule;
            }
        }
        Ok(Value::Null)
    }
}

fn modified() -> ApiError {
    internal("detected modified configuration - file changed by other user? Try again.\n".into())
}

fn scalar(k: &str, v: &str) -> Value {
    match k {
        "enable" | "dhcp" | "ipfilter" | "macfilter" | "ndp" | "radv" => {
            json!(i64::from(matches!(v, "1" | "true" | "yes" | "on")))
        }
        _ => json!(v),
    }
}

/// `copy_rule_data`: the fields given, `enable` as a number.
fn copy(rule: &mut Map<String, Value>, params: &Params) {
    for k in RULE_FIELDS {
        if let Some(v) = params.get(k) {
            if v.is_empty() {
                rule.remove(*k);
            } else {
                rule.insert((*k).to_owned(), json!(v));
            }
        }
    }
    if let Some(e) = params.get("enable") {
        let on = e.parse::<i64>().map(|n| n != 0).unwrap_or(false);
        rule.insert("enable".into(), json!(i64::from(on)));
    }
}

/// `verify_rule` for a guest: the type, the action, a known macro, ports only with a
/// protocol that has them, and the `ipversion` its addresses imply.
fn verify(rule: &mut Map<String, Value>) -> Result<(), ApiError> {
    let view = rule.clone();
    let get = |k: &str| view.get(k).and_then(Value::as_str).map(str::to_owned);
    let mut errors = std::collections::BTreeMap::new();
    match (get("type").as_deref(), get("action").as_deref()) {
        (Some("in" | "out"), Some("ACCEPT" | "DROP" | "REJECT")) => {}
        (Some("in" | "out"), Some(a)) => {
            errors.insert("action".to_owned(), format!("unknown action '{a}'"));
        }
        (Some("group"), Some(g)) => {
            errors.insert("action".to_owned(), format!("no such security group '{g}'"));
        }
        (Some(t), _) => {
            errors.insert("type".to_owned(), format!("unknown rule type '{t}'"));
        }
        (None, _) => {
            errors.insert("type".to_owned(), "property is missing".to_owned());
        }
    }
    if let Some(m) = get("macro") {
        match MACROS.iter().find(|k| k.eq_ignore_ascii_case(&m)) {
            Some(k) => {
                rule.insert("macro".into(), json!(k));
            }
            None => {
                errors.insert("macro".to_owned(), format!("unknown macro '{m}'"));
            }
        }
    }
    for port in ["dport", "sport"] {
        if rule.contains_key(port) {
            match get("proto").as_deref() {
                Some("tcp" | "udp" | "dccp" | "sctp" | "udplite") => {}
                Some(p) => {
                    errors.insert(
                        "proto".to_owned(),
                        format!("protocol '{p}' does not support ports"),
                    );
                }
                None if get("macro").is_none() => {
                    errors.insert(
                        "proto".to_owned(),
                        format!("missing property - '{port}' requires 'proto'"),
                    );
                }
                None => {}
            }
        }
    }
    let family = |k: &str| {
        view.get(k).and_then(Value::as_str).and_then(|a| {
            if a.contains(':') {
                Some(6)
            } else if a.contains('.') {
                Some(4)
            } else {
                None
            }
        })
    };
    match (family("source"), family("dest")) {
        (Some(a), Some(b)) if a != b => {
            errors.insert(
                "dest".to_owned(),
                "different IP version than source".to_owned(),
            );
        }
        (Some(v), _) | (None, Some(v)) => {
            rule.insert("ipversion".into(), json!(v));
        }
        (None, None) => {
            rule.remove("ipversion");
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Param(errors))
    }
}
