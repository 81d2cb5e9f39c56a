//! The `[guests]` section (scope and scope-wide grants) and the `[[rule]]` blocks
//! (grants on part of the scope).

use super::diagnostics::Ctx;
use crate::policy::model::{Grant, Operation, Scope};
use crate::policy::selector::Selector;
use serde::Deserialize;
use std::collections::BTreeSet;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGuests {
    #[serde(default)]
    allow: Vec<Spanned<String>>,
    #[serde(default)]
    deny: Vec<Spanned<String>>,
    #[serde(default)]
    actions: Vec<Spanned<String>>,
    #[serde(default)]
    confirm: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    name: Spanned<String>,
    #[serde(default)]
    guests: Vec<Spanned<String>>,
    #[serde(default)]
    actions: Vec<Spanned<String>>,
    #[serde(default)]
    confirm: Vec<Spanned<String>>,
}

pub(super) fn guests_and_rules(
    cx: &mut Ctx,
    raw: Option<Spanned<RawGuests>>,
    rules: Vec<Spanned<RawRule>>,
) -> (Scope, Vec<Grant>) {
    let mut grants = Vec::new();
    let scope = match raw {
        None => {
            cx.warn(0..0, "no [guests] section: no guest is visible");
            Scope::default()
        }
        Some(raw) => {
            let span = raw.span();
            let raw = raw.into_inner();
            let allow = selectors(cx, raw.allow, "[guests] allow");
            let deny = selectors(cx, raw.deny, "[guests] deny");
            if allow.is_empty() {
                cx.warn(span.clone(), "[guests] allow is empty: no guest is visible");
            }
            let (operations, confirm) = operations(cx, raw.actions, raw.confirm, "[guests]");
            if !operations.is_empty() {
                grants.push(Grant {
                    name: "guests".into(),
                    guests: Vec::new(),
                    operations,
                    confirm,
                });
            }
            Scope { allow, deny }
        }
    };
    let mut names: BTreeSet<String> = BTreeSet::new();
    for rule in rules {
        let span = rule.span();
        let rule = rule.into_inner();
        let name = rule.name.get_ref().trim().to_owned();
        if name.is_empty()
            || name.len() > 64
            || name == "guests"
            || name.chars().any(char::is_control)
        {
            cx.error(
                rule.name.span(),
                "a rule needs a name of 1 to 64 characters, other than \"guests\"",
            );
        } else if !names.insert(name.clone()) {
            cx.error(rule.name.span(), format!("duplicate rule name {name:?}"));
        }
        let guests = selectors(cx, rule.guests, &format!("rule {name:?} guests"));
        if guests.is_empty() {
            cx.error(span.clone(), format!(
                "rule {name:?} names no guests; to grant on the whole scope use [guests] actions"
            ));
        }
        if rule.actions.is_empty() {
            cx.warn(span, format!("rule {name:?} grants no actions"));
        }
        let (operations, confirm) =
            operations(cx, rule.actions, rule.confirm, &format!("rule {name:?}"));
        grants.push(Grant {
            name,
            guests,
            operations,
            confirm,
        });
    }
    (scope, grants)
}

fn selectors(cx: &mut Ctx, raw: Vec<Spanned<String>>, list: &str) -> Vec<Selector> {
    let mut out: Vec<Selector> = Vec::new();
    for s in raw {
        let span = s.span();
        match Selector::parse(s.get_ref()) {
            Ok(sel) if out.contains(&sel) => {
                cx.error(span, format!("duplicate selector {sel} in {list}"))
            }
            Ok(sel) => {
                if sel.is_all() && list == "[guests] allow" {
                    cx.warn(
                        span.clone(),
                        "\"*\" puts every guest of the cluster in scope",
                    );
                }
                out.push(sel);
            }
            Err(e) => cx.error(span, e),
        }
    }
    out
}

/// Parses `actions` and `confirm`; `confirm` may only mark granted actions.
fn operations(
    cx: &mut Ctx,
    actions: Vec<Spanned<String>>,
    confirm: Vec<Spanned<String>>,
    whose: &str,
) -> (BTreeSet<Operation>, BTreeSet<Operation>) {
    let mut ops = BTreeSet::new();
    let mut spans = Vec::new();
    for a in actions {
        match a.get_ref().parse::<Operation>() {
            Ok(op) if !ops.insert(op) => cx.error(
                a.span(),
                format!("duplicate action {:?} in {whose}", op.as_str()),
            ),
            Ok(op) => spans.push((op, a.span())),
            Err(e) => cx.error(a.span(), e.to_string()),
        }
    }
    let mut marked = BTreeSet::new();
    for c in confirm {
        match c.get_ref().parse::<Operation>() {
            Ok(op) if !ops.contains(&op) => cx.error(
                c.span(),
                format!(
                    "{:?} is in confirm but not in the actions of {whose}: confirm only marks \
                     granted actions",
                    op.as_str()
                ),
            ),
            Ok(op) if !marked.insert(op) => cx.error(
                c.span(),
                format!("duplicate confirm {:?} in {whose}", op.as_str()),
            ),
            Ok(_) => {}
            Err(e) => cx.error(c.span(), e.to_string()),
        }
    }
    for (op, span) in spans {
        if marked.contains(&op) {
            continue;
        }
        let risk = if op.is_destructive() {
            "can lose guest data"
        } else if op == Operation::FirewallEnable {
            "can turn a guest's firewall off and open it to the network"
        } else {
            continue;
        };
        cx.warn(
            span,
            format!(
                "{whose} grants {:?}, which {risk}, without confirm",
                op.as_str()
            ),
        );
    }
    (ops, marked)
}
