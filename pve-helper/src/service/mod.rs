//! The request pipeline: gather facts, judge with the policy, audit, and only then
//! execute. Every request arrives here already deserialized into validated proto
//! types, and is still judged as hostile.

mod agent;
mod answers;
mod api;
mod cluster;
mod config;
mod disk_move;
mod firewall_edit;
mod guests;
mod lifecycle;
mod metrics;
mod networks;
mod nodes;
mod outcome;
mod redact;
mod snapshots;
mod state;
mod storage;
mod tasks;

pub use outcome::{OpResult, upstream_error};
pub use state::Service;

use crate::{
    audit::{self, Record},
    commands,
    peer::Client,
    policy::{Decision, Facts, GuestFacts, Policy, config_vmids, decide, referenced_vmids},
    pve::PveError,
    stages::{self, Stage},
};
use pve_mcp_proto::{ErrorBody, ErrorKind, Payload, Request, Response};
use state::STARTED_TASKS;
use std::time::Instant;

impl Service {
    /// Admits (limits), judges, executes and audits one request; with `plan`, or for
    /// a change under `[changes] plans_only`, runs it as a plan ([`crate::pve::plan`]).
    /// The policy is the client's as it is now: a reload between two requests of one
    /// connection judges the second by the new one.
    pub async fn handle(&self, client: &Client, request: Request, plan: bool) -> Response {
        let started = Instant::now();
        let described = audit::describe(&request);
        let (verdict, rule, result) = match self.policy_for(client) {
            // Its policy was removed since it connected: no longer a client.
            None => (
                "deny",
                "clients".to_owned(),
                Err(ErrorBody {
                    kind: ErrorKind::Denied,
                    message: not_a_client(client, &self.policies()),
                    rule: Some("clients".to_owned()),
                    upstream_status: None,
                }),
            ),
            Some(policy) => {
                self.admit_and_run(client, &policy, request, plan, started)
                    .await
            }
        };
        stages::timed_sync(Stage::Judge, || {
            self.audit.record(&Record::new(
                client, &described, verdict, &rule, &result, started,
            ));
        });
        match result {
            Ok(p) => Response::Ok(p),
            Err(e) => Response::Err(e),
        }
    }

    /// Admits the request under the client's limits, then judges and runs it.
    async fn admit_and_run(
        &self,
        client: &Client,
        policy: &Policy,
        request: Request,
        plan: bool,
        started: Instant,
    ) -> (&'static str, String, OpResult) {
        match self.limiter.admit(client.peer.uid, policy.limits, started) {
            Err(refusal) => (
                "limited",
                "limits".to_owned(),
                Err(ErrorBody::new(ErrorKind::RateLimited, refusal.to_string())),
            ),
            Ok(_permit) => {
                let plan = plan || policy.plans_only && request.changes();
                self.judge_and_run(policy, request, plan).await
            }
        }
    }

    /// Gathers facts, decides, and executes only what the policy allows.
    async fn judge_and_run(
        &self,
        policy: &Policy,
        mut request: Request,
        plan: bool,
    ) -> (&'static str, String, OpResult) {
        if let Err(e) = self.choose_vmid(policy, &mut request).await {
            return ("error", "facts".to_owned(), Err(e));
        }
        self.choose_node(policy, &mut request).await;
        if let Err(e) = self.pin_firewall(policy, &mut request).await {
            return ("error", "facts".to_owned(), Err(upstream_error(e)));
        }
        let facts = match stages::timed(Stage::Judge, self.facts(policy, &request)).await {
            Ok(f) => f,
            Err(e) => return ("error", "facts".to_owned(), Err(upstream_error(e))),
        };
        let decision = stages::timed_sync(Stage::Judge, || decide(policy, &request, &facts));
        let (verdict, rule) = (decision.verdict(), decision.rule().to_string());
        if plan && let Decision::Allow { .. } | Decision::Confirm { .. } = decision {
            let confirm = matches!(decision, Decision::Confirm { .. });
            let mut result = self.plan(policy, request, &rule, confirm).await;
            // A refusal Proxmox made of a read the plan needed is withheld like any.
            self.withhold(policy, &mut result).await;
            return ("plan", rule, result);
        }
        let result = match decision {
            Decision::Allow { .. } => {
                let mut result = self.execute(policy, request).await;
                self.remember(&result);
                self.withhold(policy, &mut result).await;
                result
            }
            Decision::Deny { rule, reason } => Err(ErrorBody {
                kind: ErrorKind::Denied,
                message: reason,
                rule: Some(rule.to_string()),
                upstream_status: None,
            }),
            Decision::NotFound { reason } => Err(ErrorBody::new(ErrorKind::NotFound, reason)),
            Decision::Confirm { rule, reason } => Err(ErrorBody {
                kind: ErrorKind::ConfirmationRequired,
                message: reason,
                rule: Some(rule.to_string()),
                upstream_status: None,
            }),
        };
        (verdict, rule, result)
    }

