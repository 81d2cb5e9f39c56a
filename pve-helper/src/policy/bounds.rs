//! Judging guest settings (key = value, as Proxmox spells them) against the fixed
//! floor, `[config] keys` and `[bounds]`. Every tool that makes or changes a guest
//! turns its request into settings and passes them here; a clone or restore passes the
//! source's configuration, which the new guest inherits.

use super::config_file::GuestSettings;
use crate::policy::decision::Rule;
use crate::policy::floor;
use crate::policy::model::Policy;
use pve_mcp_proto::{GuestName, GuestType, PasswordHash, SshKeys, Tag, VmId, is_disk_key};

/// A refusal: the rule that refused and what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    pub rule: Rule,
    pub reason: String,
}

impl Denial {
    fn new(rule: Rule, reason: impl Into<String>) -> Self {
        Self {
            rule,
            reason: reason.into(),
        }
    }
}

/// How a setting reaches the guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Set by a field of a create request the tool owns (cores, memory, disk, ...).
    Field,
    /// Named by the caller (guest_configure, or `config` of a create): `[config] keys`
    /// must list it.
    Listed,
    /// Inherited from a clone source or a backup. Volumes belong to `owner`; their
    /// storage is replaced when `storage_override` is set.
    Inherited { owner: VmId, storage_override: bool },
}

impl Policy {
    pub(super) fn within_disk(&self, gib: u64, what: &str) -> Result<(), Denial> {
        match self.bounds.max_disk_gib {
            Some(m) if gib <= m => Ok(()),
            Some(m) => Err(Denial {
                rule: Rule::BoundsMaxDiskGib,
                reason: format!(
                    "{what} is above [bounds] max_disk_gib = {m} in {}",
                    self.source.display()
                ),
            }),
            None => Err(Denial {
                rule: Rule::BoundsMaxDiskGib,
                reason: format!(
                    "{what} is refused: [bounds] max_disk_gib is not set in {}",
                    self.source.display()
                ),
            }),
        }
    }

