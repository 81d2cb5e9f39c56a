//! A guest's config file (`/etc/pve/nodes/{node}/qemu-server/{vmid}.conf` or `lxc/`): the
//! dataset's rules for guests nobody changed, a key/value map once a lifecycle call wrote
//! to it, `GET .../config` with PVE's JSON types and `digest`, the file text (what
//! `vzdump` stores and `extractconfig` returns), the volumes it references, and the
//! traits derived from it (name, CPUs, memory, boot disk size) that listings show.
//! `lock`, `tags` and `template` live on the guest itself and are added when rendering.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::keys::{self as cs, is_numeric};
use crate::sim::cluster::dataset::{GuestKind, GuestSeed};
use crate::sim::cluster::state::{Guest, NODE_CPUS};
use crate::sim::params::property_string::{self as propstr, format_size, parse_size};

/// Config keys and values as PVE writes them (`cores` → `2`, `net0` → `virtio=...`).
pub type ConfigMap = BTreeMap<String, String>;

/// The cloud-init password as `GET .../config` shows it.
pub const MASKED: &str = "**********";

/// A MAC address in Proxmox's OUI, derived from the vmid.
pub fn mac(vmid: u32) -> String {
    let b = vmid.to_be_bytes();
    format!("BC:24:11:{:02X}:{:02X}:{:02X}", b[1], b[2], b[3])
}

/// A UUID-shaped string derived from the vmid and a salt.
pub fn uuid(vmid: u32, salt: u32) -> String {
    let a = vmid.wrapping_mul(2_654_435_761) ^ salt;
    let b = salt.wrapping_mul(40_503) as u16;
    format!(
        "{a:08x}-{:04x}-4{:03x}-8{:03x}-{:08x}{:04x}",
        vmid as u16,
        b & 0xfff,
        vmid & 0xfff,
        a.rotate_left(7),
        b
    )
}

