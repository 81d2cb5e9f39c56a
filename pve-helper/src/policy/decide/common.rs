//! The words every `decide` module judges with: whether a guest is in scope, whether
//! an operation is granted on it (and needs confirming), whether an `[api]` pattern
//! lets a path through, and the refusals they share. Pure; reads the policy and the
//! facts the caller gathered, nothing else.

use crate::policy::bounds::Denial;
use crate::policy::decision::{Decision, Rule};
use crate::policy::facts::{Facts, GuestFacts};
use crate::policy::model::{Grant, Operation, Policy};
use crate::policy::selector::Selector;
use pve_mcp_proto::{ApiMethod, ApiPath, GuestType, NodeName, VmId};

pub(super) fn policy_scope<'p>(
    policy: &'p Policy,
    vmid: VmId,
    facts: &Facts,
) -> Option<&'p Selector> {
    facts.guests.get(&vmid).and_then(|g| policy.guest_scope(g))
}

pub(super) fn first_out_of_scope(
    policy: &Policy,
    vmids: &[VmId],
    facts: &Facts,
) -> Option<Decision> {
    vmids
        .iter()
        .map(|v| in_scope(policy, *v, facts))
        .find(|d| !matches!(d, Decision::Allow { .. }))
}

pub(super) fn in_scope(policy: &Policy, vmid: VmId, facts: &Facts) -> Decision {
    let not_found = || Decision::NotFound {
        reason: format!("guest {vmid} does not exist or is not visible to this client"),
    };
    let Some(g) = facts.guests.get(&vmid) else {
        return not_found();
    };
    match policy.guest_scope(g) {
        Some(sel) => Decision::Allow {
            rule: Rule::GuestsAllow(sel.to_string()),
        },
        None => not_found(),
    }
}

/// An operation on a guest: in scope, granted by some grant covering the guest, and
/// confirmed if any such grant marks it `confirm`.
pub(super) fn operation(
    policy: &Policy,
    vmid: VmId,
    op: Operation,
    confirmed: bool,
    facts: &Facts,
) -> Decision {
    let scope = in_scope(policy, vmid, facts);
    let (Decision::Allow { .. }, Some(g)) = (&scope, facts.guests.get(&vmid)) else {
        return scope;
    };
    operation_on(policy, g, op, confirmed)
}

/// [`operation`] for a guest known by its facts (which the caller found in scope).
pub(super) fn operation_on(
    policy: &Policy,
    g: &GuestFacts,
    op: Operation,
    confirmed: bool,
) -> Decision {
    let vmid = g.vmid;
    let granting: Vec<&Grant> = policy
        .grants
        .iter()
        .filter(|gr| gr.operations.contains(&op) && gr.covers(g))
        .collect();
    let Some(first) = granting.first() else {
        return Decision::Deny {
            rule: Rule::GuestsActions,
            reason: format!(
                "action {:?} on guest {vmid} is not allowed; to allow it, add {:?} to [guests] \
                 actions, or to a [[rule]] whose guests include {vmid}, in {}",
                op.as_str(),
                op.as_str(),
                policy.source.display()
            ),
        };
    };
    let rule_name = |gr: &Grant| {
        if gr.name == "guests" {
            Rule::GuestsActions
        } else {
            Rule::Grant(gr.name.clone())
        }
    };
    if let Some(gr) = granting
        .iter()
        .find(|gr| gr.confirm.contains(&op))
        .filter(|_| !confirmed)
    {
        let place = if gr.name == "guests" {
            "[guests] confirm".to_owned()
        } else {
            format!("confirm of rule {:?}", gr.name)
        };
        return Decision::Confirm {
            rule: rule_name(gr),
            reason: format!(
                "action {:?} on guest {vmid} needs the user's confirmation (listed in {place} in {})",
                op.as_str(),
                policy.source.display()
            ),
        };
    }
    Decision::Allow {
        rule: rule_name(first),
    }
}

pub(super) fn api_path_rule(
    policy: &Policy,
    method: ApiMethod,
    path: &str,
    what: &str,
) -> Decision {
    match ApiPath::parse(path) {
        Ok(p) => api_rule(policy, method, &p, what),
        Err(e) => Decision::Deny {
            rule: Rule::DefaultDeny,
            reason: e.to_string(),
        },
    }
}

pub(super) fn api_rule(policy: &Policy, method: ApiMethod, path: &ApiPath, what: &str) -> Decision {
    match policy
        .api
        .iter()
        .position(|r| r.method == method && r.pattern.matches(path))
    {
        Some(i) => Decision::Allow {
            rule: Rule::ApiAllow {
                index: i,
                pattern: policy.api[i].to_string(),
            },
        },
        None => Decision::Deny {
            rule: Rule::DefaultDeny,
            reason: format!(
                "{what} {method} {path} matches no [api] allow pattern; to allow it, add a \
                 pattern such as \"{method} {path}\" to [api] allow in {}",
                policy.source.display()
            ),
        },
    }
}

pub(super) fn deny(d: Denial) -> Decision {
    Decision::Deny {
        rule: d.rule,
        reason: d.reason,
    }
}

pub(super) fn denied(rule: Rule, reason: String) -> Decision {
    Decision::Deny { rule, reason }
}

pub(super) fn allowed(d: &Decision) -> bool {
    matches!(d, Decision::Allow { .. })
}

/// Allowed, or allowed once confirmed.
pub(super) fn permitted(d: &Decision) -> bool {
    matches!(d, Decision::Allow { .. } | Decision::Confirm { .. })
}

pub(super) fn unread(vmid: VmId) -> Decision {
    denied(
        Rule::Facts,
        format!("the configuration of guest {vmid} could not be read, so the request is refused"),
    )
}

pub(super) fn no_create(policy: &Policy) -> Decision {
    denied(
        Rule::Create,
        format!(
            "making new guests is not allowed; to allow it, add a [create] section (vmids, \
             nodes, pool) to {}",
            policy.source.display()
        ),
    )
}

/// Scope of a guest known by facts (in scope: allow; else not found).
pub(super) fn scoped(policy: &Policy, g: &GuestFacts) -> Decision {
    match policy.guest_scope(g) {
        Some(sel) => Decision::Allow {
            rule: Rule::GuestsAllow(sel.to_string()),
        },
        None => Decision::NotFound {
            reason: format!(
                "guest {} does not exist or is not visible to this client",
                g.vmid
            ),
        },
    }
}

/// The owner of a backup: the guest if it exists, else what the backup itself says
/// (its vmid and kind, the restore's node and the backup's tags), so backups of
/// deleted guests stay reachable through vmid-range and tag selectors only.
pub(super) fn owner_facts(
    facts: &Facts,
    owner: VmId,
    kind: GuestType,
    node: &NodeName,
    tags: &[String],
) -> GuestFacts {
    facts.guests.get(&owner).cloned().unwrap_or(GuestFacts {
        vmid: owner,
        node: node.clone(),
        guest_type: kind,
        pool: None,
        tags: tags.to_vec(),
        running: false,
    })
}
