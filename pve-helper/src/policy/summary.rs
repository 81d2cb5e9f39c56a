//! The human summary `pve-helper check` prints for a valid policy.

use super::{ClientSpec, Policy};
use std::fmt::Write;

fn join<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    let v: Vec<String> = items.into_iter().map(|i| i.to_string()).collect();
    if v.is_empty() {
        "none".to_owned()
    } else {
        v.join(", ")
    }
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
    let _ = writeln!(
        out,
        "actions: {}",
        join(p.guests.actions.iter().map(|a| a.as_str()))
    );
    let _ = writeln!(out, "api: {}", join(&p.api));
    let _ = writeln!(
        out,
        "commands: {} (timeout {} s, output cap {} bytes)",
        join(&p.commands.allow),
        p.commands.timeout.as_secs(),
        p.commands.max_output_bytes
    );
    out
}

/// The structured form of the summary, sent to the front.
pub fn capabilities(p: &Policy) -> pve_mcp_proto::Capabilities {
    let strings = |v: &mut dyn Iterator<Item = String>| v.collect::<Vec<_>>();
    let probe = |path: &str| {
        pve_mcp_proto::ApiPath::parse(path).is_ok_and(|path| {
            p.api
                .iter()
                .any(|r| r.method == pve_mcp_proto::ApiMethod::Get && r.pattern.matches(&path))
        })
    };
    let mut grants = Vec::new();
    if !p.guests.actions.is_empty() {
        grants.push(pve_mcp_proto::GrantSummary {
            rule: "guests".into(),
            guests: Vec::new(),
            operations: strings(&mut p.guests.actions.iter().map(|a| a.as_str().to_owned())),
            confirm: strings(&mut p.guests.confirm.iter().map(|a| a.as_str().to_owned())),
        });
    }
    pve_mcp_proto::Capabilities {
        guests: strings(&mut p.guests.allow.iter().map(ToString::to_string)),
        guests_except: strings(&mut p.guests.deny.iter().map(ToString::to_string)),
        grants,
        api: strings(&mut p.api.iter().map(ToString::to_string)),
        node_list: probe("/nodes"),
        node_detail: probe("/nodes/x/status"),
        commands: strings(&mut p.commands.allow.iter().map(ToString::to_string)),
        limits: String::new(),
    }
}
