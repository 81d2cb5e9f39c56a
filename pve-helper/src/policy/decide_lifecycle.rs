//! `decide` for the lifecycle requests: where new guests may go and how big they may
//! be, what may change, move or be destroyed. Pure like `decide`: the configurations it
//! needs (clone source, guest to change, backup contents) are facts gathered before.

use super::bounds::{Denial, GuestSettings, Origin, size_gib, tags_of};
use super::decide::{
    Decision, Facts, GuestFacts, api_path_rule, in_scope, operation, operation_on,
};
use super::{Operation, Policy};
use pve_mcp_proto::{
    ApiMethod, BackupRestore, GuestClone, GuestConfigure, GuestCreate, GuestType, NodeName,
    Request, VmId,
};
use std::collections::BTreeSet;

/// The guests a lifecycle request names (for facts), or `None` for other requests.
pub fn referenced(request: &Request) -> Option<Vec<VmId>> {
    Some(match request {
        Request::GuestCreate(_)
        | Request::StorageDownload(_)
        | Request::ListPools(_)
        | Request::HaResources(_)
        | Request::NextVmid(_) => Vec::new(),
        Request::GuestClone(c) => vec![c.vmid],
        Request::GuestTemplate(g) => vec![g.vmid],
        Request::GuestConfigure(c) => vec![c.vmid],
        Request::DiskResize(r) => vec![r.vmid],
        Request::GuestMigrate(m) => vec![m.vmid],
        Request::GuestDelete(d) => vec![d.vmid],
        Request::BackupRestore(r) => {
            let mut v: Vec<VmId> = r.volume.backup_of().map(|(_, id)| id).into_iter().collect();
            v.extend(r.vmid.filter(|id| !v.contains(id)));
            v
        }
        Request::VolumeDelete(d) => d.volume.backup_of().map(|(_, id)| id).into_iter().collect(),
        Request::TaskCancel(t) => t.upid.vmid().into_iter().collect(),
        Request::AgentExec(a) => vec![a.vmid],
        Request::Firewall(q) => q.vmid.into_iter().collect(),
        _ => return None,
    })
}

/// The guests whose configuration `decide` needs.
pub fn config_vmids(request: &Request) -> Vec<VmId> {
    match request {
        Request::GuestClone(c) => vec![c.vmid],
        Request::GuestConfigure(c) => vec![c.vmid],
        Request::DiskResize(r) => vec![r.vmid],
        Request::GuestDelete(d) => vec![d.vmid],
        _ => Vec::new(),
    }
}

fn deny(d: Denial) -> Decision {
    Decision::Deny {
        rule: d.rule,
        reason: d.reason,
    }
}

fn denied(rule: &str, reason: String) -> Decision {
    Decision::Deny {
        rule: rule.to_owned(),
        reason,
    }
}

