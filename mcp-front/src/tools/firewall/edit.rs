//! firewall_edit: its arguments (untrusted model output, every error naming its
//! argument), their conversion into a typed request, and its entry in the tool table.
//! Which rules, where, and on which guests is the helper's to judge (`[firewall]`).

use crate::{
    change::operation::{ActionPlan, Operation},
    policy::grants::{grant, granted_in_scope},
    tools::{
        args::{ArgError, at, vmid_at},
        spec::ToolSpec,
    },
};
use pve_mcp_proto::{FirewallChange, FirewallEdit, FwFields, FwValue, Operation as Op};
use schemars::JsonSchema;
use serde::Deserialize;

/// What to do.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EditOp {
    Add,
    Update,
    Delete,
    Move,
    Enable,
    Disable,
}

/// A rule's fields, as `firewall` shows them.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleArgs {
    /// `in` or `out`, or `group`.
    #[serde(rename = "type")]
    pub rule_type: Option<String>,
    /// ACCEPT, DROP, REJECT, or a security group.
    pub action: Option<String>,
    pub enable: Option<bool>,
    pub source: Option<String>,
    pub dest: Option<String>,
    pub proto: Option<String>,
    pub dport: Option<String>,
    pub sport: Option<String>,
    #[serde(rename = "macro")]
    pub macro_name: Option<String>,
    pub iface: Option<String>,
    pub log: Option<String>,
    pub comment: Option<String>,
}

