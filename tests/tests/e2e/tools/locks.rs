//! End to end: guests whose config Proxmox has locked, through the real mcp-front and
//! pve-helper against the simulated cluster. An administrator's backup job is running
//! on a VM, a stopped VM and a container (a `vzdump` task of `root@pam` that runs until
//! the test stops it, so nothing here depends on timing), or a snapshot task holds a
//! VM. Every tool that reads or changes such a guest is called: reads work and show
//! the lock; changes fail with Proxmox's reason naming the lock (`VM is locked
//! (backup)`), as a tool error the model can read, never a hang or an internal error;
//! the operations qemu-server lets through a backup lock (pause, resume, start of a
//! running VM) succeed; and once the job is stopped, the same change goes through.

use pve_mcp_tests::sim_client;

use pve_mcp_tests::{
    client::{Client, is_error, listed_guests, text},
    sim::{GuestKind, SimConfig, TaskRecord},
    stack::{Stack, StackOptions},
};
use serde_json::{Value, json};
use sim_client::{Api, encode};
use std::time::Duration;

const POLICY: &str = r#"
[clients]
users = [{uid}]

[guests]
allow = ["100-129"]
actions = [
  "start", "shutdown", "reboot", "stop", "reset", "suspend", "resume",
  "snapshot.list", "snapshot.create", "snapshot.rollback", "snapshot.delete",
  "config.read", "config.write", "disk.resize", "metrics.read",
  "template", "migrate", "delete",
  "backup.list", "backup.create", "backup.restore", "backup.delete",
  "task.cancel",
]

[config]
keys = ["cores", "memory", "description", "name"]

[bounds]
max_cores = 8
max_memory_mib = 16384
max_disk_gib = 128
storages = ["local-lvm", "nas"]

[migrate]
nodes = ["pve1", "pve2", "pve3"]

[backup]
storages = ["nas"]
"#;

/// Three nodes, 30 guests (100: running VM, 103: stopped VM, 106: running container,
/// all on pve1; 101: running VM on pve2), tasks of 60 ms.
async fn world() -> (Stack, Client) {
    let mut o = StackOptions::new(POLICY);
    o.sim = SimConfig {
        nodes: 3,
        guests: 30,
        task_duration: Duration::from_millis(60),
        ..SimConfig::default()
    };
    let stack = Stack::start(o).expect("stack starts");
    let client = stack.client().await.expect("mcp-front starts");
    (stack, client)
}

/// An administrator's task of `kind` on guest `vmid` of `node`, still running.
fn admin_task(kind: &str, node: &str, vmid: u32) -> TaskRecord {
    TaskRecord {
        node: node.into(),
        kind: kind.into(),
        id: vmid.to_string(),
        user: "root@pam".into(),
        starttime: 1_765_000_000,
        duration: None,
        status: String::new(),
        log: vec![format!("INFO: starting new backup job: vzdump {vmid}")],
    }
}

async fn call(client: &Client, tool: &str, args: Value) -> Value {
    client.call(tool, args).await.expect("the front answers")
}

/// The call succeeds; returns its structured content.
async fn works(client: &Client, tool: &str, args: Value) -> Value {
    let r = call(client, tool, args.clone()).await;
    assert!(!is_error(&r), "{tool} {args}: {}", text(&r));
    r["structuredContent"].clone()
}

/// The call is a tool error whose text names `reason`.
async fn refused(client: &Client, tool: &str, args: Value, reason: &str) -> Value {
    let r = call(client, tool, args.clone()).await;
    let t = text(&r);
    assert!(is_error(&r), "{tool} {args} should fail: {t}");
    assert!(t.contains(reason), "{tool} {args}: {reason:?} in {t}");
    assert!(!t.contains("internal"), "{tool} {args}: {t}");
    r["structuredContent"].clone()
}