    /// Runs an allowed (or confirmable) request as a plan: what it would send, and
    /// nothing sent. A command is not run.
    async fn plan(&self, policy: &Policy, request: Request, rule: &str, confirm: bool) -> OpResult {
        let command = match &request {
            Request::RunCommand(c) => Some(c.argv.args().to_vec()),
            _ => None,
        };
        let calls = if command.is_some() {
            Vec::new()
        } else {
            let (result, calls) = crate::pve::plan::recording(self.execute(policy, request)).await;
            if calls.is_empty() {
                // Nothing would be sent: what the request answers (a refusal of
                // Proxmox's, a read) is the plan's answer.
                result?;
            }
            calls
        };
        Ok(Payload::Plan(pve_mcp_proto::Plan {
            stepwise: calls.len() > 1,
            calls: calls.into_iter().map(redact::planned).collect(),
            command,
            rule: rule.to_owned(),
            confirm,
        }))
    }

    /// Text from Proxmox that names a guest outside the scope never leaves: an error
    /// message (`VM 250 already exists`, `volume ... is used by VM 250`), a task's exit
    /// status or its log lines.
    async fn withhold(&self, policy: &Policy, result: &mut OpResult) {
        let told = |t: &pve_mcp_proto::TaskInfo| t.exitstatus.is_some() || !t.log_tail.is_empty();
        let needs = match result {
            Err(e) => !e.message.is_empty(),
            Ok(Payload::Task(t)) => told(t),
            Ok(Payload::NewGuest(g)) => told(&g.task),
            Ok(Payload::TaskLog(log)) => !log.lines.is_empty(),
            Ok(_) => false,
        };
        if !needs {
            return;
        }
        let Ok(snap) = self.cache.get(&self.pve).await else {
            return;
        };
        let viewer = answers::Viewer {
            policy,
            snap: &snap,
        };
        let task = |t: &mut pve_mcp_proto::TaskInfo| {
            t.exitstatus = t.exitstatus.as_deref().map(|s| viewer.scrub(s));
            for line in &mut t.log_tail {
                *line = viewer.scrub(line);
            }
        };
        match result {
            Err(e) if !viewer.text(&e.message) => {
                e.message = format!(
                    "Proxmox refused the request{}; its message names a guest outside this \
                     client's scope and is withheld",
                    e.upstream_status
                        .map(|s| format!(" (HTTP {s})"))
                        .unwrap_or_default()
                );
            }
            Ok(Payload::Task(t)) => task(t),
            Ok(Payload::NewGuest(g)) => task(&mut g.task),
            Ok(Payload::TaskLog(log)) => {
                for line in &mut log.lines {
                    *line = viewer.scrub(line);
                }
            }
            _ => {}
        }
    }

    fn remember(&self, result: &OpResult) {
        let upid = match result {
            Ok(Payload::Task(t)) => &t.upid,
            Ok(Payload::NewGuest(g)) => &g.task.upid,
            _ => return,
        };
        let mut started = self.started.lock().unwrap_or_else(|e| e.into_inner());
        if started.len() == STARTED_TASKS {
            started.pop_front();
        }
        started.push_back(upid.clone());
    }

    /// Fills in the vmid of a new guest the client left to the helper: the lowest free
    /// one of `[create] vmids` (judged like any other afterwards).
    async fn choose_vmid(&self, policy: &Policy, request: &mut Request) -> Result<(), ErrorBody> {
        let slot = match request {
            Request::GuestCreate(c) => &mut c.vmid,
            Request::GuestClone(c) => &mut c.newid,
            Request::BackupRestore(r) if !r.force => &mut r.vmid,
            _ => return Ok(()),
        };
        if slot.is_none() {
            *slot = lifecycle::next_free_vmid(self, policy).await?;
        }
        Ok(())
    }

