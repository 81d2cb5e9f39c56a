//! `decide` for the settings of new and changed guests: `guest_create` (what it may
//! be and where it may go) and `guest_configure` (which keys may change, within
//! `[bounds]`, without tags widening what may be done to the guest).

use super::bounds::{GuestSettings, Origin, tags_of};
use super::decide::{Decision, Facts, GuestFacts, operation};
use super::decide_lifecycle::{allowed, denied, deny, no_create, unread};
use super::{Operation, Policy};
use pve_mcp_proto::{GuestConfigure, GuestCreate, GuestType, NodeName, VmId};
use std::collections::BTreeSet;

/// Where a new guest may go: `[create]` vmids and nodes, and in scope once it carries
/// the pool and tags it will have.
pub(super) fn new_guest(
    policy: &Policy,
    vmid: Option<VmId>,
    node: &NodeName,
    kind: GuestType,
    inherited_tags: &[String],
    what: &str,
) -> Result<String, Decision> {
    let file = policy.source.display();
    let Some(create) = &policy.create else {
        return Err(no_create(policy));
    };
    let Some(vmid) = vmid else {
        return Err(denied(
            "create.vmids",
            format!(
                "no free vmid in [create] vmids {} in {file}",
                create.vmids_text()
            ),
        ));
    };
    if !create.vmid_allowed(vmid) {
        return Err(denied(
            "create.vmids",
            format!(
                "{what} with vmid {vmid} is refused: new guests take vmids {} ([create] vmids in \
                 {file}); leave vmid out to get the next free one",
                create.vmids_text()
            ),
        ));
    }
    if !create.nodes.contains(node) {
        return Err(denied(
            "create.nodes",
            format!(
                "{what} on node {node} is refused; to allow it, add {:?} to [create] nodes in \
                 {file}",
                node.as_str()
            ),
        ));
    }
    let mut tags = inherited_tags.to_vec();
    tags.extend(
        create
            .missing_tags(inherited_tags)
            .into_iter()
            .map(str::to_owned),
    );
    let g = GuestFacts {
        vmid,
        node: node.clone(),
        guest_type: kind,
        pool: create.pool.as_ref().map(|p| p.as_str().to_owned()),
        tags,
    };
    match policy.guest_scope(&g) {
        Some(sel) => Ok(format!(
            "create (in scope by guests.allow {:?})",
            sel.to_string()
        )),
        None => Err(denied(
            "create.pool",
            format!(
                "{what} {vmid} would be out of scope (pool {}, tags {}): set [create] pool or tags \
                 to ones [guests] allow covers, in {file}",
                g.pool.as_deref().unwrap_or("none"),
                if g.tags.is_empty() {
                    "none".to_owned()
                } else {
                    g.tags.join(";")
                }
            ),
        )),
    }
}

/// The settings a create request gives the new guest, with their origin. The helper
/// sends exactly these (plus pool and tags).
pub fn create_settings(c: &GuestCreate) -> Vec<(String, String, Origin)> {
    let mut out: Vec<(String, String, Origin)> = Vec::new();
    let mut field = |k: &str, v: String| out.push((k.to_owned(), v, Origin::Field));
    let disk = &c.disk;
    match c.guest_type {
        GuestType::Qemu => {
            field("name", c.name.to_string());
            field("cores", c.cores.to_string());
            field("memory", c.memory_mib.to_string());
            field("scsihw", "virtio-scsi-single".into());
            match &c.image {
                Some(img) => field("scsi0", format!("{}:0,import-from={img}", disk.storage)),
                None => field("scsi0", format!("{}:{}", disk.storage, disk.size_gib)),
            }
            if let Some(iso) = &c.iso {
                field("ide2", format!("{iso},media=cdrom"));
            }
            if let Some(b) = &c.bridge {
                field("net0", format!("virtio,bridge={b}"));
            }
            if let Some(ci) = &c.cloud_init {
                field("ide0", format!("{}:cloudinit", disk.storage));
                if let Some(u) = &ci.user {
                    field("ciuser", u.to_string());
                }
                if let Some(p) = &ci.password_hash {
                    field("cipassword", p.to_string());
                }
                if !ci.ssh_keys.is_empty() {
                    field("sshkeys", ci.ssh_keys.lines());
                }
                if let Some(ip) = &ci.ipconfig {
                    field("ipconfig0", ip.to_string());
                }
            }
        }
        GuestType::Lxc => {
            field("hostname", c.name.to_string());
            field("cores", c.cores.to_string());
            field("memory", c.memory_mib.to_string());
            field("rootfs", format!("{}:{}", disk.storage, disk.size_gib));
            if let Some(t) = &c.ostemplate {
                field("ostemplate", t.to_string());
            }
            field("unprivileged", "1".into());
            if let Some(b) = &c.bridge {
                field("net0", format!("name=eth0,bridge={b},ip=dhcp"));
            }
            if !c.ssh_keys.is_empty() {
                field("ssh-public-keys", c.ssh_keys.lines());
            }
        }
    }
    if let Some(d) = &c.description {
        field("description", d.to_string());
    }
    for (k, v) in c.config.iter() {
        out.push((k.to_string(), v.to_string(), Origin::Listed));
    }
    out
}

