//! What a policy means, in words: the summary `pve-helper check` prints, and the
//! structured [`Capabilities`] the front turns into its tools and instructions.

use super::{ClientSpec, Grant, Policy};
use pve_mcp_proto::{ApiMethod, ApiPath, Capabilities, GrantSummary};
use std::fmt::Write;

fn join<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    let v: Vec<String> = items.into_iter().map(|i| i.to_string()).collect();
    if v.is_empty() {
        "none".to_owned()
    } else {
        v.join(", ")
    }
}

fn grant_line(g: &Grant) -> String {
    let on = if g.guests.is_empty() {
        "every guest in scope".to_owned()
    } else {
        join(&g.guests)
    };
    let mut line = format!("{} on {on}", join(&g.operations));
    if !g.confirm.is_empty() {
        let _ = write!(line, " (confirm: {})", join(&g.confirm));
    }
    line
}

pub fn render(p: &Policy) -> String {
    let mut out = String::new();
    let clients = join(p.clients.iter().map(|c| match c {
        ClientSpec::Name(n) => n.clone(),
        ClientSpec::Uid(u) => format!("uid {u}"),
    }));
    let _ = writeln!(out, "clients: {clients}");
    let mut guests = join(&p.guests.allow);
    if !p.guests.deny.is_empty() {
        let _ = write!(guests, " minus {}", join(&p.guests.deny));
    }
    let _ = writeln!(out, "guests: {guests}");
    if p.grants.is_empty() {
        let _ = writeln!(out, "actions: none");
    }
    for g in &p.grants {
        let label = if g.name == "guests" {
            "actions".to_owned()
        } else {
            format!("rule {:?}", g.name)
        };
        let _ = writeln!(out, "{label}: {}", grant_line(g));
    }
    let _ = writeln!(out, "api: {}", join(&p.api));
    if !p.backup_storages.is_empty() {
        let _ = writeln!(out, "backup storages: {}", join(&p.backup_storages));
    }
    let commands = join(p.commands.allow.iter().map(|c| {
        format!(
            "{c} ({} s, {} bytes)",
            c.timeout.as_secs(),
            c.max_output_bytes
        )
    }));
    let _ = writeln!(out, "commands: {commands}");
    if !p.commands.env.is_empty() {
        let _ = writeln!(
            out,
            "command environment: PATH, LANG, {}",
            p.commands.env.join(", ")
        );
    }
    let _ = writeln!(out, "limits: {}", limits(p));
    out
}

fn limits(p: &Policy) -> String {
    format!(
        "{} requests per minute, {} at a time, per client",
        p.limits.requests_per_minute, p.limits.concurrent
    )
}

/// Whether some `[api]` GET pattern matches `path`.
pub(crate) fn get_allowed(p: &Policy, path: &str) -> bool {
    ApiPath::parse(path).is_ok_and(|path| {
        p.api
            .iter()
            .any(|r| r.method == ApiMethod::Get && r.pattern.matches(&path))
    })
}

/// The structured form of the summary, sent to the front.
pub fn capabilities(p: &Policy) -> Capabilities {
    let strings = |v: &mut dyn Iterator<Item = String>| v.collect::<Vec<_>>();
    Capabilities {
        guests: strings(&mut p.guests.allow.iter().map(ToString::to_string)),
        guests_except: strings(&mut p.guests.deny.iter().map(ToString::to_string)),
        grants: p
            .grants
            .iter()
            .map(|g| GrantSummary {
                rule: g.name.clone(),
                guests: strings(&mut g.guests.iter().map(ToString::to_string)),
                operations: strings(&mut g.operations.iter().map(ToString::to_string)),
                confirm: strings(&mut g.confirm.iter().map(ToString::to_string)),
            })
            .collect(),
        api: strings(&mut p.api.iter().map(ToString::to_string)),
        node_list: get_allowed(p, "/nodes"),
        node_detail: get_allowed(p, "/nodes/x/status"),
        storage_all: get_allowed(p, "/cluster/resources"),
        storage_node: get_allowed(p, "/nodes/x/storage"),
        storage_content: get_allowed(p, "/nodes/x/storage/y/content"),
        cluster_status: get_allowed(p, "/cluster/status"),
        ha_status: get_allowed(p, "/cluster/ha/status/current"),
        backup_storages: p.backup_storages.iter().map(ToString::to_string).collect(),
        task_list: get_allowed(p, "/cluster/tasks"),
        node_tasks: get_allowed(p, "/nodes/x/tasks"),
        commands: strings(&mut p.commands.allow.iter().map(ToString::to_string)),
        limits: limits(p),
    }
}
