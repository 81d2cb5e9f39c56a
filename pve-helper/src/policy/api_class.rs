//! What the helper knows of each Proxmox endpoint a raw `proxmox_api` call may reach:
//! whether its answer can name guests and how the answer is filtered, and how a write
//! to it is judged. Every endpoint of the schema falls in one class; anything the
//! helper cannot judge is refused, whatever `[api] allow` says (fail closed).

use pve_mcp_proto::ApiMethod;

/// How the answer of an allowed read is filtered before it leaves the helper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// `/cluster/resources`: entries with `vmid` or an `id` of `qemu/N`, `lxc/N`.
    Resources,
    /// Entries that carry the guest in a `vmid` field (node guest lists, netstat,
    /// backups not backed up, prune lists).
    GuestEntries,
    /// Task lists: every task whose object is a guest, or that acts on several.
    Tasks,
    /// One task's status or log (the path's UPID was judged).
    Task,
    /// `/pools`, `/pools/{poolid}`: pool members.
    Pools,
    /// HA resources (`sid`).
    HaResources,
    /// HA status entries (`sid`, `id` of `service:vm:N`).
    HaStatus,
    /// HA rules (PVE 9): their `resources` lists.
    HaRules,
    /// Backup jobs: `vmid` and `exclude` lists.
    BackupJobs,
    /// The guests a backup job includes.
    IncludedVolumes,
    /// Replication jobs (`guest`, `id` of `N-M`).
    Replication,
    /// Storage content: `volid` and `vmid` of each volume.
    Content,
    /// A guest configuration (also pending values and snapshot configurations):
    /// secrets redacted as `guest_config` redacts them.
    Config,
    /// A configuration as text (`vzdump/extractconfig`): secret lines redacted.
    ConfigText,
    /// ACL entries (`path` of `/vms/N`).
    Acl,
    /// Permissions by path (`/vms/N` keys).
    Permissions,
}

/// How a raw call is judged, besides the fixed floor and the `[api] allow` pattern
/// that every call needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The answer (or the write) names no guest.
    Neutral,
    /// About the guests its path (or parameters) name, and those only: each must be in
    /// scope.
    GuestLocal,
    /// A read whose answer is filtered.
    Filtered(Filter),
    /// A write judged as the typed tool that does the same.
    Typed(Typed),
    /// Refused whatever the policy says, for this reason.
    Refused(&'static str),
}

/// The typed tools raw writes are judged as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typed {
    Config,
    Create,
    Power,
    SnapshotCreate,
    SnapshotConfig,
    SnapshotRollback,
    SnapshotDelete,
    Delete,
    Resize,
    Migrate,
    Template,
    Backup,
    VolumeDelete,
    Download,
    TaskCancel,
    AgentRead,
    CloudinitRegenerate,
    DiskMove,
    /// A guest's firewall rules and its `enable` option.
    Firewall,
}

const FREE_TEXT: &str = "its answer is free text that can name any guest, which pve-mcp cannot \
                         filter";
const ALL_GUESTS: &str = "it acts on every guest of a node, a pool or the cluster, not only on \
                          guests in scope";
const DESTROYS_STORAGE: &str = "it destroys a storage or disk that guests outside the scope may \
                                use";
const POOLS: &str = "pool membership decides which guests are in scope; pools are changed by \
                     an admin in Proxmox";
const JOBS: &str = "backup jobs, replication jobs and HA resources name guests across the \
                    cluster; an admin sets them up in Proxmox (use backup_start for one backup)";
const MEDIA: &str = "it places files on a storage without the checks of storage_download (use \
                     storage_download)";

/// The class of `method template` (a template of the schema, such as
/// `/nodes/{node}/qemu/{vmid}/config`).
pub fn classify(method: ApiMethod, template: &str) -> Class {
    let segs: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
    if method == ApiMethod::Get {
        read(&segs)
    } else {
        write(method, &segs)
    }
}

fn read(segs: &[&str]) -> Class {
    use Class::{Filtered, GuestLocal, Neutral, Refused};
    match segs {
        [] | ["version"] | ["nodes"] | ["nodes", "{node}"] | ["storage", ..] => Neutral,
        ["access", "acl"] => Filtered(Filter::Acl),
        ["access", "permissions"] => Filtered(Filter::Permissions),
        ["access", ..] => Neutral,
        ["pools", ..] => Filtered(Filter::Pools),
        ["cluster", rest @ ..] => cluster_read(rest),
        ["nodes", "{node}", "qemu" | "lxc"] => Filtered(Filter::GuestEntries),
        ["nodes", "{node}", "qemu" | "lxc", "{vmid}", rest @ ..] => match rest {
            ["config"] | ["pending"] | ["snapshot", "{snapname}", "config"] => {
                Filtered(Filter::Config)
            }
            ["cloudinit", "dump"] => Refused(
                "the generated cloud-init data holds the password hash; read the configuration \
                 with guest_config, which redacts it",
            ),
            _ => GuestLocal,
        },
        ["nodes", "{node}", rest @ ..] => node_read(rest),
        _ => Refused("pve-mcp does not know whether its answer names guests"),
    }
}