pub(super) fn create(policy: &Policy, c: &GuestCreate) -> Decision {
    let file = policy.source.display();
    let Some(spec) = &policy.create else {
        return no_create(policy);
    };
    if !spec.types.contains(&c.guest_type) {
        return denied(
            "create.types",
            format!(
                "creating {} guests from scratch is not allowed; to allow it, add {:?} to \
                 [create] types in {file}",
                c.guest_type.as_str(),
                c.guest_type.as_str()
            ),
        );
    }
    let shape_error = match c.guest_type {
        GuestType::Qemu if c.ostemplate.is_some() => Some("ostemplate is for containers"),
        GuestType::Qemu if c.iso.is_some() && c.image.is_some() => {
            Some("give either iso or image, not both")
        }
        GuestType::Lxc if c.ostemplate.is_none() => {
            Some("a container needs ostemplate (STORAGE:vztmpl/...)")
        }
        GuestType::Lxc if c.iso.is_some() || c.image.is_some() || c.cloud_init.is_some() => {
            Some("iso, image and cloud_init are for VMs")
        }
        _ => None,
    };
    if let Some(e) = shape_error {
        return denied("create", e.to_owned());
    }
    let settings = create_settings(c);
    // The floor first: whatever else is wrong, a floor setting is named as such.
    if let Some(why) = settings
        .iter()
        .find_map(|(k, v, _)| super::floor::config_floor(k, v))
    {
        return denied("fixed floor", format!("the new guest: {why}"));
    }
    let rule = match new_guest(policy, c.vmid, &c.node, c.guest_type, &[], "a new guest") {
        Ok(r) => r,
        Err(d) => return d,
    };
    let Some(vmid) = c.vmid else {
        return no_create(policy);
    };
    if let Some(t) = &c.ostemplate
        && let Err(e) = policy.source_allowed(t.as_str(), "the container template")
    {
        return deny(e);
    }
    if settings
        .iter()
        .any(|(k, _, o)| *o == Origin::Listed && matches!(k.as_str(), "pool" | "tags"))
    {
        return denied(
            "create",
            "pool and tags of a new guest come from [create]; leave them out of config".into(),
        );
    }
    let after: GuestSettings = settings
        .iter()
        .map(|(k, v, _)| (k.clone(), v.clone()))
        .collect();
    for origin in [Origin::Field, Origin::Listed] {
        let pairs = settings
            .iter()
            .filter(|(_, _, o)| *o == origin)
            .map(|(k, v, _)| (k.as_str(), v.as_str()));
        if let Err(e) = policy.check_settings(vmid, c.guest_type, pairs, &after, origin) {
            return deny(e);
        }
    }
    Decision::Allow { rule }
}

pub(super) fn configure(policy: &Policy, c: &GuestConfigure, facts: &Facts) -> Decision {
    let file = policy.source.display();
    let d = operation(policy, c.vmid, Operation::ConfigWrite, c.confirmed, facts);
    if !allowed(&d) {
        return d;
    }
    let Some(g) = facts.guests.get(&c.vmid) else {
        return d;
    };
    let Some(config) = facts.configs.get(&c.vmid) else {
        return unread(c.vmid);
    };
    if c.set.is_empty() && c.delete.is_empty() {
        return denied(
            "config.write",
            "nothing to change: give set or delete".into(),
        );
    }
    let mut after = config.clone();
    for k in &c.delete {
        let k = k.as_str();
        if c.set.get(k).is_some() {
            return denied("config.write", format!("{k:?} is both set and deleted"));
        }
        if policy.config_keys.listing(k).is_none() {
            return denied(
                "config.keys",
                format!(
                    "removing {k:?} is not allowed; to allow it, add it to [config] keys in {file}"
                ),
            );
        }
        if k.starts_with("unused") {
            return denied(
                "config.write",
                format!(
                    "removing {k} would destroy its volume; that is not done through configuration"
                ),
            );
        }
        after.remove(k);
    }
    for (k, v) in c.set.iter() {
        after.insert(k.to_string(), v.to_string());
    }
    let pairs = c.set.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    if let Err(e) = policy.check_settings(c.vmid, g.guest_type, pairs, &after, Origin::Listed) {
        return deny(e);
    }
    if c.set.get("tags").is_some() || c.delete.iter().any(|k| k.as_str() == "tags") {
        let mut changed = g.clone();
        changed.tags = tags_of(&after);
        if policy.guest_scope(&changed).is_none() {
            return denied(
                "config.write",
                format!(
                    "these tags would take guest {} out of scope; keep the tags [guests] allow \
                     relies on",
                    c.vmid
                ),
            );
        }
        let before = granted(policy, g);
        let gained: Vec<String> = granted(policy, &changed)
            .difference(&before)
            .map(|o| o.to_string())
            .collect();
        if !gained.is_empty() {
            return denied(
                "config.write",
                format!(
                    "these tags would grant {} on guest {} through another rule; tags cannot \
                     widen what may be done to a guest",
                    gained.join(", "),
                    c.vmid
                ),
            );
        }
    }
    d
}

/// Every operation some grant allows on `g`.
fn granted(policy: &Policy, g: &GuestFacts) -> BTreeSet<Operation> {
    policy
        .grants
        .iter()
        .filter(|gr| gr.covers(g))
        .flat_map(|gr| gr.operations.iter().copied())
        .collect()
}
