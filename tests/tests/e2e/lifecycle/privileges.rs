//! End to end: the privileges `pve-helper setup` grants for the shipped lab-builder
//! policy are exactly what Proxmox checks for what that policy lets a session do. The
//! simulated token holds `required_privileges(policy)` and nothing else, and the
//! simulator checks them on the lifecycle routes as PVE does; a session creates a VM
//! and a container, clones, configures, grows, migrates, backs up, restores and deletes.
//! Without one privilege the call that needs it fails with Proxmox's own 403 naming it.

use pve_mcp_tests::sim_client;

use pve_helper::{
    policy::Policy,
    setup::{Release, required_privileges},
};
use pve_mcp_tests::{
    client::{Client, is_error, text},
    sim::{PveVersion, SimConfig},
    stack::{Stack, StackOptions},
};
use serde_json::{Value, json};
use sim_client::{Api, privileges_line};
use std::{path::Path, time::Duration};

const LAB_BUILDER: &str = include_str!("../../../../policy/examples/lab-builder.toml");

/// The container template of the lab pool (dataset index 17, on pve3).
const TEMPLATE: u32 = 117;

/// What setup grants for the lab builder.
fn granted() -> Vec<String> {
    let (policy, _) =
        Policy::parse(LAB_BUILDER, Path::new("lab-builder.toml")).expect("the example parses");
    // The release the simulator plays (PVE_MCP_SIM_PVE), whose privilege names it takes.
    let release = match PveVersion::from_env() {
        PveVersion::Pve8 => Release::Pve8,
        PveVersion::Pve9 => Release::Pve9,
    };
    let names = required_privileges(&policy, release).names();
    assert!(names.contains(&"VM.Config.HWType"), "{names:?}");
    names.into_iter().map(str::to_owned).collect()
}

fn stack(privileges: Vec<String>) -> Stack {
    let policy = LAB_BUILDER.replace("users = [\"claude-user\"]", "users = [{uid}]");
    let mut o = StackOptions::new(&policy);
    o.sim = SimConfig {
        nodes: 3,
        guests: 30,
        task_duration: Duration::from_millis(60),
        privileges: Some(privileges),
        ..SimConfig::default()
    };
    Stack::start(o).expect("stack starts")
}

async fn ok(client: &Client, tool: &str, args: Value) -> Value {
    let r = client.call(tool, args.clone()).await.unwrap();
    assert!(!is_error(&r), "{tool} {args}: {}", text(&r));
    if let Some(status) = r["structuredContent"].get("exitstatus") {
        assert_eq!(status, "OK", "{tool} {args}: {r}");
    }
    r
}

fn vmid(r: &Value) -> u32 {
    let v = r["structuredContent"]["vmid"].as_u64().expect("a new vmid");
    u32::try_from(v).unwrap()
}

fn new_vm() -> Value {
    json!({"type": "qemu", "node": "pve1", "name": "vm1", "cores": 1, "memory_mib": 512,
           "disk": {"storage": "local-lvm", "size_gib": 4},
           "iso": "local:iso/debian-12.8.0-amd64-netinst.iso", "bridge": "vmbr1"})
}

fn new_ct() -> Value {
    json!({"type": "lxc", "node": "pve1", "name": "ct1", "cores": 1, "memory_mib": 512,
           "disk": {"storage": "local-lvm", "size_gib": 4},
           "ostemplate": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
           "bridge": "vmbr1"})
}

