//! Guest power actions as `PVE::API2::Qemu` and `PVE::API2::LXC::Status` perform them:
//! the checks PVE makes before forking a worker (failing with HTTP 500), the worker task
//! it forks (type, log), and what the worker does when it runs (failing the task). A
//! worker on a guest whose config is locked by another task's run (a backup, a
//! snapshot) is judged when it is forked ([`crate::sim::guests::locks::power`]): it fails at once
//! (`VM is locked (backup)`) or goes through, and does not wait for the lock holder.

use std::time::Instant;

use crate::sim::cluster::dataset::{GuestKind, PowerState};
use crate::sim::cluster::state::Cluster;
use crate::sim::errors::ApiError;
use crate::sim::guests::locks::{self, Gate};
use crate::sim::tasks::store::{Job, Task, TaskState, Upid};

/// A lifecycle action from `.../status/{action}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Start,
    Stop,
    Shutdown,
    Reboot,
    Reset,
    Suspend,
    Resume,
}

impl Action {
    /// The action of a path segment, if PVE has that endpoint for this guest kind
    /// (containers have no `reset`).
    pub fn parse(kind: GuestKind, segment: &str) -> Option<Action> {
        let action = match segment {
            "start" => Action::Start,
            "stop" => Action::Stop,
            "shutdown" => Action::Shutdown,
            "reboot" => Action::Reboot,
            "reset" if kind == GuestKind::Qemu => Action::Reset,
            "suspend" => Action::Suspend,
            "resume" => Action::Resume,
            _ => return None,
        };
        Some(action)
    }

    /// The parameters PVE's schema accepts for this action, besides `node` and `vmid`.
    pub fn params(self, kind: GuestKind) -> &'static [&'static str] {
        match (kind, self) {
            (GuestKind::Qemu, Action::Start) => &[
                "skiplock",
                "stateuri",
                "migratedfrom",
                "migration_type",
                "migration_network",
                "machine",
                "targetstorage",
                "timeout",
                "force-cpu",
            ],
            (GuestKind::Qemu, Action::Stop) => &[
                "skiplock",
                "migratedfrom",
                "timeout",
                "keepActive",
                "overrule-shutdown",
            ],
            (GuestKind::Qemu, Action::Shutdown) => {
                &["skiplock", "timeout", "forceStop", "keepActive"]
            }
            (GuestKind::Qemu, Action::Reboot) | (GuestKind::Lxc, Action::Reboot) => &["timeout"],
            (GuestKind::Qemu, Action::Reset) => &["skiplock"],
            (GuestKind::Qemu, Action::Suspend) => &["skiplock", "todisk", "statestorage"],
            (GuestKind::Qemu, Action::Resume) => &["skiplock", "nocheck"],
            (GuestKind::Lxc, Action::Start) => &["skiplock", "debug"],
            (GuestKind::Lxc, Action::Stop) => &["skiplock", "overrule-shutdown"],
            (GuestKind::Lxc, Action::Shutdown) => &["timeout", "forceStop"],
            (GuestKind::Lxc, _) => &[],
        }
    }
}

/// Options that change what an action does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActionOptions {
    /// `shutdown --forceStop 1`: a paused VM is stopped instead of refused.
    pub force_stop: bool,
    /// `suspend --todisk 1`: hibernate (task `qmsuspend`) instead of pause (`qmpause`).
    pub todisk: bool,
}

/// What a worker task does when it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effect {
    pub node: String,
    pub kind: GuestKind,
    pub vmid: u32,
    pub action: Action,
    pub ha: bool,
    pub todisk: bool,
}

fn task_type(kind: GuestKind, action: Action, ha: bool, todisk: bool) -> &'static str {
    match (kind, action, ha) {
        (_, Action::Start, true) => "hastart",
        (_, Action::Stop | Action::Shutdown, true) => "hastop",
        (GuestKind::Qemu, Action::Start, _) => "qmstart",
        (GuestKind::Qemu, Action::Stop, _) => "qmstop",
        (GuestKind::Qemu, Action::Shutdown, _) => "qmshutdown",
        (GuestKind::Qemu, Action::Reboot, _) => "qmreboot",
        (GuestKind::Qemu, Action::Reset, _) => "qmreset",
        (GuestKind::Qemu, Action::Suspend, _) if todisk => "qmsuspend",
        (GuestKind::Qemu, Action::Suspend, _) => "qmpause",
        (GuestKind::Qemu, Action::Resume, _) => "qmresume",
        (GuestKind::Lxc, Action::Start, _) => "vzstart",
        (GuestKind::Lxc, Action::Stop, _) => "vzstop",
        (GuestKind::Lxc, Action::Shutdown, _) => "vzshutdown",
        (GuestKind::Lxc, Action::Reboot, _) => "vzreboot",
        (GuestKind::Lxc, Action::Suspend, _) => "vzsuspend",
        (GuestKind::Lxc, Action::Resume | Action::Reset, _) => "vzresume",
    }
}