    /// Checks `changes` (key, value) for guest `vmid` of kind `kind`; `after` is the
    /// whole configuration once they apply (for totals such as cores × sockets).
    pub fn check_settings<'a>(
        &self,
        vmid: VmId,
        kind: GuestType,
        changes: impl IntoIterator<Item = (&'a str, &'a str)>,
        after: &GuestSettings,
        origin: Origin,
    ) -> Result<(), Denial> {
        let changes: Vec<(&str, &str)> = changes.into_iter().collect();
        // The floor first: whatever else is wrong, a floor setting is named as such.
        for (key, value) in &changes {
            if let Some(why) = floor::config_floor(key, value) {
                return Err(Denial::new(
                    Rule::FixedFloor,
                    format!("guest {vmid}: {why}"),
                ));
            }
        }
        let mut cores_checked = false;
        for (key, value) in changes {
            if origin == Origin::Listed && self.config_keys.listing(key).is_none() {
                return Err(Denial::new(
                    Rule::ConfigKeys,
                    format!(
                        "changing {key:?} is not allowed; to allow it, add {:?} to [config] keys \
                         in {}",
                        family(key),
                        self.source.display()
                    ),
                ));
            }
            match key {
                "cores" | "sockets" | "vcpus" if !cores_checked => {
                    cores_checked = true;
                    self.check_cores(kind, after)?;
                }
                "memory" | "swap" => {
                    let mib =
                        memory_mib(value).ok_or_else(|| invalid(key, value, "a size in MiB"))?;
                    self.within(
                        Rule::BoundsMaxMemoryMib,
                        self.bounds.max_memory_mib,
                        mib,
                        &format!("{key} {mib} MiB"),
                    )?;
                }
                "balloon" => {
                    let mib = value
                        .parse::<u64>()
                        .map_err(|_| invalid(key, value, "a size in MiB"))?;
                    let memory = after.get("memory").and_then(|m| memory_mib(m));
                    if memory.is_some_and(|m| mib > m) {
                        return Err(Denial::new(
                            Rule::Bounds,
                            format!("balloon {mib} MiB is above the guest's memory"),
                        ));
                    }
                }
                k if k.starts_with("unused") && is_disk_key(k) => {
                    return Err(Denial::new(
                        Rule::Bounds,
                        format!("{k} cannot be set; detached disks become unused by themselves"),
                    ));
                }
                k if is_disk_key(k) => self.check_volume(vmid, k, value, origin)?,
                // QEMU's shorthand for ide2 as a CD/DVD drive.
                "cdrom" => {
                    self.check_volume(vmid, key, &format!("{value},media=cdrom"), origin)?;
                }
                k if numbered(k, "net") => self.check_net(k, value)?,
                k if numbered(k, "ipconfig") => check_ipconfig(k, value)?,
                "cipassword" if !PasswordHash::looks_hashed(value) => {
                    return Err(Denial::new(
                        Rule::Bounds,
                        "cipassword must be a crypt hash ($6$..., $y$...); a clear password is \
                         refused",
                    ));
                }
                "sshkeys" | "ssh-public-keys" => {
                    for line in value.lines().filter(|l| !l.trim().is_empty()) {
                        SshKeys::check(line.trim()).map_err(|e| Denial::new(Rule::Bounds, e.0))?;
                    }
                }
                "name" | "hostname" => {
                    GuestName::parse(value).map_err(|e| Denial::new(Rule::Bounds, e.0))?;
                }
                "tags" => {
                    for t in split_tags(value) {
                        Tag::parse(t).map_err(|e| Denial::new(Rule::Bounds, e.0))?;
                    }
                }
                "template" => {
                    return Err(Denial::new(
                        Rule::Bounds,
                        "template cannot be set here: use guest_template",
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// `value` within the `[bounds]` limit `max`, which `rule` names.
    fn within(&self, rule: Rule, max: Option<u64>, value: u64, what: &str) -> Result<(), Denial> {
        let key = rule.to_string();
        let bound = key.strip_prefix("bounds.").unwrap_or(&key);
        match max {
            None => Err(Denial::new(
                rule.clone(),
                format!(
                    "{what} is refused: [bounds] {bound} is not set in {}; set it to allow sizes",
                    self.source.display()
                ),
            )),
            Some(m) if value > m => Err(Denial::new(
                rule,
                format!(
                    "{what} is above [bounds] {bound} = {m} in {}",
                    self.source.display()
                ),
            )),
            Some(_) => Ok(()),
        }
    }

    /// Judges the guest as it will be, not only the keys a request sends: the totals
    /// of a new guest (`touched` empty), or those a change touches, counted with
    /// Proxmox's defaults for absent keys: a container without `cores` may use every
    /// core of its node, and memory and swap default to 512 MiB. A bound that is not
    /// set refuses, as for every new or changed value.
    pub fn check_result(
        &self,
        kind: GuestType,
        after: &GuestSettings,
        touched: &[&str],
    ) -> Result<(), Denial> {
        self.check_totals(kind, after, touched, true)
    }

    /// [`Self::check_result`] for a configuration the guest had before (a snapshot
    /// rollback brings it back): only the bounds the policy sets apply.
    pub fn check_earlier(&self, kind: GuestType, after: &GuestSettings) -> Result<(), Denial> {
        self.check_totals(kind, after, &[], false)
    }

    fn check_totals(
        &self,
        kind: GuestType,
        after: &GuestSettings,
        touched: &[&str],
        unset_refuses: bool,
    ) -> Result<(), Denial> {
        let all = touched.is_empty();
        let touches = |keys: &[&str]| all || touched.iter().any(|k| keys.contains(k));
        if touches(&["cores", "sockets", "vcpus"])
            && (unset_refuses || self.bounds.max_cores.is_some())
        {
            self.check_cores(kind, after)?;
        }
        let mut memory = vec!["memory"];
        if kind == GuestType::Lxc {
            memory.push("swap");
        }
        if !unset_refuses && self.bounds.max_memory_mib.is_none() {
            memory.clear();
        }
        for key in memory {
            if !touches(&[key]) {
                continue;
            }
            let mib = match after.get(key) {
                Some(v) => memory_mib(v).ok_or_else(|| invalid(key, v, "a size in MiB"))?,
                None => DEFAULT_MEMORY_MIB,
            };
            self.within(
                Rule::BoundsMaxMemoryMib,
                self.bounds.max_memory_mib,
                mib,
                &format!("{key} {mib} MiB"),
            )?;
        }
        Ok(())
    }

    fn check_cores(&self, kind: GuestType, after: &GuestSettings) -> Result<(), Denial> {
        if kind == GuestType::Lxc && !after.contains_key("cores") {
            return Err(Denial::new(
                Rule::BoundsMaxCores,
                format!(
                    "a container without cores may use every core of its node, which is above \
                     [bounds] max_cores{} in {}; set cores",
                    self.bounds
                        .max_cores
                        .map_or_else(|| " (not set)".to_owned(), |m| format!(" = {m}")),
                    self.source.display()
                ),
            ));
        }
        let num = |k: &str| -> Result<u64, Denial> {
            match after.get(k) {
                None => Ok(1),
                Some(v) => v
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| invalid(k, v, "a whole number of at least 1")),
            }
        };
        let (cores, sockets) = (num("cores")?, num("sockets")?);
        let total = match kind {
            GuestType::Qemu => cores.saturating_mul(sockets),
            GuestType::Lxc => cores,
        };
        let what = if sockets > 1 && kind == GuestType::Qemu {
            format!("{cores} cores × {sockets} sockets = {total} cores")
        } else {
            format!("{total} cores")
        };
        self.within(Rule::BoundsMaxCores, self.bounds.max_cores, total, &what)
    }

    pub(super) fn storage_allowed(&self, storage: &str, what: &str) -> Result<(), Denial> {
        if self.bounds.storages.iter().any(|s| s.as_str() == storage) {
            return Ok(());
        }
        Err(Denial::new(
            Rule::BoundsStorages,
            format!(
                "{what} on storage {storage:?} is refused; to allow it, add {storage:?} to \
                 [bounds] storages in {}",
                self.source.display()
            ),
        ))
    }

    pub(super) fn source_allowed(&self, volume: &str, what: &str) -> Result<(), Denial> {
        if self.bounds.sources.iter().any(|p| p.matches(volume)) {
            return Ok(());
        }
        Err(Denial::new(
            Rule::BoundsSources,
            format!(
                "{what} {volume:?} is refused; to allow it, add a pattern matching it to \
                 [bounds] sources in {}",
                self.source.display()
            ),
        ))
    }

    fn check_volume(
        &self,
        vmid: VmId,
        key: &str,
        value: &str,
        origin: Origin,
    ) -> Result<(), Denial> {
        let mut volume = None;
        let mut options: Vec<(&str, &str)> = Vec::new();
        for item in value.split(',') {
            match item.split_once('=') {
                Some(("file" | "volume", v)) => volume = Some(v),
                Some((k, v)) => options.push((k, v)),
                None if volume.is_none() => volume = Some(item),
                None => return Err(invalid(key, value, "VOLUME[,option=value,...]")),
            }
        }
        let volume = volume.ok_or_else(|| invalid(key, value, "VOLUME[,option=value,...]"))?;
        let opt = |name: &str| options.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        let inherited = matches!(origin, Origin::Inherited { .. });
        if opt("media") == Some("cdrom") {
            if volume == "none" || inherited {
                return Ok(());
            }
            return self.source_allowed(volume, &format!("{key}: the ISO"));
        }
        let Some((storage, rest)) = volume.split_once(':') else {
            return Err(invalid(key, value, "STORAGE:SIZE_GIB or a volume id"));
        };
        if let Some(size) = opt("size") {
            let gib = size_gib(size).ok_or_else(|| invalid(key, value, "size=N[KMGT]"))?;
            self.within(
                Rule::BoundsMaxDiskGib,
                self.bounds.max_disk_gib,
                gib,
                &format!("{key} of {gib} GiB"),
            )?;
        }
        let storage_override = matches!(
            origin,
            Origin::Inherited {
                storage_override: true,
                ..
            }
        );
        if !storage_override {
            self.storage_allowed(storage, key)?;
        }
        if rest == "cloudinit" {
            return Ok(());
        }
        if let Ok(gib) = rest.parse::<f64>() {
            // A new volume of `gib` GiB (0 with import-from: the image's size).
            if !gib.is_finite() || gib < 0.0 {
                return Err(invalid(key, value, "a size in GiB"));
            }
            self.within(
                Rule::BoundsMaxDiskGib,
                self.bounds.max_disk_gib,
                gib.ceil() as u64,
                &format!("{key} of {gib} GiB"),
            )?;
            if let Some(src) = opt("import-from") {
                return self.source_allowed(src, &format!("{key}: the image"));
            }
            return Ok(());
        }
        if opt("import-from").is_some() {
            return Err(invalid(key, value, "STORAGE:0,import-from=VOLUME"));
        }
        let owner = match origin {
            Origin::Inherited { owner, .. } => owner,
            _ => vmid,
        };
        let name = rest.rsplit('/').next().unwrap_or(rest);
        let owned = ["vm", "base", "subvol", "basevol"]
            .iter()
            .any(|p| name.starts_with(&format!("{p}-{owner}-")));
        if !owned {
            // What a copy inherits is not echoed: it may name a guest out of scope.
            let shown = if inherited {
                String::new()
            } else {
                format!(" {volume:?}")
            };
            return Err(Denial::new(
                Rule::Bounds,
                format!(
                    "{key}: volume{shown} does not belong to guest {owner}; attach only its own \
                     volumes or allocate a new one as STORAGE:SIZE_GIB"
                ),
            ));
        }
        Ok(())
    }

    fn check_net(&self, key: &str, value: &str) -> Result<(), Denial> {
        let bridge = value
            .split(',')
            .find_map(|i| i.strip_prefix("bridge="))
            .ok_or_else(|| {
                Denial::new(
                    Rule::BoundsBridges,
                    format!("{key} must name a bridge (bridge=...) from [bounds] bridges"),
                )
            })?;
        if self.bounds.bridges.iter().any(|b| b.as_str() == bridge) {
            return Ok(());
        }
        Err(Denial::new(
            Rule::BoundsBridges,
            format!(
                "{key} on bridge {bridge:?} is refused; to allow it, add {bridge:?} to [bounds] \
                 bridges in {}",
                self.source.display()
            ),
        ))
    }
}

fn invalid(key: &str, value: &str, want: &str) -> Denial {
    let shown: String = value.chars().take(64).collect();
    Denial::new(Rule::Bounds, format!("{key} = {shown:?} is not {want}"))
}

/// `net0` → `net*`, for the message naming what to add to `[config] keys`.
fn family(key: &str) -> String {
    let stem = key.trim_end_matches(|c: char| c.is_ascii_digit());
    if stem.len() < key.len() {
        format!("{stem}*")
    } else {
        key.to_owned()
    }
}

/// Whether `key` is `prefix` followed by a number (`net0`, `ipconfig12`).
pub fn numbered(key: &str, prefix: &str) -> bool {
    key.strip_prefix(prefix)
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// What Proxmox gives a guest without a `memory` (or a container without `swap`).
const DEFAULT_MEMORY_MIB: u64 = 512;

/// `2048` or PVE 8's `current=2048[,...]`.
fn memory_mib(v: &str) -> Option<u64> {
    v.parse().ok().or_else(|| {
        v.split(',')
            .find_map(|i| i.strip_prefix("current="))
            .and_then(|n| n.parse().ok())
    })
}

/// A disk size as PVE writes it: `32G`, `512M`, `1T`, or bytes; rounded up to GiB.
pub fn size_gib(v: &str) -> Option<u64> {
    let (num, mult) = match v.char_indices().last()? {
        (i, 'K') => (&v[..i], 1.0 / (1024.0 * 1024.0)),
        (i, 'M') => (&v[..i], 1.0 / 1024.0),
        (i, 'G') => (&v[..i], 1.0),
        (i, 'T') => (&v[..i], 1024.0),
        _ => (v, 1.0 / (1024.0 * 1024.0 * 1024.0)),
    };
    let n: f64 = num.parse().ok()?;
    (n.is_finite() && n >= 0.0).then(|| (n * mult).ceil() as u64)
}

fn split_tags(v: &str) -> impl Iterator<Item = &str> {
    v.split([';', ',', ' ']).filter(|t| !t.is_empty())
}

fn check_ipconfig(key: &str, value: &str) -> Result<(), Denial> {
    let ok = value.split(',').all(|item| {
        item.split_once('=').is_some_and(|(k, v)| {
            matches!(k, "ip" | "gw" | "ip6" | "gw6")
                && !v.is_empty()
                && v.bytes()
                    .all(|b| b.is_ascii_hexdigit() || b"./:".contains(&b) || b.is_ascii_lowercase())
        })
    });
    if ok {
        Ok(())
    } else {
        Err(invalid(
            key,
            value,
            "ip=dhcp or ip=CIDR[,gw=IP][,ip6=...][,gw6=...]",
        ))
    }
}

/// The tags a guest's configuration carries.
pub fn tags_of(settings: &GuestSettings) -> Vec<String> {
    settings
        .get("tags")
        .map(|t| split_tags(t).map(str::to_owned).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn policy() -> Policy {
        let text = r#"
            [clients]
            users = ["u"]
            [guests]
            allow = ["pool:lab"]
            [bounds]
            max_cores = 8
            max_memory_mib = 8192
            max_disk_gib = 64
            storages = ["local-lvm"]
            bridges = ["vmbr1"]
            sources = ["local:iso/*", "local:import/*"]
            [config]
            keys = ["cores", "memory", "net*", "scsi*", "description", "cipassword", "sockets"]
        "#;
        Policy::parse(text, Path::new("p.toml")).unwrap().0
    }

    fn check(key: &str, value: &str) -> Result<(), Denial> {
        let p = policy();
        let mut after = GuestSettings::new();
        after.insert(key.into(), value.into());
        p.check_settings(
            VmId::new(9000).unwrap(),
            GuestType::Qemu,
            [(key, value)],
            &after,
            Origin::Listed,
        )
    }

    #[test]
    fn limits_hold_at_and_just_past_their_bound() {
        assert!(check("cores", "8").is_ok());
        let e = check("cores", "9").unwrap_err();
        assert_eq!(e.rule, Rule::BoundsMaxCores);
        assert!(e.reason.contains("max_cores = 8"), "{}", e.reason);
        assert!(check("memory", "8192").is_ok());
        assert_eq!(
            check("memory", "8193").unwrap_err().rule,
            Rule::BoundsMaxMemoryMib
        );
        assert!(check("scsi1", "local-lvm:64").is_ok());
        assert_eq!(
            check("scsi1", "local-lvm:65").unwrap_err().rule,
            Rule::BoundsMaxDiskGib
        );
        assert_eq!(
            check("scsi1", "other:8").unwrap_err().rule,
            Rule::BoundsStorages
        );
        assert!(check("net0", "virtio,bridge=vmbr1").is_ok());
        assert_eq!(
            check("net0", "virtio,bridge=vmbr0").unwrap_err().rule,
            Rule::BoundsBridges
        );
        assert_eq!(
            check("net0", "virtio").unwrap_err().rule,
            Rule::BoundsBridges
        );
    }

    #[test]
    fn cores_count_sockets_too() {
        let p = policy();
        let mut after = GuestSettings::new();
        after.insert("cores".into(), "4".into());
        after.insert("sockets".into(), "3".into());
        let e = p
            .check_settings(
                VmId::new(9000).unwrap(),
                GuestType::Qemu,
                [("sockets", "3")],
                &after,
                Origin::Listed,
            )
            .unwrap_err();
        assert!(
            e.reason.contains("4 cores × 3 sockets = 12 cores"),
            "{}",
            e.reason
        );
    }

    #[test]
    fn keys_must_be_listed_and_floor_beats_everything() {
        let e = check("onboot", "1").unwrap_err();
        assert_eq!(e.rule, Rule::ConfigKeys);
        assert!(
            e.reason.contains("add \"onboot\" to [config] keys"),
            "{}",
            e.reason
        );
        assert!(check("net3", "virtio,bridge=vmbr1").is_ok());
        assert!(
            check("ipconfig0", "ip=dhcp")
                .unwrap_err()
                .reason
                .contains("ipconfig*")
        );
        for (k, v) in [
            ("hostpci0", "01:00.0"),
            ("scsi2", "/dev/sda"),
            ("args", "-x"),
        ] {
            assert_eq!(check(k, v).unwrap_err().rule, Rule::FixedFloor, "{k}");
        }
    }

    #[test]
    fn volumes_sources_and_ownership() {
        assert!(check("scsi0", "local-lvm:0,import-from=local:import/noble.qcow2").is_ok());
        assert!(check("scsi0", "local-lvm:0,import-from=nas:import/x.img").is_err());
        assert!(check("scsi2", "local:iso/debian.iso,media=cdrom").is_ok());
        assert_eq!(
            check("scsi2", "nas:iso/debian.iso,media=cdrom")
                .unwrap_err()
                .rule,
            Rule::BoundsSources
        );
        assert!(check("scsi1", "local-lvm:vm-9000-disk-1").is_ok());
        assert!(check("scsi1", "local-lvm:vm-101-disk-0").is_err());
        assert!(check("scsi1", "local-lvm:vm-9000-disk-1,size=65G").is_err());
        assert!(check("cipassword", "hunter2").is_err());
        assert!(check("cipassword", "$6$saltsalt$0123456789abcdefghij").is_ok());
    }

    #[test]
    fn inherited_settings_keep_bounds_but_not_keys() {
        let p = policy();
        let src: GuestSettings = [
            ("cores", "2"),
            ("memory", "4096"),
            ("scsi0", "local-lvm:base-9000-disk-0,size=32G"),
            ("ide2", "nas:iso/x.iso,media=cdrom"),
            ("net0", "virtio=AA:BB:CC:DD:EE:FF,bridge=vmbr1"),
            ("onboot", "1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let origin = Origin::Inherited {
            owner: VmId::new(9000).unwrap(),
            storage_override: false,
        };
        let id = VmId::new(9001).unwrap();
        let pairs = src.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        assert!(
            p.check_settings(id, GuestType::Qemu, pairs, &src, origin)
                .is_ok()
        );
        let mut big = src.clone();
        big.insert("memory".into(), "16384".into());
        let pairs = big.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        assert!(
            p.check_settings(id, GuestType::Qemu, pairs, &big, origin)
                .is_err()
        );
    }

    #[test]
    fn sizes_round_up_to_gib() {
        assert_eq!(size_gib("32G"), Some(32));
        assert_eq!(size_gib("512M"), Some(1));
        assert_eq!(size_gib("1T"), Some(1024));
        assert_eq!(size_gib("x"), None);
    }
}