fn cluster_read(rest: &[&str]) -> Class {
    use Class::{Filtered, GuestLocal, Neutral, Refused};
    match rest {
        [] | ["status"] | ["options"] => Neutral,
        ["resources"] => Filtered(Filter::Resources),
        ["tasks"] => Filtered(Filter::Tasks),
        ["nextid"] => Refused(
            "asking Proxmox for a free vmid tells whether a guest outside the scope has it \
             (use next_vmid)",
        ),
        ["log"] => Refused(FREE_TEXT),
        ["metrics", "export"] => Refused("it exports the metrics of every guest"),
        ["ha"] | ["ha", "status"] | ["ha", "groups", ..] => Neutral,
        ["ha", "resources"] => Filtered(Filter::HaResources),
        ["ha", "resources", "{sid}"] => GuestLocal,
        ["ha", "status", "current"] => Filtered(Filter::HaStatus),
        ["ha", "status", "manager_status"] => {
            Refused("the HA manager's state names every HA guest in a shape pve-mcp cannot filter")
        }
        ["ha", "rules"] | ["ha", "rules", "{rule}"] => Filtered(Filter::HaRules),
        ["backup"] | ["backup", "{id}"] => Filtered(Filter::BackupJobs),
        ["backup", "{id}", "included_volumes"] => Filtered(Filter::IncludedVolumes),
        ["backup-info"] => Neutral,
        ["backup-info", "not-backed-up"] => Filtered(Filter::GuestEntries),
        ["replication"] => Filtered(Filter::Replication),
        ["replication", "{id}"] => GuestLocal,
        ["sdn", "ipams", "{ipam}", "status"] => {
            Refused("the IPAM status names guests by vmid in a shape pve-mcp cannot filter")
        }
        ["sdn", ..]
        | ["firewall", ..]
        | ["mapping", ..]
        | ["metrics", ..]
        | ["notifications", ..]
        | ["acme", ..]
        | ["jobs", ..]
        | ["ceph", ..]
        | ["config", ..]
        | ["qemu", ..]
        | ["bulk-action", ..] => Neutral,
        _ => Refused("pve-mcp does not know whether its answer names guests"),
    }
}

fn node_read(rest: &[&str]) -> Class {
    use Class::{Filtered, GuestLocal, Neutral, Refused};
    match rest {
        ["tasks"] => Filtered(Filter::Tasks),
        ["tasks", "{upid}", ..] => Filtered(Filter::Task),
        ["storage", "{storage}", "content"] => Filtered(Filter::Content),
        ["storage", "{storage}", "content", "{volume}"]
        | ["storage", "{storage}", "file-restore", _]
        | ["storage", "{storage}", "import-metadata"] => GuestLocal,
        ["storage", "{storage}", "prunebackups"] => Filtered(Filter::GuestEntries),
        ["storage", ..] => Neutral,
        ["vzdump", "extractconfig"] => Filtered(Filter::ConfigText),
        ["vzdump"] => Neutral,
        ["vzdump", "defaults"] => Refused(
            "backup defaults can name guests (vmid, exclude) in a shape pve-mcp does not filter",
        ),
        ["replication"] => Filtered(Filter::Replication),
        ["replication", "{id}", ..] => GuestLocal,
        ["netstat"] => Filtered(Filter::GuestEntries),
        ["syslog"] | ["journal"] | ["report"] | ["firewall", "log"] | ["ceph", "log"] => {
            Refused(FREE_TEXT)
        }
        ["sdn", "zones", "{zone}", "bridges"] => {
            Refused("bridge ports name guests in a shape pve-mcp cannot filter")
        }
        ["status"]
        | ["version"]
        | ["time"]
        | ["dns"]
        | ["hosts"]
        | ["config"]
        | ["subscription"]
        | ["rrd"]
        | ["rrddata"]
        | ["aplinfo"]
        | ["capabilities", ..]
        | ["hardware", ..]
        | ["apt", ..]
        | ["services", ..]
        | ["network", ..]
        | ["disks", ..]
        | ["scan", ..]
        | ["ceph", ..]
        | ["certificates", ..]
        | ["firewall", ..]
        | ["sdn", ..]
        | ["query-url-metadata"]
        | ["query-oci-repo-tags"] => Neutral,
        _ => Refused("pve-mcp does not know whether its answer names guests"),
    }
}

