//! `/cluster/resources`: one call that tells where every guest lives (node, type, pool,
//! tags) and how it runs. Parsed leniently (PVE mixes numbers, strings and 0/1 flags),
//! validated into proto types, and cached for at most [`TTL`].

use super::{PveClient, PveError};
use crate::policy::GuestFacts;
use pve_mcp_proto::{GuestState, GuestSummary, GuestType, NodeName, VmId};
use serde::{Deserialize, de};
use std::{
    borrow::Cow,
    sync::Arc,
    time::{Duration, Instant},
};

/// How long a fetched listing is reused.
pub const TTL: Duration = Duration::from_millis(1500);

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

/// One entry of `/cluster/resources` (fields we use; others are ignored).
#[derive(Debug, Deserialize)]
pub struct RawResource<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    pub vmid: Option<Num>,
    #[serde(borrow)]
    pub name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub node: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub status: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub pool: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub tags: Option<Cow<'a, str>>,
    pub template: Option<Num>,
    #[serde(borrow)]
    pub hastate: Option<Cow<'a, str>>,
    #[serde(default)]
    pub cpu: Num,
    #[serde(default)]
    pub maxcpu: Num,
    #[serde(default)]
    pub mem: Num,
    #[serde(default)]
    pub maxmem: Num,
    #[serde(default)]
    pub uptime: Num,
}

/// A guest as the cache holds it.
#[derive(Debug, Clone)]
pub struct Guest {
    pub facts: GuestFacts,
    pub summary: GuestSummary,
    pub hastate: Option<String>,
}

/// Splits PVE's tag list (`a;b`, older releases also `,` or space).
pub fn split_tags(tags: Option<&str>) -> Vec<String> {
    tags.unwrap_or("")
        .split([';', ',', ' '])
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Guest {
    /// Validates one resource entry; `None` for non-guests and entries that fail
    /// validation (logged by the caller's count, never trusted).
    pub fn from_raw(r: RawResource) -> Option<Self> {
        let guest_type = match r.kind.as_ref() {
            "qemu" => GuestType::Qemu,
            "lxc" => GuestType::Lxc,
            _ => return None,
        };
        let vmid = VmId::new(r.vmid?.u64()).ok()?;
        let node = NodeName::parse(r.node.as_deref()?).ok()?;
        let tags = split_tags(r.tags.as_deref());
        let pool = r.pool.filter(|p| !p.is_empty()).map(Cow::into_owned);
        let summary = GuestSummary {
            vmid,
            name: r.name.map(Cow::into_owned).unwrap_or_default(),
            guest_type,
            node: node.clone(),
            status: GuestState::from_pve(r.status.as_deref().unwrap_or(""), None),
            pool: pool.clone(),
            tags: tags.clone(),
            template: r.template.is_some_and(|t| t.0 != 0.0),
            cpu: r.cpu.0,
            maxcpu: r.maxcpu.0,
            mem: r.mem.u64(),
            maxmem: r.maxmem.u64(),
            uptime: r.uptime.u64(),
        };
        let facts = GuestFacts {
            vmid,
            node,
            guest_type,
            pool,
            tags,
        };
        Some(Self {
            facts,
            summary,
            hastate: r.hastate.map(Cow::into_owned),
        })
    }
}

/// The guests of a `/cluster/resources` answer, validated one entry at a time while
/// the answer is decoded: no list of raw entries is built first.
struct Guests(Vec<Guest>);

impl<'de> Deserialize<'de> for Guests {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> de::Visitor<'de> for Entries {
            type Value = Guests;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of cluster resources")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Guests, A::Error> {
                let mut guests = Vec::with_capacity(1024);
                while let Some(raw) = seq.next_element::<RawResource<'de>>()? {
                    guests.extend(Guest::from_raw(raw));
                }
                Ok(Guests(guests))
            }
        }
        d.deserialize_seq(Entries)
    }
}

/// All guests of the cluster at one moment, sorted by vmid.
#[derive(Debug)]
pub struct Snapshot {
    pub guests: Vec<Guest>,
    fetched: Instant,
}

impl Snapshot {
    pub fn new(mut guests: Vec<Guest>) -> Self {
        // PVE lists vmids sorted as strings ("1000" before "200").
        guests.sort_by_key(|g| g.facts.vmid);
        guests.dedup_by_key(|g| g.facts.vmid);
        Self {
            guests,
            fetched: Instant::now(),
        }
    }

