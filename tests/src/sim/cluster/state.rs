//! The simulated cluster's mutable state: nodes, guests (indexed by vmid), tasks, and
//! the deterministic usage figures PVE would read from /proc and the RRD cache.
//! Everything here is in memory and O(1) per guest; only listings walk all guests.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::dataset::{self, FIRST_VMID, GuestKind, GuestSeed, PowerState};
use crate::sim::guests::agent_exec::Exec;
use crate::sim::guests::config::file::ConfigMap;
use crate::sim::guests::snapshots::Snapshot;
use crate::sim::storage::volumes::Files;
use crate::sim::tasks::store::{Job, TaskState, TaskStore};

/// Node hardware, identical on every simulated node.
pub const NODE_CPUS: u32 = 32;
pub const NODE_MEM: u64 = 128 * 1024 * 1024 * 1024;
pub const NODE_ROOTFS: u64 = 98_559_897_600;

/// One node's runtime state.
#[derive(Debug)]
pub struct Node {
    pub name: String,
    pub index: usize,
    /// Uptime at simulator start, seconds.
    pub uptime_base: u64,
    /// Start time of the fake worker processes, in clock ticks since boot (UPID `pstart`).
    pub pstart: u64,
}

impl Node {
    pub fn uptime(&self, since: Instant, now: Instant) -> u64 {
        self.uptime_base + now.saturating_duration_since(since).as_secs()
    }
}

/// One guest's runtime state.
#[derive(Debug)]
pub struct Guest {
    /// The guest's traits: as the dataset made them, then as lifecycle calls changed them
    /// (name, node, CPUs, memory, pool, template; see [`Guest::sync_traits`]).
    pub seed: GuestSeed,
    /// `qemu/101`, prebuilt for listings.
    pub resource_id: String,
    pub tags: Option<String>,
    pub power: PowerState,
    /// When the current run started counting (only meaningful while not stopped).
    pub since: Instant,
    /// Uptime already accumulated at `since`.
    pub uptime_base: u64,
    /// Config lock (`suspended` after a QEMU suspend-to-disk).
    pub lock: Option<&'static str>,
    /// The running task that holds `lock` (and removes it when it ends), if one does.
    pub lock_task: Option<String>,
    /// LXC container checkpointed by `vzsuspend` (so `vzresume` can restore it).
    pub checkpointed: bool,
    /// The deadline of the last task queued for this guest (tasks on a guest run in order).
    pub busy_until: Option<Instant>,
    pub pid: u32,
    /// Snapshots in creation order, and the one the current state derives from.
    pub snapshots: Vec<Snapshot>,
    pub parent: Option<String>,
    /// The config once a lifecycle call wrote it; `None` while it is the dataset's.
    pub config: Option<Box<ConfigMap>>,
    /// `maxdisk`, bytes: the boot disk's (QEMU) or the rootfs' (LXC) size.
    pub maxdisk: u64,
    /// The role whose firewall rules `{vmid}.fw` holds, if the guest has that file.
    pub firewall: Option<&'static str>,
    /// Whether the guest's OS runs a QEMU guest agent (a VM installed from an ISO has none
    /// until someone installs it; cloud images, clones and restores do).
    pub agent_installed: bool,
    /// Commands started through the guest agent, oldest first.
    pub execs: Vec<Exec>,
}

impl Guest {
    /// A guest of the dataset.
    pub fn new(seed: GuestSeed, now: Instant) -> Guest {
        let i = seed.index as u64;
        let snapshots: Vec<Snapshot> = if seed.has_base_snapshot() {
            vec![Snapshot {
                name: dataset::BASE_SNAPSHOT.to_owned(),
                description: "after install".to_owned(),
                snaptime: 1_700_000_000 + i,
                vmstate: false,
                parent: None,
                saved: None,
            }]
        } else {
            Vec::new()
        };
        Guest {
            parent: snapshots.first().map(|s| s.name.clone()),
            snapshots,
            resource_id: format!("{}/{}", seed.kind.as_str(), seed.vmid),
            tags: seed.tags_string(),
            power: seed.initial,
            since: now,
            uptime_base: 600 + (i * 7919) % 2_000_000,
            lock: None,
            lock_task: None,
            checkpointed: false,
            busy_until: None,
            pid: 1000 + (seed.vmid % 4_000_000),
            config: None,
            maxdisk: seed.maxdisk(),
            firewall: i.is_multiple_of(2).then_some(seed.role),
            agent_installed: true,
            execs: Vec::new(),
            seed,
        }
    }