fn write(method: ApiMethod, segs: &[&str]) -> Class {
    use ApiMethod::{Delete, Post, Put};
    use Class::{Neutral, Refused, Typed as T};
    match (method, segs) {
        (_, ["pools", ..]) => Refused(POOLS),
        (_, ["storage", "{storage}"]) if method == Delete => Refused(DESTROYS_STORAGE),
        (_, ["storage", ..]) => Neutral,
        (_, ["cluster", rest @ ..]) => match rest {
            ["backup", ..]
            | ["replication", ..]
            | ["ha", "resources", ..]
            | ["ha", "rules", ..] => Refused(JOBS),
            ["bulk-action", ..] | ["ha", "status", _] => Refused(ALL_GUESTS),
            _ => Neutral,
        },
        (_, ["nodes", "{node}", "qemu" | "lxc", rest @ ..]) => guest_write(method, rest),
        (_, ["nodes", "{node}", rest @ ..]) => match (method, rest) {
            (_, ["startall" | "stopall" | "suspendall" | "migrateall"]) | (Post, ["status"]) => {
                Refused(ALL_GUESTS)
            }
            (Post, ["vzdump"]) => T(Typed::Backup),
            (Delete, ["tasks", "{upid}"]) => T(Typed::TaskCancel),
            (Delete, ["storage", "{storage}", "content", "{volume}"]) => T(Typed::VolumeDelete),
            (Post, ["storage", "{storage}", "download-url"]) => T(Typed::Download),
            (_, ["storage", ..]) | (_, ["aplinfo"]) => match rest {
                ["storage", "{storage}", "content", ..] => Refused(
                    "it allocates, copies or changes a volume, which no typed tool judges (use \
                     guest_configure to add disks, volume_delete to delete)",
                ),
                ["storage", "{storage}", "prunebackups"] => Refused(
                    "it prunes the backups of every guest on the storage (use volume_delete)",
                ),
                _ => Refused(MEDIA),
            },
            (_, ["replication", ..]) => Refused(JOBS),
            (Delete, ["disks", _, "{name}"]) | (Put, ["disks", "wipedisk"]) => {
                Refused(DESTROYS_STORAGE)
            }
            (Delete, ["ceph", "pool", "{name}"]) | (Delete, ["ceph", "osd", "{osdid}"]) => {
                Refused(DESTROYS_STORAGE)
            }
            _ => Neutral,
        },
        // The fixed floor closes every write below /access.
        (_, ["access", ..]) => Neutral,
        _ => Refused("pve-mcp does not know how to judge this write"),
    }
}

fn guest_write(method: ApiMethod, rest: &[&str]) -> Class {
    use ApiMethod::{Delete, Post, Put};
    use Class::{GuestLocal, Refused, Typed as T};
    match (method, rest) {
        (Post, []) => T(Typed::Create),
        (Delete, ["{vmid}"]) => T(Typed::Delete),
        (Put | Post, ["{vmid}", "config"]) => T(Typed::Config),
        (Post, ["{vmid}", "status", _]) => T(Typed::Power),
        (Post, ["{vmid}", "snapshot"]) => T(Typed::SnapshotCreate),
        (Put, ["{vmid}", "snapshot", "{snapname}", "config"]) => T(Typed::SnapshotConfig),
        (Post, ["{vmid}", "snapshot", "{snapname}", "rollback"]) => T(Typed::SnapshotRollback),
        (Delete, ["{vmid}", "snapshot", "{snapname}"]) => T(Typed::SnapshotDelete),
        (Put, ["{vmid}", "resize"]) => T(Typed::Resize),
        (Post, ["{vmid}", "migrate"]) => T(Typed::Migrate),
        (Post, ["{vmid}", "template"]) => T(Typed::Template),
        (Put, ["{vmid}", "cloudinit"]) => T(Typed::CloudinitRegenerate),
        (Post, ["{vmid}", "agent"]) | (Post, ["{vmid}", "agent", _]) => T(Typed::AgentRead),
        (Post, ["{vmid}", "firewall", "rules"])
        | (Put | Delete, ["{vmid}", "firewall", "rules", "{pos}"])
        | (Put, ["{vmid}", "firewall", "options"]) => T(Typed::Firewall),
        (_, ["{vmid}", "firewall", "aliases" | "ipset", ..]) => Refused(
            "a guest's aliases and IP sets change what the names in its rules (and in \
             [firewall]) mean; an admin manages them in Proxmox",
        ),
        (_, ["{vmid}", "firewall", ..]) => GuestLocal,
        (Post, ["{vmid}", "move_disk" | "move_volume"]) => T(Typed::DiskMove),
        (Put, ["{vmid}", "unlink"]) => Refused(
            "it destroys disk volumes; remove disks with guest_configure (they become unused)",
        ),
        (Put, ["{vmid}", "sendkey"]) => {
            Refused("key presses on the guest's console are a console, which is never allowed")
        }
        (Post, ["{vmid}", "monitor"]) => Refused("the QEMU monitor is never allowed"),
        (Post, ["{vmid}", "remote_migrate"]) => {
            Refused("migrating to another cluster is never allowed")
        }
        (Post, ["{vmid}", "dbus-vmstate"]) => Refused("it is for Proxmox's own migrations"),
        _ => Refused("pve-mcp does not know how to judge this write"),
    }
}

