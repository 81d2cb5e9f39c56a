//! `decide` for `execute_command`: the argv must match a `[commands]` allow entry
//! argument for argument (no shell ever runs), and every guest its placeholders name
//! must be in scope.

use super::common::first_out_of_scope;
use crate::policy::decision::{Decision, Rule};
use crate::policy::facts::Facts;
use crate::policy::model::Policy;
use pve_mcp_proto::{RunCommand, VmId};
use std::collections::BTreeSet;

/// The guests the placeholders of the matching entries name.
pub(super) fn referenced(policy: &Policy, c: &RunCommand) -> Vec<VmId> {
    let set: BTreeSet<VmId> = policy
        .commands
        .allow
        .iter()
        .flat_map(|r| r.vmids(&c.argv))
        .collect();
    set.into_iter().collect()
}

pub(super) fn run(policy: &Policy, c: &RunCommand, facts: &Facts) -> Decision {
    let Some(i) = policy
        .commands
        .allow
        .iter()
        .position(|r| r.matches(&c.argv))
    else {
        return Decision::Deny {
            rule: Rule::DefaultDeny,
            reason: format!(
                "command {} matches no [commands] allow entry in {}; commands run \
                 without a shell and must match an entry argument for argument",
                c.argv,
                policy.source.display()
            ),
        };
    };
    let rule = &policy.commands.allow[i];
    if let Some(d) = first_out_of_scope(policy, &rule.vmids(&c.argv), facts) {
        return d;
    }
    Decision::Allow {
        rule: Rule::CommandsAllow {
            index: i,
            argv: rule.to_string(),
        },
    }
}