/// Stops a task on the simulator as an administrator would (`DELETE .../tasks/{upid}`).
async fn stop_task(api: &Api, node: &str, upid: &str) {
    let (code, body) = api
        .delete(&format!("/nodes/{node}/tasks/{}", encode(upid)), &[])
        .await;
    assert_eq!(code, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vm_under_a_running_backup_job_shows_its_lock_and_refuses_changes() {
    let (stack, client) = world().await;
    let api = Api::new(&stack.sim);
    let job = stack
        .sim
        .add_task(admin_task("vzdump", "pve1", 100))
        .unwrap();
    let locked = "VM is locked (backup)";

    // Reads work and show the lock.
    let s = works(&client, "vm_status", json!({"vmid": 100})).await;
    assert_eq!(s["lock"], "backup", "{s}");
    let r = call(&client, "vm_status", json!({"vmid": 100})).await;
    assert!(text(&r).contains("lock: backup"), "{}", text(&r));
    let c = works(&client, "guest_config", json!({"vmid": 100})).await;
    assert_eq!(c["config"]["lock"], "backup", "{c}");
    let snaps = works(&client, "snapshot_list", json!({"vmid": 100})).await;
    assert_eq!(snaps["snapshots"][0]["name"], "base", "{snaps}");
    works(&client, "list_backups", json!({"vmid": 100})).await;
    works(&client, "list_vms", json!({"node": "pve1"})).await;

    // Changes Proxmox refuses before forking: an upstream error with its reason.
    refused(
        &client,
        "guest_configure",
        json!({"vmid": 100, "set": {"description": "during the backup"}}),
        locked,
    )
    .await;
    refused(
        &client,
        "guest_migrate",
        json!({"vmid": 100, "target": "pve2", "online": true}),
        locked,
    )
    .await;

    // Changes whose worker refuses: a failed task, with the reason.
    for action in ["stop", "shutdown", "reboot", "reset"] {
        let s = refused(
            &client,
            "vm_action",
            json!({"vmid": 100, "action": action}),
            locked,
        )
        .await;
        assert_eq!(
            (s["outcome"].as_str(), s["exitstatus"].as_str()),
            (Some("failed"), Some(locked))
        );
    }
    for (tool, name) in [
        ("snapshot_create", "during"),
        ("snapshot_delete", "base"),
        ("snapshot_rollback", "base"),
    ] {
        let s = refused(&client, tool, json!({"vmid": 100, "name": name}), locked).await;
        assert_eq!(s["outcome"], "failed", "{tool}: {s}");
    }
    refused(
        &client,
        "disk_resize",
        json!({"vmid": 100, "disk": "scsi0", "size_gib": 40}),
        locked,
    )
    .await;
    let s = works(&client, "vm_status", json!({"vmid": 100})).await;
    assert_eq!(s["guest"]["status"], "running", "{s}");
    let snaps = works(&client, "snapshot_list", json!({"vmid": 100})).await;
    assert_eq!(
        snaps["snapshots"].as_array().map(Vec::len),
        Some(1),
        "{snaps}"
    );

    // What qemu-server lets through a backup lock.
    for action in ["suspend", "resume", "start"] {
        let s = works(&client, "vm_action", json!({"vmid": 100, "action": action})).await;
        assert_eq!(s["outcome"], "succeeded", "{action}: {s}");
    }

    // Once the job is stopped, the lock is gone and the same change goes through.
    stop_task(&api, "pve1", &job).await;
    let s = works(&client, "vm_status", json!({"vmid": 100})).await;
    assert!(s.get("lock").is_none_or(Value::is_null), "{s}");
    works(
        &client,
        "guest_configure",
        json!({"vmid": 100, "set": {"description": "after the backup"}}),
    )
    .await;
    let s = works(
        &client,
        "vm_action",
        json!({"vmid": 100, "action": "shutdown"}),
    )
    .await;
    assert_eq!(s["outcome"], "succeeded", "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_vm_under_a_backup_job_cannot_start_be_deleted_templated_or_restored_over() {
    let (stack, client) = world().await;
    stack
        .sim
        .add_task(admin_task("vzdump", "pve1", 103))
        .unwrap();
    let archive = stack
        .sim
        .add_backup("pve1", "nas", GuestKind::Qemu, 103, "memory: 512\n")
        .unwrap();
    let locked = "VM is locked (backup)";
    refused(
        &client,
        "vm_action",
        json!({"vmid": 103, "action": "start"}),
        locked,
    )
    .await;
    refused(&client, "guest_delete", json!({"vmid": 103}), locked).await;
    refused(&client, "guest_template", json!({"vmid": 103}), locked).await;
    refused(
        &client,
        "backup_restore",
        json!({"vmid": 103, "node": "pve1", "volume": archive, "force": true}),
        locked,
    )
    .await;
    let s = works(&client, "vm_status", json!({"vmid": 103})).await;
    assert_eq!(
        (s["guest"]["status"].as_str(), s["lock"].as_str()),
        (Some("stopped"), Some("backup"))
    );
    assert!(stack.sim.guest_state(103).is_some_and(|g| !g.template));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_under_a_backup_job_refuses_changes_in_pve_containers_words() {
    let (stack, client) = world().await;
    let api = Api::new(&stack.sim);
    let job = stack
        .sim
        .add_task(admin_task("vzdump", "pve1", 106))
        .unwrap();
    let locked = "CT is locked (backup)";
    let s = works(&client, "vm_status", json!({"vmid": 106})).await;
    assert_eq!(s["lock"], "backup", "{s}");
    for action in ["stop", "shutdown", "suspend"] {
        refused(
            &client,
            "vm_action",
            json!({"vmid": 106, "action": action}),
            locked,
        )
        .await;
    }
    refused(
        &client,
        "guest_configure",
        json!({"vmid": 106, "set": {"memory": 1024}}),
        locked,
    )
    .await;
    refused(
        &client,
        "snapshot_create",
        json!({"vmid": 106, "name": "during"}),
        locked,
    )
    .await;
    refused(&client, "guest_delete", json!({"vmid": 106}), locked).await;
    refused(
        &client,
        "guest_migrate",
        json!({"vmid": 106, "target": "pve2", "online": true}),
        "migration aborted",
    )
    .await;
    assert_eq!(stack.sim.guest_state(106).unwrap().node, "pve1");
    stop_task(&api, "pve1", &job).await;
    let s = works(
        &client,
        "vm_action",
        json!({"vmid": 106, "action": "shutdown"}),
    )
    .await;
    assert_eq!(s["outcome"], "succeeded", "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_waits_for_the_nodes_running_backup_job_and_can_be_cancelled() {
    let (stack, client) = world().await;
    stack
        .sim
        .add_task(admin_task("vzdump", "pve1", 100))
        .unwrap();
    let s = works(
        &client,
        "backup_start",
        json!({"vmid": 100, "storage": "nas", "wait": false}),
    )
    .await;
    assert_eq!(s["outcome"], "started", "{s}");
    let upid = s["upid"].as_str().unwrap().to_owned();
    let log = call(&client, "task_log", json!({"upid": upid})).await;
    assert!(
        text(&log).contains("trying to get global lock - waiting..."),
        "{}",
        text(&log)
    );
    let st = works(&client, "task_status", json!({"upid": upid, "wait": false})).await;
    assert_eq!(st["status"], "running", "{st}");
    works(&client, "task_cancel", json!({"upid": upid})).await;
    assert_eq!(stack.sim.guest_state(100).unwrap().lock, Some("backup"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_of_a_vm_a_snapshot_task_holds_fails_with_the_reason() {
    let (stack, client) = world().await;
    stack
        .sim
        .add_task(admin_task("qmsnapshot", "pve2", 101))
        .unwrap();
    let s = works(&client, "vm_status", json!({"vmid": 101})).await;
    assert_eq!(s["lock"], "snapshot", "{s}");
    let s = refused(
        &client,
        "backup_start",
        json!({"vmid": 101, "storage": "nas"}),
        "job errors",
    )
    .await;
    assert_eq!(s["outcome"], "failed", "{s}");
    let r = call(&client, "task_log", json!({"upid": s["upid"]})).await;
    assert!(
        text(&r).contains("ERROR: Backup of VM 101 failed - VM is locked (snapshot)"),
        "{}",
        text(&r)
    );
    refused(
        &client,
        "vm_action",
        json!({"vmid": 101, "action": "suspend"}),
        "VM is locked (snapshot)",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_vms_shows_which_guests_are_locked() {
    let (stack, client) = world().await;
    stack
        .sim
        .add_task(admin_task("vzdump", "pve1", 100))
        .unwrap();
    let r = call(&client, "list_vms", json!({"node": "pve1"})).await;
    let guests = listed_guests(&r["structuredContent"]);
    let entry = guests
        .iter()
        .find(|g| g["vmid"] == 100)
        .cloned()
        .unwrap_or_default();
    assert_eq!(entry["lock"], "backup", "{entry}");
    let row = text(&r)
        .lines()
        .find(|l| l.starts_with("100 "))
        .unwrap_or_default()
        .to_owned();
    assert!(row.contains("backup"), "{row}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_with_a_linked_clone_is_not_deleted_and_the_model_reads_why() {
    let (stack, client) = world().await;
    let api = Api::new(&stack.sim);
    // 109: a VM template on pve1; its linked clone 900 is out of the policy's scope.
    let (code, body) = api
        .post("/nodes/pve1/qemu/109/clone", &[("newid", "900")])
        .await;
    assert_eq!(code, 200, "{body}");
    let done = api.wait_task("pve1", body["data"].as_str().unwrap()).await;
    assert_eq!(done["exitstatus"], "OK", "{done}");
    let s = refused(
        &client,
        "guest_delete",
        json!({"vmid": 109}),
        "base volume 'local-lvm:base-109-disk-0' is still in use by linked cloned",
    )
    .await;
    assert_eq!(s["outcome"], "failed", "{s}");
    assert!(stack.sim.guest_state(109).is_some_and(|g| g.template));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_under_a_backup_job_is_not_restored_over() {
    let (stack, client) = world().await;
    // 115: a stopped container on pve1.
    stack
        .sim
        .add_task(admin_task("vzdump", "pve1", 115))
        .unwrap();
    let archive = stack
        .sim
        .add_backup(
            "pve1",
            "nas",
            GuestKind::Lxc,
            115,
            "arch: amd64\ncores: 1\nhostname: old\nmemory: 512\nostype: debian\nrootfs: local-lvm:vm-115-disk-0,size=8G\nunprivileged: 1\n",
        )
        .unwrap();
    refused(
        &client,
        "backup_restore",
        json!({"vmid": 115, "node": "pve1", "volume": archive, "force": true}),
        "unable to restore CT 115 - CT is locked (backup)",
    )
    .await;
}