    /// Decodes a `/cluster/resources?type=vm` answer (`{"data": [...]}`).
    pub fn decode(body: &[u8]) -> Result<Self, PveError> {
        let Guests(guests) = super::decode(body)?;
        Ok(Self::new(guests))
    }

    pub fn get(&self, vmid: VmId) -> Option<&Guest> {
        self.guests
            .binary_search_by_key(&vmid, |g| g.facts.vmid)
            .ok()
            .map(|i| &self.guests[i])
    }
}

/// Single-flight cache of the guest listing.
#[derive(Debug, Default)]
pub struct ResourceCache {
    state: tokio::sync::Mutex<Option<Arc<Snapshot>>>,
}

impl ResourceCache {
    /// A listing at most [`TTL`] old; concurrent callers share one fetch.
    pub async fn get(&self, pve: &PveClient) -> Result<Arc<Snapshot>, PveError> {
        let mut state = self.state.lock().await;
        if let Some(s) = state.as_ref().filter(|s| s.fetched.elapsed() < TTL) {
            return Ok(s.clone());
        }
        let body = pve
            .get_body("/cluster/resources", &[("type", "vm")])
            .await?;
        let snap = Arc::new(Snapshot::decode(&body)?);
        let old = state.replace(snap.clone());
        drop(state);
        drop_later(old);
        Ok(snap)
    }

    /// Forgets the listing, after an action changed a guest.
    pub async fn invalidate(&self) {
        let old = self.state.lock().await.take();
        drop_later(old);
    }
}

/// Frees a replaced listing on a blocking thread: dropping tens of thousands of
/// strings takes a millisecond or more, which no caller should wait for.
fn drop_later(old: Option<Arc<Snapshot>>) {
    if let Some(old) = old {
        tokio::task::spawn_blocking(move || drop(old));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pve_shapes_and_drops_invalid() {
        let raw: Vec<RawResource> = serde_json::from_str(r#"[
            {"id":"qemu/101","type":"qemu","vmid":101,"name":"web","node":"pve1","status":"running",
             "tags":"mcp;web","pool":"lab","template":0,"cpu":0.25,"maxcpu":2,"mem":1073741824,
             "maxmem":2147483648,"uptime":3600},
            {"id":"lxc/200","type":"lxc","vmid":"200","node":"pve2","status":"stopped","template":1},
            {"id":"node/pve1","type":"node","node":"pve1","status":"online"},
            {"id":"qemu/5","type":"qemu","vmid":5,"node":"pve1"},
            {"id":"qemu/102","type":"qemu","vmid":102,"node":"pve/1"}
        ]"#).unwrap();
        let guests: Vec<Guest> = raw.into_iter().filter_map(Guest::from_raw).collect();
        assert_eq!(guests.len(), 2);
        assert_eq!(guests[0].facts.tags, vec!["mcp", "web"]);
        assert_eq!(guests[0].summary.status, GuestState::Running);
        assert_eq!(guests[0].summary.mem, 1 << 30);
        assert_eq!(guests[1].facts.vmid.get(), 200);
        assert!(guests[1].summary.template);
        let snap = Snapshot::new(guests);
        assert!(snap.get(VmId::new(200).unwrap()).is_some());
    }
}

#[cfg(test)]
mod timing {
    use super::*;

    /// Prints how long decoding a 3,000-guest listing takes; run with
    /// `cargo test --release -p pve-helper --lib decode_timing -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing report, not a test"]
    fn decode_timing() {
        let entry = |i: usize| {
            format!(
                r#"{{"id":"qemu/{v}","type":"qemu","vmid":{v},"name":"web-{i:03}","node":"pve{n}","status":"running","tags":"mcp;web","pool":"lab","template":0,"cpu":0.0123,"maxcpu":4,"mem":1073741824,"maxmem":4294967296,"disk":0,"maxdisk":34359738368,"uptime":86400,"netin":123456,"netout":654321,"diskread":1000,"diskwrite":2000,"hastate":"started"}}"#,
                v = 100 + i,
                n = i % 3 + 1
            )
        };
        let body = format!(
            "{{\"data\":[{}]}}",
            (0..3000).map(entry).collect::<Vec<_>>().join(",")
        );
        let mut times = Vec::new();
        for _ in 0..50 {
            let t = Instant::now();
            let snap = Snapshot::decode(body.as_bytes()).unwrap();
            assert_eq!(snap.guests.len(), 3000);
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "decode + snapshot of 3000 guests ({} KiB): median {:?}",
            body.len() / 1024,
            times[25]
        );
    }
}
