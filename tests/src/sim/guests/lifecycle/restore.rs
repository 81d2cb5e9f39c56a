//! Restoring a guest from a backup (`qmrestore`, `vzrestore`): the backed-up config
//! (as `extractconfig` shows it) with new disks of the same sizes on the chosen storage,
//! the call's own settings on top, new MACs with `unique`, and a template again if the
//! backup was of one. Archive names come from clients; they are only looked up.

use super::create::{Built, LXC_EXTRA, QEMU_EXTRA};
use crate::sim::cluster::dataset::{self, GuestKind};
use crate::sim::cluster::state::Cluster;
use crate::sim::guests::config::file::{self as conf, ConfigMap};
use crate::sim::guests::config::keys::{self as cs};
use crate::sim::guests::config::values::{add_macs, normalize};
use crate::sim::params::Params;
use crate::sim::params::property_string as propstr;
use crate::sim::storage::volumes;

impl Cluster {
    /// The guest a restore of `archive` makes, or the worker's failure.
    pub(crate) fn restored(
        &mut self,
        node: &str,
        kind: GuestKind,
        vmid: u32,
        archive: &str,
        params: &Params,
        log: &mut Vec<String>,
    ) -> Result<Built, String> {
        let Some(file) = volumes::file(self, node, archive) else {
            return Err(format!("can't find file '{archive}'"));
        };
        if file.kind != Some(kind) {
            return Err(format!(
                "archive '{archive}' is not a {} backup",
                super::work::what(kind)
            ));
        }
        let text = file.config.clone().unwrap_or_default();
        let (mut config, template, tags) = parse_backup(&text);
        log.push(format!(
            "restore {} archive: {}",
            if kind == GuestKind::Qemu {
                "vma"
            } else {
                "tar"
            },
            volumes::path(archive)
        ));
        let default_storage = params.get("storage").or(if kind == GuestKind::Lxc {
            Some("local")
        } else {
            None
        });
        let mut taken: Vec<String> = crate::sim::guests::config::disks::taken(self);
        let given: Vec<(&str, &str)> = params
            .iter()
            .filter(|(k, _)| kind == GuestKind::Lxc && cs::is_lxc_volume(k))
            .collect();
        // Mount points in the call replace the backed-up ones.
        let backed_up = if given.is_empty() {
            conf::volumes(kind, &config)
        } else {
            Vec::new()
        };
        if !given.is_empty() {
            config.retain(|k, _| !cs::is_lxc_volume(k));
            for (key, value) in given {
                let format = cs::volume_format(kind, key);
                let props =
                    propstr::parse(format, value, key).map_err(|e| e.trim_end().to_owned())?;
                let alloc = crate::sim::guests::config::disks::check_mountpoint(&props, true)
                    .map_err(|e| e.message().trim_end().to_owned())?;
                let v = crate::sim::guests::config::disks::allocate(
                    self, node, kind, vmid, key, &props, &alloc, &mut taken,
                )?;
                config.insert(key.to_owned(), v);
            }
        }
        for v in backed_up {
            if v.cdrom && !v.cloudinit {
                continue;
            }
            if cs::is_unused(&v.key) {
                config.remove(&v.key);
                continue;
            }
            let sid =
                default_storage.unwrap_or_else(|| v.volid.split(':').next().unwrap_or_default());
            let s = dataset::storage(sid).ok_or(format!("storage '{sid}' does not exist"))?;
            let needs = if kind == GuestKind::Qemu {
                "images"
            } else {
                "rootdir"
            };
            if !s.holds(needs) {
                return Err(match kind {
                    GuestKind::Qemu => format!("storage '{sid}' does not support vm images"),
                    GuestKind::Lxc => {
                        format!("storage '{sid}' does not support container directories")
                    }
                });
            }
            let volid = if v.cloudinit {
                volumes::cloudinit_disk(s, vmid)
            } else {
                volumes::new_disk(s, vmid, kind, &taken)
            };
            taken.push(volid.clone());
            let volid = if template {
                volumes::base_of(&volid)
            } else {
                volid
            };
            let size = (!v.cloudinit).then_some(v.size);
            let value = conf::with_volume(kind, &v.key, &v.props, &volid, size);
            if kind == GuestKind::Qemu && !v.cloudinit {
                log.push(format!("new volume ID is '{volid}'"));
                log.push(format!(
                    "map 'drive-{}' to '{}' (write zeros = 0)",
                    v.key,
                    volumes::path(&volid)
                ));
            }
            config.insert(v.key, value);
        }
        let extra: &[&str] = match kind {
            GuestKind::Qemu => &QEMU_EXTRA,
            GuestKind::Lxc => &LXC_EXTRA,
        };
        for (k, v) in params.iter() {
            let volume = kind == GuestKind::Lxc && cs::is_lxc_volume(k);
            if !extra.contains(&k) && !volume && k != "ostemplate" && k != "restore" {
                config.insert(k.to_owned(), normalize(kind, vmid, k, v));
            }
        }
        if kind == GuestKind::Lxc && params.get("unprivileged").is_some() {
            config.insert(
                "unprivileged".into(),
                params.get("unprivileged").unwrap_or("0").into(),
            );
        }
        if params.flag("unique") {
            strip_macs(kind, &mut config);
        }
        add_macs(self, kind, &mut config);
        log.push("rescan volumes...".to_owned());
        if kind == GuestKind::Qemu {
            self.add_unreferenced(node, vmid, &mut config, log);
        }
        let tags = config.remove("tags").or(tags);
        Ok(Built {
            config,
            template,
            tags,
            agent_installed: true,
        })
    }
}

