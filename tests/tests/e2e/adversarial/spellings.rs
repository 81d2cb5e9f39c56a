//! The same out-of-scope guest spelled so that a parser might not see it: `+250`,
//! `0250`, ` 250`, `250.0`, `2.5e2`, percent-encoded digits, other cases of the path,
//! `..` and empty segments, a query string; and vmids in arguments as strings, floats
//! and lists. Each must be refused, and nothing about the guest answered.

use super::case::{Class, Expect};
use super::runner::{Runner, api, get};
use serde_json::json;

pub async fn run(r: &mut Runner) {
    let c = Class::Parsing;
    for spelled in [
        "+250",
        "0250",
        "%20250",
        "250%20",
        "250.0",
        "2.5e2",
        "%32%35%30",
        "%2B250",
        "0x0fa",
        "250%00",
        "%EF%BC%92%EF%BC%95%EF%BC%90",
        "250;",
        "250,9000",
        "25%30",
    ] {
        for rest in ["status/current", "config", "snapshot/before/config"] {
            let path = format!("/nodes/pve1/qemu/{spelled}/{rest}");
            r.model(
                c,
                &format!("GET {path}"),
                "proxmox_api",
                get(&path),
                Expect::Refused,
            )
            .await;
        }
        let path = format!("/nodes/pve1/qemu/{spelled}/status/start");
        r.model(
            c,
            &format!("POST {path}"),
            "proxmox_api",
            api("POST", &path, json!({})),
            Expect::Refused,
        )
        .await;
    }
    for path in [
        "/nodes/pve1/QEMU/250/config",
        "/Nodes/pve1/qemu/250/config",
        "/nodes/PVE1/qemu/250/config",
        "/nodes/pve1/qemu/250/Config",
        "/api2/json/nodes/pve1/qemu/250/config",
        "/api2/extjs/nodes/pve1/qemu/250/config",
        "/nodes/pve1/qemu/250/config/",
        "/nodes/pve1/qemu//250/config",
        "//nodes/pve1/qemu/250/config",
        "/nodes/pve1/qemu/./250/config",
        "/nodes/pve1/qemu/9000/../250/config",
        "/nodes/pve1/qemu/250%2Fconfig",
        "/nodes/pve1/qemu/250/config?current=1",
        "/nodes/pve1/qemu/250/config#x",
        "/nodes/pve1/qemu/250\\config",
        "/nodes/pve1/storage/local-lvm/content/local-lvm%3Avm-250-disk-0",
        "/nodes/pve1/storage/nas/content/nas:backup%2Fvzdump-qemu-250-x.vma.zst",
        "/cluster/ha/resources/vm%3A250",
        "/cluster/replication/250%2D0",
    ] {
        r.model(
            c,
            &format!("GET {path}"),
            "proxmox_api",
            get(path),
            Expect::Refused,
        )
        .await;
    }
    for (what, args) in [
        ("vmid as a string", json!({"vmid": "250"})),
        ("vmid as a float", json!({"vmid": 250.0})),
        ("vmid in exponent form", json!({"vmid": 2.5e2})),
        ("vmid with a plus", json!({"vmid": "+250"})),
        ("vmid twice", json!({"vmid": 9000, "VMID": 250})),
    ] {
        r.model(
            c,
            &format!("guest_config {what}"),
            "guest_config",
            args,
            Expect::Refused,
        )
        .await;
    }
    for (what, data) in [
        (
            "vmid with a plus",
            json!({"vmid": "+250", "storage": "local"}),
        ),
        (
            "vmid with a leading zero",
            json!({"vmid": "0250", "storage": "local"}),
        ),
        ("vmid list", json!({"vmid": "9000,250", "storage": "local"})),
        (
            "vmid list with spaces",
            json!({"vmid": "9000, 250", "storage": "local"}),
        ),
        (
            "vmid list with semicolons",
            json!({"vmid": "9000;250", "storage": "local"}),
        ),
    ] {
        r.model(
            c,
            &format!("POST vzdump {what}"),
            "proxmox_api",
            api("POST", "/nodes/pve1/vzdump", data),
            Expect::Refused,
        )
        .await;
    }
    for (what, data) in [
        ("guest with a plus", json!({"guest": "+250"})),
        ("guest with a leading zero", json!({"guest": "0250"})),
    ] {
        r.model(
            c,
            &format!("GET node replication {what}"),
            "proxmox_api",
            api("GET", "/nodes/pve1/replication", data),
            Expect::RefusedOrClean,
        )
        .await;
    }
}
