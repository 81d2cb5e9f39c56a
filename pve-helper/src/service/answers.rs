//! What leaves the helper about guests: every answer from Proxmox is filtered for every
//! shape that can name a guest (listing entries, pool members, HA resources and
//! rules, tasks, backup and replication jobs, volumes, ACL paths, configurations,
//! free text), with the one notion of a guest reference in `policy::refs`. Answers are
//! untrusted: an entry naming a guest in a way that cannot be read exactly is dropped.

use crate::policy::{Filter, Policy, node_task_names_no_guest, refs};
use crate::pve::resources::Snapshot;
use pve_mcp_proto::{Upid, VmId};
use serde_json::{Map, Value};

/// What stands in for text that names a guest the client may not see.
pub const WITHHELD: &str = "[withheld: names a guest outside this client's scope]";

/// The client's view: the policy's scope over the guests that exist now.
pub struct Viewer<'a> {
    pub policy: &'a Policy,
    pub snap: &'a Snapshot,
}

impl Viewer<'_> {
    /// The guest exists and is in scope.
    pub fn guest(&self, vmid: VmId) -> bool {
        self.snap
            .get(vmid)
            .is_some_and(|g| self.policy.guest_scope(g).is_some())
    }

    /// Free text may be shown: it names no guest that exists outside the scope.
    pub fn text(&self, text: &str) -> bool {
        refs::vmids_in_text(text).all(|v| self.snap.get(v).is_none() || self.guest(v))
    }

    /// The text, or [`WITHHELD`] when it names a guest outside the scope.
    pub fn scrub(&self, text: &str) -> String {
        if self.text(text) {
            text.to_owned()
        } else {
            WITHHELD.to_owned()
        }
    }

    /// A task may be shown: its guest is in scope, or it is a node task that acts on
    /// no guest (or one this helper started, `own`).
    pub fn task(&self, upid: &str, own: bool) -> bool {
        let Ok(upid) = Upid::parse(upid) else {
            return false;
        };
        match refs::task_guest(&upid) {
            Ok(Some(v)) => self.guest(v),
            Ok(None) if let Some((from, to)) = refs::task_moved_between(&upid) => {
                self.guest(from) && self.guest(to)
            }
            Ok(None) => own || node_task_names_no_guest(&upid),
            Err(_) => false,
        }
    }

    /// A volume may be shown: every guest its name (and the vmid listed with it)
    /// names is in scope. A guest's volume whose guest cannot be told is not shown.
    pub fn volume(&self, volid: &str, listed_vmid: Option<&Value>) -> bool {
        if let Some(v) = listed_vmid
            && !self.vmid_value(v)
        {
            return false;
        }
        match refs::volume(volid) {
            // A guest's volume or backup whose guest cannot be told is not shown.
            Ok(vol) => {
                !matches!(
                    vol.content,
                    refs::Content::Unknown | refs::Content::Backup(None)
                ) && vol.guests().all(|g| self.guest(g))
            }
            Err(_) => false,
        }
    }

    /// A `vmid` field (a number or a string) names a visible guest.
    fn vmid_value(&self, v: &Value) -> bool {
        vmid_of(v).is_some_and(|id| self.guest(id))
    }

    /// Filters `data`, the answer of an allowed raw read of class `filter`. `Err`: the
    /// one object asked for is about guests the client may not see (read as "not
    /// found").
    pub fn filter(&self, filter: Filter, data: &mut Value) -> Result<(), ()> {
        self.filter_shape(filter, data)?;
        // A digest is taken over the whole file, hidden entries included: it would
        // change when they do.
        if filter != Filter::Config {
            strip_digests(data);
        }
        Ok(())
    }

    fn filter_shape(&self, filter: Filter, data: &mut Value) -> Result<(), ()> {
        match filter {
            Filter::Resources => self.resources(data),
            Filter::GuestEntries => retain(data, |e| {
                e.get("vmid").is_none_or(|v| self.vmid_value(v))
                    && e.get("volid")
                        .and_then(Value::as_str)
                        .is_none_or(|vol| self.volume(vol, None))
            }),
            Filter::Tasks => {
                retain(data, |e| {
                    e.get("upid")
                        .and_then(Value::as_str)
                        .is_some_and(|u| self.task(u, false))
                        && e.get("id")
                            .and_then(Value::as_str)
                            .is_none_or(|id| self.text(id))
                });
                self.scrub_fields(data, &["status", "exitstatus"]);
            }
            Filter::Task => self.task_answer(data),
            Filter::Pools => match data {
                Value::Array(pools) => {
                    for p in pools.iter_mut() {
                        self.members(p);
                    }
                }
                other => self.members(other),
            },
            Filter::HaResources => retain(data, |e| {
                e.get("sid")
                    .and_then(Value::as_str)
                    .is_some_and(|s| refs::ha_resource(s).is_ok_and(|v| self.guest(v)))
            }),
            Filter::HaStatus => {
                retain(data, |e| match e.get("sid").and_then(Value::as_str) {
                    Some(sid) => refs::ha_resource(sid).is_ok_and(|v| self.guest(v)),
                    None => e.get("type").and_then(Value::as_str) != Some("service"),
                });
                self.scrub_fields(data, &["id", "status"]);
            }
            Filter::HaRules => return self.each_or_one(data, |v, e| v.ha_rule(e)),
            Filter::BackupJobs => return self.each_or_one(data, |v, e| v.backup_job(e)),
            Filter::IncludedVolumes => {
                if let Some(children) = data.get_mut("children") {
                    retain(children, |c| {
                        c.get("id").is_some_and(|v| self.vmid_value(v))
                    });
                    // A guest in scope may hold a volume named for one out of it.
                    if let Value::Array(guests) = children {
                        for g in guests {
                            if let Some(disks) = g.get_mut("children") {
                                retain(disks, |d| {
                                    d.get("name")
                                        .and_then(Value::as_str)
                                        .is_none_or(|vol| self.volume(vol, None))
                                });
                            }
                        }
                    }
                }
            }
            Filter::Replication => retain(data, |e| {
                e.get("guest").is_none_or(|v| self.vmid_value(v))
                    && e.get("id")
                        .and_then(Value::as_str)
                        .is_some_and(|id| refs::replication_job(id).is_ok_and(|v| self.guest(v)))
            }),
            Filter::Content => retain(data, |e| {
                e.get("volid")
                    .and_then(Value::as_str)
                    .is_some_and(|vol| self.volume(vol, e.get("vmid")))
            }),
            Filter::Config => self.config(data),
            Filter::ConfigText => {
                if let Value::String(text) = data {
                    *text = self.config_text(text);
                }
            }
            Filter::Acl => retain(data, |e| {
                e.get("path")
                    .and_then(Value::as_str)
                    .is_some_and(|p| self.acl_path(p))
            }),
            Filter::Permissions => {
                if let Value::Object(map) = data {
                    map.retain(|path, _| self.acl_path(path));
                }
            }
        }
        Ok(())
    }

    /// `/cluster/resources`: guests out of scope dropped, and the figures of pools
    /// (their members' CPU, memory and disk, summed by Proxmox over every member)
    /// dropped too: they would count guests out of scope.
    fn resources(&self, data: &mut Value) {
        retain(data, |e| match e.get("id").and_then(Value::as_str) {
            Some(id) if id.starts_with("qemu/") || id.starts_with("lxc/") => {
                let rest = id.split_once('/').map_or("", |(_, r)| r);
                refs::vmid(rest).is_ok_and(|v| self.guest(v))
                    && e.get("vmid").is_none_or(|v| self.vmid_value(v))
            }
            _ => e.get("vmid").is_none_or(|v| self.vmid_value(v)),
        });
        if let Value::Array(items) = data {
            for e in items {
                if e.get("type").and_then(Value::as_str) == Some("pool")
                    && let Value::Object(map) = e
                {
                    map.retain(|k, _| matches!(k.as_str(), "id" | "type" | "pool" | "comment"));
                }
            }
        }
    }

    /// `/vms/N` paths name guests; others (`/`, `/nodes/x`, `/pool/x`) do not.
    fn acl_path(&self, path: &str) -> bool {
        match path.strip_prefix("/vms/") {
            Some(id) => refs::vmid(id).is_ok_and(|v| self.guest(v)),
            None => true,
        }
    }

    fn members(&self, pool: &mut Value) {
        if let Some(members) = pool.get_mut("members") {
            retain(members, |m| match m.get("type").and_then(Value::as_str) {
                Some("storage") => true,
                _ => {
                    let by_id = m
                        .get("id")
                        .and_then(Value::as_str)
                        .and_then(|id| id.split_once('/'))
                        .and_then(|(_, n)| refs::vmid(n).ok());
                    let by_vmid = m.get("vmid").and_then(vmid_of);
                    match (by_id, by_vmid) {
                        (Some(a), Some(b)) => a == b && self.guest(a),
                        (Some(a), None) | (None, Some(a)) => self.guest(a),
                        (None, None) => false,
                    }
                }
            });
        }
    }

    /// Applies `one` to each entry of a list (dropping those it refuses), or to the
    /// one object asked for.
    fn each_or_one(
        &self,
        data: &mut Value,
        one: impl Fn(&Self, &mut Value) -> bool,
    ) -> Result<(), ()> {
        match data {
            Value::Array(items) => {
                items.retain_mut(|e| one(self, e));
                Ok(())
            }
            other => {
                if one(self, other) {
                    Ok(())
                } else {
                    Err(())
                }
            }
        }
    }

    /// An HA rule is shown only when every resource it names is in scope: its
    /// comment and placement would tell of the others.
    fn ha_rule(&self, rule: &mut Value) -> bool {
        match rule.get("resources").and_then(Value::as_str) {
            Some(list) => list
                .split(',')
                .filter(|s| !s.trim().is_empty())
                .all(|s| refs::ha_resource(s.trim()).is_ok_and(|v| self.guest(v))),
            None => true,
        }
    }

    /// A backup job is shown only when every guest it names (`vmid`, `exclude`) is in
    /// scope; a job of all guests or a pool names none.
    fn backup_job(&self, job: &mut Value) -> bool {
        ["vmid", "exclude"]
            .iter()
            .all(|field| match job.get(*field) {
                Some(Value::String(list)) => list
                    .split([',', ';', ' '])
                    .filter(|s| !s.is_empty())
                    .all(|s| refs::vmid(s).is_ok_and(|v| self.guest(v))),
                Some(v @ Value::Number(_)) => self.vmid_value(v),
                Some(_) => false,
                None => true,
            })
    }

    fn task_answer(&self, data: &mut Value) {
        match data {
            // A log: lines naming a guest outside the scope are withheld.
            Value::Array(lines) => {
                for l in lines.iter_mut() {
                    if let Some(Value::String(t)) = l.get_mut("t")
                        && !self.text(t)
                    {
                        *t = WITHHELD.to_owned();
                    }
                }
            }
            other => self.scrub_fields(other, &["exitstatus", "status"]),
        }
    }

    fn scrub_fields(&self, data: &mut Value, fields: &[&str]) {
        let scrub_one = |e: &mut Value| {
            for f in fields {
                if let Some(Value::String(t)) = e.get_mut(*f)
                    && !self.text(t)
                {
                    *t = WITHHELD.to_owned();
                }
            }
        };
        match data {
            Value::Array(items) => items.iter_mut().for_each(scrub_one),
            other => scrub_one(other),
        }
    }

    /// A configuration object, or pending values (`[{key, value, pending}]`): secrets
    /// redacted as `guest_config` redacts them, volumes of guests outside the scope
    /// withheld.
    fn config(&self, data: &mut Value) {
        match data {
            Value::Object(map) => self.config_map(map),
            Value::Array(items) => {
                for item in items {
                    let key = item
                        .get("key")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned();
                    if let Value::Object(entry) = item {
                        for field in ["value", "pending"] {
                            if let Some(v) = entry.get_mut(field) {
                                *v = Value::String(self.config_value(&key, v));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn config_map(&self, map: &mut Map<String, Value>) {
        for (key, value) in map.iter_mut() {
            if key == "digest" {
                continue;
            }
            if matches!(value, Value::String(_)) {
                *value = Value::String(self.config_value(key, value));
            }
        }
    }

    fn config_value(&self, key: &str, value: &Value) -> String {
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let redacted = super::redact::redact_value(key, &text);
        if key == "description" || self.text(&redacted) {
            redacted
        } else {
            WITHHELD.to_owned()
        }
    }

    fn config_text(&self, text: &str) -> String {
        text.lines()
            .map(|line| match line.split_once(':') {
                Some((k, v)) if !line.starts_with('#') => {
                    let v = self.config_value(k.trim(), &Value::String(v.trim().to_owned()));
                    format!("{k}: {v}")
                }
                _ => line.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A `vmid` as Proxmox lists it: a number or a string of digits, read exactly.
pub fn vmid_of(v: &Value) -> Option<VmId> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| VmId::new(n).ok()),
        Value::String(s) => refs::vmid(s).ok(),
        _ => None,
    }
}

/// Drops `digest` members of an object or of a list's entries.
fn strip_digests(data: &mut Value) {
    match data {
        Value::Object(map) => {
            map.remove("digest");
        }
        Value::Array(items) => {
            for e in items {
                if let Value::Object(map) = e {
                    map.remove("digest");
                }
            }
        }
        _ => {}
    }
}

/// Keeps the entries of a list for which `keep` holds (a non-list stays as it is).
fn retain(data: &mut Value, mut keep: impl FnMut(&Value) -> bool) {
    if let Value::Array(items) = data {
        items.retain(|e| keep(e));
    }
}