/// Judges a lifecycle request.
pub fn decide(policy: &Policy, request: &Request, facts: &Facts) -> Decision {
    let file = policy.source.display();
    match request {
        Request::GuestCreate(c) => create(policy, c),
        Request::GuestClone(c) => clone(policy, c, facts),
        Request::GuestTemplate(g) => {
            operation(policy, g.vmid, Operation::Template, g.confirmed, facts)
        }
        Request::GuestConfigure(c) => configure(policy, c, facts),
        Request::DiskResize(r) => {
            let d = operation(policy, r.vmid, Operation::DiskResize, r.confirmed, facts);
            if !allowed(&d) {
                return d;
            }
            let Some(config) = facts.configs.get(&r.vmid) else {
                return unread(r.vmid);
            };
            let Some(current) = config.get(r.disk.as_str()) else {
                return denied(
                    "disk.resize",
                    format!("guest {} has no disk {}", r.vmid, r.disk),
                );
            };
            let now = current
                .split(',')
                .find_map(|o| o.strip_prefix("size="))
                .and_then(size_gib);
            if let Some(now) = now
                && r.size_gib.get() <= now
            {
                return denied(
                    "disk.resize",
                    format!(
                        "disk {} of guest {} is {now} GiB; disks only grow, ask for more than \
                         {now} GiB",
                        r.disk, r.vmid
                    ),
                );
            }
            if let Err(e) = policy.within_disk(
                r.size_gib.get(),
                &format!("{} of {} GiB", r.disk, r.size_gib),
            ) {
                return deny(e);
            }
            d
        }
        Request::GuestMigrate(m) => {
            let d = operation(policy, m.vmid, Operation::Migrate, m.confirmed, facts);
            if !allowed(&d) {
                return d;
            }
            if facts
                .guests
                .get(&m.vmid)
                .is_some_and(|g| g.node == m.target)
            {
                return denied(
                    "migrate",
                    format!("guest {} is already on node {}", m.vmid, m.target),
                );
            }
            if !policy.migrate_nodes.contains(&m.target) {
                return denied(
                    "migrate.nodes",
                    format!(
                        "migrating to node {} is not allowed; to allow it, add {:?} to [migrate] \
                         nodes in {file}",
                        m.target,
                        m.target.as_str()
                    ),
                );
            }
            d
        }
        Request::GuestDelete(del) => {
            let d = operation(policy, del.vmid, Operation::Delete, del.confirmed, facts);
            if !matches!(d, Decision::Allow { .. } | Decision::Confirm { .. }) {
                return d;
            }
            let Some(config) = facts.configs.get(&del.vmid) else {
                return unread(del.vmid);
            };
            if config.get("protection").is_some_and(|p| p.trim() == "1") {
                return denied(
                    "pve protection",
                    format!(
                        "guest {} has the Proxmox protection flag set, which forbids deleting it; \
                         clear it first (guest_configure delete [\"protection\"], if [config] keys \
                         lists protection) or in Proxmox",
                        del.vmid
                    ),
                );
            }
            d
        }
        Request::BackupRestore(r) => restore(policy, r, facts),
        Request::VolumeDelete(v) => match v.volume.content() {
            Some("backup") => {
                let Some((kind, owner)) = v.volume.backup_of() else {
                    return denied(
                        "volume",
                        format!(
                            "{} is not a vzdump backup of a guest (backup/vzdump-TYPE-VMID-...)",
                            v.volume
                        ),
                    );
                };
                let g = owner_facts(facts, owner, kind, &v.node, &[]);
                let d = scoped(policy, &g);
                if !allowed(&d) {
                    return d;
                }
                operation_on(policy, &g, Operation::BackupDelete, v.confirmed)
            }
            Some(c @ ("iso" | "vztmpl")) => {
                if let Some(d) = media_storage(policy, v.volume.storage()) {
                    return d;
                }
                if !policy.media.delete {
                    return denied(
                        "storage.delete",
                        format!(
                            "deleting {c} volumes is not allowed; to allow it, set delete = true in \
                             [storage] in {file}"
                        ),
                    );
                }
                Decision::Allow {
                    rule: "storage.delete".into(),
                }
            }
            _ => denied(
                "volume",
                format!(
                    "{} is neither a backup, an ISO image nor a container template; guest disks \
                     are removed with their guest",
                    v.volume
                ),
            ),
        },
        Request::StorageDownload(s) => {
            if let Some(d) = media_storage(policy, s.storage.as_str()) {
                return d;
            }
            if !s.filename.fits(s.content) {
                return denied(
                    "storage.download_from",
                    format!(
                        "file name {} does not fit content {} (.iso/.img for iso, .tar.gz/.tar.xz/\
                         .tar.zst for vztmpl)",
                        s.filename,
                        s.content.as_str()
                    ),
                );
            }
            if let Some(c) = &s.checksum
                && let Err(e) = c.check()
            {
                return denied("storage.download_from", e.0);
            }
            match policy.media.url_allowed(&s.url) {
                Some(prefix) => Decision::Allow {
                    rule: format!("storage.download_from {prefix:?}"),
                },
                None => denied(
                    "storage.download_from",
                    format!(
                        "downloading from {} is not allowed; to allow it, add its URL prefix to \
                         [storage] download_from in {file}",
                        s.url
                    ),
                ),
            }
        }
        Request::TaskCancel(t) => match t.upid.vmid() {
            Some(vmid) => operation(policy, vmid, Operation::TaskCancel, t.confirmed, facts),
            None => denied(
                "task.cancel",
                format!(
                    "task {} belongs to no guest; only tasks of guests in scope can be stopped",
                    t.upid
                ),
            ),
        },
        Request::AgentExec(a) => {
            let d = operation(policy, a.vmid, Operation::AgentExec, a.confirmed, facts);
            if !matches!(d, Decision::Allow { .. } | Decision::Confirm { .. }) {
                return d;
            }
            if policy.agent.matching(&a.argv).is_none() {
                return denied(
                    "agent.exec",
                    format!(
                        "running {} in the guest matches no [agent] exec entry in {file}; entries \
                         match argument for argument",
                        a.argv
                    ),
                );
            }
            d
        }
        Request::Firewall(q) => match (&q.node, q.vmid) {
            (_, Some(vmid)) => {
                let d = in_scope(policy, vmid, facts);
                let (true, Some(g)) = (allowed(&d), facts.guests.get(&vmid)) else {
                    return d;
                };
                let path = format!(
                    "/nodes/{}/{}/{vmid}/firewall/rules",
                    g.node,
                    g.guest_type.as_str()
                );
                api_path_rule(policy, ApiMethod::Get, &path, "guest firewall")
            }
            (Some(node), None) => api_path_rule(
                policy,
                ApiMethod::Get,
                &format!("/nodes/{node}/firewall/rules"),
                "node firewall",
            ),
            (None, None) => api_path_rule(
                policy,
                ApiMethod::Get,
                "/cluster/firewall/rules",
                "cluster firewall",
            ),
        },
        Request::ListPools(q) => {
            let path = match &q.pool {
                Some(p) => format!("/pools/{p}"),
                None => "/pools".to_owned(),
            };
            api_path_rule(policy, ApiMethod::Get, &path, "pool listing")
        }
        Request::HaResources(_) => api_path_rule(
            policy,
            ApiMethod::Get,
            "/cluster/ha/resources",
            "HA resources",
        ),
        Request::NextVmid(_) => match &policy.create {
            Some(c) => Decision::Allow {
                rule: format!("create.vmids {:?}", c.vmids_text()),
            },
            None => no_create(policy),
        },
        _ => denied(
            "default deny",
            format!("{} is not a lifecycle request", request.op()),
        ),
    }
}

