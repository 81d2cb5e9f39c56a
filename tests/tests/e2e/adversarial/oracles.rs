//! Refusals that would reveal an invisible guest: every tool and raw path that names a
//! guest, called for each out-of-scope guest and for a vmid no guest has, must read the
//! same once the vmids are swapped ("not found"), whether Proxmox would have answered,
//! refused, or said something of its own (wrong node, wrong type, `VM 9005 already
//! exists`). A vmid of the `[create]` range taken by an invisible guest (9005) must be
//! refused exactly like one left unusable by a destroyed guest's disks (9007) or backups
//! (9008).

use super::case::{Class, Expect, Who};
use super::runner::{Runner, api, get};
use super::world::{HIDDEN_AT, ghost};
use serde_json::{Value, json};

fn other_node(node: &str) -> &'static str {
    if node == "pve1" { "pve2" } else { "pve1" }
}

fn other_kind(kind: &str) -> &'static str {
    if kind == "qemu" { "lxc" } else { "qemu" }
}

fn disk(kind: &str) -> &'static str {
    if kind == "qemu" { "scsi0" } else { "rootfs" }
}

/// The calls that name guest `v` on `node`, of `kind`: (name, who, tool, args).
fn calls(
    v: u32,
    node: &str,
    kind: &str,
    lab_backup: &str,
) -> Vec<(String, Who, &'static str, Value)> {
    let mut out: Vec<(String, Who, &'static str, Value)> = Vec::new();
    let mut add = |name: String, who, tool, args| out.push((name, who, tool, args));
    use Who::{Model, UserSaysYes};
    for tool in [
        "vm_status",
        "guest_config",
        "snapshot_list",
        "list_backups",
        "guest_metrics",
        "firewall",
        "list_tasks",
    ] {
        add(format!("{tool} {v}"), Model, tool, json!({"vmid": v}));
    }
    for storage in ["nas", "local-lvm", "local"] {
        add(
            format!("storage_content {node} {storage} vmid {v}"),
            Model,
            "storage_content",
            json!({"node": node, "storage": storage, "vmid": v}),
        );
    }
    for action in [
        "start", "stop", "shutdown", "reboot", "reset", "suspend", "resume",
    ] {
        add(
            format!("vm_action {action} {v}"),
            Model,
            "vm_action",
            json!({"vmid": v, "action": action}),
        );
    }
    add(
        format!("backup_start {v}"),
        Model,
        "backup_start",
        json!({"vmid": v, "storage": "local"}),
    );
    add(
        format!("snapshot_create {v}"),
        Model,
        "snapshot_create",
        json!({"vmid": v, "name": "probe"}),
    );
    add(
        format!("snapshot_rollback {v}"),
        UserSaysYes,
        "snapshot_rollback",
        json!({"vmid": v, "name": "before"}),
    );
    add(
        format!("snapshot_delete {v}"),
        UserSaysYes,
        "snapshot_delete",
        json!({"vmid": v, "name": "before"}),
    );
    add(
        format!("guest_configure cores {v}"),
        Model,
        "guest_configure",
        json!({"vmid": v, "set": {"cores": 1}}),
    );
    add(
        format!("guest_configure tags {v}"),
        Model,
        "guest_configure",
        json!({"vmid": v, "set": {"tags": "mcp"}}),
    );
    add(
        format!("guest_configure delete {v}"),
        Model,
        "guest_configure",
        json!({"vmid": v, "delete": ["description"]}),
    );
    add(
        format!("disk_resize {v}"),
        Model,
        "disk_resize",
        json!({"vmid": v, "disk": disk(kind), "size_gib": 100}),
    );
    add(
        format!("guest_migrate {v}"),
        Model,
        "guest_migrate",
        json!({"vmid": v, "target": "pve3"}),
    );
    add(
        format!("guest_delete {v}"),
        UserSaysYes,
        "guest_delete",
        json!({"vmid": v}),
    );
    add(
        format!("guest_template {v}"),
        UserSaysYes,
        "guest_template",
        json!({"vmid": v}),
    );
    add(
        format!("guest_clone {v}"),
        Model,
        "guest_clone",
        json!({"vmid": v}),
    );
    add(
        format!("backup_restore over {v}"),
        UserSaysYes,
        "backup_restore",
        json!({"volume": lab_backup, "node": "pve1", "vmid": v, "force": true}),
    );
    let guest = format!("/nodes/{node}/{kind}/{v}");
    for rest in [
        "status/current",
        "config",
        "pending",
        "snapshot",
        "firewall/rules",
        "firewall/options",
    ] {
        add(
            format!("GET {guest}/{rest}"),
            Model,
            "proxmox_api",
            get(&format!("{guest}/{rest}")),
        );
    }
    add(
        format!("GET {guest}/rrddata"),
        Model,
        "proxmox_api",
        api(
            "GET",
            &format!("{guest}/rrddata"),
            json!({"timeframe": "hour"}),
        ),
    );
    let elsewhere = format!("/nodes/{}/{kind}/{v}/status/current", other_node(node));
    add(
        format!("GET {elsewhere}"),
        Model,
        "proxmox_api",
        get(&elsewhere),
    );
    let other_type = format!("/nodes/{node}/{}/{v}/config", other_kind(kind));
    add(
        format!("GET {other_type}"),
        Model,
        "proxmox_api",
        get(&other_type),
    );
    for action in ["start", "stop"] {
        add(
            format!("POST {guest}/status/{action}"),
            Model,
            "proxmox_api",
            api("POST", &format!("{guest}/status/{action}"), json!({})),
        );
    }
    add(
        format!("PUT {guest}/config"),
        Model,
        "proxmox_api",
        api("PUT", &format!("{guest}/config"), json!({"cores": 1})),
    );
    add(
        format!("DELETE {guest}"),
        Model,
        "proxmox_api",
        api("DELETE", &guest, json!({})),
    );
    let sid = if kind == "qemu" { "vm" } else { "ct" };
    for path in [
        format!("/cluster/ha/resources/{sid}:{v}"),
        format!("/cluster/replication/{v}-0"),
        format!("/nodes/{node}/replication/{v}-0/status"),
        format!("/nodes/{node}/storage/local-lvm/content/local-lvm:vm-{v}-disk-0"),
    ] {
        add(format!("GET {path}"), Model, "proxmox_api", get(&path));
    }
    for (path, data) in [
        (
            "/cluster/ha/rules".to_owned(),
            json!({"resource": format!("{sid}:{v}")}),
        ),
        (format!("/nodes/{node}/replication"), json!({"guest": v})),
        (format!("/nodes/{node}/tasks"), json!({"vmid": v})),
        (
            format!("/nodes/{node}/storage/nas/content"),
            json!({"vmid": v}),
        ),
        (
            format!("/nodes/{node}/storage/local-lvm/content"),
            json!({"vmid": v}),
        ),
        (
            format!("/nodes/{node}/storage/nas/prunebackups"),
            json!({"vmid": v}),
        ),
        ("/cluster/nextid".to_owned(), json!({"vmid": v})),
    ] {
        add(
            format!("GET {path} {data}"),
            Model,
            "proxmox_api",
            api("GET", &path, data),
        );
    }
    add(
        format!("POST vzdump {v}"),
        Model,
        "proxmox_api",
        api(
            "POST",
            &format!("/nodes/{node}/vzdump"),
            json!({"vmid": v, "storage": "local"}),
        ),
    );
    add(
        format!("POST HA migrate {v}"),
        Model,
        "proxmox_api",
        api(
            "POST",
            &format!("/cluster/ha/resources/{sid}:{v}/migrate"),
            json!({"node": "pve3"}),
        ),
    );
    out
}

pub async fn run(r: &mut Runner) {
    let lab_backup = r.world.backups.lab_vm.clone();
    for (v, node, kind) in HIDDEN_AT {
        for (name, who, tool, args) in calls(v, node, kind, &lab_backup) {
            let expect = match tool {
                "proxmox_api" if args["endpoint"] == "/cluster/nextid" => Expect::RefusedOrClean,
                _ if args["data"]["vmid"].is_number() || args["data"]["guest"].is_number() => {
                    Expect::RefusedOrClean
                }
                _ if args["data"]["resource"].is_string() => Expect::RefusedOrClean,
                _ => Expect::NotFound,
            };
            r.oracle(Class::Oracles, &name, who, tool, args, v, ghost(v), expect)
                .await;
        }
    }
    super::oracles_volumes::run(r).await;
}
