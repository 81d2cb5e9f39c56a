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

/// The fields a rule may have, by Proxmox's names (`enable` is a boolean).
const FIELDS: &[&str] = &[
    "type", "action", "enable", "source", "dest", "proto", "dport", "sport", "macro", "iface",
    "log", "comment",
];

/// A new rule, in force unless the model said otherwise (Proxmox's own default is
/// disabled).
fn enabled(mut f: FwFields) -> FwFields {
    f.enable.get_or_insert(true);
    f
}

/// A rule's fields from the model's object: each a known field with a string value
/// (`enable` a boolean).
fn rule_fields(rule: serde_json::Map<String, serde_json::Value>) -> Result<FwFields, ArgError> {
    let mut f = FwFields::default();
    for (k, v) in rule {
        if !FIELDS.contains(&k.as_str()) {
            return Err(ArgError(format!(
                "rule.{k}: unknown field; a rule has {}",
                FIELDS.join(", ")
            )));
        }
        if k == "enable" {
            f.enable = Some(
                v.as_bool()
                    .ok_or_else(|| ArgError("rule.enable: true or false".into()))?,
            );
            continue;
        }
        let text = v
            .as_str()
            .ok_or_else(|| ArgError(format!("rule.{k}: a string")))?;
        let value = Some(at(&format!("rule.{k}"), FwValue::parse(text))?);
        match k.as_str() {
            "type" => f.rule_type = value,
            "action" => f.action = value,
            "source" => f.source = value,
            "dest" => f.dest = value,
            "proto" => f.proto = value,
            "dport" => f.dport = value,
            "sport" => f.sport = value,
            "macro" => f.macro_name = value,
            "iface" => f.iface = value,
            "log" => f.log = value,
            _ => f.comment = value,
        }
    }
    Ok(f)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FirewallEditArgs {
    #[schemars(range(min = 100, max = 999_999_999))]
    pub vmid: u64,
    pub op: EditOp,
    pub pos: Option<u32>,
    pub to: Option<u32>,
    /// Fields as `firewall` shows them.
    pub rule: Option<serde_json::Map<String, serde_json::Value>>,
    pub delete: Option<Vec<String>>,
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
                rule: Box::new(enabled(rule_fields(
                    self.rule.ok_or_else(|| ArgError("add needs rule".into()))?,
                )?)),
                pos: self.pos,
            },
            EditOp::Update => FirewallChange::Update {
                pos: need_pos("update")?,
                set: Box::new(rule_fields(self.rule.unwrap_or_default())?),
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
        let rules = grant(caps, Op::FirewallRules);
        if granted_in_scope(caps, Op::FirewallRules) {
            note.push_str(&rules);
            if caps.firewall_bounds.is_empty() {
                note.push_str(" [firewall] sets no bounds: every rule is refused.");
            } else {
                note.push_str(&format!(
                    " Within [firewall]: {}.",
                    caps.firewall_bounds.join("; ")
                ));
            }
        } else {
            note.push_str("Rules may not be changed.");
        }
        if granted_in_scope(caps, Op::FirewallEnable) {
            // Said once when both are granted on the same guests.
            let enable = grant(caps, Op::FirewallEnable);
            let scope = rules.split_inclusive(". ").next().unwrap_or("");
            let enable = enable.strip_prefix(scope).unwrap_or(&enable).trim_start();
            note.push_str(&format!(" enable/disable: {enable}"));
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
            "add firewall rule \"type=in action=ACCEPT proto=tcp dport=443 enable=1\" to guest 101"
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
