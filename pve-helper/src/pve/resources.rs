//! `/cluster/resources`: one call that tells where every guest lives (node, type, pool,
//! tags) and how it runs. Read leniently (PVE mixes numbers, strings and 0/1 flags),
//! validated into proto types, and sorted into a [`Snapshot`] (which `cache` keeps a
//! moment) with the text it was read from: of every guest only what its scope, the
//! filters and the counts need is read up front ([`entry::scope`]), the rest
//! ([`entry::detail`]) for the guests an answer carries. Names, pools and tags are text
//! Proxmox sends: given out with their control and hidden characters written escaped
//! ([`escape_value`]), so every answer that carries them carries them fit to show; a
//! config lock is read as a [`GuestLock`] (an unknown one kept in its safe form, never
//! a reason to drop the guest).

use super::{PveError, client::escape_value};
use entry::{Detail, Scope};
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

/// A guest as the cache holds it: what its scope, the listing's filters and counts
/// need, read for every guest, and where its entry is in the listing's text, whose
/// details ([`Snapshot::summary`]) are read only for the guests an answer carries.
/// Node, pool and tags, which thousands of guests share, are shared strings: a listing
/// costs no allocation per guest.
#[derive(Debug, Clone)]
pub struct Guest {
    pub vmid: VmId,
    pub guest_type: GuestType,
    pub status: GuestState,
    pub node: Arc<NodeName>,
    pub pool: Option<Arc<str>>,
    pub tags: Arc<[String]>,
    /// Where the guest's entry begins in [`Snapshot`]'s text.
    entry: u32,
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

    /// Validates one resource entry, which begins at `entry` in the listing's text;
    /// `None` for non-guests and entries that fail validation (never trusted).
    pub(super) fn guest(&mut self, r: Scope<'_>, entry: usize) -> Option<Guest> {
        let guest_type = match r.kind.as_deref()? {
            "qemu" => GuestType::Qemu,
            "lxc" => GuestType::Lxc,
            _ => return None,
        };
        let vmid = VmId::new(r.vmid?.u64()).ok()?;
        let node = self.node(r.node.as_deref()?)?;
        Some(Guest {
            vmid,
            guest_type,
            status: GuestState::from_pve(r.status.as_deref().unwrap_or(""), None),
            node,
            pool: r
                .pool
                .as_deref()
                .filter(|p| !p.is_empty())
                .map(|p| self.pool(p)),
            tags: self.tags(r.tags.as_deref().unwrap_or("")),
            entry: u32::try_from(entry).ok()?,
        })
    }
}

/// All guests of the cluster at one moment, sorted by vmid, and the listing they were
/// read from.
#[derive(Debug)]
pub struct Snapshot {
    pub guests: Vec<Guest>,
    /// The listing's text, as Proxmox sent it (validated whole).
    pub(super) text: String,
    fetched: Instant,
}

impl Snapshot {
    /// The guests read from `text` (each [`Guest`] pointing into it).
    pub(super) fn new(text: String, guests: Vec<Guest>) -> Self {
        let mut guests = guests;
        if !guests.is_sorted_by_key(|g| g.vmid) {
            // Of guests listed twice, the first is kept: entries come in the order of
            // the text, so ordering by where they begin keeps that order, and the sort
            // needs no buffer of its own (a stable sort's is as large as the list).
            guests.sort_unstable_by_key(|g| (g.vmid, g.entry));
        }
        guests.dedup_by_key(|g| g.vmid);
        Self {
            guests,
            text,
            fetched: Instant::now(),
        }
    }

    /// Decodes a `/cluster/resources?type=vm` answer (`{"data": [...]}`) whole.
    pub fn decode(body: &[u8]) -> Result<Self, PveError> {
        let text = std::str::from_utf8(body).map_err(|e| {
            PveError::Decode(format!(
                "the answer is not UTF-8 (at byte {})",
                e.valid_up_to()
            ))
        })?;
        super::listing::decode_whole(text.to_owned())
    }

    /// How long ago the listing was fetched (made).
    pub fn age(&self) -> Duration {
        self.fetched.elapsed()
    }

    pub fn get(&self, vmid: VmId) -> Option<&Guest> {
        self.guests
            .binary_search_by_key(&vmid, |g| g.vmid)
            .ok()
            .map(|i| &self.guests[i])
    }