impl RuleArgs {
    fn into_fields(self) -> Result<FwFields, ArgError> {
        let f = |name: &str, v: Option<String>| {
            v.map(|v| at(&format!("rule.{name}"), FwValue::parse(&v)))
                .transpose()
        };
        Ok(FwFields {
            rule_type: f("type", self.rule_type)?,
            action: f("action", self.action)?,
            enable: self.enable,
            source: f("source", self.source)?,
            dest: f("dest", self.dest)?,
            proto: f("proto", self.proto)?,
            dport: f("dport", self.dport)?,
            sport: f("sport", self.sport)?,
            macro_name: f("macro", self.macro_name)?,
            iface: f("iface", self.iface)?,
            log: f("log", self.log)?,
            comment: f("comment", self.comment)?,
        })
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FirewallEditArgs {
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: u64,
    pub op: EditOp,
    /// The rule's position (add: where; default below the rules outside the bounds).
    #[schemars(range(min = 0, max = 65535))]
    pub pos: Option<u32>,
    /// move: the rule's new position.
    #[schemars(range(min = 0, max = 65535))]
    pub to: Option<u32>,
    /// add: the rule; update: the fields to set.
    pub rule: Option<RuleArgs>,
    /// update: fields to remove.
    pub delete: Option<Vec<String>>,
    /// Only show what would be sent; do nothing.
    pub dry_run: Option<bool>,
}

impl FirewallEditArgs {
    pub fn into_plan(self) -> Result<ActionPlan, ArgError> {
        let need_pos = |what: &str| {
            self.pos
                .ok_or_else(|| ArgError(format!("{what} needs pos, the rule's position")))
        };
        let none = |name: &str, given: bool, op: &str| {
            if given {
                Err(ArgError(format!("{name} does not go with op {op}")))
            } else {
                Ok(())
            }
        };
        let op_name = format!("{:?}", self.op).to_lowercase();
        if !matches!(self.op, EditOp::Move) {
            none("to", self.to.is_some(), &op_name)?;
        }
        if !matches!(self.op, EditOp::Update) {
            none("delete", self.delete.is_some(), &op_name)?;
        }
        if !matches!(self.op, EditOp::Add | EditOp::Update) {
            none("rule", self.rule.is_some(), &op_name)?;
        }
        let change = match self.op {
            EditOp::Add => FirewallChange::Add {
                rule: self
                    .rule
                    .ok_or_else(|| ArgError("add needs rule".into()))?
                    .into_fields()?,
                pos: self.pos,
            },
            EditOp::Update => FirewallChange::Update {
                pos: need_pos("update")?,
                set: self.rule.unwrap_or_default().into_fields()?,
                delete: self
                    .delete
                    .unwrap_or_default()
                    .iter()
                    .map(|d| at("delete", FwValue::parse(d)))
                    .collect::<Result<_, _>>()?,
            },
            EditOp::Delete => FirewallChange::Delete {
                pos: need_pos("delete")?,
            },
            EditOp::Move => FirewallChange::Move {
                pos: need_pos("move")?,
                to: self
                    .to
                    .ok_or_else(|| ArgError("move needs to, the new position".into()))?,
            },
            EditOp::Enable | EditOp::Disable => {
                none("pos", self.pos.is_some(), &op_name)?;
                FirewallChange::Enable {
                    enable: matches!(self.op, EditOp::Enable),
                }
            }
        };
        Ok(ActionPlan {
            request: Operation::Firewall(FirewallEdit {
                vmid: vmid_at("vmid", self.vmid)?,
                change,
                digest: None,
                confirmed: false,
            }),
            wait: None,
            dry_run: self.dry_run == Some(true),
        })
    }
}

/// `firewall_edit` needs `firewall.rules` or `firewall.enable`; its note says the
/// bounds in the policy's words.
pub const FIREWALL_EDIT: ToolSpec = ToolSpec {
    name: "firewall_edit",
    grant: Some(Op::FirewallRules),
    listed: |caps| {
        granted_in_scope(caps, Op::FirewallRules) || granted_in_scope(caps, Op::FirewallEnable)
    },
    note: |caps| {
        let mut note = String::new();
        if granted_in_scope(caps, Op::FirewallRules) {
            note.push_str(&grant(caps, Op::FirewallRules));
            if caps.firewall_bounds.is_empty() {
                note.push_str(" [firewall] sets no bounds: every rule is refused.");
            } else {
                note.push_str(&format!(
                    " Rules within [firewall]: {}; missing source/dest/dport mean all.",
                    caps.firewall_bounds.join("; ")
                ));
            }
        } else {
            note.push_str("Rules may not be changed.");
        }
        if granted_in_scope(caps, Op::FirewallEnable) {
            note.push(' ');
            note.push_str(&grant(caps, Op::FirewallEnable));
        } else {
            note.push_str(" enable/disable is not allowed.");
        }
        Some(note)
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn plan(v: Value) -> Result<ActionPlan, ArgError> {
        serde_json::from_value::<FirewallEditArgs>(v)
            .map_err(|e| ArgError(e.to_string()))?
            .into_plan()
    }

    #[test]
    fn each_op_takes_its_arguments() {
        let p = plan(json!({"vmid": 101, "op": "add", "rule": {"type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "443"}})).unwrap();
        assert_eq!(p.request.name().as_str(), "firewall.rules");
        assert_eq!(
            p.request.phrase(),
            "add firewall rule \"type=in action=ACCEPT proto=tcp dport=443\" to guest 101"
        );
        let p = plan(json!({"vmid": 101, "op": "move", "pos": 3, "to": 1})).unwrap();
        assert_eq!(
            p.request.phrase(),
            "move firewall rule 3 of guest 101 to position 1"
        );
        let p = plan(json!({"vmid": 101, "op": "disable", "dry_run": true})).unwrap();
        assert_eq!(p.request.name().as_str(), "firewall.enable");
        assert!(p.dry_run);
        let p = plan(json!({"vmid": 101, "op": "update", "pos": 0, "delete": ["sport"]})).unwrap();
        assert_eq!(
            p.request.phrase(),
            "change firewall rule 0 of guest 101 to \"without sport\""
        );
        for (args, says) in [
            (json!({"vmid": 101, "op": "add"}), "needs rule"),
            (json!({"vmid": 101, "op": "delete"}), "needs pos"),
            (json!({"vmid": 101, "op": "move", "pos": 1}), "needs to"),
            (
                json!({"vmid": 101, "op": "delete", "pos": 1, "to": 2}),
                "to does not go",
            ),
            (
                json!({"vmid": 101, "op": "enable", "pos": 1}),
                "pos does not go",
            ),
            (
                json!({"vmid": 101, "op": "delete", "pos": 1, "rule": {}}),
                "rule does not go",
            ),
            (
                json!({"vmid": 101, "op": "add", "rule": {"dport": "22\n"}}),
                "rule.dport",
            ),
            (
                json!({"vmid": 101, "op": "add", "rule": {"icmp-type": "any"}}),
                "unknown field",
            ),
            (json!({"vmid": 101, "op": "drop"}), "unknown variant"),
        ] {
            let e = plan(args.clone()).unwrap_err();
            assert!(e.0.contains(says), "{args}: {}", e.0);
        }
    }
}
