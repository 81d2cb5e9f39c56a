//! `decide` for the reads that no guest grant covers, only an `[api] allow` pattern:
//! node status and networks, storages and their content, the cluster's status, tasks, pools, HA
//! resources and firewalls. Each is judged as the GET (or GETs) the helper will make;
//! a guest the read names must be in scope first.

use super::common::{allowed, api_path_rule, first_out_of_scope, in_scope, operation_on};
use crate::policy::decision::Decision;
use crate::policy::facts::Facts;
use crate::policy::model::{Operation, Policy};
use pve_mcp_proto::{
    ApiMethod, ContentQuery, FirewallQuery, NetworkQuery, NodeQuery, PoolQuery, StorageQuery,
    TaskQuery,
};

pub(super) fn node_status(policy: &Policy, q: &NodeQuery) -> Decision {
    let path = match &q.node {
        Some(n) => format!("/nodes/{n}/status"),
        None => "/nodes".to_owned(),
    };
    api_path_rule(policy, ApiMethod::Get, &path, "node status")
}

pub(super) fn node_networks(policy: &Policy, q: &NetworkQuery) -> Decision {
    let path = format!("/nodes/{}/network", q.node);
    api_path_rule(policy, ApiMethod::Get, &path, "network listing")
}

pub(super) fn storage_listing(policy: &Policy, q: &StorageQuery) -> Decision {
    match &q.node {
        Some(n) => api_path_rule(
            policy,
            ApiMethod::Get,
            &format!("/nodes/{n}/storage"),
            "storage listing",
        ),
        None => api_path_rule(
            policy,
            ApiMethod::Get,
            "/cluster/resources",
            "storage listing of every node",
        ),
    }
}

pub(super) fn storage_content(policy: &Policy, q: &ContentQuery, facts: &Facts) -> Decision {
    if let Some(d) = q.vmid.and_then(|v| first_out_of_scope(policy, &[v], facts)) {
        return d;
    }
    let path = format!("/nodes/{}/storage/{}/content", q.node, q.storage);
    api_path_rule(policy, ApiMethod::Get, &path, "storage content")
}

pub(super) fn cluster_status(policy: &Policy) -> Decision {
    api_path_rule(policy, ApiMethod::Get, "/cluster/status", "cluster status")
}

pub(super) fn task_listing(policy: &Policy, q: &TaskQuery, facts: &Facts) -> Decision {
    if let Some(d) = q.vmid.and_then(|v| first_out_of_scope(policy, &[v], facts)) {
        return d;
    }
    let path = match &q.node {
        Some(n) => format!("/nodes/{n}/tasks"),
        None => "/cluster/tasks".to_owned(),
    };
    api_path_rule(policy, ApiMethod::Get, &path, "task listing")
}

pub(super) fn pools(policy: &Policy, q: &PoolQuery) -> Decision {
    let path = match &q.pool {
        Some(p) => format!("/pools/{p}"),
        None => "/pools".to_owned(),
    };
    api_path_rule(policy, ApiMethod::Get, &path, "pool listing")
}

pub(super) fn ha_resources(policy: &Policy) -> Decision {
    api_path_rule(
        policy,
        ApiMethod::Get,
        "/cluster/ha/resources",
        "HA resources",
    )
}

/// A firewall is read as its rules and its options: `[api] allow` must let both be
/// read, as the helper reads both.
pub(super) fn firewall(policy: &Policy, q: &FirewallQuery, facts: &Facts) -> Decision {
    let (base, what) = match (&q.node, q.vmid) {
        (_, Some(vmid)) => {
            let d = in_scope(policy, vmid, facts);
            let (true, Some(g)) = (allowed(&d), facts.guests.get(&vmid)) else {
                return d;
            };
            // A guest whose firewall may be changed may be read: its rules' positions
            // are what a change names.
            for op in [Operation::FirewallRules, Operation::FirewallEnable] {
                let may = operation_on(policy, g, op, true);
                if allowed(&may) {
                    return may;
                }
            }
            let base = format!(
                "/nodes/{}/{}/{vmid}/firewall",
                g.node,
                g.guest_type.as_str()
            );
            (base, "guest firewall")
        }
        (Some(node), None) => (format!("/nodes/{node}/firewall"), "node firewall"),
        (None, None) => ("/cluster/firewall".to_owned(), "cluster firewall"),
    };
    let rules = api_path_rule(
        policy,
        ApiMethod::Get,
        &format!("{base}/rules"),
        &format!("{what} rules"),
    );
    if !allowed(&rules) {
        return rules;
    }
    let options = api_path_rule(
        policy,
        ApiMethod::Get,
        &format!("{base}/options"),
        &format!("{what} options"),
    );
    if !allowed(&options) {
        return options;
    }
    rules
}