/// A worker task about to be forked on a guest.
pub(crate) struct Worker<'a> {
    pub node: String,
    pub kind: GuestKind,
    pub vmid: u32,
    pub task_type: &'static str,
    pub user: &'a str,
    pub log: Vec<String>,
}

fn err(msg: String) -> ApiError {
    ApiError::Internal(msg)
}

/// A bridge a written config's NIC names that the node does not have.
fn missing_bridge(g: &crate::sim::cluster::state::Guest) -> Option<String> {
    let map = g.config.as_deref()?;
    map.iter()
        .filter(|(k, _)| {
            matches!(
                crate::sim::guests::config::keys::numbered(k),
                ("net", Some(_))
            )
        })
        .filter_map(|(_, v)| {
            v.split(',')
                .find_map(|p| p.strip_prefix("bridge="))
                .map(str::to_owned)
        })
        .find(|b| !crate::sim::cluster::dataset::BRIDGES.contains(&b.as_str()))
}

impl Cluster {
    /// PVE's synchronous checks, then a new worker task; returns the UPID.
    pub fn request_action(
        &mut self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
        action: Action,
        opts: ActionOptions,
        user: &str,
    ) -> Result<String, ApiError> {
        let now = Instant::now();
        self.settle(now);
        let guest = self.guest_on(node, kind, vmid);
        let running = guest.is_some_and(|g| g.is_running());
        let paused = guest.is_some_and(|g| g.power == PowerState::Paused);
        let hibernated = guest.is_some_and(|g| g.lock == Some("suspended"));
        let ha = guest.is_some_and(|g| g.seed.ha);
        let missing = || {
            err(format!(
                "unable to find configuration file for VM {vmid} on node '{node}'"
            ))
        };
        match (kind, action) {
            (GuestKind::Qemu, Action::Shutdown) if paused && !opts.force_stop => {
                return Err(err("VM is paused - cannot shutdown".into()));
            }
            (GuestKind::Qemu, Action::Reboot) if paused => {
                return Err(err("VM is paused - cannot shutdown".into()));
            }
            (GuestKind::Qemu, Action::Reset | Action::Reboot | Action::Suspend)
            | (GuestKind::Qemu, Action::Resume)
                if !(action == Action::Resume && hibernated) =>
            {
                if guest.is_none() {
                    return Err(missing());
                }
                if !running {
                    return Err(err(format!("VM {vmid} not running")));
                }
            }
            (GuestKind::Lxc, Action::Start | Action::Resume) if running => {
                return Err(err(format!("CT {vmid} already running")));
            }
            (GuestKind::Lxc, Action::Stop | Action::Shutdown | Action::Suspend) if !running => {
                return Err(err(format!("CT {vmid} not running")));
            }
            (GuestKind::Lxc, Action::Reboot) if !running => {
                return Err(err(format!("VM {vmid} not running")));
            }
            _ => {}
        }
        let ha = ha && matches!(action, Action::Start | Action::Stop | Action::Shutdown);
        let todisk = kind == GuestKind::Qemu && action == Action::Suspend && opts.todisk;
        let effect = Effect {
            node: node.to_owned(),
            kind,
            vmid,
            action,
            ha,
            todisk,
        };
        if !ha
            && !self.guest_busy(vmid, now)
            && let Some(g) = self.guest_on(node, kind, vmid)
        {
            let gate = locks::power(g, action, todisk);
            let refused = match gate {
                Gate::Proceed => None,
                Gate::Nothing => Some(Job::Life(Box::new(super::work::LifeWork::Done))),
                Gate::Refuse(msg) => Some(Job::Fail(msg)),
            };
            if let Some(job) = refused {
                let worker = Worker {
                    node: node.to_owned(),
                    kind,
                    vmid,
                    task_type: task_type(kind, action, false, todisk),
                    user,
                    log: Vec::new(),
                };
                return Ok(self.spawn_at(worker, job, now));
            }
        }
        Ok(self.fork_worker(effect, user, now))
    }

    fn fork_worker(&mut self, effect: Effect, user: &str, now: Instant) -> String {
        let mut log = Vec::new();
        if effect.ha {
            let what = match effect.kind {
                GuestKind::Qemu => "VM",
                GuestKind::Lxc => "CT",
            };
            let verb = if effect.action == Action::Start {
                "start"
            } else {
                "stop"
            };
            log.push(format!("Requesting HA {verb} for {what} {}", effect.vmid));
        }
        let kind = task_type(effect.kind, effect.action, effect.ha, effect.todisk);
        let worker = Worker {
            node: effect.node.clone(),
            kind: effect.kind,
            vmid: effect.vmid,
            task_type: kind,
            user,
            log,
        };
        self.spawn_worker(worker, Job::Power(effect), now)
    }