/// Node tasks the media grants start (`download`, `imgdel`): a client that may start
/// them may follow them, without an `[api]` pattern for node tasks.
pub fn media_task(policy: &Policy, upid: &pve_mcp_proto::Upid) -> Option<Decision> {
    let ok = match upid.task_type() {
        "download" => !policy.media.download_from.is_empty(),
        "imgdel" => {
            policy.media.delete
                || policy
                    .granted_operations()
                    .contains(&Operation::BackupDelete)
        }
        _ => false,
    };
    ok.then(|| Decision::Allow {
        rule: format!("storage ({} tasks)", upid.task_type()),
    })
}

fn allowed(d: &Decision) -> bool {
    matches!(d, Decision::Allow { .. })
}

fn unread(vmid: VmId) -> Decision {
    denied(
        "facts",
        format!("the configuration of guest {vmid} could not be read, so the request is refused"),
    )
}

fn no_create(policy: &Policy) -> Decision {
    denied(
        "create",
        format!(
            "making new guests is not allowed; to allow it, add a [create] section (vmids, \
             nodes, pool) to {}",
            policy.source.display()
        ),
    )
}

/// Scope of a guest known by facts (in scope: allow; else not found).
fn scoped(policy: &Policy, g: &GuestFacts) -> Decision {
    match policy.guest_scope(g) {
        Some(sel) => Decision::Allow {
            rule: format!("guests.allow {:?}", sel.to_string()),
        },
        None => Decision::NotFound {
            reason: format!(
                "guest {} does not exist or is not visible to this client",
                g.vmid
            ),
        },
    }
}