/// A backup of `vmid` on `storage` of `node`, as the storage lists it.
async fn backup_of(api: &Api, node: &str, storage: &str, vmid: u32) -> String {
    let (_, content) = api
        .get(&format!(
            "/nodes/{node}/storage/{storage}/content?content=backup"
        ))
        .await;
    content["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["volid"].as_str())
        .find(|v| v.contains(&format!("-{vmid}-")))
        .expect("the backup")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lab_builder_runs_on_exactly_the_privileges_setup_grants() {
    let privileges = granted();
    let stack = stack(privileges.clone());
    let api = Api::new(&stack.sim);
    let client = stack.confirming_client(true).await.unwrap();
    let status = stack.helper_status();
    let line = privileges_line(&status);
    assert!(line.trim_start().starts_with("ok"), "{line}");

    let vm = vmid(&ok(&client, "guest_create", new_vm()).await);
    let ct = vmid(&ok(&client, "guest_create", new_ct()).await);
    let clone = ok(
        &client,
        "guest_clone",
        json!({"vmid": TEMPLATE, "name": "lab-a", "full": false}),
    )
    .await;
    let clone = vmid(&clone);
    ok(
        &client,
        "guest_configure",
        json!({"vmid": vm, "set": {"cores": 2, "scsi1": "local-lvm:2", "net1": "virtio,bridge=vmbr0"}}),
    )
    .await;
    ok(
        &client,
        "guest_configure",
        json!({"vmid": ct, "set": {"memory": 1024, "description": "lab"}}),
    )
    .await;
    ok(
        &client,
        "disk_resize",
        json!({"vmid": vm, "disk": "scsi0", "size_gib": 6}),
    )
    .await;
    ok(
        &client,
        "guest_migrate",
        json!({"vmid": ct, "target": "pve2"}),
    )
    .await;
    ok(
        &client,
        "backup_start",
        json!({"vmid": ct, "storage": "local"}),
    )
    .await;
    let volume = backup_of(&api, "pve2", "local", ct).await;
    let restored = vmid(
        &ok(
            &client,
            "backup_restore",
            json!({"volume": volume, "node": "pve2"}),
        )
        .await,
    );
    // The backup goes while its guest is in the lab (a deleted guest has no pool).
    ok(
        &client,
        "volume_delete",
        json!({"node": "pve2", "volume": volume}),
    )
    .await;
    for guest in [vm, ct, clone, restored] {
        ok(&client, "guest_delete", json!({"vmid": guest})).await;
    }
    let left: Vec<u32> = stack
        .sim
        .vmids()
        .into_iter()
        .filter(|v| *v >= 9000)
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // Without VM.Config.HWType, which Proxmox checks for the scsihw of every new VM,
    // creating a VM fails with Proxmox's own 403; a container needs none.
    let fewer: Vec<String> = privileges
        .into_iter()
        .filter(|p| p != "VM.Config.HWType")
        .collect();
    stack.sim.set_privileges(Some(&fewer));
    let r = client.call("guest_create", new_vm()).await.unwrap();
    let why = text(&r);
    assert!(is_error(&r), "{why}");
    assert!(why.contains("403"), "{why}");
    assert!(
        why.contains("Permission check failed (/vms/") && why.contains(", VM.Config.HWType)"),
        "{why}"
    );
    ok(&client, "guest_create", new_ct()).await;
    let status = stack.helper_status();
    let line = privileges_line(&status);
    assert!(
        line.contains("FAIL") && line.contains("VM.Config.HWType"),
        "{line}"
    );
}

/// Each privilege the simulated Proxmox checks refuses the call that needs it, with
/// PVE's message naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_missing_privilege_is_named_by_proxmox() {
    let privileges = granted();
    let stack = stack(privileges.clone());
    let client = stack.confirming_client(true).await.unwrap();
    let ct = vmid(&ok(&client, "guest_create", new_ct()).await);
    let without =
        |p: &str| -> Vec<String> { privileges.iter().filter(|x| *x != p).cloned().collect() };
    for (missing, tool, args) in [
        (
            "VM.Clone",
            "guest_clone",
            json!({"vmid": TEMPLATE, "full": false}),
        ),
        (
            "VM.Config.Memory",
            "guest_configure",
            json!({"vmid": ct, "set": {"memory": 768}}),
        ),
        (
            "VM.Config.Disk",
            "disk_resize",
            json!({"vmid": ct, "disk": "rootfs", "size_gib": 5}),
        ),
        (
            "VM.Migrate",
            "guest_migrate",
            json!({"vmid": ct, "target": "pve2"}),
        ),
        (
            "VM.Backup",
            "backup_start",
            json!({"vmid": ct, "storage": "local"}),
        ),
        ("VM.Allocate", "guest_delete", json!({"vmid": ct})),
    ] {
        stack.sim.set_privileges(Some(&without(missing)));
        let r = client.call(tool, args.clone()).await.unwrap();
        let why = text(&r);
        assert!(is_error(&r), "{tool} without {missing}: {why}");
        assert!(
            why.contains("403") && why.contains(&format!(", {missing})")),
            "{tool} without {missing}: {why}"
        );
    }
    stack.sim.set_privileges(Some(&privileges));
    ok(&client, "guest_delete", json!({"vmid": ct})).await;
}