    /// Queues a worker task on a guest (after the guest's earlier tasks); returns its UPID.
    pub(crate) fn spawn_worker(&mut self, w: Worker<'_>, job: Job, now: Instant) -> String {
        let pstart = self.node(&w.node).map_or(1, |n| n.pstart);
        let upid = Upid {
            node: w.node.clone(),
            pid: self.tasks.next_pid(),
            pstart,
            starttime: Cluster::epoch_now(),
            kind: w.task_type.to_owned(),
            id: w.vmid.to_string(),
            user: w.user.to_owned(),
        };
        let queue_after = self
            .guest_on(&w.node, w.kind, w.vmid)
            .and_then(|g| g.busy_until)
            .filter(|at| *at > now)
            .unwrap_or(now);
        let deadline = queue_after + self.task_duration;
        if let Some(g) = self.guest_mut(w.vmid)
            && g.seed.node == w.node
            && g.seed.kind == w.kind
        {
            g.busy_until = Some(deadline);
        }
        let upid_text = upid.encode();
        self.tasks.insert(Task {
            upid,
            upid_text: upid_text.clone(),
            deadline,
            state: TaskState::Running,
            endtime: None,
            log: w.log,
            job,
        });
        upid_text
    }

    /// Runs a task's worker at time `at`: changes the guest or fails with PVE's message.
    pub(crate) fn apply_effect(&mut self, e: &Effect, at: Instant) -> Result<(), String> {
        let vmid = e.vmid;
        let dir = e.kind.config_dir();
        let no_config = format!(
            "Configuration file 'nodes/{}/{dir}/{vmid}.conf' does not exist",
            e.node
        );
        let no_file = format!(
            "unable to find configuration file for VM {vmid} on node '{}'",
            e.node
        );
        let exists = self.guest_on(&e.node, e.kind, vmid).is_some();
        let Some(g) = self.guest_mut(vmid).filter(|_| exists) else {
            return Err(match (e.kind, e.action) {
                (GuestKind::Qemu, Action::Stop | Action::Shutdown) => no_file,
                _ => no_config,
            });
        };
        let running = g.is_running();
        if e.ha {
            if let Some(lock) = g.lock.filter(|l| *l != "suspended") {
                return Err(locks::refusal(e.kind, lock));
            }
        } else {
            match locks::power(g, e.action, e.todisk) {
                Gate::Proceed => {}
                Gate::Nothing => return Ok(()),
                Gate::Refuse(msg) => return Err(msg),
            }
        }
        if e.kind == GuestKind::Lxc
            && e.action == Action::Reboot
            && running
            && g.lock.is_some_and(|l| l != "mounted")
        {
            // `vm_reboot` stops it; the start's prestart hook refuses the lock.
            g.halt();
            return Err(format!(
                "command 'systemctl start pve-container@{vmid}' failed: exit code 1"
            ));
        }
        if e.action == Action::Start
            && !running
            && let Some(bridge) = missing_bridge(g)
        {
            return Err(format!("bridge '{bridge}' does not exist"));
        }
        match (e.kind, e.action) {
            (_, Action::Start) if e.ha => {
                if !running {
                    g.boot(at);
                }
            }
            (_, Action::Stop | Action::Shutdown) if e.ha => g.halt(),
            (GuestKind::Qemu, Action::Start) if g.seed.template => {
                return Err("you can't start a vm if it's a template".into());
            }
            (GuestKind::Lxc, Action::Start) if g.seed.template => {
                return Err("you can't start a CT if it's a template".into());
            }
            (GuestKind::Qemu, Action::Start) if running => {
                return Err(format!("VM {vmid} already running"));
            }
            (GuestKind::Lxc, Action::Start) if running => {
                return Err(format!("CT {vmid} already running"));
            }
            (_, Action::Start) => g.boot(at),
            (_, Action::Stop | Action::Shutdown) => g.halt(),
            (GuestKind::Qemu, Action::Reboot | Action::Reset | Action::Suspend) if !running => {
                return Err(format!("VM {vmid} not running"));
            }
            (GuestKind::Lxc, Action::Reboot | Action::Suspend) if !running => {
                return Err(format!("CT {vmid} not running"));
            }
            (_, Action::Reboot) => g.boot(at),
            (_, Action::Reset) => {}
            (GuestKind::Qemu, Action::Suspend) if e.todisk => {
                g.halt();
                g.lock = Some("suspended");
            }
            (GuestKind::Qemu, Action::Suspend) => g.power = PowerState::Paused,
            (GuestKind::Lxc, Action::Suspend) => {
                g.halt();
                g.checkpointed = true;
            }
            (GuestKind::Qemu, Action::Resume) if g.lock == Some("suspended") => g.boot(at),
            (GuestKind::Qemu, Action::Resume) if !running => {
                return Err(format!("VM {vmid} not running"));
            }
            (GuestKind::Qemu, Action::Resume) => g.power = PowerState::Running,
            (GuestKind::Lxc, Action::Resume) if g.checkpointed => g.boot(at),
            (GuestKind::Lxc, Action::Resume) => {
                return Err(format!(
                    "command 'lxc-checkpoint -n {vmid} -r --foreground -D /var/lib/vz/dump' \
                     failed: exit code 1"
                ));
            }
        }
        Ok(())
    }
}
