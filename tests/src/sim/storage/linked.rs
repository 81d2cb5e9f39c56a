//! Linked clones of templates: which clone volume derives from which base volume (a
//! path storage's volume ID says it, `nas:109/base-109-disk-0.qcow2/9000/vm-9000-
//! disk-0.qcow2`; LVM-thin keeps it as the thin volume's origin, kept here), and the
//! refusal to destroy a template whose base volume a clone still uses: qemu-server's
//! `destroy_vm` checks first (`base volume 'local-lvm:base-109-disk-0' is still in use
//! by linked cloned`, sic), pve-container's destroy fails in `PVE::Storage::vdisk_free`
//! (`base volume 'base-117-disk-0' is still in use by linked clones`, the volume name
//! without its storage). Both end the destroy task; the template stays.

use super::volumes::is_base;
use crate::sim::cluster::dataset::GuestKind;
use crate::sim::cluster::state::{Cluster, Guest};
use crate::sim::guests::config::file::{self as conf, ConfigMap};

impl Cluster {
    /// Records the volumes of a linked clone's `config` that derive from the base
    /// volumes of `source` (the template's config), key by key.
    pub(crate) fn record_linked(
        &mut self,
        kind: GuestKind,
        source: &ConfigMap,
        config: &ConfigMap,
    ) {
        let bases = conf::volumes(kind, source);
        for v in conf::volumes(kind, config) {
            if let Some(base) = bases.iter().find(|b| b.key == v.key && is_base(&b.volid)) {
                self.linked.insert(v.volid, base.volid.clone());
            }
        }
    }

    /// Whether another guest's config still uses a volume derived from `base`.
    fn base_in_use(&self, template: u32, base: &str) -> bool {
        let derived = |volid: &str| {
            self.linked.get(volid).is_some_and(|b| b == base)
                || volid
                    .strip_prefix(base)
                    .is_some_and(|rest| rest.starts_with('/'))
        };
        self.guests
            .iter()
            .filter(|g| g.seed.vmid != template)
            .any(|g| g.volumes().iter().any(|v| derived(&v.volid)))
    }

    /// The destroy worker's refusal for template `g` whose base volume a linked clone
    /// still uses.
    pub(crate) fn linked_clone_refusal(&self, g: &Guest) -> Option<String> {
        if !g.seed.template {
            return None;
        }
        let used = g
            .volumes()
            .into_iter()
            .filter(|v| !v.cdrom && is_base(&v.volid))
            .find(|v| self.base_in_use(g.seed.vmid, &v.volid))?;
        Some(match g.seed.kind {
            GuestKind::Qemu => format!(
                "base volume '{}' is still in use by linked cloned",
                used.volid
            ),
            GuestKind::Lxc => {
                let name = used.volid.split_once(':').map_or("", |x| x.1);
                format!("base volume '{name}' is still in use by linked clones")
            }
        })
    }
}
