//! What the policy in force lets this client do, as the helper describes it
//! (`Request::Describe`): fetched once at start-up in the background, then again at
//! `tools/list` time, or after a tool call, when older than its maximum age (a policy
//! reload shows within that time; a session that has listed the tools is then told
//! `notifications/tools/list_changed`). It decides which tools are listed and writes
//! the server instructions and the per-tool policy notes.
//!
//! Informational only: the helper judges every call whatever is listed. So when the
//! helper cannot be asked, every tool is listed (each call then says why it failed)
//! and nothing is cached, so the next listing asks again: a helper that was down at
//! start-up never hides tools for the rest of the session.

use crate::helper::HelperClient;
use pve_mcp_proto::{Capabilities, Describe, Payload, Request, Response};
use std::{
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};
use tokio::task::JoinHandle;

/// How long a description is reused, unless configured otherwise.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(10);
/// How long a `tools/list` waits for a fresh description before listing every tool.
const DESCRIBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How many entries of one list the instructions and notes show.
const SHOWN: usize = 12;

type Described = Option<Arc<Capabilities>>;

/// The cached description, shared by the session's handlers.
#[derive(Debug, Clone)]
pub struct Permissions {
    helper: HelperClient,
    max_age: Duration,
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    cached: Mutex<Option<(Instant, Arc<Capabilities>)>>,
    startup: Mutex<Option<JoinHandle<Described>>>,
    /// The description the last `tools/list` used (`Some(None)`: it listed everything).
    listed: Mutex<Option<Described>>,
}

impl Permissions {
    pub fn new(helper: HelperClient, max_age: Duration) -> Self {
        Self {
            helper,
            max_age,
            inner: Arc::default(),
        }
    }

    /// Starts asking the helper in the background, so that `initialize` (which usually
    /// arrives at once) can use the answer without waiting for a round trip of its own.
    pub fn prefetch(&self) {
        let this = self.clone();
        let task = tokio::spawn(async move { this.fetch().await });
        *lock(&self.inner.startup) = Some(task);
    }

    /// The start-up description if it arrives within `wait`; else whatever is cached.
    pub async fn at_startup(&self, wait: Duration) -> Described {
        let task = lock(&self.inner.startup).take();
        if let Some(mut task) = task {
            // On timeout the task is detached, and still fills the cache when it ends.
            if let Ok(Ok(described)) = tokio::time::timeout(wait, &mut task).await {
                return described;
            }
        }
        self.cached(self.max_age)
    }

    /// The cached description if younger than `max_age`.
    pub fn cached(&self, max_age: Duration) -> Described {
        lock(&self.inner.cached)
            .as_ref()
            .filter(|(at, _)| at.elapsed() < max_age)
            .map(|(_, caps)| caps.clone())
    }

    /// A description at most the maximum age old, asking the helper if needed; `None`
    /// when the helper cannot say (then nothing is hidden).
    pub async fn current(&self) -> Described {
        match self.cached(self.max_age) {
            Some(caps) => Some(caps),
            None => self.fetch().await,
        }
    }

    /// The description for `tools/list`, remembered to detect a later change.
    pub async fn for_listing(&self) -> Described {
        let caps = self.current().await;
        *lock(&self.inner.listed) = Some(caps.clone());
        caps
    }

    /// Whether the tools listed last would now be listed differently (asking the helper
    /// if the description is stale). An unreachable helper changes nothing.
    pub async fn changed_since_listing(&self) -> bool {
        let Some(listed) = lock(&self.inner.listed).clone() else {
            return false;
        };
        let now = self.current().await;
        let changed = match (&listed, &now) {
            (Some(before), Some(now)) => before != now,
            (None, Some(_)) => true,
            (_, None) => false,
        };
        if changed {
            *lock(&self.inner.listed) = Some(now);
        }
        changed
    }

