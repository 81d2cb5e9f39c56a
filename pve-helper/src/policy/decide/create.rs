//! `decide` for the settings of new and changed guests: `guest_create` and a raw
//! create (what it may be and where it may go), asking for the next free vmid, and
//! `guest_configure` (which keys may change, within `[bounds]`, without tags widening
//! what may be done to the guest).

use super::common::{allowed, denied, deny, no_create, operation, unread};
use crate::policy::api_call::Analysis;
use crate::policy::bounds::{Denial, Origin, tags_of};
use crate::policy::config_file::GuestSettings;
use crate::policy::decision::{Decision, Rule};
use crate::policy::facts::{Facts, GuestFacts};
use crate::policy::model::{Operation, Policy};
use crate::policy::{api_call, floor, refs};
use pve_mcp_proto::{GuestConfigure, GuestCreate, GuestType, NodeName, VmId};
use std::collections::BTreeMap;

/// Where a new guest may go: `[create]` vmids and nodes, and in scope once it carries
/// the pool and tags it will have.
pub(super) fn new_guest(
    policy: &Policy,
    facts: &Facts,
    vmid: Option<VmId>,
    node: &NodeName,
    kind: GuestType,
    inherited_tags: &[String],
    what: &str,
) -> Result<Rule, Decision> {
    let file = policy.source.display();
    let Some(create) = &policy.create else {
        return Err(no_create(policy));
    };
    let Some(vmid) = vmid else {
        return Err(denied(
            Rule::CreateVmids,
            format!(
                "no free vmid in [create] vmids {} in {file}",
                create.vmids_text()
            ),
        ));
    };
    if !create.vmid_allowed(vmid) {
        return Err(denied(
            Rule::CreateVmids,
            format!(
                "{what} with vmid {vmid} is refused: new guests take vmids {} ([create] vmids in \
                 {file}); leave vmid out to get the next free one",
                create.vmids_text()
            ),
        ));
    }
    if !create.nodes.contains(node) {
        return Err(denied(
            Rule::CreateNodes,
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
        running: false,
    };
    match policy.guest_scope(&g) {
        // Existence last, and in one sentence whoever has the vmid: a guest outside the
        // scope, one in it, or leftovers of an earlier guest.
        Some(_) if facts.vmid_free != Some(true) || facts.guests.contains_key(&vmid) => {
            Err(unavailable(vmid))
        }
        Some(sel) => Ok(Rule::CreateInScope(sel.to_string())),
        None => Err(denied(
            Rule::CreatePool,
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

/// The next vmid a new guest may take: asking needs a `[create]` section.
pub(super) fn next_vmid(policy: &Policy) -> Decision {
    match &policy.create {
        Some(c) => Decision::Allow {
            rule: Rule::CreateVmidRange(c.vmids_text()),
        },
        None => no_create(policy),
    }
}

/// The one refusal for a vmid a new guest cannot take because something has it.
pub(super) fn unavailable(vmid: VmId) -> Decision {
    denied(
        Rule::CreateVmids,
        format!(
            "vmid {vmid} is not available for a new guest: a guest has it, or a storage still \
             holds volumes or backups named for it; leave vmid out to get the next free one \
             (to restore over a guest in scope, pass force: true)"
        ),
    )
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

pub(super) fn create(policy: &Policy, c: &GuestCreate, facts: &Facts) -> Decision {
    let file = policy.source.display();
    let Some(spec) = &policy.create else {
        return no_create(policy);
    };
    if !spec.types.contains(&c.guest_type) {
        return denied(
            Rule::CreateTypes,
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
        return denied(Rule::Create, e.to_owned());
    }
    let settings = create_settings(c);
    // The floor first: whatever else is wrong, a floor setting is named as such.
    if let Some(why) = settings
        .iter()
        .find_map(|(k, v, _)| floor::config_floor(k, v))
    {
        return denied(Rule::FixedFloor, format!("the new guest: {why}"));
    }
    if let Err(e) = api_call::check_settings(
        c.guest_type,
        true,
        settings.iter().map(|(k, v, _)| (k.as_str(), v.as_str())),
    ) {
        return denied(Rule::ConfigValue, format!("the new guest: {e}"));
    }
    let rule = match new_guest(
        policy,
        facts,
        c.vmid,
        &c.node,
        c.guest_type,
        &[],
        "a new guest",
    ) {
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
    // Proxmox sizes a disk imported from an image from the image, not from the request.
    if let Some(image) = &c.image {
        let Some(gib) = facts.image_gib else {
            return denied(
                Rule::Facts,
                format!("the size of {image} could not be read, so the new guest is refused"),
            );
        };
        if let Err(e) =
            policy.within_disk(gib, &format!("the disk imported from {image} ({gib} GiB)"))
        {
            return deny(e);
        }
    }
    if settings
        .iter()
        .any(|(k, _, o)| *o == Origin::Listed && matches!(k.as_str(), "pool" | "tags"))
    {
        return denied(
            Rule::Create,
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
    if let Err(e) = policy.check_result(c.guest_type, &after, &[]) {
        return deny(e);
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
            Rule::ConfigWrite,
            "nothing to change: give set or delete".into(),
        );
    }
    let mut after = config.clone();
    for k in &c.delete {
        let k = k.as_str();
        if c.set.get(k).is_some() {
            return denied(Rule::ConfigWrite, format!("{k:?} is both set and deleted"));
        }
        if policy.config_keys.listing(k).is_none() {
            return denied(
                Rule::ConfigKeys,
                format!(
                    "removing {k:?} is not allowed; to allow it, add it to [config] keys in {file}"
                ),
            );
        }
        if k.starts_with("unused") {
            return denied(
                Rule::ConfigWrite,
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
    if let Err(e) = api_call::check_settings(
        g.guest_type,
        false,
        c.set.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    ) {
        return denied(Rule::ConfigValue, format!("guest {}: {e}", c.vmid));
    }
    // A removed key takes its default, which may be no limit at all (a container
    // without cores uses every core of its node).
    let removed: Vec<&str> = c.delete.iter().map(|k| k.as_str()).collect();
    if !removed.is_empty()
        && let Err(e) = policy.check_result(g.guest_type, &after, &removed)
    {
        return deny(e);
    }
    if let Some(why) = floor_of_removal(g.guest_type, &removed) {
        return denied(Rule::FixedFloor, why);
    }
    // Every change leaves the whole guest within the bounds the policy sets.
    if let Err(e) = policy.check_earlier(g.guest_type, &after) {
        return deny(Denial {
            rule: e.rule,
            reason: format!("guest {} as it would be: {}", c.vmid, e.reason),
        });
    }
    if (c.set.get("tags").is_some() || c.delete.iter().any(|k| k.as_str() == "tags"))
        && let Some(d) = retag(policy, g, tags_of(&after), "these tags")
    {
        return d;
    }
    if let Some(d) = super::firewall::nic_flags(policy, c, config, facts) {
        return d;
    }
    d
}

/// Removing `unprivileged` from a container makes it privileged.
fn floor_of_removal(kind: GuestType, removed: &[&str]) -> Option<String> {
    (kind == GuestType::Lxc && removed.contains(&"unprivileged")).then(|| {
        "removing \"unprivileged\" would make the container privileged; privileged containers \
         are on the fixed floor and can never be allowed"
            .to_owned()
    })
}

/// Every operation some grant allows on `g`, and whether any grant of it asks for
/// the user's confirmation there.
fn profile(policy: &Policy, g: &GuestFacts) -> BTreeMap<Operation, bool> {
    let mut out: BTreeMap<Operation, bool> = BTreeMap::new();
    for gr in policy.grants.iter().filter(|gr| gr.covers(g)) {
        for op in &gr.operations {
            *out.entry(*op).or_default() |= gr.confirm.contains(op);
        }
    }
    out
}

/// Judges giving guest `g` the tags `tags` (a tag change, a restore over it, a
/// snapshot rollback), as an action of its own: the guest must stay in scope, gain no
/// operation and keep every confirmation it needs now. `what`: "these tags".
pub(super) fn retag(
    policy: &Policy,
    g: &GuestFacts,
    tags: Vec<String>,
    what: &str,
) -> Option<Decision> {
    let mut changed = g.clone();
    changed.tags = tags;
    if policy.guest_scope(&changed).is_none() {
        return Some(denied(
            Rule::ConfigWrite,
            format!(
                "{what} would take guest {} out of scope; keep the tags [guests] allow relies on",
                g.vmid
            ),
        ));
    }
    let before = profile(policy, g);
    let after = profile(policy, &changed);
    let gained: Vec<String> = after
        .keys()
        .filter(|op| !before.contains_key(op))
        .map(|o| o.to_string())
        .collect();
    if !gained.is_empty() {
        return Some(denied(
            Rule::ConfigWrite,
            format!(
                "{what} would grant {} on guest {} through another rule; tags cannot widen what \
                 may be done to a guest",
                gained.join(", "),
                g.vmid
            ),
        ));
    }
    let shed: Vec<String> = after
        .iter()
        .filter(|(op, confirm)| !**confirm && before.get(op) == Some(&true))
        .map(|(o, _)| o.to_string())
        .collect();
    (!shed.is_empty()).then(|| {
        denied(
            Rule::ConfigWrite,
            format!(
                "{what} would let {} run on guest {} without the user's confirmation, which the \
                 policy asks for now; tags cannot take a confirmation away",
                shed.join(", "),
                g.vmid
            ),
        )
    })
}

/// The keys the typed `guest_create` sets from its own fields, which `[config] keys`
/// need not list when a raw create sends them.
const FIELD_KEYS: &[(GuestType, &[&str])] = &[
    (
        GuestType::Qemu,
        &[
            "name",
            "cores",
            "memory",
            "scsihw",
            "scsi0",
            "ide2",
            "net0",
            "ide0",
            "ciuser",
            "cipassword",
            "sshkeys",
            "ipconfig0",
            "description",
        ],
    ),
    (
        GuestType::Lxc,
        &[
            "hostname",
            "cores",
            "memory",
            "rootfs",
            "ostemplate",
            "unprivileged",
            "net0",
            "ssh-public-keys",
            "description",
        ],
    ),
];

/// A new guest made by a raw `POST /nodes/{node}/{qemu,lxc}`, judged as
/// `guest_create` judges one: `[create]` (types, vmids, nodes, pool, tags), a free vmid,
/// the fixed floor and `[bounds]` on every key, `[config] keys` for the keys
/// `guest_create` does not set itself. Restores never come here (the floor refuses
/// them).
pub(super) fn raw_create(policy: &Policy, a: &Analysis, facts: &Facts) -> Decision {
    let file = policy.source.display();
    let Some(spec) = &policy.create else {
        return no_create(policy);
    };
    let kind = if a.endpoint.template.ends_with("/lxc") {
        GuestType::Lxc
    } else {
        GuestType::Qemu
    };
    if !spec.types.contains(&kind) {
        return denied(
            Rule::CreateTypes,
            format!(
                "creating {} guests from scratch is not allowed; to allow it, add {:?} to \
                 [create] types in {file}",
                kind.as_str(),
                kind.as_str()
            ),
        );
    }
    for refused in [
        "start",
        "storage",
        "force",
        "unique",
        "live-restore",
        "bwlimit",
    ] {
        if a.param(refused).is_some_and(|v| v != "0") {
            return denied(
                Rule::ApiParams,
                format!("{refused} is not judged for a raw create; use guest_create"),
            );
        }
    }
    let (Some(vmid), Ok(node)) = (
        a.param("vmid").and_then(|v| refs::vmid(v).ok()),
        NodeName::parse(a.param("node").unwrap_or("")),
    ) else {
        return denied(Rule::ApiParams, "a create names its vmid and node".into());
    };
    let want_pool = spec.pool.as_ref().map(|p| p.as_str());
    if a.param("pool") != want_pool {
        return denied(
            Rule::CreatePool,
            format!(
                "a new guest goes into the pool [create] names ({}) in {file}: pass exactly \
                 that as pool",
                want_pool.unwrap_or("none")
            ),
        );
    }
    let tags: Vec<String> = a
        .param("tags")
        .map(|t| tags_of(&[("tags".to_owned(), t.to_owned())].into()))
        .unwrap_or_default();
    let missing = spec.missing_tags(&tags);
    if !missing.is_empty() {
        return denied(
            Rule::CreateTags,
            format!(
                "a new guest carries the tags [create] tags names in {file}; add {} to tags",
                missing.join(", ")
            ),
        );
    }
    let rule = match new_guest(policy, facts, Some(vmid), &node, kind, &tags, "a new guest") {
        Ok(r) => r,
        Err(d) => return d,
    };
    if let Some(t) = a.param("ostemplate") {
        if refs::volume(t).is_ok_and(|v| matches!(v.content, refs::Content::Backup(_))) {
            return denied(
                Rule::BackupRestore,
                "a container made from a backup is a restore: use backup_restore".into(),
            );
        }
        if let Err(e) = policy.source_allowed(t, "the container template") {
            return deny(e);
        }
    }
    let fields = FIELD_KEYS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(&[][..], |(_, keys)| *keys);
    let settings: GuestSettings = a
        .params
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "node" | "vmid" | "pool" | "tags" | "start"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for origin in [Origin::Field, Origin::Listed] {
        let pairs = settings
            .iter()
            .filter(|(k, _)| fields.contains(&k.as_str()) == (origin == Origin::Field))
            .filter(|(k, _)| k.as_str() != "ostemplate")
            .map(|(k, v)| (k.as_str(), v.as_str()));
        if let Err(e) = policy.check_settings(vmid, kind, pairs, &settings, origin) {
            return deny(e);
        }
    }
    if let Err(e) = policy.check_result(kind, &settings, &[]) {
        return deny(e);
    }
    Decision::Allow { rule }
}