    /// A guest a lifecycle call creates, stopped, with `config` (traits follow from it).
    pub fn created(mut seed: GuestSeed, config: ConfigMap, now: Instant) -> Guest {
        seed.initial = PowerState::Stopped;
        let mut g = Guest::new(seed, now);
        g.power = PowerState::Stopped;
        g.uptime_base = 0;
        g.snapshots.clear();
        g.parent = None;
        g.tags = None;
        g.firewall = None;
        g.config = Some(Box::new(config));
        g.sync_traits();
        g
    }

    /// Running or paused: a process exists.
    pub fn is_running(&self) -> bool {
        self.power != PowerState::Stopped
    }

    pub fn uptime(&self, now: Instant) -> u64 {
        if self.is_running() {
            self.uptime_base + now.saturating_duration_since(self.since).as_secs()
        } else {
            0
        }
    }

    /// Starts (or restarts) the guest: uptime counts from zero.
    pub fn boot(&mut self, now: Instant) {
        self.power = PowerState::Running;
        self.since = now;
        self.uptime_base = 0;
        self.lock = None;
        self.lock_task = None;
        self.checkpointed = false;
        self.execs.clear();
    }

    pub fn halt(&mut self) {
        self.power = PowerState::Stopped;
        self.execs.clear();
    }

    /// `vmstatus` `cpus`: QEMU sockets*cores capped at the host's CPUs.
    pub fn qemu_cpus(&self) -> u32 {
        (self.seed.sockets * self.seed.cores.unwrap_or(1)).min(NODE_CPUS)
    }

    /// CPU usage fraction while running.
    pub fn cpu(&self) -> f64 {
        let i = self.seed.index as u64;
        0.001 + ((i * 37) % 100) as f64 / 1000.0 + ((i * 13) % 97) as f64 / 1_000_000.0
    }

    /// Memory in use while running, bytes.
    pub fn mem(&self) -> u64 {
        self.seed.maxmem() / 100 * (30 + self.seed.index as u64 % 50)
    }

    /// Root disk usage while running (LXC only; QEMU reports 0 like PVE).
    pub fn disk(&self) -> u64 {
        match self.seed.kind {
            GuestKind::Qemu => 0,
            GuestKind::Lxc => self.maxdisk / 100 * (20 + self.seed.index as u64 % 60),
        }
    }

    /// (netin, netout, diskread, diskwrite) while running.
    pub fn io(&self, now: Instant) -> (u64, u64, u64, u64) {
        let up = self.uptime(now);
        let i = self.seed.index as u64 + 1;
        (
            up * (1_000 + i % 5_000),
            up * (700 + i % 3_000),
            10_000_000 + up * (4_096 + i % 1_000),
            5_000_000 + up * (2_048 + i % 700),
        )
    }

    /// `hastate` for HA-managed guests.
    pub fn hastate(&self) -> Option<&'static str> {
        self.seed.ha.then(|| {
            if self.is_running() {
                "started"
            } else {
                "stopped"
            }
        })
    }
}

