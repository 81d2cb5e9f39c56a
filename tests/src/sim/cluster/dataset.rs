//! The simulated cluster's deterministic dataset: which nodes, storages, pools and guests
//! exist, and how each guest starts out. Pure functions of `(nodes, guests)`, so tests can
//! compute every expectation without talking to the simulator.
//!
//! # Layout (guest index `i` in `0..guests`, `N` nodes)
//!
//! | property  | rule |
//! |-----------|------|
//! | vmid      | `100 + i` (so guests are contiguous from 100; at most 999 999 900 guests) |
//! | node      | `pve{(i % N) + 1}`: guests are dealt round-robin, one *round* of `N` at a time |
//! | kind      | LXC container when the round `i / N` satisfies `round % 3 == 2`, else QEMU VM (every third round, so every node holds both kinds) |
//! | role      | `["web", "db", "cache", "app", "ci", "dev"][i % 6]` |
//! | name      | `{role}-{i:03}`, e.g. `web-012`; the LXC `hostname` is the same string |
//! | pool      | by `i % 5`: 0,1 → `prod`, 2 → `lab`, 3 → `ci`, 4 → no pool |
//! | locked    | `i % 50 == 5` (vmid 105, 155, 205, ...): tagged `pve-locked`; PVE itself denies power actions with 403 `Permission check failed (/vms/{vmid}, VM.PowerMgmt)` |
//! | tags      | none when `i % 7 == 6` and not locked; otherwise the role, plus `mcp` when `i` is even, plus `pve-locked` when locked; sorted, joined by `;` |
//! | template  | `i % 1000 == 9` (vmid 109, 1109, ...), and containers with `i % 1000 == 17` (vmid 117 with 1 to 3 nodes); always stopped, disks are base volumes (`base-109-disk-0`) |
//! | HA        | `i % 50 == 20` (vmid 120, 170, ...): HA-managed, so start/stop/shutdown run as `hastart`/`hastop` tasks and the entry carries `hastate` |
//! | state     | stopped when template or `i % 4 == 3`; otherwise running (no guest starts paused) |
//! | cores     | `[1, 2, 4][i % 3]`; QEMU sockets 2 when `i % 10 == 0`, else 1 |
//! | cpulimit  | LXC with `i % 4 == 1`, not templates, has `cpulimit: 1.5` and no `cores`, so PVE reports its `cpus` as the *string* `"1.5"`; such a container may use every core of its node |
//! | memory    | `[1024, 2048, 4096, 512, 8192][(i / 2) % 5]` MiB |
//! | disk      | `[8, 16, 32, 64][(i / 3) % 4]` GiB (QEMU `scsi0`, LXC `rootfs`) |
//! | cloud-init | QEMU with `i % 4 == 1`: `ciuser admin`, a `cipassword` (shown masked, `**********`, as PVE does), a cloud-init drive on `ide2`, `ipconfig0 ip=dhcp` |
//! | snapshots | one snapshot `base` ("after install", `snaptime` `1700000000 + i`, no RAM) when `i % 3 == 0` and not a template; the guest's state derives from it |
//!
//! | firewall  | a guest firewall (`{vmid}.fw`, enabled, rules by role) when `i % 2 == 0` |
//!
//! Storages, on every node: `local` (dir, `backup,import,iso,vztmpl`), `local-lvm`
//! (lvmthin, `images,rootdir`) and the shared `nas` (nfs, `backup,images,iso,rootdir`);
//! their files are listed in [`crate::sim::storage::volumes`]. Pools: `ci`, `lab`, `prod` (see
//! [`POOL_COMMENTS`]). Bridges on every node: `vmbr0`, `vmbr1`. One HA group,
//! `all-nodes`, holds every node.

use serde::Serialize;

/// The first vmid handed out.
pub const FIRST_VMID: u32 = 100;
/// PVE's largest vmid.
pub const MAX_VMID: u32 = 999_999_999;
/// The largest number of guests the dataset can hold.
pub const MAX_GUESTS: usize = (MAX_VMID - FIRST_VMID + 1) as usize;
/// Guest roles, indexed by `i % 6`; also the first part of each name.
pub const ROLES: [&str; 6] = ["web", "db", "cache", "app", "ci", "dev"];
/// Pools of the dataset, in PVE's (sorted) order.
pub const POOLS: [&str; 3] = ["ci", "lab", "prod"];
/// Each pool's `comment`, in the order of [`POOLS`].
pub const POOL_COMMENTS: [&str; 3] = ["CI runners", "Lab machines", "Production"];
/// The Linux bridges every node has.
pub const BRIDGES: [&str; 2] = ["vmbr0", "vmbr1"];
/// The HA group every HA-managed guest belongs to (all nodes, no priorities).
pub const HA_GROUP: &str = "all-nodes";
/// The snapshot some guests start with (see [`GuestSeed::has_base_snapshot`]).
pub const BASE_SNAPSHOT: &str = "base";
/// The tag that makes the simulated PVE deny power actions on a guest.
pub const LOCKED_TAG: &str = "pve-locked";

