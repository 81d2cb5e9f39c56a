//! Raw writes to what is cluster-wide, which names hidden guests in its body or acts on
//! them without naming them: backups of one hidden guest, of all, of a pool; pool
//! membership; `startall`/`stopall`; HA resources, migrations and rules; replication
//! and backup jobs; a hidden guest's task and firewall. Each must be refused before it
//! reaches Proxmox.

use super::case::{Class, Expect};
use super::runner::{Runner, api};
use serde_json::{Value, json};

pub async fn run(r: &mut Runner) {
    let mut cases: Vec<(String, Value)> = Vec::new();
    let mut add = |name: String, method: &str, path: &str, data: Value| {
        cases.push((name, api(method, path, data)));
    };
    for (what, data) in [
        (
            "of a hidden guest, stop mode",
            json!({"vmid": 250, "mode": "stop", "storage": "local"}),
        ),
        ("of every guest", json!({"all": 1, "storage": "local"})),
        (
            "of every guest but the lab",
            json!({"all": 1, "exclude": "9000", "storage": "local"}),
        ),
        ("of a pool", json!({"pool": "prod", "storage": "local"})),
        (
            "of the lab pool (with hidden guests beside)",
            json!({"pool": "lab", "storage": "local", "node": "pve1"}),
        ),
        (
            "of a lab and a hidden guest",
            json!({"vmid": "9000,250", "storage": "local"}),
        ),
        (
            "of the lab VM to a storage not listed",
            json!({"vmid": 9000, "storage": "nas"}),
        ),
        (
            "of the lab VM, removing old backups",
            json!({"vmid": 9000, "storage": "local", "remove": 1, "prune-backups": "keep-last=0"}),
        ),
        (
            "of the lab VM, dumped to a directory",
            json!({"vmid": 9000, "dumpdir": "/tmp"}),
        ),
        (
            "of the lab VM with a hook script",
            json!({"vmid": 9000, "storage": "local", "script": "/tmp/evil.sh"}),
        ),
    ] {
        add(
            format!("POST vzdump {what}"),
            "POST",
            "/nodes/pve1/vzdump",
            data,
        );
    }
    for (what, path, data) in [
        (
            "add a hidden VM to lab",
            "/pools/lab",
            json!({"vms": "250"}),
        ),
        (
            "add a hidden VM and a lab VM to lab",
            "/pools/lab",
            json!({"vms": "9000,250"}),
        ),
        (
            "add a hidden CT in no pool to lab",
            "/pools/lab",
            json!({"vms": "777", "allow-move": 1}),
        ),
        (
            "move a hidden VM to lab",
            "/pools",
            json!({"poolid": "lab", "vms": "250", "allow-move": 1}),
        ),
        (
            "take a lab VM out of lab",
            "/pools/lab",
            json!({"vms": "9000", "delete": 1}),
        ),
        (
            "move a lab VM to prod",
            "/pools/prod",
            json!({"vms": "9000", "allow-move": 1}),
        ),
        (
            "remove a hidden VM from prod",
            "/pools/prod",
            json!({"vms": "250", "delete": 1}),
        ),
    ] {
        add(format!("PUT pool: {what}"), "PUT", path, data);
    }
    for (what, method, path, data) in [
        ("startall", "POST", "/nodes/pve1/startall", json!({})),
        (
            "startall of lab vmids",
            "POST",
            "/nodes/pve1/startall",
            json!({"vms": "9000"}),
        ),
        ("stopall", "POST", "/nodes/pve3/stopall", json!({})),
        (
            "stopall of a hidden CT",
            "POST",
            "/nodes/pve3/stopall",
            json!({"vms": "777"}),
        ),
        (
            "HA add a hidden VM",
            "POST",
            "/cluster/ha/resources",
            json!({"sid": "vm:250", "state": "stopped"}),
        ),
        (
            "HA add a hidden VM by vmid",
            "POST",
            "/cluster/ha/resources",
            json!({"sid": "253"}),
        ),
        (
            "HA stop a hidden VM",
            "PUT",
            "/cluster/ha/resources/vm:250",
            json!({"state": "stopped"}),
        ),
        (
            "HA remove a hidden CT",
            "DELETE",
            "/cluster/ha/resources/ct:251",
            json!({}),
        ),
        (
            "HA migrate a hidden VM",
            "POST",
            "/cluster/ha/resources/vm:250/migrate",
            json!({"node": "pve3"}),
        ),
        (
            "HA rule naming a hidden VM",
            "POST",
            "/cluster/ha/rules",
            json!({"rule": "grab", "type": "node-affinity", "resources": "vm:9000,vm:250", "nodes": "pve3"}),
        ),
        (
            "replicate a hidden VM",
            "POST",
            "/cluster/replication",
            json!({"id": "250-1", "target": "pve3", "type": "local"}),
        ),
        (
            "change a hidden VM's replication",
            "PUT",
            "/cluster/replication/250-0",
            json!({"disable": 1}),
        ),
        (
            "delete a hidden VM's replication",
            "DELETE",
            "/cluster/replication/250-0",
            json!({}),
        ),
        (
            "run a hidden VM's replication",
            "POST",
            "/nodes/pve1/replication/250-0/schedule_now",
            json!({}),
        ),
        (
            "backup job of a hidden VM",
            "POST",
            "/cluster/backup",
            json!({"vmid": "250", "schedule": "daily", "storage": "local"}),
        ),
        (
            "backup job of every guest",
            "POST",
            "/cluster/backup",
            json!({"all": 1, "schedule": "daily", "storage": "local"}),
        ),
        (
            "backup job of a pool",
            "POST",
            "/cluster/backup",
            json!({"pool": "prod", "schedule": "daily", "storage": "local"}),
        ),
        (
            "change the prod backup job",
            "PUT",
            "/cluster/backup/backup-prod",
            json!({"vmid": "9000"}),
        ),
        (
            "disable the all-guests job",
            "PUT",
            "/cluster/backup/backup-all",
            json!({"enabled": 0}),
        ),
        (
            "delete the prod backup job",
            "DELETE",
            "/cluster/backup/backup-prod",
            json!({}),
        ),
        (
            "stop a hidden guest's task",
            "DELETE",
            &format!("/nodes/pve1/tasks/{}", r.world.running_hidden),
            json!({}),
        ),
        (
            "firewall off on a hidden VM",
            "PUT",
            "/nodes/pve1/qemu/250/firewall/options",
            json!({"enable": 0}),
        ),
    ] {
        add(what.to_owned(), method, path, data);
    }
    for (name, args) in cases {
        r.model(
            Class::RawWrites,
            &name,
            "proxmox_api",
            args,
            Expect::Refused,
        )
        .await;
    }
}
