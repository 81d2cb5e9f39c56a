//! What a policy means, in words: the summary `pve-helper check` prints, and the
//! structured [`Capabilities`] the front turns into its tools and instructions.

use crate::policy::model::{ClientSpec, Grant, Policy};
use pve_mcp_proto::{ApiMethod, ApiPath, BoundsSummary, Capabilities, CreateSummary, GrantSummary};
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
    lifecycle_lines(p, &mut out);
    if p.plans_only {
        let _ = writeln!(
            out,
            "changes: plans only (every change is judged, none is made)"
        );
    }
    let _ = writeln!(out, "limits: {}", limits(p));
    out
}

fn lifecycle_lines(p: &Policy, out: &mut String) {
    if let Some(c) = &p.create {
        let _ = writeln!(
            out,
            "create: {} from scratch; vmids {}; nodes {}; pool {}; tags {}",
            join(c.types.iter().map(|t| t.as_str())),
            c.vmids_text(),
            join(&c.nodes),
            c.pool
                .as_ref()
                .map_or("none".to_owned(), ToString::to_string),
            join(&c.tags)
        );
    }
    let b = &p.bounds;
    let has_bounds = b.max_cores.is_some()
        || b.max_memory_mib.is_some()
        || b.max_disk_gib.is_some()
        || !b.storages.is_empty()
        || !b.bridges.is_empty()
        || !b.sources.is_empty();
    if has_bounds {
        let max = |v: Option<u64>| v.map_or("unset (refused)".to_owned(), |v| v.to_string());
        let _ = writeln!(
            out,
            "bounds: cores {}, memory {} MiB, disk {} GiB; storages {}; bridges {}; sources {}",
            max(b.max_cores),
            max(b.max_memory_mib),
            max(b.max_disk_gib),
            join(&b.storages),
            join(&b.bridges),
            join(&b.sources)
        );
    }
    if !p.config_keys.0.is_empty() {
        let _ = writeln!(out, "config keys: {}", join(&p.config_keys.0));
    }
    if !p.migrate_nodes.is_empty() {
        let _ = writeln!(out, "migrate to: {}", join(&p.migrate_nodes));
    }
    if !p.firewall.summary.is_empty() {
        let _ = writeln!(out, "firewall rules: {}", p.firewall.summary.join("; "));
    }
    let m = &p.media;
    if !m.storages.is_empty() {
        let _ = writeln!(
            out,
            "ISO images and templates on {}: download from {}; delete {}",
            join(&m.storages),
            join(&m.download_from),
            if m.delete { "allowed" } else { "refused" }
        );
    }
    if !p.agent.exec.is_empty() {
        let _ = writeln!(
            out,
            "guest agent may run: {} (timeout {} s, output {} bytes)",
            join(
                p.agent
                    .exec
                    .iter()
                    .map(|e| super::lifecycle_rules::AgentRules::render(e))
            ),
            p.agent.timeout.as_secs(),
            p.agent.max_output_bytes
        );
    }
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
                operations: g.operations.iter().copied().collect(),
                confirm: g.confirm.iter().copied().collect(),
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
        command_timeout_secs: p
            .commands
            .allow
            .iter()
            .map(|c| c.timeout.as_secs())
            .max()
            .unwrap_or(0),
        limits: limits(p),
        create: p.create.as_ref().map(|c| CreateSummary {
            types: c.types.iter().map(|t| t.as_str().to_owned()).collect(),
            vmids: c.vmids_text(),
            nodes: strings(&mut c.nodes.iter().map(ToString::to_string)),
            pool: c.pool.as_ref().map(ToString::to_string),
            tags: strings(&mut c.tags.iter().map(ToString::to_string)),
        }),
        bounds: BoundsSummary {
            max_cores: p.bounds.max_cores,
            max_memory_mib: p.bounds.max_memory_mib,
            max_disk_gib: p.bounds.max_disk_gib,
            storages: strings(&mut p.bounds.storages.iter().map(ToString::to_string)),
            bridges: strings(&mut p.bounds.bridges.iter().map(ToString::to_string)),
            sources: strings(&mut p.bounds.sources.iter().map(ToString::to_string)),
        },
        config_keys: p.config_keys.0.clone(),
        migrate_nodes: strings(&mut p.migrate_nodes.iter().map(ToString::to_string)),
        media_storages: strings(&mut p.media.storages.iter().map(ToString::to_string)),
        download_from: p.media.download_from.clone(),
        media_delete: p.media.delete,
        agent_exec: p
            .agent
            .exec
            .iter()
            .map(|e| super::lifecycle_rules::AgentRules::render(e))
            .collect(),
        agent_timeout_secs: p.agent.timeout.as_secs(),
        // The helper reads a firewall's rules and options: both must be allowed.
        firewall_cluster: get_allowed(p, "/cluster/firewall/rules")
            && get_allowed(p, "/cluster/firewall/options"),
        firewall_node: get_allowed(p, "/nodes/x/firewall/rules")
            && get_allowed(p, "/nodes/x/firewall/options"),
        pools: get_allowed(p, "/pools"),
        ha_resources: get_allowed(p, "/cluster/ha/resources"),
        plans_only: p.plans_only,
        health: pve_mcp_proto::HEALTH_PARTS
            .iter()
            .filter(|(_, path)| get_allowed(p, &path.replace("{node}", "x")))
            .map(|(part, _)| (*part).to_owned())
            .collect(),
        node_networks: get_allowed(p, "/nodes/x/network"),
        firewall_bounds: p.firewall.summary.clone(),
    }
}