    /// A firewall rule change made without the digest of the rules it was made
    /// against is made against the rules as they are now: their digest is read (for a
    /// guest in scope) and judged and sent with it, so that a change between the
    /// judgment and the call is refused by Proxmox.
    async fn pin_firewall(&self, policy: &Policy, request: &mut Request) -> Result<(), PveError> {
        let Request::FirewallEdit(e) = request else {
            return Ok(());
        };
        if e.digest.is_some() || matches!(e.change, pve_mcp_proto::FirewallChange::Enable { .. }) {
            return Ok(());
        }
        let snap = self.cache.get(&self.pve).await?;
        if snap
            .get(e.vmid)
            .is_some_and(|g| policy.guest_scope(g).is_some())
        {
            let now = firewall_edit::rules(self, e.vmid).await?;
            e.digest = now
                .digest
                .map(|d| pve_mcp_proto::FwValue::parse(&d))
                .transpose()
                .map_err(|err| PveError::Decode(err.to_string()))?;
        }
        Ok(())
    }

    /// `node_status` without a node, under a policy whose `[api]` does not let this
    /// client list every node (`GET /nodes`): the node this helper talks to (the
    /// `local` entry of `/cluster/status`), whose status is then judged as
    /// `GET /nodes/{node}/status` like any other. When the helper cannot tell, or the
    /// policy does not allow that either, the request stays as it was, and is judged
    /// (and refused) as the listing.
    async fn choose_node(&self, policy: &Policy, request: &mut Request) {
        let Request::NodeStatus(q) = request else {
            return;
        };
        let may_get = |path: &str| crate::policy::get_allowed(policy, path);
        if q.node.is_some() || may_get("/nodes") {
            return;
        }
        if let Some(node) = cluster::local_node(self).await
            && may_get(&format!("/nodes/{node}/status"))
        {
            q.node = Some(node);
        }
    }

    /// Looks up the guests a request names, and the configurations `decide` needs; no
    /// call at all when it names none.
    async fn facts(&self, policy: &Policy, request: &Request) -> Result<Facts, PveError> {
        let vmids = referenced_vmids(policy, request);
        let mut facts = Facts::default();
        if !vmids.is_empty() {
            let snap = self.cache.get(&self.pve).await?;
            for vmid in vmids {
                if let Some(g) = snap.get(vmid) {
                    facts.guests.insert(vmid, GuestFacts::from(g));
                }
            }
        }
        for vmid in config_vmids(request) {
            let in_scope = facts
                .guests
                .get(&vmid)
                .is_some_and(|g| policy.guest_scope(g).is_some());
            if in_scope && let Some(s) = lifecycle::settings(self, vmid).await? {
                facts.configs.insert(vmid, s);
            }
        }
        let named_task = match request {
            Request::TaskStatus(pve_mcp_proto::TaskRef { upid })
            | Request::TaskLog(pve_mcp_proto::TaskLogQuery { upid, .. }) => Some(upid.clone()),
            Request::Api(call) => crate::policy::named_task(call),
            _ => None,
        };
        if let Some(upid) = named_task {
            let started = self.started.lock().unwrap_or_else(|e| e.into_inner());
            facts.own_task = started.contains(&upid);
        }
        if let Request::Api(_) = request {
            facts.release = Some(self.node_release().await?);
        }
        // A raw write is judged as the typed request it amounts to: gather its facts.
        let equivalent = match request {
            Request::Api(call) => crate::policy::equivalent_request(call),
            _ => None,
        };
        let effective = equivalent.as_ref().unwrap_or(request);
        if let Some(vmid) = new_guest_vmid(request, effective) {
            facts.vmid_free = Some(lifecycle::vmid_free(self, vmid).await?);
        }
        if let Request::FirewallEdit(e) = effective
            && !matches!(e.change, pve_mcp_proto::FirewallChange::Enable { .. })
            && facts
                .guests
                .get(&e.vmid)
                .is_some_and(|g| policy.guest_scope(g).is_some())
        {
            facts.firewall = Some(firewall_edit::rules(self, e.vmid).await?);
        }
        if let Request::GuestMigrate(_) = effective {
            facts.shared_storages = Some(storage::shared_storages(self).await?);
        }
        if let Request::GuestCreate(c) = effective
            && let Some(image) = &c.image
        {
            // Unreadable (no such image): decide refuses the new guest for want of it.
            facts.image_gib = storage::volume_gib(self, &c.node, image).await.ok();
        }
        if let Request::SnapshotRollback(t) = effective
            && facts
                .guests
                .get(&t.vmid)
                .is_some_and(|g| policy.guest_scope(g).is_some())
        {
            facts.snapshot_config = Some(snapshots::settings(self, t).await?);
        }
        if let Request::BackupRestore(r) = request {
            // Read only backups of guests whose backups the client could reach.
            let owner_visible = r.volume.backup_of().is_some_and(|(_, owner)| {
                facts
                    .guests
                    .get(&owner)
                    .is_none_or(|g| policy.guest_scope(g).is_some())
            });
            if owner_visible {
                // Unreadable (no such backup, say): `decide` tells it like a backup of
                // a guest outside the scope, with Proxmox's words withheld.
                facts.backup_config = lifecycle::backup_settings(self, &r.node, &r.volume)
                    .await
                    .ok();
            }
        }
        Ok(facts)
    }

