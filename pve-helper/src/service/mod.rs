//! The request pipeline: gather facts, judge with the policy, audit, and only then
//! execute. Every request arrives here already deserialized into validated proto
//! types, and is still judged as hostile.

mod api;
mod guests;
mod nodes;

use crate::{
    audit, commands,
    policy::{Decision, Facts, Policy, PolicyError, decide, referenced_vmids},
    pve::{PveClient, PveError, resources::ResourceCache},
    server::Peer,
};
use pve_mcp_proto::{ErrorBody, ErrorKind, Payload, Request, Response};
use std::{
    path::PathBuf,
    sync::{Arc, RwLock},
    time::Instant,
};

/// Everything a connection handler needs to serve requests.
#[derive(Debug)]
pub struct Service {
    policy: RwLock<Arc<Policy>>,
    policy_path: PathBuf,
    pve: PveClient,
    cache: ResourceCache,
}

/// An error while executing an allowed request.
pub type OpResult = Result<Payload, ErrorBody>;

impl Service {
    pub fn new(policy: Policy, policy_path: PathBuf, pve: PveClient) -> Self {
        Self {
            policy: RwLock::new(Arc::new(policy)),
            policy_path,
            pve,
            cache: ResourceCache::default(),
        }
    }

    /// The policy in force now; a request keeps the one it started with.
    pub fn policy(&self) -> Arc<Policy> {
        match self.policy.read() {
            Ok(p) => p.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Loads the policy file again; on any error the old policy stays in force.
    pub fn reload(&self) -> Result<usize, PolicyError> {
        let (policy, warnings) = Policy::load(&self.policy_path)?;
        for w in &warnings {
            tracing::warn!("{w}");
        }
        let new = Arc::new(policy);
        match self.policy.write() {
            Ok(mut p) => *p = new,
            Err(poisoned) => *poisoned.into_inner() = new,
        }
        Ok(warnings.len())
    }

    /// Judges, audits and executes one request.
    pub async fn handle(&self, peer: &Peer, request: Request) -> Response {
        let started = Instant::now();
        let policy = self.policy();
        let described = audit::describe(&request);
        let facts = match self.facts(&request).await {
            Ok(f) => f,
            Err(e) => {
                let body = upstream_error(e);
                audit::record(
                    peer,
                    &described,
                    "error",
                    "facts",
                    body.kind.as_str(),
                    elapsed_ms(started),
                );
                return Response::Err(body);
            }
        };
        let decision = decide(&policy, &request, &facts);
        let rule = decision.rule().to_owned();
        let result = match decision {
            Decision::Allow { .. } => self.execute(&policy, request).await,
            Decision::Deny { rule, reason } => Err(ErrorBody {
                kind: ErrorKind::Denied,
                message: reason,
                rule: Some(rule),
                upstream_status: None,
            }),
            Decision::NotFound { reason } => Err(ErrorBody::new(ErrorKind::NotFound, reason)),
            Decision::Confirm { rule, reason } => Err(ErrorBody {
                kind: ErrorKind::ConfirmationRequired,
                message: reason,
                rule: Some(rule),
                upstream_status: None,
            }),
        };
        let (verdict, outcome) = match &result {
            Ok(_) => ("allow", "ok".to_owned()),
            Err(e) if e.kind == ErrorKind::Denied => ("deny", "denied".to_owned()),
            Err(e) if e.kind == ErrorKind::NotFound => ("not_found", "not found".to_owned()),
            Err(e) if e.kind == ErrorKind::ConfirmationRequired => {
                ("confirm", "confirmation required".to_owned())
            }
            Err(e) => (
                "allow",
                match e.upstream_status {
                    Some(s) => format!("{} {s}", e.kind.as_str()),
                    None => e.kind.as_str().to_owned(),
                },
            ),
        };
        audit::record(
            peer,
            &described,
            verdict,
            &rule,
            &outcome,
            elapsed_ms(started),
        );
        match result {
            Ok(p) => Response::Ok(p),
            Err(e) => Response::Err(e),
        }
    }

    /// Looks up the guests a request names; no call at all when it names none.
    async fn facts(&self, request: &Request) -> Result<Facts, PveError> {
        let vmids = referenced_vmids(request);
        let mut facts = Facts::default();
        if vmids.is_empty() {
            return Ok(facts);
        }
        let snap = self.cache.get(&self.pve).await?;
        for vmid in vmids {
            if let Some(g) = snap.get(vmid) {
                facts.guests.insert(vmid, g.facts.clone());
            }
        }
        Ok(facts)
    }

    /// Executes a request the policy allowed. Exhaustive on purpose.
    async fn execute(&self, policy: &Policy, request: Request) -> OpResult {
        match request {
            Request::ListGuests(q) => guests::list(self, policy, &q).await,
            Request::GuestStatus(g) => guests::status(self, g.vmid).await,
            Request::GuestAction(a) => guests::action(self, a.vmid, a.action).await,
            Request::TaskStatus(t) => guests::task(self, &t.upid).await,
            Request::NodeStatus(q) => nodes::status(self, q.node.as_ref()).await,
            Request::Describe(_) => Ok(Payload::Capabilities(policy.capabilities())),
            Request::Api(call) => api::call(self, policy, &call).await,
            Request::RunCommand(c) => {
                let Some(rule) = policy.commands.allow.iter().find(|r| r.matches(&c.argv)) else {
                    return Err(ErrorBody::new(ErrorKind::Denied, "no command rule matches"));
                };
                let out = commands::run(
                    rule,
                    &c.argv,
                    policy.commands.timeout,
                    policy.commands.max_output_bytes,
                )
                .await;
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

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Maps a Proxmox error to the coarse error that crosses the socket.
pub fn upstream_error(e: PveError) -> ErrorBody {
    match e {
        PveError::Http {
            status: 401,
            message,
        } => ErrorBody {
            kind: ErrorKind::Upstream,
            message: format!(
                "Proxmox rejected the helper's API token (401 {message}); the admin should check the token (pve-helper setup)"
            ),
            rule: None,
            upstream_status: Some(401),
        },
        PveError::Http { status, message } => ErrorBody {
            kind: ErrorKind::Upstream,
            message: format!("Proxmox answered {status}: {message}"),
            rule: None,
            upstream_status: Some(status),
        },
        e @ PveError::Transport { .. } => ErrorBody::new(ErrorKind::Unavailable, e.to_string()),
        e @ PveError::Timeout(_) => ErrorBody::new(ErrorKind::Timeout, e.to_string()),
        e @ PveError::Decode(_) => ErrorBody::new(ErrorKind::Upstream, e.to_string()),
    }
}
