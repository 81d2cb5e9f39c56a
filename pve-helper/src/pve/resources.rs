//! `/cluster/resources`: one call that tells where every guest lives (node, type, pool,
//! tags) and how it runs. Read leniently (PVE mixes numbers, strings and 0/1 flags),
//! validated into proto types, and sorted into a [`Snapshot`] (which `cache` keeps a
//! moment): of every guest, what its scope, the filters, the counts and its summary
//! need, and nothing else (the listing's text is not kept). Names, pools and tags are
//! text Proxmox sends: kept with their control and hidden characters written escaped
//! ([`escape_value`]), so every answer that carries them carries them fit to show; a
//! config lock is read as a [`GuestLock`] (an unknown one kept in its safe form, never
//! a reason to drop the guest).

use super::client::escape_value;
use entry::Entry;
use pve_mcp_proto::{GuestLock, GuestState, GuestSummary, GuestType, NodeName, VmId};
use serde::Deserialize;
use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

pub mod entry;

/// A number that PVE may send as a JSON number or a numeric string.
#[derive(Debug, Clone, Copy, Default)]
pub struct Num(pub f64);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A visitor, not an untagged enum: untagged enums buffer every value first,
        // which dominated the cost of decoding large listings.
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Num;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number, a numeric string or a boolean")
            }
            fn visit_f64<E>(self, v: f64) -> Result<Num, E> {
                Ok(Num(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Num, E> {
                Ok(Num(v as f64))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Num, E> {
                Ok(Num(v as f64))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Num, E> {
                Ok(Num(if v { 1.0 } else { 0.0 }))
            }
            fn visit_str<E>(self, v: &str) -> Result<Num, E> {
                Ok(Num(v.trim().parse().unwrap_or(0.0)))
            }
            fn visit_unit<E>(self) -> Result<Num, E> {
                Ok(Num(0.0))
            }
        }
        d.deserialize_any(V)
    }
}

impl Num {
    pub fn u64(self) -> u64 {
        if self.0.is_finite() && self.0 > 0.0 {
            self.0 as u64
        } else {
            0
        }
    }
}

/// A guest as the cache holds it. Node, pool and tags, which thousands of guests
/// share, are shared strings.
#[derive(Debug, Clone)]
pub struct Guest {
    pub vmid: VmId,
    pub guest_type: GuestType,
    pub status: GuestState,
    pub template: bool,
    pub node: Arc<NodeName>,
    pub pool: Option<Arc<str>>,
    pub tags: Arc<[String]>,
    /// With its control and hidden characters written escaped.
    pub name: Name,
    pub lock: Option<Box<GuestLock>>,
    figures: Figures,
}

/// A guest's name: kept inline when it is short, as nearly all are (reading a listing
/// then allocates nothing per name), on the heap otherwise.
#[derive(Clone)]
pub enum Name {
    Short { len: u8, bytes: [u8; SHORT_NAME] },
    Long(Box<str>),
}

/// The longest name kept inline: a [`Name`] is as large as a boxed one and a tag.
const SHORT_NAME: usize = 22;

impl Name {
    pub fn new(name: &str) -> Self {
        match u8::try_from(name.len()) {
            Ok(len) if name.len() <= SHORT_NAME => {
                let mut bytes = [0; SHORT_NAME];
                bytes[..name.len()].copy_from_slice(name.as_bytes());
                Self::Short { len, bytes }
            }
            _ => Self::Long(name.into()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            // Copied from a `str` whole: always UTF-8.
            Self::Short { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Self::Long(name) => name,
        }
    }
}

impl std::ops::Deref for Name {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

/// How a guest runs, as the listing says.
#[derive(Debug, Clone, Copy)]
struct Figures {
    cpu: f64,
    maxcpu: f64,
    mem: u64,
    maxmem: u64,
    uptime: u64,
}

impl Guest {
    /// The guest as the wire carries it.
    pub fn summary(&self) -> GuestSummary {
        let f = self.figures;
        GuestSummary {
            vmid: self.vmid,
            name: self.name.as_str().to_owned(),
            guest_type: self.guest_type,
            node: NodeName::clone(&self.node),
            status: self.status,
            pool: self.pool.as_deref().map(str::to_owned),
            tags: self.tags.to_vec(),
            template: self.template,
            lock: self.lock.as_deref().cloned(),
            cpu: f.cpu,
            maxcpu: f.maxcpu,
            mem: f.mem,
            maxmem: f.maxmem,
            uptime: f.uptime,
        }
    }
}

/// Splits PVE's tag list (`a;b`, older releases also `,` or space), each tag with its
/// control and hidden characters written escaped ([`escape_value`]).
pub fn split_tags(tags: Option<&str>) -> Vec<String> {
    tags.unwrap_or("")
        .split([';', ',', ' '])
        .filter(|t| !t.is_empty())
        .map(|t| escape_value(t).into_owned())
        .collect()
}

/// The node names, pools and tag lists of one listing, each validated (or escaped) and
/// allocated once however many guests share it.
#[derive(Debug, Default)]
pub(super) struct Interner {
    /// `None`: not a valid node name (its guests are dropped).
    nodes: Table<Option<Arc<NodeName>>>,
    pools: Table<Arc<str>>,
    tags: Table<Arc<[String]>>,
}

/// Values made once per distinct text: the first few looked up in a list (a cluster has
/// a handful of nodes and pools, whose names hash slower than they compare), the rest
/// in a map.
#[derive(Debug)]
struct Table<V> {
    few: Vec<(Box<str>, V)>,
    many: HashMap<Box<str>, V>,
}

impl<V> Default for Table<V> {
    fn default() -> Self {
        Self {
            few: Vec::new(),
            many: HashMap::new(),
        }
    }
}

/// How many values [`Table`] keeps in its list.
const FEW: usize = 16;

impl<V: Clone> Table<V> {
    fn get_or(&mut self, raw: &str, make: impl FnOnce(&str) -> V) -> V {
        if let Some((_, v)) = self.few.iter().find(|(k, _)| **k == *raw) {
            return v.clone();
        }
        if let Some(v) = self.many.get(raw) {
            return v.clone();
        }
        let v = make(raw);
        if self.few.len() < FEW {
            self.few.push((raw.into(), v.clone()));
        } else {
            self.many.insert(raw.into(), v.clone());
        }
        v
    }
}

impl Interner {
    fn node(&mut self, raw: &str) -> Option<Arc<NodeName>> {
        self.nodes
            .get_or(raw, |raw| NodeName::parse(raw).ok().map(Arc::new))
    }

    fn pool(&mut self, raw: &str) -> Arc<str> {
        self.pools.get_or(raw, |raw| escape_value(raw).into())
    }

    fn tags(&mut self, raw: &str) -> Arc<[String]> {
        self.tags.get_or(raw, |raw| split_tags(Some(raw)).into())
    }

    /// Validates one resource entry;
    /// `None` for non-guests and entries that fail validation (never trusted).
    pub(super) fn guest(&mut self, e: Entry<'_>) -> Option<Guest> {
        let guest_type = match &*e.kind {
            "qemu" => GuestType::Qemu,
            "lxc" => GuestType::Lxc,
            _ => return None,
        };
        let vmid = VmId::new(e.vmid?.u64()).ok()?;
        let node = self.node(e.node.as_deref()?)?;
        let num = |n: Option<Num>| n.unwrap_or_default();
        Some(Guest {
            vmid,
            guest_type,
            status: GuestState::from_pve(e.status.as_deref().unwrap_or(""), None),
            template: e.template.is_some_and(|t| t.0 != 0.0),
            node,
            pool: e
                .pool
                .as_deref()
                .filter(|p| !p.is_empty())
                .map(|p| self.pool(p)),
            tags: self.tags(e.tags.as_deref().unwrap_or("")),
            name: Name::new(&escape_value(e.name.as_deref().unwrap_or(""))),
            lock: e
                .lock
                .as_deref()
                .and_then(GuestLock::from_pve)
                .map(Box::new),
            figures: Figures {
                cpu: num(e.cpu).0,
                maxcpu: num(e.maxcpu).0,
                mem: num(e.mem).u64(),
                maxmem: num(e.maxmem).u64(),
                uptime: num(e.uptime).u64(),
            },
        })
    }
}

/// All guests of the cluster at one moment, by vmid.
#[derive(Debug)]
pub struct Snapshot {
    /// The guests in the order of the listing's text (a guest listed twice, twice).
    guests: Vec<Guest>,
    /// Where each guest is in `guests`, by vmid; of a guest listed twice, the first.
    /// The guests themselves are not moved: sorting them (128 bytes each) took about
    /// 2 ms at 30,000 guests, after the listing's last byte.
    order: Vec<u32>,
    fetched: Instant,
}

impl Snapshot {
    /// The guests read from one listing, in the order of its text.
    pub(super) fn new(mut guests: Vec<Guest>) -> Self {
        // Memory a fitted list would give back, when it is worth its copy (and the
        // other processor's interruption while the memory is handed back).
        if guests.capacity() - guests.len() > guests.len() / 8 {
            guests.shrink_to_fit();
        }
        let order = by_vmid(&guests);
        Self {
            guests,
            order,
            fetched: Instant::now(),
        }
    }

    /// The guests, in the order of the listing's text, for their memory to be reused.
    pub(super) fn into_guests(self) -> Vec<Guest> {
        self.guests
    }

    /// How long ago the listing was fetched (made).
    pub fn age(&self) -> Duration {
        self.fetched.elapsed()
    }

    /// Every guest, by vmid.
    pub fn iter(&self) -> impl Iterator<Item = &Guest> {
        self.order
            .iter()
            .filter_map(|&i| self.guests.get(i as usize))
    }

    /// How many guests there are.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    pub fn get(&self, vmid: VmId) -> Option<&Guest> {
        let at = |i: u32| self.guests.get(i as usize);
        let found = self
            .order
            .binary_search_by_key(&Some(vmid), |&i| at(i).map(|g| g.vmid))
            .ok()?;
        at(*self.order.get(found)?)
    }
}

/// The places of `guests` in vmid order, the first of a guest listed twice only.
///
/// Proxmox lists guests with their vmids sorted as text ("1000" before "101"): those
/// of as many digits as each other are then in vmid order, and taking them by their
/// number of digits gives the vmid order in one pass, checked. A listing in any other
/// order is sorted (a key per guest: its vmid, then its place, which keeps the first of
/// a guest listed twice first).
fn by_vmid(guests: &[Guest]) -> Vec<u32> {
    let vmids: Vec<u32> = guests.iter().map(|g| g.vmid.get()).collect();
    let digits = |vmid: u32| vmid.checked_ilog10().unwrap_or(0) as usize;
    let mut starts = [0usize; 11];
    for &v in &vmids {
        starts[digits(v) + 1] += 1;
    }
    for d in 1..starts.len() {
        starts[d] += starts[d - 1];
    }
    let mut order = vec![0u32; vmids.len()];
    for (i, &v) in (0u32..).zip(&vmids) {
        let at = &mut starts[digits(v)];
        if let Some(slot) = order.get_mut(*at) {
            *slot = i;
        }
        *at += 1;
    }
    let vmid = |i: &u32| vmids.get(*i as usize).copied();
    if order.is_sorted_by_key(vmid) {
        order.dedup_by_key(|i| vmid(i));
        return order;
    }
    let mut keys: Vec<u64> = (0u64..)
        .zip(&vmids)
        .map(|(i, &v)| (u64::from(v) << 32) | i)
        .collect();
    keys.sort_unstable();
    keys.dedup_by_key(|k| *k >> 32);
    keys.into_iter().map(|k| k as u32).collect()
}

#[cfg(test)]
mod tests;