/// QEMU virtual machine or LXC container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GuestKind {
    Qemu,
    Lxc,
}

impl GuestKind {
    /// The path segment and `type` value PVE uses: `qemu` or `lxc`.
    pub fn as_str(self) -> &'static str {
        match self {
            GuestKind::Qemu => "qemu",
            GuestKind::Lxc => "lxc",
        }
    }

    /// The directory of the guest's config under `/etc/pve/nodes/{node}/`.
    pub fn config_dir(self) -> &'static str {
        match self {
            GuestKind::Qemu => "qemu-server",
            GuestKind::Lxc => "lxc",
        }
    }
}

/// A guest's power state. `Paused` only happens to QEMU guests (`qmpstatus` "paused").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PowerState {
    Running,
    Stopped,
    Paused,
}

/// One guest as the dataset creates it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GuestSeed {
    pub index: usize,
    pub vmid: u32,
    pub kind: GuestKind,
    pub node: String,
    pub name: String,
    pub role: &'static str,
    pub pool: Option<&'static str>,
    /// Sorted tags; empty means the guest has no `tags` property.
    pub tags: Vec<&'static str>,
    pub locked: bool,
    pub template: bool,
    pub ha: bool,
    pub initial: PowerState,
    /// `cores` in the config; `None` for containers limited by `cpulimit` instead.
    pub cores: Option<u32>,
    /// QEMU `sockets` (1 for containers).
    pub sockets: u32,
    /// LXC `cpulimit`, as PVE keeps it: a string.
    pub cpulimit: Option<String>,
    pub memory_mib: u64,
    pub disk_gib: u64,
}

impl GuestSeed {
    /// The `tags` property as PVE stores it (`a;b`), if any.
    pub fn tags_string(&self) -> Option<String> {
        (!self.tags.is_empty()).then(|| self.tags.join(";"))
    }

    /// Whether the guest starts with the snapshot [`BASE_SNAPSHOT`].
    pub fn has_base_snapshot(&self) -> bool {
        self.index.is_multiple_of(3) && !self.template
    }

    /// `maxmem` in bytes.
    pub fn maxmem(&self) -> u64 {
        self.memory_mib * 1024 * 1024
    }

    /// `maxdisk` in bytes.
    pub fn maxdisk(&self) -> u64 {
        self.disk_gib * 1024 * 1024 * 1024
    }
}

/// Node name for a 0-based node index: `pve1`, `pve2`, ...
pub fn node_name(index: usize) -> String {
    format!("pve{}", index + 1)
}

/// All node names of a cluster of `nodes` nodes.
pub fn node_names(nodes: usize) -> Vec<String> {
    (0..nodes).map(node_name).collect()
}

/// The guest with index `i` in a cluster of `nodes` nodes (`nodes >= 1`).
pub fn guest(i: usize, nodes: usize) -> GuestSeed {
    let nodes = nodes.max(1);
    let round = i / nodes;
    let kind = if round % 3 == 2 {
        GuestKind::Lxc
    } else {
        GuestKind::Qemu
    };
    let role = ROLES[i % ROLES.len()];
    let locked = i % 50 == 5;
    let template = i % 1000 == 9 || (i % 1000 == 17 && kind == GuestKind::Lxc);
    let mut tags = Vec::new();
    if locked || i % 7 != 6 {
        tags.push(role);
        if i.is_multiple_of(2) {
            tags.push("mcp");
        }
        if locked {
            tags.push(LOCKED_TAG);
        }
        tags.sort_unstable();
    }
    let pool = match i % 5 {
        0 | 1 => Some("prod"),
        2 => Some("lab"),
        3 => Some("ci"),
        _ => None,
    };
    // A template made to be cloned has its size set; so has the container 117.
    let cpulimit_only = kind == GuestKind::Lxc && i % 4 == 1 && !template;
    let initial = if template || i % 4 == 3 {
        PowerState::Stopped
    } else {
        PowerState::Running
    };
    GuestSeed {
        index: i,
        vmid: FIRST_VMID + u32::try_from(i).unwrap_or(MAX_VMID - FIRST_VMID),
        kind,
        node: node_name(i % nodes),
        name: format!("{role}-{i:03}"),
        role,
        pool,
        tags,
        locked,
        template,
        ha: i % 50 == 20,
        initial,
        cores: (!cpulimit_only).then_some([1, 2, 4][i % 3]),
        sockets: if kind == GuestKind::Qemu && i.is_multiple_of(10) {
            2
        } else {
            1
        },
        cpulimit: cpulimit_only.then(|| "1.5".to_owned()),
        memory_mib: [1024, 2048, 4096, 512, 8192][(i / 2) % 5],
        disk_gib: [8, 16, 32, 64][(i / 3) % 4],
    }
}