/// The dataset's config lines for a guest nobody changed (see [`mod@crate::sim::cluster::dataset`]).
pub fn dataset_entries(s: &GuestSeed) -> Vec<(&'static str, Value)> {
    let prefix = if s.template { "base" } else { "vm" };
    let volume = format!("local-lvm:{prefix}-{}-disk-0", s.vmid);
    let disk = format!("{volume},size={}G", s.disk_gib);
    let mut e: Vec<(&'static str, Value)> = Vec::new();
    match s.kind {
        GuestKind::Qemu => {
            if s.index % 3 != 1 {
                e.push(("agent", json!("1")));
            }
            e.push(("boot", json!("order=scsi0;ide2;net0")));
            let cloud_init = s.index % 4 == 1;
            if cloud_init {
                // The stored value is a hash; GET config masks it.
                e.push(("cipassword", json!(format!("$5$dataset${:016x}", s.vmid))));
                e.push(("ciuser", json!("admin")));
            }
            e.push(("cores", json!(s.cores.unwrap_or(1))));
            e.push(("cpu", json!("x86-64-v2-AES")));
            if cloud_init {
                let drive = format!("local-lvm:vm-{}-cloudinit,media=cdrom", s.vmid);
                e.push(("ide2", json!(drive)));
                e.push(("ipconfig0", json!("ip=dhcp")));
            } else {
                e.push(("ide2", json!("none,media=cdrom")));
            }
            e.push(("memory", json!(s.memory_mib.to_string())));
            e.push((
                "meta",
                json!(format!(
                    "creation-qemu=9.0.2,ctime={}",
                    1_718_000_000 + s.vmid
                )),
            ));
            e.push(("name", json!(s.name)));
            e.push((
                "net0",
                json!(format!("virtio={},bridge=vmbr0,firewall=1", mac(s.vmid))),
            ));
            e.push(("numa", json!(0)));
            e.push((
                "ostype",
                json!(if s.index % 11 == 3 { "win11" } else { "l26" }),
            ));
            e.push((
                "scsi0",
                json!(format!("{volume},iothread=1,size={}G", s.disk_gib)),
            ));
            e.push(("scsihw", json!("virtio-scsi-single")));
            e.push(("smbios1", json!(format!("uuid={}", uuid(s.vmid, 1)))));
            e.push(("sockets", json!(s.sockets)));
            e.push(("vmgenid", json!(uuid(s.vmid, 2))));
        }
        GuestKind::Lxc => {
            e.push(("arch", json!("amd64")));
            match (s.cores, &s.cpulimit) {
                (Some(cores), _) => e.push(("cores", json!(cores))),
                (None, Some(limit)) => e.push(("cpulimit", json!(limit))),
                (None, None) => {}
            }
            e.push(("features", json!("nesting=1")));
            e.push(("hostname", json!(s.name)));
            e.push(("memory", json!(s.memory_mib)));
            let hw = mac(s.vmid);
            e.push((
                "net0",
                json!(format!(
                    "name=eth0,bridge=vmbr0,firewall=1,hwaddr={hw},ip=dhcp,type=veth"
                )),
            ));
            e.push(("ostype", json!("debian")));
            e.push(("rootfs", json!(disk)));
            e.push(("swap", json!(512)));
            e.push(("unprivileged", json!(1)));
        }
    }
    if s.pool == Some("prod") {
        e.push(("onboot", json!(1)));
    }
    e
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// [`dataset_entries`] as a map.
pub fn dataset_map(s: &GuestSeed) -> ConfigMap {
    dataset_entries(s)
        .iter()
        .map(|(k, v)| ((*k).to_owned(), text_of(v)))
        .collect()
}

impl Guest {
    /// The config keys and values (the dataset's, or what was written since).
    pub fn config_map(&self) -> Cow<'_, ConfigMap> {
        match &self.config {
            Some(map) => Cow::Borrowed(map),
            None => Cow::Owned(dataset_map(&self.seed)),
        }
    }

    /// The config map for writing; call [`Guest::sync_traits`] after changing it.
    pub fn config_mut(&mut self) -> &mut ConfigMap {
        let seed = &self.seed;
        self.config
            .get_or_insert_with(|| Box::new(dataset_map(seed)))
    }

    /// The volumes the config references; cheap for dataset guests (one disk).
    pub fn volumes(&self) -> Vec<ConfVolume> {
        if self.config.is_some() {
            return volumes(self.seed.kind, &self.config_map());
        }
        let s = &self.seed;
        let prefix = if s.template { "base" } else { "vm" };
        let key = match s.kind {
            GuestKind::Qemu => "scsi0",
            GuestKind::Lxc => "rootfs",
        };
        let volid = format!("local-lvm:{prefix}-{}-disk-0", s.vmid);
        vec![ConfVolume {
            key: key.to_owned(),
            props: vec![("file".into(), volid.clone())],
            volid,
            size: s.maxdisk(),
            cdrom: false,
            cloudinit: false,
        }]
    }

    /// One config value.
    pub fn config_value(&self, key: &str) -> Option<String> {
        self.config_map().get(key).cloned()
    }

    /// Whether the config enables the QEMU guest agent (`agent: 1` or `enabled=1`).
    pub fn agent_enabled(&self) -> bool {
        if self.seed.kind != GuestKind::Qemu {
            return false;
        }
        match &self.config {
            None => self.seed.index % 3 != 1,
            Some(map) => map
                .get("agent")
                .and_then(|v| propstr::parse(&cs::AGENT, v, "agent").ok())
                .is_some_and(|p| propstr::get(&p, "enabled") == Some("1")),
        }
    }

    /// `protection: 1`.
    pub fn protected(&self) -> bool {
        self.config
            .as_ref()
            .is_some_and(|m| m.get("protection").is_some_and(|v| v == "1"))
    }

    /// Recomputes the traits listings show (name, CPUs, memory, boot disk size) from a
    /// written config.
    pub fn sync_traits(&mut self) {
        let Some(map) = self.config.as_deref() else {
            return;
        };
        let vmid = self.seed.vmid;
        let int = |k: &str| map.get(k).and_then(|v| v.parse::<u32>().ok());
        let s = &mut self.seed;
        match s.kind {
            GuestKind::Qemu => {
                s.name = map.get("name").cloned().unwrap_or(format!("VM {vmid}"));
                s.cores = Some(int("cores").unwrap_or(1));
                s.sockets = int("sockets").unwrap_or(1);
                s.cpulimit = None;
                s.memory_mib = map.get("memory").map_or(512, |m| qemu_memory(m));
            }
            GuestKind::Lxc => {
                s.name = map.get("hostname").cloned().unwrap_or(format!("CT{vmid}"));
                s.cpulimit = map.get("cpulimit").cloned();
                s.cores = int("cores");
                if s.cores.is_none() && s.cpulimit.is_none() {
                    s.cores = Some(NODE_CPUS);
                }
                s.sockets = 1;
                s.memory_mib = int("memory").map_or(512, u64::from);
            }
        }
        self.maxdisk = boot_size(self.seed.kind, map);
        self.seed.disk_gib = self.maxdisk >> 30;
    }
}

/// QEMU `memory` (`2048` or `current=2048`), in MiB.
pub fn qemu_memory(v: &str) -> u64 {
    v.trim_start_matches("current=")
        .split(',')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(512)
}

/// A volume a config references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfVolume {
    pub key: String,
    pub volid: String,
    pub size: u64,
    pub cdrom: bool,
    pub cloudinit: bool,
    pub props: propstr::Props,
}