    async fn fetch(&self) -> Described {
        let request = Request::Describe(Describe {});
        let answer = tokio::time::timeout(DESCRIBE_TIMEOUT, self.helper.call(&request)).await;
        match answer {
            Ok(Ok(Response::Ok(Payload::Capabilities(caps)))) => {
                let caps = Arc::new(caps);
                *lock(&self.inner.cached) = Some((Instant::now(), caps.clone()));
                Some(caps)
            }
            Ok(Ok(other)) => {
                tracing::warn!(?other, "the helper answered describe unexpectedly");
                None
            }
            Ok(Err(e)) => {
                tracing::info!(error = %e, "cannot ask the helper what the policy allows");
                None
            }
            Err(_) => {
                tracing::info!("the helper did not describe the policy in time");
                None
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The lifecycle actions `vm_action` knows.
const ACTIONS: [&str; 7] = [
    "start", "stop", "shutdown", "reboot", "reset", "suspend", "resume",
];

/// The tools that need a grant of one guest operation, with that operation.
const GRANT_TOOLS: [(&str, &str); 19] = [
    ("backup_start", "backup.create"),
    ("guest_agent", "agent.read"),
    ("guest_config", "config.read"),
    ("guest_metrics", "metrics.read"),
    ("list_backups", "backup.list"),
    ("snapshot_list", "snapshot.list"),
    ("snapshot_create", "snapshot.create"),
    ("snapshot_rollback", "snapshot.rollback"),
    ("snapshot_delete", "snapshot.delete"),
    ("guest_clone", "clone"),
    ("guest_template", "template"),
    ("guest_configure", "config.write"),
    ("disk_resize", "disk.resize"),
    ("guest_migrate", "migrate"),
    ("guest_delete", "delete"),
    ("backup_restore", "backup.restore"),
    ("volume_delete", "backup.delete"),
    ("task_cancel", "task.cancel"),
    ("agent_exec", "agent.exec"),
];

/// Whether some grant allows `op`, and whether some grant asks to confirm it.
fn granted(caps: &Capabilities, op: &str) -> (bool, bool) {
    let has = |list: &Vec<String>| list.iter().any(|o| o == op);
    (
        caps.grants.iter().any(|g| has(&g.operations)),
        caps.grants.iter().any(|g| has(&g.confirm)),
    )
}

/// Which guests the grants of `op` cover: `every guest in scope` or their selectors.
fn covered(caps: &Capabilities, op: &str) -> String {
    let grants: Vec<_> = caps
        .grants
        .iter()
        .filter(|g| g.operations.iter().any(|o| o == op))
        .collect();
    if grants.iter().any(|g| g.guests.is_empty()) {
        return "every guest in scope".into();
    }
    let selectors: Vec<&String> = grants.iter().flat_map(|g| g.guests.iter()).collect();
    format!("guests matching {}", some(&selectors))
}

/// Granted lifecycle actions, and those among them that need confirmation.
fn actions(caps: &Capabilities) -> (Vec<&str>, Vec<&str>) {
    let mut granted = Vec::new();
    let mut confirm = Vec::new();
    for action in ACTIONS {
        let grants = caps.grants.iter();
        if grants
            .clone()
            .any(|g| g.operations.iter().any(|o| o == action))
        {
            granted.push(action);
        }
        if grants
            .clone()
            .any(|g| g.confirm.iter().any(|o| o == action))
        {
            confirm.push(action);
        }
    }
    (granted, confirm)
}

/// Whether the policy leaves anything for `tool` to do. Unknown tools are listed.
pub fn allows(tool: &str, caps: &Capabilities) -> bool {
    let scope = !caps.guests.is_empty();
    match tool {
        "list_vms" | "vm_status" => scope,
        "vm_action" => scope && !actions(caps).0.is_empty(),
        "node_status" => caps.node_list || caps.node_detail,
        "list_tasks" => caps.task_list || caps.node_tasks,
        "cluster_status" => caps.cluster_status,
        "list_storage" => caps.storage_all || caps.storage_node,
        "storage_content" => caps.storage_content,
        "backup_start" => {
            scope && granted(caps, "backup.create").0 && !caps.backup_storages.is_empty()
        }
        "task_log" | "task_status" => scope || !caps.api.is_empty(),
        "proxmox_api" => !caps.api.is_empty(),
        "firewall" => {
            caps.firewall_cluster || caps.firewall_node || (scope && guest_firewall_readable(caps))
        }
        "list_pools" => caps.pools,
        "ha_resources" => caps.ha_resources,
        "guest_create" | "next_vmid" => caps.create.is_some(),
        "guest_clone" => scope && granted(caps, "clone").0 && caps.create.is_some(),
        "guest_configure" => {
            scope && granted(caps, "config.write").0 && !caps.config_keys.is_empty()
        }
        "guest_migrate" => scope && granted(caps, "migrate").0 && !caps.migrate_nodes.is_empty(),
        "agent_exec" => scope && granted(caps, "agent.exec").0 && !caps.agent_exec.is_empty(),
        "volume_delete" => (scope && granted(caps, "backup.delete").0) || caps.media_delete,
        "storage_download" => !caps.download_from.is_empty(),
        "execute_command" => !caps.commands.is_empty(),
        tool => match GRANT_TOOLS.iter().find(|(t, _)| *t == tool) {
            Some((_, op)) => scope && granted(caps, op).0,
            None => true,
        },
    }
}

/// Whether raw API patterns let some guest's firewall be read: its rules and its
/// options (`GET /nodes/{node}/{qemu|lxc}/{vmid}/firewall/{rules,options}`), both of
/// which the helper reads and checks.
fn guest_firewall_readable(caps: &Capabilities) -> bool {
    let readable = |kind: &str, part: &str| {
        caps.api.iter().any(|pattern| {
            pattern
                .strip_prefix("GET ")
                .is_some_and(|path| covers(path, &["nodes", "", kind, "", "firewall", part]))
        })
    };
    ["qemu", "lxc"]
        .iter()
        .any(|kind| readable(kind, "rules") && readable(kind, "options"))
}

/// Whether the path pattern (`*` one segment, `**` the rest) matches the path
/// `segments`, whose empty segments stand for any value.
fn covers(pattern: &str, segments: &[&str]) -> bool {
    let mut parts = pattern.trim_start_matches('/').split('/');
    for want in segments {
        match parts.next() {
            Some("**") => return true,
            Some("*") => {}
            Some(literal) if want.is_empty() || literal == *want => {}
            _ => return false,
        }
    }
    parts.next().is_none()
}

/// `a, b, c and 4 more`.
fn some(items: &[impl AsRef<str>]) -> String {
    let shown: Vec<&str> = items.iter().take(SHOWN).map(AsRef::as_ref).collect();
    let mut out = shown.join(", ");
    if items.len() > SHOWN {
        out.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    out
}

/// The policy's words for one tool, appended to its description; `None` when the
/// tool's description needs none.
pub fn note(tool: &str, caps: &Capabilities) -> Option<String> {
    if let Some(note) = notes::lifecycle(tool, caps) {
        return Some(note);
    }
    match tool {
        "vm_action" => {
            let (granted, confirm) = actions(caps);
            let mut note = format!("Allowed by the current policy: {}.", granted.join(", "));
            if !confirm.is_empty() {
                note.push_str(&format!(
                    " The user is asked to confirm first (the call waits for the answer): {}.",
                    confirm.join(", ")
                ));
            }
            Some(note)
        }
        "proxmox_api" => Some(format!(
            "Allowed by the current policy: {}.",
            some(&caps.api)
        )),
        "execute_command" => Some(format!(
            "Allowed by the current policy (\"*\" is one plain argument): {}.{}",
            some(&caps.commands),
            match caps.command_timeout_secs {
                0 => String::new(),
                secs => format!(" Each may run for up to {secs} s."),
            }
        )),
        tool => {
            let (_, op) = GRANT_TOOLS.iter().find(|(t, _)| *t == tool)?;
            let mut note = format!("Allowed by the current policy on {}.", covered(caps, op));
            if granted(caps, op).1 {
                note.push_str(
                    " The user is asked to confirm first (the call waits for the answer).",
                );
            }
            Some(note)
        }
    }
}

pub mod notes;
pub use notes::{GENERIC_INSTRUCTIONS, instructions};

#[cfg(test)]
mod tests;
