//! Values of a guest firewall rule as Proxmox spells them (`dport`, `source`, ...):
//! one line of printable text each. What a value means (ports, addresses, names) is
//! read and bounded by the helper against `[firewall]`, not here.

use super::{InvalidValue, invalid, shown};
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// One field of a firewall rule: 1 to 512 bytes, no control characters.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FwValue(String);
string_newtype!(FwValue);

impl FwValue {
    pub const MAX: usize = 512;

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        if s.is_empty() || s.len() > Self::MAX {
            return invalid(format!(
                "a firewall rule field must be 1 to {} bytes",
                Self::MAX
            ));
        }
        if s.chars().any(char::is_control) {
            return invalid("a firewall rule field contains a control character");
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Debug for FwValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", shown(&self.0))
    }
}

/// The fields of a guest firewall rule, each optional (for a change, only those that
/// change), by Proxmox's names.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FwFields {
    /// `in`, `out`, or `group` (a security group's rules).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub rule_type: Option<FwValue>,
    /// `ACCEPT`, `DROP`, `REJECT`, or a security group's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<FwValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<FwValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dest: Option<FwValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proto: Option<FwValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dport: Option<FwValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sport: Option<FwValue>,
    #[serde(rename = "macro", skip_serializing_if = "Option::is_none")]
    pub macro_name: Option<FwValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iface: Option<FwValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<FwValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<FwValue>,
}

impl FwFields {
    /// The fields set, by Proxmox's names, `enable` as `1`/`0`.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let text = [
            ("type", &self.rule_type),
            ("action", &self.action),
            ("source", &self.source),
            ("dest", &self.dest),
            ("proto", &self.proto),
            ("dport", &self.dport),
            ("sport", &self.sport),
            ("macro", &self.macro_name),
            ("iface", &self.iface),
            ("log", &self.log),
            ("comment", &self.comment),
        ];
        let mut out: Vec<(&'static str, String)> = text
            .into_iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k, v.to_string())))
            .collect();
        if let Some(e) = self.enable {
            out.push(("enable", u8::from(e).to_string()));
        }
        out
    }
}
