//! One hostile tool call and its verdict. A case is a tool call through the real
//! mcp-front, as the assistant makes it, with the outcome the product promises
//! ([`Expect`]). The runner looks at everything around it: the whole answer (text,
//! structured content, error) searched for every out-of-scope vmid, name and secret the
//! call itself did not name ([`Markers`]), the write requests that reached the
//! simulator, and every guest, volume and task of the cluster before and after.
//!
//! A *bypass* is a write that reached Proxmox, a change to the cluster, or an action
//! carried out where a refusal or a confirmation was due. A *leak* is an out-of-scope
//! guest's vmid, name or data, or a secret, in an answer; or an answer about an
//! invisible guest where "not found" was due; or a refusal that reads differently for
//! an invisible guest than for one that does not exist. An *imprecise* verdict is a
//! refusal that does not name the rule (or "not visible") it should.

use super::world::{GONE, HIDDEN, SECRETS, World};
use pve_mcp_tests::client::{Client, is_error, text};
use serde_json::Value;
use std::collections::BTreeMap;

/// The classes of attack, one submodule each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    Tools,
    RawReads,
    Tasks,
    Oracles,
    Parsing,
    Bounds,
    RawWrites,
    Reuse,
    Confirm,
    SideChannels,
}

impl Class {
    pub const ALL: [Class; 10] = [
        Class::Tools,
        Class::RawReads,
        Class::Tasks,
        Class::Oracles,
        Class::Parsing,
        Class::Bounds,
        Class::RawWrites,
        Class::Reuse,
        Class::Confirm,
        Class::SideChannels,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Class::Tools => "1 every tool, read as the model",
            Class::RawReads => "2 raw GET answers",
            Class::Tasks => "3 task leaks",
            Class::Oracles => "4 refusals that reveal",
            Class::Parsing => "5 fail-open parsing",
            Class::Bounds => "6 bounds of the resulting guest",
            Class::RawWrites => "7 raw writes beyond the path",
            Class::Reuse => "8 reused vmids",
            Class::Confirm => "9 confirmation shed",
            Class::SideChannels => "10 side channels",
        }
    }
}

/// What the product must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// An answer, with nothing out of scope in it.
    Answer,
    /// Refused as a guest that does not exist or is not visible.
    NotFound,
    /// Refused by a policy rule whose name starts with this (`""`: any rule).
    Denied(&'static str),
    /// Refused: by a rule, or as not found.
    Refused,
    /// Not carried out before the user confirms (this client cannot ask): refused for
    /// want of a confirmation, or by a rule, or as not found.
    Confirm,
    /// Refused, or answered with nothing out of scope in it (an answer the helper can
    /// filter).
    RefusedOrClean,
}

/// Who makes the call: a client that cannot ask its user, or one whose user says yes
/// to every confirmation (so that only the policy stands in the way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Model,
    UserSaysYes,
}

/// One finished case.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub class: Class,
    pub name: String,
    pub bypasses: Vec<String>,
    pub leaks: Vec<String>,
    pub imprecise: Option<String>,
}

/// The text a client got: the whole result as JSON, or the protocol error.
#[derive(Debug, Clone)]
pub struct Answer {
    pub error: bool,
    /// The text content (or the protocol error's message).
    pub message: String,
    /// Everything the model sees, serialized.
    pub everything: String,
}

impl Answer {
    pub fn denied(&self, rule: &str) -> bool {
        self.error
            && self.message.starts_with("Denied")
            && self.message.contains(&format!("(rule: {rule}"))
    }

    pub fn not_found(&self) -> bool {
        self.error && self.message.contains("does not exist or is not visible")
    }

    pub fn needs_confirmation(&self) -> bool {
        self.error && self.message.to_lowercase().contains("confirm")
    }

    /// Refused by a rule, as not found, or as invalid input (the helper's validation,
    /// before any rule: a malformed path, an unparsable value).
    pub fn policy_refusal(&self) -> bool {
        self.denied("") || self.not_found() || (self.error && self.message.starts_with("Invalid"))
    }
}

