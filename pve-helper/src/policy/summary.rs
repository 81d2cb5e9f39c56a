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