/// Every guest of a cluster with `nodes` nodes and `guests` guests, in vmid order.
/// `guests` is capped at [`MAX_GUESTS`].
pub fn dataset(nodes: usize, guests: usize) -> Vec<GuestSeed> {
    (0..guests.min(MAX_GUESTS))
        .map(|i| guest(i, nodes))
        .collect()
}

/// The first guest of [`dataset`] that is not a template and matches `want`, for tests
/// that pick a guest by its traits. Panics when the dataset has none.
pub fn find(nodes: usize, guests: usize, want: impl Fn(&GuestSeed) -> bool) -> GuestSeed {
    dataset(nodes, guests)
        .into_iter()
        .find(|g| !g.template && want(g))
        .expect("the dataset has such a guest")
}

/// One storage as configured in the simulated `storage.cfg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StorageSeed {
    pub id: &'static str,
    pub plugintype: &'static str,
    pub content: &'static str,
    pub shared: bool,
    pub total_gib: u64,
    /// The mount point of a file-based storage (`None` for block storages).
    pub path: Option<&'static str>,
}

impl StorageSeed {
    /// Whether the storage holds this content type (`images`, `iso`, ...).
    pub fn holds(&self, content: &str) -> bool {
        self.content.split(',').any(|c| c == content)
    }
}

/// The storages, present on every node.
pub const STORAGES: [StorageSeed; 3] = [
    StorageSeed {
        id: "local",
        plugintype: "dir",
        content: "backup,import,iso,vztmpl",
        shared: false,
        total_gib: 94,
        path: Some("/var/lib/vz"),
    },
    StorageSeed {
        id: "local-lvm",
        plugintype: "lvmthin",
        content: "images,rootdir",
        shared: false,
        total_gib: 832,
        path: None,
    },
    StorageSeed {
        id: "nas",
        plugintype: "nfs",
        content: "backup,images,iso,rootdir",
        shared: true,
        total_gib: 3726,
        path: Some("/mnt/pve/nas"),
    },
];

/// The storage called `id`.
pub fn storage(id: &str) -> Option<&'static StorageSeed> {
    STORAGES.iter().find(|s| s.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_follows_the_documented_rules() {
        let d = dataset(3, 300);
        assert_eq!(d.len(), 300);
        assert_eq!(d[0].vmid, 100);
        assert_eq!(d[299].vmid, 399);
        assert_eq!(d[4].node, "pve2");
        assert_eq!(d[6].kind, GuestKind::Lxc);
        assert_eq!(d[5].kind, GuestKind::Qemu);
        assert_eq!(d[12].name, "web-012");
        assert!(d[5].locked && d[5].tags.contains(&LOCKED_TAG));
        assert!(d[9].template && d[9].initial == PowerState::Stopped);
        assert!(d[20].ha);
        assert_eq!(d[6].tags_string(), None);
        assert_eq!(d[0].tags_string().as_deref(), Some("mcp;web"));
        assert_eq!(d.iter().filter(|g| g.template).count(), 2);
        assert!(d[17].template && d[17].kind == GuestKind::Lxc);
    }

    #[test]
    fn both_kinds_on_every_node() {
        let d = dataset(3, 30);
        for node in node_names(3) {
            assert!(d.iter().any(|g| g.node == node && g.kind == GuestKind::Lxc));
            assert!(
                d.iter()
                    .any(|g| g.node == node && g.kind == GuestKind::Qemu)
            );
        }
    }

    #[test]
    fn cpulimit_containers_have_no_cores() {
        let g = dataset(1, 20)
            .into_iter()
            .find(|g| g.cpulimit.is_some())
            .expect("a cpulimit container");
        assert_eq!(g.kind, GuestKind::Lxc);
        assert_eq!(g.cores, None);
    }
}