    /// Executes a request the policy allowed. Exhaustive on purpose.
    ///
    /// Each kind's work is boxed, sized to that kind: unboxed, every call's task would
    /// be as large as the largest kind's (about 160 KiB, allocated and copied per call).
    async fn execute(&self, policy: &Policy, request: Request) -> OpResult {
        match request {
            Request::ListGuests(q) => Box::pin(guests::list(self, policy, &q)).await,
            Request::GuestStatus(g) => Box::pin(guests::status(self, g.vmid)).await,
            Request::GuestAction(a) => Box::pin(guests::action(self, a.vmid, a.action)).await,
            Request::TaskStatus(t) => Box::pin(guests::task(self, &t.upid)).await,
            Request::NodeStatus(q) => Box::pin(nodes::status(self, q.node.as_ref())).await,
            Request::Describe(_) => Ok(Payload::Capabilities(policy.capabilities())),
            Request::GuestConfig(g) => Box::pin(config::read(self, policy, g.vmid)).await,
            Request::ListTasks(q) => Box::pin(tasks::list(self, policy, &q)).await,
            Request::ClusterStatus(_) => Box::pin(cluster::status(self, policy)).await,
            Request::GuestAgent(q) => Box::pin(agent::ask(self, &q)).await,
            Request::GuestMetrics(q) => Box::pin(metrics::summary(self, &q)).await,
            Request::ListStorage(q) => Box::pin(storage::list(self, q.node.as_ref())).await,
            Request::StorageContent(q) => Box::pin(storage::content(self, policy, &q)).await,
            Request::BackupStart(b) => Box::pin(storage::backup_start(self, &b)).await,
            Request::ListBackups(g) => Box::pin(storage::backups(self, policy, g.vmid)).await,
            Request::TaskLog(t) => Box::pin(tasks::log(self, &t)).await,
            Request::SnapshotList(g) => Box::pin(snapshots::list(self, g.vmid)).await,
            Request::SnapshotCreate(c) => Box::pin(snapshots::create(self, &c)).await,
            Request::SnapshotRollback(t) => Box::pin(snapshots::rollback(self, &t)).await,
            Request::SnapshotDelete(t) => Box::pin(snapshots::delete(self, &t)).await,
            Request::Api(call) => Box::pin(api::call(self, policy, &call)).await,
            Request::GuestCreate(c) => Box::pin(lifecycle::create(self, policy, &c)).await,
            Request::GuestClone(c) => Box::pin(lifecycle::clone(self, policy, &c)).await,
            Request::GuestTemplate(g) => Box::pin(lifecycle::template(self, g.vmid)).await,
            Request::GuestConfigure(c) => Box::pin(lifecycle::configure(self, policy, &c)).await,
            Request::DiskResize(r) => Box::pin(lifecycle::resize(self, policy, &r)).await,
            Request::GuestMigrate(m) => Box::pin(lifecycle::migrate(self, &m)).await,
            Request::GuestDelete(d) => Box::pin(lifecycle::delete(self, &d)).await,
            Request::BackupRestore(r) => Box::pin(lifecycle::restore(self, policy, &r)).await,
            Request::VolumeDelete(v) => Box::pin(lifecycle::volume_delete(self, &v)).await,
            Request::StorageDownload(s) => Box::pin(lifecycle::download(self, &s)).await,
            Request::TaskCancel(t) => Box::pin(lifecycle::cancel(self, &t)).await,
            Request::AgentExec(a) => Box::pin(lifecycle::agent_exec(self, policy, &a)).await,
            Request::Firewall(q) => Box::pin(lifecycle::firewall(self, &q)).await,
            Request::ListPools(q) => Box::pin(lifecycle::pools(self, policy, &q)).await,
            Request::HaResources(_) => Box::pin(lifecycle::ha(self, policy)).await,
            Request::NextVmid(_) => Box::pin(lifecycle::next_vmid(self, policy)).await,
            Request::DiskMove(m) => Box::pin(disk_move::run(self, &m)).await,
            Request::FirewallEdit(e) => Box::pin(firewall_edit::run(self, policy, &e)).await,
            Request::NodeNetworks(q) => Box::pin(networks::list(self, policy, &q)).await,
            Request::RunCommand(c) => {
                let Some(rule) = policy.commands.allow.iter().find(|r| r.matches(&c.argv)) else {
                    return Err(ErrorBody::new(ErrorKind::Denied, "no command rule matches"));
                };
                let env: Vec<(String, String)> = policy
                    .commands
                    .env
                    .iter()
                    .filter_map(|k| std::env::var(k).ok().map(|v| (k.clone(), v)))
                    .collect();
                let out = Box::pin(commands::run(rule, &c.argv, &env)).await;
                match out {
                    Ok(o) => Ok(Payload::Command(o)),
                    Err(e @ commands::RunError::Timeout { .. }) => {
                        Err(ErrorBody::new(ErrorKind::Timeout, e.to_string()))
                    }
                    Err(e) => Err(ErrorBody::new(ErrorKind::Unavailable, e.to_string())),
                }
            }
        }
    }
}