impl Cluster {
    /// qemu-server's `rescan` after a restore (`update_disk_config`): a disk of guest
    /// `vmid` on a storage `node` sees that no config line references (left by a guest
    /// destroyed without purging, or detached) becomes the next `unusedN`.
    fn add_unreferenced(
        &self,
        node: &str,
        vmid: u32,
        config: &mut ConfigMap,
        log: &mut Vec<String>,
    ) {
        let referenced: Vec<String> = conf::volumes(GuestKind::Qemu, config)
            .into_iter()
            .map(|v| v.volid)
            .collect();
        let local = format!("{node}/");
        let state = format!("vm-{vmid}-state-");
        let mut orphans: Vec<String> = self
            .files
            .added
            .iter()
            .filter(|(k, f)| *k == &f.volid || k.starts_with(&local))
            .filter(|(_, f)| f.content == "images" && f.vmid == Some(vmid))
            .map(|(_, f)| f.volid.clone())
            .filter(|v| !referenced.contains(v) && !v.contains(&state))
            .collect();
        orphans.sort();
        for volid in orphans {
            let key = (0..)
                .map(|n| format!("unused{n}"))
                .find(|k| !config.contains_key(k))
                .unwrap_or_default();
            log.push(format!(
                "VM {vmid} add unreferenced volume '{volid}' as '{key}' to config"
            ));
            config.insert(key, volid);
        }
    }
}

/// Removes the MAC addresses of every NIC (for `unique=1`, and clones).
pub(crate) fn strip_macs(kind: GuestKind, config: &mut ConfigMap) {
    let (format, key) = match kind {
        GuestKind::Qemu => (&cs::QEMU_NET, "macaddr"),
        GuestKind::Lxc => (&cs::LXC_NET, "hwaddr"),
    };
    for (k, v) in config.iter_mut() {
        if !matches!(cs::numbered(k), ("net", Some(_))) {
            continue;
        }
        if let Ok(mut p) = propstr::parse(format, v, k) {
            propstr::remove(&mut p, key);
            *v = match kind {
                GuestKind::Qemu => propstr::print(&p, format),
                GuestKind::Lxc => crate::sim::guests::config::values::lxc_net_text(&p),
            };
        }
    }
}

/// Parses a backed-up config text back into keys, and the `template`/`tags` lines.
pub(crate) fn parse_backup(text: &str) -> (ConfigMap, bool, Option<String>) {
    let mut map = ConfigMap::new();
    let mut description = Vec::new();
    for line in text.lines() {
        if line.starts_with("#qmdump#") {
            continue;
        }
        if let Some(d) = line.strip_prefix('#') {
            description.push(d.to_owned());
        } else if let Some((k, v)) = line.split_once(": ") {
            map.insert(k.to_owned(), v.to_owned());
        }
    }
    if !description.is_empty() {
        map.insert("description".into(), description.join("\n"));
    }
    let template = map.remove("template").is_some_and(|v| v == "1");
    let tags = map.remove("tags");
    map.remove("lock");
    (map, template, tags)
}