/// The volumes of a config (drives, mount points, `unusedN`), without `none`/`cdrom`.
pub fn volumes(kind: GuestKind, map: &ConfigMap) -> Vec<ConfVolume> {
    let mut out = Vec::new();
    for (key, value) in map {
        let is_volume = match kind {
            GuestKind::Qemu => cs::is_qemu_drive(key) || cs::is_unused(key),
            GuestKind::Lxc => cs::is_lxc_volume(key) || cs::is_unused(key),
        };
        if !is_volume {
            continue;
        }
        let format = cs::volume_format(kind, key);
        let Ok(props) = propstr::parse(format, value, key) else {
            continue;
        };
        let volid = propstr::get(&props, format.default_key.unwrap_or("file"))
            .unwrap_or_default()
            .to_owned();
        if volid.is_empty() || volid == "none" || volid == "cdrom" {
            continue;
        }
        out.push(ConfVolume {
            key: key.clone(),
            size: propstr::get(&props, "size")
                .and_then(parse_size)
                .unwrap_or(0),
            cdrom: propstr::get(&props, "media") == Some("cdrom"),
            cloudinit: volid.ends_with("-cloudinit") || volid.contains("-cloudinit."),
            volid,
            props,
        });
    }
    out
}

/// `maxdisk`: QEMU's first disk in the boot order (0 without one), a container's rootfs.
pub fn boot_size(kind: GuestKind, map: &ConfigMap) -> u64 {
    let vols = volumes(kind, map);
    let size_of = |key: &str| {
        vols.iter()
            .find(|v| v.key == key && !v.cdrom)
            .map(|v| v.size)
    };
    match kind {
        GuestKind::Lxc => size_of("rootfs").unwrap_or(0),
        GuestKind::Qemu => {
            let order = map
                .get("boot")
                .and_then(|b| b.split(',').find_map(|p| p.strip_prefix("order=")))
                .unwrap_or("");
            order
                .split(';')
                .filter(|k| cs::is_qemu_drive(k))
                .find_map(size_of)
                .unwrap_or(0)
        }
    }
}

/// The boot order PVE sets on a new VM: its first disk, first CD-ROM, first NIC.
pub fn default_boot(map: &ConfigMap) -> String {
    let drives = |cdrom: bool| {
        ["ide", "sata", "scsi", "virtio"].iter().find_map(|bus| {
            (0..31).map(|n| format!("{bus}{n}")).find(|k| {
                map.get(k)
                    .is_some_and(|v| v.contains("media=cdrom") == cdrom && !v.contains("cloudinit"))
                    && cs::is_qemu_drive(k)
            })
        })
    };
    let net = (0..32)
        .map(|n| format!("net{n}"))
        .find(|k| map.contains_key(k));
    let order: Vec<String> = [drives(false), drives(true), net]
        .into_iter()
        .flatten()
        .collect();
    format!("order={}", order.join(";"))
}