/// The owner of a backup: the guest if it exists, else what the backup itself says
/// (its vmid and kind, the restore's node and the backup's tags), so backups of
/// deleted guests stay reachable through vmid-range and tag selectors only.
fn owner_facts(
    facts: &Facts,
    owner: VmId,
    kind: GuestType,
    node: &NodeName,
    tags: &[String],
) -> GuestFacts {
    facts.guests.get(&owner).cloned().unwrap_or(GuestFacts {
        vmid: owner,
        node: node.clone(),
        guest_type: kind,
        pool: None,
        tags: tags.to_vec(),
    })
}

fn media_storage(policy: &Policy, storage: &str) -> Option<Decision> {
    if policy.media.storages.iter().any(|s| s.as_str() == storage) {
        return None;
    }
    Some(denied(
        "storage.storages",
        format!(
            "ISO images and templates on storage {storage:?} may not be changed; to allow it, add \
             {storage:?} to [storage] storages in {}",
            policy.source.display()
        ),
    ))
}

/// Where a new guest may go: `[create]` vmids and nodes, and in scope once it carries
/// the pool and tags it will have.
fn new_guest(
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
    let missing: Vec<&str> = create
        .tags
        .iter()
        .map(|t| t.as_str())
        .filter(|t| !inherited_tags.iter().any(|i| i.eq_ignore_ascii_case(t)))
        .collect();
    let mut tags = inherited_tags.to_vec();
    tags.extend(missing.iter().map(|t| (*t).to_owned()));
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

fn create(policy: &Policy, c: &GuestCreate) -> Decision {
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
    let rule = match new_guest(policy, c.vmid, &c.node, c.guest_type, &[], "a new guest") {
        Ok(r) => r,
        Err(d) => return d,
    };
    let Some(vmid) = c.vmid else {
        return no_create(policy);
    };
    let settings = create_settings(c);
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

fn clone(policy: &Policy, c: &GuestClone, facts: &Facts) -> Decision {
    let d = operation(policy, c.vmid, Operation::Clone, c.confirmed, facts);
    if !allowed(&d) {
        return d;
    }
    let Some(src) = facts.guests.get(&c.vmid) else {
        return d;
    };
    let Some(config) = facts.configs.get(&c.vmid) else {
        return unread(c.vmid);
    };
    let target = c.target.as_ref().unwrap_or(&src.node);
    let tags = tags_of(config);
    if let Err(d) = new_guest(policy, c.newid, target, src.guest_type, &tags, "the clone") {
        return d;
    }
    if let Some(d) = required_tags(policy, &tags, "the source") {
        return d;
    }
    if !c.full && c.storage.is_some() {
        return denied(
            "clone",
            "a linked clone stays on its template's storage; pass full: true to pick a storage"
                .into(),
        );
    }
    if let Some(s) = &c.storage
        && let Err(e) = policy.storage_allowed(s.as_str(), "the clone's disks")
    {
        return deny(e);
    }
    let Some(newid) = c.newid else {
        return no_create(policy);
    };
    inherited(
        policy,
        newid,
        src.guest_type,
        config,
        c.vmid,
        c.storage.is_some(),
        d,
    )
}

fn inherited(
    policy: &Policy,
    newid: VmId,
    kind: GuestType,
    config: &GuestSettings,
    owner: VmId,
    storage_override: bool,
    d: Decision,
) -> Decision {
    let pairs = config
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "template" | "digest" | "lock" | "parent"))
        .map(|(k, v)| (k.as_str(), v.as_str()));
    let origin = Origin::Inherited {
        owner,
        storage_override,
    };
    match policy.check_settings(newid, kind, pairs, config, origin) {
        Ok(()) => d,
        Err(e) => deny(Denial {
            rule: e.rule,
            reason: format!("the new guest would inherit this: {}", e.reason),
        }),
    }
}

