//! What the helper learned from Proxmox before judging a request: the guests it
//! names (node, pool, tags), configurations, and a few yes/no answers. Gathered by the
//! service from Proxmox's answers (already validated into proto types); `decide` and
//! the selectors only read it, and a fact that is missing refuses what needs it.

use super::config_file::{ConfigFile, GuestSettings};
use crate::pve::resources::Guest;
use pve_mcp_proto::{GuestState, GuestType, NodeName, VmId};
use std::collections::{BTreeSet, HashMap};

/// What the helper learned from Proxmox about the guests a request names.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Guests that exist, by vmid. A vmid missing here does not exist.
    pub guests: HashMap<VmId, GuestFacts>,
    /// Configurations of the guests `config_vmids` names (clone sources, guests to
    /// change, resize or delete).
    pub configs: HashMap<VmId, GuestSettings>,
    /// The configuration inside the backup a restore names.
    pub backup_config: Option<ConfigFile>,
    /// The task a status or log request names was started by this helper.
    pub own_task: bool,
    /// Whether the vmid a new guest would take is free: no guest has it (visible or
    /// not) and no storage holds volumes or backups named for it. `None`: unknown, which
    /// refuses the new guest.
    pub vmid_free: Option<bool>,
    /// The configuration a snapshot rollback brings back.
    pub snapshot_config: Option<GuestSettings>,
    /// The storages every node can reach (a guest's disks elsewhere are local, and a
    /// migration copies them), for migrations.
    pub shared_storages: Option<BTreeSet<String>>,
    /// The size in GiB of the image a new VM's disk is imported from (Proxmox sizes
    /// the disk from the image).
    pub image_gib: Option<u64>,
    /// The cluster's release, whose API schema judges raw calls (PVE 9's if unknown).
    pub release: Option<crate::pve::release::Release>,
    /// The firewall rules of the guest a firewall change names, as Proxmox holds them.
    pub firewall: Option<super::firewall::GuestRules>,
}

/// The attributes of a guest that selectors look at.
#[derive(Debug, Clone, PartialEq)]
pub struct GuestFacts {
    pub vmid: VmId,
    pub node: NodeName,
    pub guest_type: GuestType,
    pub pool: Option<String>,
    pub tags: Vec<String>,
    /// Running (or paused): not stopped.
    pub running: bool,
}

/// What selectors read of a guest: [`GuestFacts`], which `decide` is given, or a guest
/// of the helper's cached listing, so that scoping thousands of guests copies nothing.
pub trait GuestAttrs {
    fn vmid(&self) -> VmId;
    fn node(&self) -> &NodeName;
    fn guest_type(&self) -> GuestType;
    fn pool(&self) -> Option<&str>;
    fn tags(&self) -> &[String];
}

impl GuestAttrs for GuestFacts {
    fn vmid(&self) -> VmId {
        self.vmid
    }
    fn node(&self) -> &NodeName {
        &self.node
    }
    fn guest_type(&self) -> GuestType {
        self.guest_type
    }
    fn pool(&self) -> Option<&str> {
        self.pool.as_deref()
    }
    fn tags(&self) -> &[String] {
        &self.tags
    }
}

/// A guest of the cached listing, as `decide` is told of it.
impl From<&Guest> for GuestFacts {
    fn from(g: &Guest) -> Self {
        Self {
            vmid: g.vmid,
            node: NodeName::clone(&g.node),
            guest_type: g.guest_type,
            pool: g.pool.as_deref().map(str::to_owned),
            tags: g.tags.to_vec(),
            running: g.status != GuestState::Stopped,
        }
    }
}

impl GuestAttrs for Guest {
    fn vmid(&self) -> VmId {
        self.vmid
    }
    fn node(&self) -> &NodeName {
        &self.node
    }
    fn guest_type(&self) -> GuestType {
        self.guest_type
    }
    fn pool(&self) -> Option<&str> {
        self.pool.as_deref()
    }
    fn tags(&self) -> &[String] {
        &self.tags
    }
}