/// Whether `text` holds `n` as a whole number: not next to a letter, digit or `.`
/// (so `vm-250-disk`, `vm:250`, `250@nas`, `/250/`, `"vmid":250` match, `2500`,
/// `0.250` and `1A250F` do not).
pub fn has_number(text: &str, n: u32) -> bool {
    let needle = n.to_string();
    let bytes = text.as_bytes();
    let glued = |b: u8| b.is_ascii_alphanumeric() || b == b'.';
    text.match_indices(&needle).any(|(i, _)| {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(i + needle.len()).copied();
        !before.is_some_and(glued) && !after.is_some_and(glued)
    })
}

/// `%XX` decoded (`%32%35%30` is `250`); anything else kept.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|c| hex(*c)),
                b.get(i + 2).and_then(|c| hex(*c)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The hidden things a leak is searched for.
pub struct Markers;

impl Markers {
    /// The markers in `answer` that `request` did not name itself (also percent-encoded).
    pub fn found(answer: &str, request: &str) -> Vec<String> {
        let request = &percent_decode(request);
        let mut out = Vec::new();
        for (vmid, name) in HIDDEN.iter().chain(GONE.iter()) {
            if has_number(answer, *vmid) && !has_number(request, *vmid) {
                out.push(format!("vmid {vmid}"));
            }
            let hidden_name = name.starts_with("hidden-");
            if hidden_name && answer.contains(name) && !request.contains(name) {
                out.push(format!("name {name}"));
            }
        }
        for s in SECRETS {
            if answer.contains(s) {
                out.push(format!("secret {s}"));
            }
        }
        out
    }
}

/// What the cluster looks like, to tell whether a call changed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// Tasks still running (the recorded consoles and backups never end).
    pub running: usize,
    writes: BTreeMap<String, u64>,
    tasks_started: u64,
    guests: BTreeMap<u32, String>,
    volumes: Vec<String>,
}

impl State {
    pub fn of(world: &World) -> State {
        let sim = world.sim();
        let stats = sim.stats();
        let guests = sim
            .vmids()
            .into_iter()
            .map(|v| {
                let s = sim.guest_state(v);
                let summary = s.map(|s| {
                    format!(
                        "{} {} {} {:?} {:?} tpl={} {:?} mem={} disk={} {:?}",
                        s.node,
                        s.name,
                        s.kind.as_str(),
                        s.pool,
                        s.tags,
                        s.template,
                        s.power,
                        s.maxmem,
                        s.maxdisk,
                        s.lock
                    )
                });
                (v, format!("{summary:?} {:?}", sim.guest_config(v)))
            })
            .collect();
        let mut volumes = Vec::new();
        for node in ["pve1", "pve2", "pve3"] {
            for storage in ["local", "local-lvm", "nas"] {
                volumes.extend(
                    sim.volumes(node, storage)
                        .into_iter()
                        .map(|v| format!("{node}/{v}")),
                );
            }
        }
        State {
            running: sim.running_tasks(),
            writes: stats.writes(),
            tasks_started: stats.tasks_started,
            guests,
            volumes,
        }
    }

    /// What changed from `self` to `after`, in words.
    pub fn changes(&self, after: &State) -> Vec<String> {
        let mut out = Vec::new();
        for (k, n) in &after.writes {
            let before = self.writes.get(k).copied().unwrap_or(0);
            if *n > before {
                out.push(format!("write reached Proxmox: {k}"));
            }
        }
        if after.tasks_started > self.tasks_started {
            out.push(format!(
                "{} task(s) started",
                after.tasks_started - self.tasks_started
            ));
        }
        for (vmid, g) in &after.guests {
            match self.guests.get(vmid) {
                None => out.push(format!("guest {vmid} appeared")),
                Some(before) if before != g => out.push(format!("guest {vmid} changed")),
                Some(_) => {}
            }
        }
        for vmid in self.guests.keys() {
            if !after.guests.contains_key(vmid) {
                out.push(format!("guest {vmid} is gone"));
            }
        }
        if after.volumes != self.volumes {
            out.push("storage content changed".to_owned());
        }
        out
    }
}