/// The whole simulated cluster.
#[derive(Debug)]
pub struct Cluster {
    pub nodes: Vec<Node>,
    pub guests: Vec<Guest>,
    /// Guest indexes in the order `/cluster/resources` lists them (Perl's string sort of vmids).
    pub resource_order: Vec<usize>,
    pub tasks: TaskStore,
    pub task_duration: Duration,
    pub started: Instant,
    pub fingerprint: String,
    /// Moves on with every write through [`super::shared::SharedCluster`].
    pub version: u64,
    /// Files added to and removed from the storages since the start.
    pub files: Files,
    /// The dataset's size, which the dataset's backups follow even after guests are gone.
    pub dataset_nodes: usize,
    pub dataset_guests: usize,
    /// Counts MAC addresses handed out to new network devices.
    pub mac_seq: u32,
    /// The privileges of the token's role, if checked (see [`crate::sim::access::routes`]).
    pub role: Option<std::collections::BTreeSet<String>>,
    /// The Proxmox VE release the cluster runs.
    pub pve: crate::sim::schema::version::PveVersion,
    /// Backup and replication jobs (none unless an administrator adds them).
    pub jobs: super::jobs::Jobs,
    /// PVE 9's HA rules (none unless an administrator adds them).
    pub ha_rules: Vec<super::ha::HaRule>,
    /// ACL entries an administrator added (beside the token's own on `/`).
    pub acl: Vec<crate::sim::access::acl::AclEntry>,
    /// The base volume each linked clone's volume derives from ([`crate::sim::storage::linked`]).
    pub linked: std::collections::BTreeMap<String, String>,
    /// The guests' firewall files once written ([`crate::sim::guests::firewall_write`]).
    pub fw_files: std::collections::BTreeMap<u32, crate::sim::guests::firewall_write::FwFile>,
}

impl Cluster {
    pub fn new(nodes: usize, guests: usize, task_duration: Duration, fingerprint: String) -> Self {
        let now = Instant::now();
        let nodes = nodes.max(1);
        let node_list = (0..nodes)
            .map(|i| Node {
                name: dataset::node_name(i),
                index: i,
                uptime_base: 1_234_567 + i as u64 * 86_400,
                pstart: 1_000_000 + i as u64 * 977,
            })
            .collect();
        let guests: Vec<Guest> = dataset::dataset(nodes, guests)
            .into_iter()
            .map(|s| Guest::new(s, now))
            .collect();
        let guests_len = guests.len();
        let mut resource_order: Vec<usize> = (0..guests.len()).collect();
        resource_order.sort_by_cached_key(|&i| guests[i].seed.vmid.to_string());
        Cluster {
            nodes: node_list,
            guests,
            resource_order,
            tasks: TaskStore::default(),
            task_duration,
            started: now,
            fingerprint,
            version: 0,
            files: Files::default(),
            dataset_nodes: nodes,
            dataset_guests: guests_len,
            mac_seq: 0,
            role: None,
            pve: crate::sim::schema::version::PveVersion::default(),
            jobs: super::jobs::Jobs::default(),
            ha_rules: Vec::new(),
            acl: Vec::new(),
            linked: std::collections::BTreeMap::new(),
            fw_files: std::collections::BTreeMap::new(),
        }
    }

    /// Maps a node name from a URL to a cluster node; `localhost` is the node we "are".
    pub fn node(&self, name: &str) -> Option<&Node> {
        if name == "localhost" {
            return self.nodes.first();
        }
        let index: usize = name.strip_prefix("pve")?.parse().ok()?;
        let node = self.nodes.get(index.checked_sub(1)?)?;
        (node.name == name).then_some(node)
    }

    /// Where guest `vmid` is in [`Cluster::guests`] (sorted by vmid; the dataset's guests
    /// sit at `vmid - 100` until guests are destroyed).
    fn position(&self, vmid: u32) -> Option<usize> {
        let guess = usize::try_from(vmid.checked_sub(FIRST_VMID)?).ok()?;
        if self.guests.get(guess).is_some_and(|g| g.seed.vmid == vmid) {
            return Some(guess);
        }
        self.guests
            .binary_search_by_key(&vmid, |g| g.seed.vmid)
            .ok()
    }

    pub fn guest(&self, vmid: u32) -> Option<&Guest> {
        self.position(vmid).map(|i| &self.guests[i])
    }

    pub fn guest_mut(&mut self, vmid: u32) -> Option<&mut Guest> {
        self.position(vmid).map(|i| &mut self.guests[i])
    }