    /// The rest of a guest of this listing, read from its entry.
    fn detail(&self, g: &Guest) -> Detail<'_> {
        // The entry was read whole when the listing was; it reads the same again.
        entry::detail(&self.text, g.entry as usize).unwrap_or_default()
    }

    /// A guest's name, with its control and hidden characters written escaped.
    pub fn name(&self, g: &Guest) -> String {
        escape_value(self.detail(g).name.as_deref().unwrap_or("")).into_owned()
    }

    /// A guest of this listing as the wire carries it.
    pub fn summary(&self, g: &Guest) -> GuestSummary {
        let d = self.detail(g);
        GuestSummary {
            vmid: g.vmid,
            name: escape_value(d.name.as_deref().unwrap_or("")).into_owned(),
            guest_type: g.guest_type,
            node: NodeName::clone(&g.node),
            status: g.status,
            pool: g.pool.as_deref().map(str::to_owned),
            tags: g.tags.to_vec(),
            template: d.template.is_some_and(|t| t.0 != 0.0),
            lock: d.lock.as_deref().and_then(GuestLock::from_pve),
            cpu: d.cpu.0,
            maxcpu: d.maxcpu.0,
            mem: d.mem.u64(),
            maxmem: d.maxmem.u64(),
            uptime: d.uptime.u64(),
        }
    }

    /// The listing's text, emptied, for the next one; and its guests.
    pub fn into_parts(self) -> (String, Vec<Guest>) {
        let mut text = self.text;
        text.clear();
        (text, self.guests)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pve_shapes_and_drops_invalid() {
        let snap = Snapshot::decode(br#"{"data":[
            {"id":"qemu/101","type":"qemu","vmid":101,"name":"web","node":"pve1","status":"running",
             "tags":"mcp;web","pool":"lab","template":0,"cpu":0.25,"maxcpu":2,"mem":1073741824,
             "maxmem":2147483648,"uptime":3600,"hastate":"started","netin":{"odd":[1]}},
            {"id":"lxc/200","type":"lxc","vmid":"200","node":"pve2","status":"stopped","template":1},
            {"id":"node/pve1","type":"node","node":"pve1","status":"online"},
            {"id":"qemu/5","type":"qemu","vmid":5,"node":"pve1"},
            {"id":"qemu/102","type":"qemu","vmid":102,"node":"pve/1"},
            {"id":"qemu/103","type":"qemu","vmid":103,"name":"db\u0020\"1\"","node":"pve1",
             "tags":"mcp;web","pool":""}
        ]}"#).unwrap();
        let vmids: Vec<u32> = snap.guests.iter().map(|g| g.vmid.get()).collect();
        assert_eq!(vmids, [101, 103, 200]);
        let web = snap.get(VmId::new(101).unwrap()).unwrap();
        assert_eq!(snap.summary(web).tags, vec!["mcp", "web"]);
        assert_eq!(snap.summary(web).status, GuestState::Running);
        assert_eq!(snap.summary(web).mem, 1 << 30);
        assert_eq!(web.pool.as_deref(), Some("lab"));
        let db = snap.get(VmId::new(103).unwrap()).unwrap();
        assert_eq!(snap.name(db), "db \"1\"");
        assert_eq!(db.pool, None, "an empty pool is no pool");
        // Shared, not copied, between guests.
        assert!(Arc::ptr_eq(&web.tags, &db.tags));
        assert!(Arc::ptr_eq(&web.node, &db.node));
        let ct = snap.get(VmId::new(200).unwrap()).unwrap();
        assert!(snap.summary(ct).template);
        assert_eq!(ct.guest_type, GuestType::Lxc);
        assert!(ct.tags.is_empty());
        assert_eq!(ct.node.as_str(), "pve2");
    }

    #[test]
    fn names_pools_and_tags_carry_hidden_characters_escaped() {
        let snap = Snapshot::decode(
            r#"{"data":[
            {"type":"qemu","vmid":101,"node":"pve1","name":"web\u202Eexe.txt\u0007",
             "pool":"lab\u200B","tags":"mcp;w\u2066eb;\udb40\udc41"},
            {"type":"qemu","vmid":102,"node":"pve1","name":"Grüße","pool":"lab\u200B",
             "tags":"mcp;w\u2066eb;\udb40\udc41"},
            {"type":"qemu","vmid":103,"node":"pve1","name":" lab","pool":" lab","tags":"lab"}
        ]}"#
            .as_bytes(),
        )
        .unwrap();
        let web = snap.get(VmId::new(101).unwrap()).unwrap();
        assert_eq!(snap.name(web), "web\\u{202E}exe.txt\\u{0007}");
        assert_eq!(web.pool.as_deref(), Some("lab\\u{200B}"));
        assert_eq!(&web.tags[..], ["mcp", "w\\u{2066}eb", "\\u{E0041}"]);
        let summary = snap.summary(web);
        assert_eq!(summary.tags, ["mcp", "w\\u{2066}eb", "\\u{E0041}"]);
        assert_eq!(web.pool.as_deref(), Some("lab\\u{200B}"));
        let other = snap.get(VmId::new(102).unwrap()).unwrap();
        assert_eq!(snap.name(other), "Grüße");
        assert!(Arc::ptr_eq(&web.tags, &other.tags));
        // Nothing trimmed: a pool that is not `lab` does not become `lab`.
        let spaced = snap.get(VmId::new(103).unwrap()).unwrap();
        assert_eq!(
            (snap.name(spaced).as_str(), spaced.pool.as_deref()),
            (" lab", Some(" lab"))
        );
    }

    #[test]
    fn a_guests_lock_is_read_and_an_unknown_one_kept_safe() {
        let snap = Snapshot::decode(
            r#"{"data":[
            {"type":"qemu","vmid":100,"node":"pve1","lock":"backup"},
            {"type":"lxc","vmid":101,"node":"pve1","lock":"snapshot-delete"},
            {"type":"qemu","vmid":102,"node":"pve1"},
            {"type":"qemu","vmid":103,"node":"pve1","lock":""},
            {"type":"qemu","vmid":104,"node":"pve1","lock":"frozen\u202E\n"},
            {"type":"qemu","vmid":105,"node":"pve1","lock":null}
        ]}"#
            .as_bytes(),
        )
        .unwrap();
        let lock = |v: u64| {
            let g = snap.get(VmId::new(v).unwrap()).unwrap();
            snap.summary(g).lock
        };
        assert_eq!(lock(100), Some(GuestLock::Backup));
        assert_eq!(lock(101), Some(GuestLock::SnapshotDelete));
        assert_eq!((lock(102), lock(103), lock(105)), (None, None, None));
        // Unknown: kept, escaped; the guest is listed all the same.
        let odd = lock(104).unwrap();
        assert!(matches!(odd, GuestLock::Other(_)), "{odd:?}");
        assert_eq!(odd.as_str(), "frozen\\u{202E}");
        assert_eq!(snap.guests.len(), 6);
    }

    #[test]
    fn guests_are_kept_by_vmid_and_the_first_of_a_duplicate_wins() {
        let entry = |vmid: u32, name: &str| {
            format!(r#"{{"type":"qemu","vmid":{vmid},"node":"pve1","name":"{name}"}}"#)
        };
        let ids = [1000, 101, 100_000, 99_999, 101, 200];
        let body = format!(
            r#"{{"data":[{}]}}"#,
            ids.iter()
                .enumerate()
                .map(|(i, v)| entry(*v, &format!("n{i}")))
                .collect::<Vec<_>>()
                .join(",")
        );
        let snap = Snapshot::decode(body.as_bytes()).unwrap();
        let got: Vec<(u32, String)> = snap
            .guests
            .iter()
            .map(|g| (g.vmid.get(), snap.name(g)))
            .collect();
        assert_eq!(
            got,
            [
                (101, "n1"),
                (200, "n5"),
                (1000, "n0"),
                (99_999, "n3"),
                (100_000, "n2")
            ]
            .map(|(v, n)| (v, n.to_owned()))
        );
    }

    #[test]
    fn a_listing_that_is_not_a_list_is_an_error() {
        for body in [&br#"{"data":{}}"#[..], br#"{"data":[1]}"#, b"[]", b"{"] {
            assert!(Snapshot::decode(body).is_err(), "{body:?}");
        }
    }
}