/// Whether a request names an out-of-scope or destroyed guest (also percent-encoded).
pub fn names_hidden(request: &str) -> bool {
    let request = percent_decode(request);
    HIDDEN
        .iter()
        .chain(GONE.iter())
        .any(|(vmid, _)| has_number(&request, *vmid))
}

/// Whether a call asks for a change (a write tool, or a raw call other than GET).
pub fn is_write(tool: &str, args: &Value) -> bool {
    match tool {
        "proxmox_api" => args["method"].as_str().is_some_and(|m| m != "GET"),
        "vm_action" | "snapshot_create" | "snapshot_rollback" | "snapshot_delete"
        | "backup_start" | "guest_create" | "guest_clone" | "guest_template"
        | "guest_configure" | "disk_resize" | "guest_migrate" | "guest_delete"
        | "backup_restore" | "volume_delete" | "storage_download" | "task_cancel"
        | "agent_exec" | "execute_command" | "disk_move" => true,
        _ => false,
    }
}

/// Calls a tool, as `who`.
pub async fn call(client: &Client, tool: &str, args: &Value) -> Answer {
    match client.call(tool, args.clone()).await {
        Ok(r) => Answer {
            error: is_error(&r),
            message: text(&r),
            everything: r.to_string(),
        },
        Err(e) => Answer {
            error: true,
            message: format!("{e:#}"),
            everything: format!("{e:#}"),
        },
    }
}

/// Judges an answer against what was expected; returns (bypasses, leaks, imprecise).
pub fn judge(
    expect: Expect,
    write: bool,
    request: &str,
    a: &Answer,
    changes: Vec<String>,
) -> (Vec<String>, Vec<String>, Option<String>) {
    let mut bypasses = changes;
    let mut leaks: Vec<String> = Markers::found(&a.everything, request)
        .into_iter()
        .map(|m| format!("{m} in the answer"))
        .collect();
    let short: String = a.message.chars().take(300).collect();
    let answered = |what: &str| format!("answered where {what} was due: {short}");
    let mut imprecise = None;
    match expect {
        Expect::Answer => {
            if a.error {
                imprecise = Some(format!("refused where an answer was due: {short}"));
            }
        }
        Expect::NotFound => {
            if !a.error {
                if write {
                    bypasses.push(answered("not found"));
                } else {
                    leaks.push(answered("not found"));
                }
            } else if !a.not_found() {
                imprecise = Some(format!("not refused as not found: {short}"));
            }
        }
        Expect::Denied(rule) => {
            if !a.error {
                bypasses.push(answered("a refusal"));
            } else if !a.denied(rule) {
                imprecise = Some(format!("not refused by rule {rule:?}: {short}"));
            }
        }
        Expect::Refused => {
            if !a.error {
                if write {
                    bypasses.push(answered("a refusal"));
                } else if names_hidden(request) {
                    leaks.push(answered("a refusal of a call naming a hidden guest"));
                } else if leaks.is_empty() {
                    imprecise = Some(format!("answered where a refusal was due: {short}"));
                }
            } else if !a.policy_refusal() {
                imprecise = Some(format!("not refused by the policy: {short}"));
            }
        }
        Expect::Confirm => {
            if !a.error {
                bypasses.push(answered("a confirmation"));
            } else if !a.needs_confirmation() && !a.policy_refusal() {
                imprecise = Some(format!("not refused for want of a confirmation: {short}"));
            }
        }
        Expect::RefusedOrClean => {
            if !a.error && write {
                bypasses.push(answered("a refusal"));
            }
        }
    }
    (bypasses, leaks, imprecise)
}