    /// Adds a guest (its vmid must be free).
    pub fn insert_guest(&mut self, g: Guest) {
        let at = self
            .guests
            .binary_search_by_key(&g.seed.vmid, |x| x.seed.vmid)
            .unwrap_or_else(|i| i);
        self.guests.insert(at, g);
        self.reorder();
    }

    /// Removes guest `vmid`.
    pub fn remove_guest(&mut self, vmid: u32) -> Option<Guest> {
        let at = self.position(vmid)?;
        let g = self.guests.remove(at);
        self.reorder();
        Some(g)
    }

    fn reorder(&mut self) {
        let guests = &self.guests;
        let mut order: Vec<usize> = (0..guests.len()).collect();
        order.sort_by_cached_key(|&i| guests[i].seed.vmid.to_string());
        self.resource_order = order;
    }

    /// A new MAC address in Proxmox's OUI (`BC:24:11`), different for every call.
    pub fn new_mac(&mut self) -> String {
        self.mac_seq = self.mac_seq.wrapping_add(1);
        let x = self.mac_seq.wrapping_mul(2_654_435_761) ^ 0x00A5_5A00;
        let b = x.to_be_bytes();
        format!("BC:24:11:{:02X}:{:02X}:{:02X}", b[1] & 0xFE, b[2], b[3])
    }

    /// The guest if its config is on `node` and of `kind` (what PVE's `load_config` finds).
    pub fn guest_on(&self, node: &str, kind: GuestKind, vmid: u32) -> Option<&Guest> {
        self.guest(vmid)
            .filter(|g| g.seed.node == node && g.seed.kind == kind)
    }

    /// Whether some task is due and [`Cluster::settle`] has work to do.
    pub fn needs_settle(&self, now: Instant) -> bool {
        self.tasks.next_deadline().is_some_and(|at| at <= now)
    }

    /// Finishes every task whose deadline has passed, applying its effect.
    pub fn settle(&mut self, now: Instant) {
        while let Some((due, upid)) = self.tasks.pop_due(now) {
            if let Some(started) = upid.strip_prefix(crate::sim::tasks::store::START) {
                self.task_started(started, due);
                continue;
            }
            let Some(job) = self.tasks.get(&upid).map(|t| t.job.clone()) else {
                continue;
            };
            let at = self.tasks.get(&upid).map_or(now, |t| t.deadline);
            if self
                .tasks
                .get(&upid)
                .is_some_and(|t| t.state != TaskState::Running || t.deadline > now)
            {
                continue;
            }
            let mut log = Vec::new();
            let result = match &job {
                Job::Power(effect) => self.apply_effect(effect, at),
                Job::Snapshot(work) => self.apply_snapshot(work, at),
                Job::Backup(work) => self.apply_backup(work),
                Job::Life(work) => self.apply_life(work, at, &mut log),
                Job::Record => Ok(()),
                Job::Fail(msg) => Err(msg.clone()),
            };
            if let Some(task) = self.tasks.get_mut(&upid) {
                task.log.extend(log);
                task.endtime = Some(Cluster::epoch_now());
                task.state = TaskState::Stopped(match result {
                    Ok(()) => "OK".to_owned(),
                    Err(msg) => msg,
                });
            }
            self.task_ended(&upid, &job, at, false);
        }
    }

    /// Seconds since the Unix epoch.
    pub fn epoch_now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_order_is_perls_string_sort() {
        let c = Cluster::new(2, 1000, Duration::ZERO, String::new());
        let first: Vec<u32> = c.resource_order[..3]
            .iter()
            .map(|&i| c.guests[i].seed.vmid)
            .collect();
        assert_eq!(first, vec![100, 1000, 1001]);
        assert_eq!(c.guests[c.resource_order[11]].seed.vmid, 101);
    }

    #[test]
    fn node_lookup() {
        let c = Cluster::new(3, 0, Duration::ZERO, String::new());
        assert_eq!(c.node("pve3").map(|n| n.index), Some(2));
        assert_eq!(c.node("localhost").map(|n| n.index), Some(0));
        assert!(c.node("pve4").is_none());
        assert!(c.node("pve01").is_none());
        assert!(c.node("pve0").is_none());
    }
}