/// Clones and restores keep their source's tags; they must already carry `[create]
/// tags`.
fn required_tags(policy: &Policy, tags: &[String], whose: &str) -> Option<Decision> {
    let create = policy.create.as_ref()?;
    let missing: Vec<&str> = create
        .tags
        .iter()
        .map(|t| t.as_str())
        .filter(|t| !tags.iter().any(|i| i.eq_ignore_ascii_case(t)))
        .collect();
    (!missing.is_empty()).then(|| {
        denied(
            "create.tags",
            format!(
                "{whose} lacks tag(s) {} that [create] tags requires of every new guest; tag it \
                 first",
                missing.join(", ")
            ),
        )
    })
}

fn configure(policy: &Policy, c: &GuestConfigure, facts: &Facts) -> Decision {
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

fn restore(policy: &Policy, r: &BackupRestore, facts: &Facts) -> Decision {
    let Some((kind, owner)) = r.volume.backup_of() else {
        return denied(
            "backup.restore",
            format!(
                "{} is not a vzdump backup of a guest (backup/vzdump-TYPE-VMID-...)",
                r.volume
            ),
        );
    };
    let Some(config) = &facts.backup_config else {
        return denied(
            "facts",
            format!(
                "the configuration inside {} could not be read, so the restore is refused",
                r.volume
            ),
        );
    };
    let tags = tags_of(config);
    let source = owner_facts(facts, owner, kind, &r.node, &tags);
    let d = scoped(policy, &source);
    if !allowed(&d) {
        return d;
    }
    let d = operation_on(policy, &source, Operation::BackupRestore, r.confirmed);
    if !matches!(d, Decision::Allow { .. } | Decision::Confirm { .. }) {
        return d;
    }
    if let Some(s) = &r.storage
        && let Err(e) = policy.storage_allowed(s.as_str(), "the restored disks")
    {
        return deny(e);
    }
    let existing = r.vmid.and_then(|v| facts.guests.get(&v));
    let (newid, d) = match existing {
        Some(target) => {
            if !r.force {
                return denied(
                    "backup.restore",
                    format!(
                        "guest {} exists; pass force: true to restore over it (destroying its \
                         current disks), or leave vmid out to restore to a new guest",
                        target.vmid
                    ),
                );
            }
            if target.guest_type != kind {
                return denied(
                    "backup.restore",
                    format!(
                        "{} holds a {} guest and guest {} is {}",
                        r.volume,
                        kind.as_str(),
                        target.vmid,
                        target.guest_type.as_str()
                    ),
                );
            }
            let d2 = scoped(policy, target);
            if !allowed(&d2) {
                return d2;
            }
            let d2 = operation_on(policy, target, Operation::BackupRestore, r.confirmed);
            if !matches!(d2, Decision::Allow { .. } | Decision::Confirm { .. }) {
                return d2;
            }
            // Confirmation of either guest's grant is enough reason to ask.
            let d = if matches!(d, Decision::Confirm { .. }) {
                d
            } else {
                d2
            };
            (target.vmid, d)
        }
        None => {
            if let Err(d) = new_guest(policy, r.vmid, &r.node, kind, &tags, "the restored guest") {
                return d;
            }
            if let Some(d) = required_tags(policy, &tags, "the backup") {
                return d;
            }
            let Some(v) = r.vmid else {
                return no_create(policy);
            };
            (v, d)
        }
    };
    inherited(policy, newid, kind, config, owner, r.storage.is_some(), d)
}

impl Policy {
    pub(super) fn within_disk(&self, gib: u64, what: &str) -> Result<(), Denial> {
        match self.bounds.max_disk_gib {
            Some(m) if gib <= m => Ok(()),
            Some(m) => Err(Denial {
                rule: "bounds.max_disk_gib".into(),
                reason: format!(
                    "{what} is above [bounds] max_disk_gib = {m} in {}",
                    self.source.display()
                ),
            }),
            None => Err(Denial {
                rule: "bounds.max_disk_gib".into(),
                reason: format!(
                    "{what} is refused: [bounds] max_disk_gib is not set in {}",
                    self.source.display()
                ),
            }),
        }
    }
}