/// The vmid a request would give a new guest: a create, a clone, a restore to a new
/// guest, or a raw create.
fn new_guest_vmid(request: &Request, effective: &Request) -> Option<pve_mcp_proto::VmId> {
    match effective {
        Request::GuestCreate(c) => c.vmid,
        Request::GuestClone(c) => c.newid,
        Request::BackupRestore(r) if !r.force => r.vmid,
        _ => match request {
            Request::Api(call) => crate::policy::raw_create_vmid(call),
            _ => None,
        },
    }
}

/// The refusal of a peer no policy names (at its connection, or since a reload).
pub fn not_a_client(client: &Client, policies: &crate::policies::Policies) -> String {
    let name = client
        .name
        .as_ref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    format!(
        "uid {} is not allowed to use the helper: no policy names it{name}; the admin can \
         add the user to [clients] users in {}, or give it a policy of its own in {}",
        client.peer.uid,
        policies.main.path.display(),
        policies.dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        audit::Auditor, config::PveConfig, peer::Peer, policies::Policies, pve::PveClient,
        secret::ApiToken,
    };
    use pve_mcp_proto::{GuestRef, VmId};

    /// Each call's task holds [`Service::handle`]'s future; every call allocates it, so
    /// it stays small whichever request kind is largest.
    #[test]
    fn a_calls_future_is_small_whatever_the_largest_kind() {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("policy.toml");
        std::fs::write(&main, "[clients]\nusers = [0]\n").unwrap();
        let (policies, _) = Policies::load(&main, &dir.path().join("clients.d")).unwrap();
        let cfg = PveConfig {
            url: "https://127.0.0.1:1".into(),
            token_file: None,
            fingerprint: None,
            ca_file: None,
            insecure: true,
            timeout_secs: 1,
        };
        let token = ApiToken::parse("mcp@pve!mcp=0b7e-11aa").unwrap();
        let pve = PveClient::new(&cfg, &token).unwrap();
        let service = Service::new(policies, pve, Auditor::open(None).unwrap());
        let client = Client::of(Peer {
            uid: 0,
            gid: 0,
            pid: 1,
        });
        let request = Request::GuestStatus(GuestRef {
            vmid: VmId::new(100).unwrap(),
        });
        let size = std::mem::size_of_val(&service.handle(&client, request, false));
        assert!(size <= 8 * 1024, "a call's future is {size} bytes");
    }
}
