//! `decide`: the one pure function that judges every request against the policy.
//! No I/O; the facts it needs (which node, pool and tags a guest has) are gathered by
//! the caller beforehand.

use super::{Policy, floor};
use pve_mcp_proto::{ApiMethod, ApiPath, Request, Upid, VmId};
use std::collections::HashMap;

/// What the helper learned from Proxmox about the guests a request names.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Guests that exist, by vmid. A vmid missing here does not exist.
    pub guests: HashMap<VmId, GuestFacts>,
}

/// The attributes of a guest that selectors look at.
#[derive(Debug, Clone, PartialEq)]
pub struct GuestFacts {
    pub vmid: VmId,
    pub node: pve_mcp_proto::NodeName,
    pub guest_type: pve_mcp_proto::GuestType,
    pub pool: Option<String>,
    pub tags: Vec<String>,
}

/// The verdict on one request, naming the rule that decided it.
#[must_use]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow {
        rule: String,
    },
    /// Refused by the policy or the fixed floor; `reason` says what to change.
    Deny {
        rule: String,
        reason: String,
    },
    /// A guest the request names does not exist or is out of scope: the two are
    /// indistinguishable on purpose.
    NotFound {
        reason: String,
    },
    /// Allowed once the user confirms it (the policy marks the action `confirm`).
    Confirm {
        rule: String,
        reason: String,
    },
}

impl Decision {
    pub fn rule(&self) -> &str {
        match self {
            Self::Allow { rule } | Self::Deny { rule, .. } | Self::Confirm { rule, .. } => rule,
            Self::NotFound { .. } => "guests (out of scope)",
        }
    }
}

/// The guests a request names, whose facts the caller must gather before [`decide`].
pub fn referenced_vmids(request: &Request) -> Vec<VmId> {
    match request {
        Request::ListGuests(_)
        | Request::NodeStatus(_)
        | Request::RunCommand(_)
        | Request::Describe(_) => Vec::new(),
        Request::GuestStatus(g) => vec![g.vmid],
        Request::GuestAction(a) => vec![a.vmid],
        Request::TaskStatus(t) => t.upid.vmid().into_iter().collect(),
        Request::Api(call) => path_vmids(&call.path),
    }
}

/// Vmids carried by an API path: `/nodes/N/{qemu,lxc}/VMID/...` and task UPIDs.
fn path_vmids(path: &ApiPath) -> Vec<VmId> {
    let segs: Vec<&str> = path.segments().collect();
    match segs.as_slice() {
        ["nodes", _, "qemu" | "lxc", id, ..] => id.parse().ok().into_iter().collect(),
        ["nodes", _, "tasks", upid, ..] => Upid::parse(upid)
            .ok()
            .and_then(|u| u.vmid())
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

/// Judges `request` under `policy`, given the `facts` for [`referenced_vmids`].
pub fn decide(policy: &Policy, request: &Request, facts: &Facts) -> Decision {
    match request {
        Request::ListGuests(_) => Decision::Allow {
            rule: "guests.allow (listing filtered to scope)".into(),
        },
        Request::Describe(_) => Decision::Allow {
            rule: "describe (any client may read its own permissions)".into(),
        },
        Request::GuestStatus(g) => in_scope(policy, g.vmid, facts),
        Request::GuestAction(a) => match in_scope(policy, a.vmid, facts) {
            Decision::Allow { .. }
                if policy.guests.actions.contains(&a.action)
                    && policy.guests.confirm.contains(&a.action)
                    && !a.confirmed =>
            {
                Decision::Confirm {
                    rule: "guests.confirm".into(),
                    reason: format!(
                        "action {:?} on guest {} needs the user's confirmation (the policy lists it \
                         in [guests] confirm in {})",
                        a.action.as_str(),
                        a.vmid,
                        policy.source.display()
                    ),
                }
            }
            Decision::Allow { .. } if policy.guests.actions.contains(&a.action) => {
                Decision::Allow {
                    rule: "guests.actions".into(),
                }
            }
            Decision::Allow { .. } => Decision::Deny {
                rule: "guests.actions".into(),
                reason: format!(
                    "action {:?} on guest {} is not allowed; to allow it, add {:?} to \
                     [guests] actions in {}",
                    a.action.as_str(),
                    a.vmid,
                    a.action.as_str(),
                    policy.source.display()
                ),
            },
            other => other,
        },
        Request::NodeStatus(q) => {
            let path = match &q.node {
                Some(n) => format!("/nodes/{n}/status"),
                None => "/nodes".to_owned(),
            };
            match ApiPath::parse(&path) {
                Ok(p) => api_rule(policy, ApiMethod::Get, &p, "node status"),
                Err(e) => Decision::Deny {
                    rule: "default deny".into(),
                    reason: e.to_string(),
                },
            }
        }
        Request::TaskStatus(t) => match t.upid.vmid() {
            Some(vmid) => in_scope(policy, vmid, facts),
            None => {
                match ApiPath::parse(&format!("/nodes/{}/tasks/{}/status", t.upid.node(), t.upid)) {
                    Ok(p) => api_rule(policy, ApiMethod::Get, &p, "task status"),
                    Err(e) => Decision::Deny {
                        rule: "default deny".into(),
                        reason: e.to_string(),
                    },
                }
            }
        },
        Request::Api(call) => {
            if let Some(reason) = floor::floor_reason(call.method, &call.path, &call.params) {
                return Decision::Deny {
                    rule: "fixed floor".into(),
                    reason: format!("{} {}: {reason}", call.method, call.path),
                };
            }
            for vmid in path_vmids(&call.path) {
                let d = in_scope(policy, vmid, facts);
                if !matches!(d, Decision::Allow { .. }) {
                    return d;
                }
            }
            api_rule(policy, call.method, &call.path, "API call")
        }
        Request::RunCommand(c) => match policy
            .commands
            .allow
            .iter()
            .position(|r| r.matches(&c.argv))
        {
            Some(i) => Decision::Allow {
                rule: format!(
                    "commands.allow[{i}] {:?}",
                    policy.commands.allow[i].to_string()
                ),
            },
            None => Decision::Deny {
                rule: "default deny".into(),
                reason: format!(
                    "command {} matches no [commands] allow entry in {}; commands run without a \
                     shell and must match an entry argument for argument",
                    c.argv,
                    policy.source.display()
                ),
            },
        },
    }
}

fn in_scope(policy: &Policy, vmid: VmId, facts: &Facts) -> Decision {
    let not_found = || Decision::NotFound {
        reason: format!("guest {vmid} does not exist or is not visible to this client"),
    };
    let Some(g) = facts.guests.get(&vmid) else {
        return not_found();
    };
    match policy.guest_scope(g) {
        Some(sel) => Decision::Allow {
            rule: format!("guests.allow {:?}", sel.to_string()),
        },
        None => not_found(),
    }
}

fn api_rule(policy: &Policy, method: ApiMethod, path: &ApiPath, what: &str) -> Decision {
    match policy
        .api
        .iter()
        .position(|r| r.method == method && r.pattern.matches(path))
    {
        Some(i) => Decision::Allow {
            rule: format!("api.allow[{i}] {:?}", policy.api[i].to_string()),
        },
        None => Decision::Deny {
            rule: "default deny".into(),
            reason: format!(
                "{what} {method} {path} matches no [api] allow pattern; to allow it, add a \
                 pattern such as \"{method} {path}\" to [api] allow in {}",
                policy.source.display()
            ),
        },
    }
}
