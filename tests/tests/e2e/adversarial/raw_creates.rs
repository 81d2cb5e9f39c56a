//! Raw creates outside `[create]` (a vmid out of the range or of a hidden guest, another
//! pool or none, floor keys, a clear password, a node not listed) and values on the lab
//! VM the policy refuses (tags that grant delete unconfirmed, in any spelling; clear
//! cloud-init passwords; a hook script). Each must be refused before it reaches Proxmox.

use super::case::{Class, Expect};
use super::runner::{Runner, api};
use super::world::LAB_VM;
use serde_json::{Value, json};

/// Raw creates outside `[create]`, and values on the lab VM the policy refuses.
pub async fn run(r: &mut Runner) {
    let vm_config = format!("/nodes/pve1/qemu/{LAB_VM}/config");
    let mut cases: Vec<(String, Value)> = Vec::new();
    let mut add = |name: String, method: &str, path: &str, data: Value| {
        cases.push((name, api(method, path, data)));
    };
    let create = |extra: Value| {
        let mut d = json!({"vmid": 9048, "name": "raw", "pool": "lab", "memory": 512, "cores": 1,
                           "scsi0": "local-lvm:4", "net0": "virtio,bridge=vmbr1"});
        for (k, v) in extra.as_object().into_iter().flatten() {
            if v.is_null() {
                d.as_object_mut().map(|m| m.remove(k));
            } else {
                d[k] = v.clone();
            }
        }
        d
    };
    for (what, extra) in [
        ("outside the vmid range", json!({"vmid": 500})),
        ("at the hidden 9005", json!({"vmid": 9005})),
        ("in another pool", json!({"pool": "prod"})),
        ("in no pool", json!({"pool": null})),
        ("without a vmid", json!({"vmid": null})),
        (
            "with a hook script",
            json!({"hookscript": "local:snippets/evil.sh"}),
        ),
        ("with a host device", json!({"hostpci0": "0000:01:00.0"})),
        ("with raw args", json!({"args": "-S"})),
        (
            "with a clear password",
            json!({"cipassword": "hunter22", "ide2": "local-lvm:cloudinit"}),
        ),
        (
            "from a hidden template (clone via create)",
            json!({"scsi0": "local-lvm:base-254-disk-0/vm-9048-disk-0"}),
        ),
    ] {
        add(
            format!("POST VM {what}"),
            "POST",
            "/nodes/pve1/qemu",
            create(extra),
        );
    }
    add(
        "POST VM on a node of no [create]".into(),
        "POST",
        "/nodes/pve4/qemu",
        create(json!({})),
    );
    for (what, data) in [
        (
            "tags granting delete without confirm",
            json!({"tags": "scratch"}),
        ),
        (
            "tags granting delete, beside its own",
            json!({"tags": "mcp;web;scratch"}),
        ),
        (
            "tags granting delete, in other case",
            json!({"tags": "SCRATCH"}),
        ),
        (
            "tags granting delete, comma-separated",
            json!({"tags": "mcp,scratch"}),
        ),
        (
            "tags granting delete, space-separated",
            json!({"tags": "mcp scratch"}),
        ),
        (
            "a clear cloud-init password",
            json!({"cipassword": "hunter22"}),
        ),
        (
            "a clear cloud-init password of five",
            json!({"cipassword": "12345"}),
        ),
        (
            "a cloud-init password that looks like a hash",
            json!({"cipassword": "$1$"}),
        ),
        (
            "a hook script",
            json!({"hookscript": "local:snippets/evil.sh"}),
        ),
    ] {
        add(format!("PUT lab VM {what}"), "PUT", &vm_config, data);
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