/// The endpoints of the schema `rule` opens, besides those the fixed floor closes,
/// with their class.
pub fn covered(rule: &super::model::ApiRule) -> Vec<(&'static crate::schema::Endpoint, Class)> {
    crate::schema::Schema::get()
        .endpoints()
        .into_iter()
        .filter(|e| e.method == rule.method && rule.pattern.may_match_template(&e.template))
        .filter(|e| {
            let sample = e
                .template
                .split('/')
                .map(|s| if s.starts_with('{') { "100" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            pve_mcp_proto::ApiPath::parse(&sample)
                .is_ok_and(|p| super::floor::path_floor_reason(e.method, &p).is_none())
        })
        .map(|e| (e, classify(e.method, &e.template)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Schema;
    use std::collections::BTreeMap;

    /// Every endpoint of the schema has a class, and the count of each is stable: a
    /// new schema that moves endpoints between classes shows here.
    #[test]
    fn every_endpoint_of_the_schema_is_classified() {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let mut unknown = Vec::new();
        let pve8 = Schema::for_release(crate::pve::release::Release::Pve8).endpoints();
        for e in Schema::get().endpoints().into_iter().chain(pve8) {
            let sample = e
                .template
                .split('/')
                .map(|s| if s.starts_with('{') { "100" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            let path = pve_mcp_proto::ApiPath::parse(&sample).unwrap();
            if crate::policy::floor::path_floor_reason(e.method, &path).is_some() {
                *counts.entry("floor".to_owned()).or_default() += 1;
                continue;
            }
            let c = classify(e.method, &e.template);
            let name = match c {
                Class::Neutral => "neutral".to_owned(),
                Class::GuestLocal => "guest-local".to_owned(),
                Class::Filtered(_) => "filtered".to_owned(),
                Class::Typed(_) => "typed".to_owned(),
                Class::Refused(why) if why.starts_with("pve-mcp does not know") => {
                    unknown.push(format!("{} {}", e.method, e.template));
                    continue;
                }
                Class::Refused(_) => "refused".to_owned(),
            };
            *counts.entry(name).or_default() += 1;
        }
        assert!(unknown.is_empty(), "not classified: {unknown:#?}");
        let total: usize = counts.values().sum();
        assert_eq!(total, 680 + 605, "{counts:?}");
    }

    #[test]
    fn key_endpoints() {
        use ApiMethod::*;
        assert_eq!(classify(Get, "/version"), Class::Neutral);
        assert_eq!(
            classify(Get, "/cluster/tasks"),
            Class::Filtered(Filter::Tasks)
        );
        assert_eq!(
            classify(Get, "/nodes/{node}/qemu/{vmid}/config"),
            Class::Filtered(Filter::Config)
        );
        assert_eq!(
            classify(Get, "/nodes/{node}/qemu/{vmid}/status/current"),
            Class::GuestLocal
        );
        assert!(matches!(classify(Get, "/cluster/log"), Class::Refused(_)));
        assert!(matches!(
            classify(Get, "/cluster/nextid"),
            Class::Refused(_)
        ));
        assert_eq!(
            classify(Put, "/nodes/{node}/lxc/{vmid}/config"),
            Class::Typed(Typed::Config)
        );
        assert_eq!(
            classify(Post, "/nodes/{node}/qemu"),
            Class::Typed(Typed::Create)
        );
        assert!(matches!(
            classify(Put, "/pools/{poolid}"),
            Class::Refused(_)
        ));
        assert!(matches!(
            classify(Post, "/nodes/{node}/startall"),
            Class::Refused(_)
        ));
        assert_eq!(
            classify(Post, "/nodes/{node}/qemu/{vmid}/move_disk"),
            Class::Typed(Typed::DiskMove)
        );
        assert_eq!(
            classify(Post, "/nodes/{node}/lxc/{vmid}/move_volume"),
            Class::Typed(Typed::DiskMove)
        );
        assert_eq!(classify(Put, "/nodes/{node}/dns"), Class::Neutral);
    }
}