/// Every line of the config as `GET .../config` returns it, sorted by key.
fn entries(g: &Guest, masked: bool) -> Vec<(String, Value)> {
    let kind = g.seed.kind;
    let mut e: Vec<(String, Value)> = match &g.config {
        None => dataset_entries(&g.seed)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        Some(map) => map
            .iter()
            .map(|(k, v)| {
                let value = match v.parse::<i64>() {
                    Ok(n) if is_numeric(kind, k) => json!(n),
                    _ => json!(v),
                };
                (k.clone(), value)
            })
            .collect(),
    };
    if masked {
        for (k, v) in &mut e {
            if k == "cipassword" {
                *v = json!(MASKED);
            }
        }
    }
    if let Some(lock) = g.lock {
        e.push(("lock".into(), json!(lock)));
    }
    if let Some(tags) = &g.tags {
        e.push(("tags".into(), json!(tags)));
    }
    if g.seed.template {
        e.push(("template".into(), json!(1)));
    }
    e.sort_by(|a, b| a.0.cmp(&b.0));
    e
}

/// The config file's text: `description` as `#` lines first, then `key: value` lines.
pub fn file_text(g: &Guest) -> String {
    let mut head = String::new();
    let mut body = String::new();
    for (k, v) in entries(g, false) {
        let v = text_of(&v);
        if k == "description" {
            for line in v.lines() {
                head.push_str(&format!("#{line}\n"));
            }
        } else {
            body.push_str(&format!("{k}: {v}\n"));
        }
    }
    head + &body
}

/// `GET .../config`: the config plus its `digest` (SHA-1 of the file text).
pub fn render(g: &Guest) -> Value {
    let mut m: Map<String, Value> = entries(g, true).into_iter().collect();
    m.insert("digest".into(), json!(digest(g)));
    Value::Object(m)
}

/// The config's `digest`.
pub fn digest(g: &Guest) -> String {
    let text = file_text(g);
    let d = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, text.as_bytes());
    crate::sim::server::tls::hex_lower(d.as_ref())
}

/// Formats a drive or mount point with a new volume and size.
pub fn with_volume(
    kind: GuestKind,
    key: &str,
    props: &propstr::Props,
    volid: &str,
    size: Option<u64>,
) -> String {
    let format = cs::volume_format(kind, key);
    let mut p = props.clone();
    propstr::set(&mut p, format.default_key.unwrap_or("file"), volid);
    if let Some(size) = size {
        propstr::set(&mut p, "size", &format_size(size));
    }
    propstr::print(&p, format)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::cluster::dataset;

    #[test]
    fn dataset_configs_round_trip_through_the_map() {
        for seed in dataset::dataset(3, 30) {
            let map = dataset_map(&seed);
            let size = boot_size(seed.kind, &map);
            assert_eq!(size, seed.maxdisk(), "{}", seed.vmid);
        }
        let mut m = ConfigMap::new();
        m.insert("scsi0".into(), "local-lvm:vm-200-disk-0,size=8G".into());
        m.insert("ide2".into(), "local:iso/x.iso,media=cdrom".into());
        m.insert(
            "net0".into(),
            "virtio=BC:24:11:00:00:01,bridge=vmbr0".into(),
        );
        assert_eq!(default_boot(&m), "order=scsi0;ide2;net0");
        m.insert("boot".into(), default_boot(&m));
        assert_eq!(boot_size(GuestKind::Qemu, &m), 8 << 30);
        let vols = volumes(GuestKind::Qemu, &m);
        assert_eq!(vols.len(), 2);
        assert!(vols.iter().any(|v| v.cdrom && v.volid == "local:iso/x.iso"));
    }
}
