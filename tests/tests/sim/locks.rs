//! The simulated PVE API's guest config locks over real HTTPS: a running backup
//! (`lock: backup`) or snapshot task (`snapshot`, `snapshot-delete`, `rollback`) and what
//! every other call on that guest answers meanwhile, in PVE's words and at PVE's place
//! (HTTP 500 where the API handler runs `check_lock`, the task's exit status where its
//! worker does); the exemptions (`backup` lets a VM pause, resume and "start" while
//! running; `suspended` lets a VM be destroyed); vzdump's node-wide global lock; and
//! the lock going away when its task ends or is stopped. The locks come from tasks an
//! administrator's backup job runs (recorded tasks that run until stopped) or from the
//! token's own calls on a simulator whose tasks last an hour, so nothing here depends on
//! timing.

use pve_mcp_tests::sim_client;

use std::time::Duration;

use pve_mcp_tests::sim::{self, SimConfig, SimHandle, TaskRecord};
use serde_json::Value;
use sim_client::{Api, encode};

/// A simulator whose tasks take `task_ms` each.
async fn sim_with(task_ms: u64) -> SimHandle {
    sim::start(SimConfig {
        nodes: 3,
        guests: 30,
        task_duration: Duration::from_millis(task_ms),
        expects_invalid_requests: true,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

/// An administrator's task on guest `vmid` that is still running.
fn running(kind: &str, node: &str, vmid: u32) -> TaskRecord {
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

/// The UPID of a 200 answer.
fn upid(answer: &(u16, Value)) -> String {
    assert_eq!(answer.0, 200, "{}", answer.1);
    answer.1["data"].as_str().expect("a UPID").to_owned()
}

/// Waits for the task of a 200 answer; returns its exit status.
async fn exit(api: &Api, node: &str, answer: (u16, Value)) -> String {
    let upid = upid(&answer);
    let done = api.wait_task(node, &upid).await;
    done["exitstatus"].as_str().unwrap_or_default().to_owned()
}

/// The message of a refused call, with its status.
fn refused(answer: &(u16, Value)) -> (u16, String) {
    let msg = answer.1["message"].as_str().unwrap_or_default();
    (answer.0, msg.trim_end().to_owned())
}

async fn log(api: &Api, node: &str, upid: &str) -> String {
    let (_, log) = api
        .get(&format!("/nodes/{node}/tasks/{}/log?limit=0", encode(upid)))
        .await;
    let lines: Vec<&str> = log["data"]
        .as_array()
        .map(|l| l.iter().filter_map(|x| x["t"].as_str()).collect())
        .unwrap_or_default();
    lines.join("\n")
}

async fn lock(api: &Api, node: &str, kind: &str, vmid: u32) -> Value {
    let (code, body) = api
        .get(&format!("/nodes/{node}/{kind}/{vmid}/config"))
        .await;
    assert_eq!(code, 200, "{body}");
    body["data"]["lock"].clone()
}

async fn status(api: &Api, node: &str, kind: &str, vmid: u32) -> Value {
    let (code, body) = api
        .get(&format!("/nodes/{node}/{kind}/{vmid}/status/current"))
        .await;
    assert_eq!(code, 200, "{body}");
    body["data"].clone()
}

async fn stop_task(api: &Api, node: &str, upid: &str) {
    let (code, body) = api
        .delete(&format!("/nodes/{node}/tasks/{}", encode(upid)), &[])
        .await;
    assert_eq!(code, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_backup_locks_a_running_vm_as_qemu_server_does() {
    let sim = sim_with(20).await;
    let api = Api::new(&sim);
    let job = sim.add_task(running("vzdump", "pve1", 100)).unwrap();
    let base = "/nodes/pve1/qemu/100";
    assert_eq!(lock(&api, "pve1", "qemu", 100).await, "backup");
    assert_eq!(status(&api, "pve1", "qemu", 100).await["lock"], "backup");
    let (_, listed) = api.get("/nodes/pve1/qemu").await;
    let entry = listed["data"]
        .as_array()
        .and_then(|l| l.iter().find(|e| e["vmid"] == 100).cloned())
        .unwrap();
    assert_eq!(entry["lock"], "backup", "{entry}");
    let (_, all) = api.get("/cluster/resources?type=vm").await;
    let entry = all["data"]
        .as_array()
        .and_then(|l| l.iter().find(|e| e["vmid"] == 100).cloned())
        .unwrap();
    assert_eq!(entry["lock"], "backup", "{entry}");

    // The API handlers' own check_lock: HTTP 500 before any task.
    let locked = (500, "VM is locked (backup)".to_owned());
    let put = api
        .put(&format!("{base}/config"), &[("description", "x")])
        .await;
    assert_eq!(refused(&put), locked);
    let target = [("target", "pve2"), ("online", "1")];
    let migrate = api.post(&format!("{base}/migrate"), &target).await;
    assert_eq!(refused(&migrate), locked);
    let clone = api
        .post(&format!("{base}/clone"), &[("newid", "990")])
        .await;
    assert_eq!(refused(&clone), locked);

    // The workers' check_lock: the task fails at once, the VM keeps running.
    for action in ["stop", "shutdown", "reboot", "reset"] {
        let answer = api.post(&format!("{base}/status/{action}"), &[]).await;
        assert_eq!(exit(&api, "pve1", answer).await, locked.1, "{action}");
    }
    for (path, form) in [
        (format!("{base}/snapshot"), vec![("snapname", "during")]),
        (format!("{base}/snapshot/base"), vec![]),
        (format!("{base}/snapshot/base/rollback"), vec![]),
    ] {
        let answer = if form.is_empty() && !path.ends_with("rollback") {
            api.delete(&path, &[]).await
        } else {
            api.post(&path, &form).await
        };
        assert_eq!(exit(&api, "pve1", answer).await, locked.1, "{path}");
    }
    let resize = api
        .put(
            &format!("{base}/resize"),
            &[("disk", "scsi0"), ("size", "+1G")],
        )
        .await;
    assert_eq!(exit(&api, "pve1", resize).await, locked.1);
    let s = status(&api, "pve1", "qemu", 100).await;
    assert_eq!(
        (s["status"].as_str(), s["qmpstatus"].as_str()),
        (Some("running"), Some("running"))
    );
    let (_, snaps) = api.get(&format!("{base}/snapshot")).await;
    assert_eq!(snaps["data"].as_array().map(Vec::len), Some(2), "{snaps}");

    // qemu-server lets a backup lock through for pause, resume and start (a resume).
    let pause = api.post(&format!("{base}/status/suspend"), &[]).await;
    assert_eq!(exit(&api, "pve1", pause).await, "OK");
    assert_eq!(
        status(&api, "pve1", "qemu", 100).await["qmpstatus"],
        "paused"
    );
    let hibernate = api
        .post(&format!("{base}/status/suspend"), &[("todisk", "1")])
        .await;
    assert_eq!(
        exit(&api, "pve1", hibernate).await,
        "cannot suspend to disk during backup"
    );
    let resume = api.post(&format!("{base}/status/resume"), &[]).await;
    assert_eq!(exit(&api, "pve1", resume).await, "OK");
    assert_eq!(
        status(&api, "pve1", "qemu", 100).await["qmpstatus"],
        "running"
    );
    let start = api.post(&format!("{base}/status/start"), &[]).await;
    assert_eq!(exit(&api, "pve1", start).await, "OK");

    // The token's own backup waits for the node's global vzdump lock.
    let mine = api
        .post("/nodes/pve1/vzdump", &[("vmid", "100"), ("storage", "nas")])
        .await;
    let mine = upid(&mine);
    let waiting = log(&api, "pve1", &mine).await;
    assert!(
        waiting.contains("INFO: trying to get global lock - waiting..."),
        "{waiting}"
    );
    let (_, st) = api
        .get(&format!("/nodes/pve1/tasks/{}/status", encode(&mine)))
        .await;
    assert_eq!(st["data"]["status"], "running", "{st}");

    // Stopping the job unlocks the VM, and the waiting backup takes the lock and runs.
    stop_task(&api, "pve1", &job).await;
    let done = api.wait_task("pve1", &mine).await;
    assert_eq!(done["exitstatus"], "OK", "{done}");
    let mine_log = log(&api, "pve1", &mine).await;
    assert!(mine_log.contains("INFO: got global lock"), "{mine_log}");
    assert_eq!(lock(&api, "pve1", "qemu", 100).await, Value::Null);
    let put = api
        .put(&format!("{base}/config"), &[("description", "x")])
        .await;
    assert_eq!(put.0, 200, "{}", put.1);
    let stop = api.post(&format!("{base}/status/stop"), &[]).await;
    assert_eq!(exit(&api, "pve1", stop).await, "OK");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_vm_being_backed_up_cannot_start_be_destroyed_or_restored_over() {
    let sim = sim_with(20).await;
    let api = Api::new(&sim);
    // 103: a stopped VM on pve1.
    let job = sim.add_task(running("vzdump", "pve1", 103)).unwrap();
    let base = "/nodes/pve1/qemu/103";
    let start = api.post(&format!("{base}/status/start"), &[]).await;
    assert_eq!(exit(&api, "pve1", start).await, "VM is locked (backup)");
    // Stopping a VM that does not run returns before the lock check.
    let stop = api.post(&format!("{base}/status/stop"), &[]).await;
    assert_eq!(exit(&api, "pve1", stop).await, "OK");
    let destroy = api.delete(base, &[]).await;
    assert_eq!(exit(&api, "pve1", destroy).await, "VM is locked (backup)");
    assert!(sim.guest_state(103).is_some(), "the VM is still there");
    let archive = sim
        .add_backup("pve1", "nas", sim::GuestKind::Qemu, 103, "memory: 512\n")
        .unwrap();
    let restore = api
        .post(
            "/nodes/pve1/qemu",
            &[("vmid", "103"), ("archive", &archive), ("force", "1")],
        )
        .await;
    let (code, msg) = refused(&restore);
    assert!(
        code == 500 && msg.ends_with("VM is locked (backup)"),
        "{code} {msg}"
    );
    let template = api.post(&format!("{base}/template"), &[]).await;
    assert_eq!(
        refused(&template),
        (500, "VM is locked (backup)".to_owned())
    );
    stop_task(&api, "pve1", &job).await;
    assert_eq!(sim.guest_state(103).unwrap().lock, None);
    let start = api.post(&format!("{base}/status/start"), &[]).await;
    assert_eq!(exit(&api, "pve1", start).await, "OK");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_backup_locks_a_container_as_pve_container_does() {
    let sim = sim_with(20).await;
    let api = Api::new(&sim);
    // 106: a running container on pve1, with snapshot `base`.
    let job = sim.add_task(running("vzdump", "pve1", 106)).unwrap();
    let base = "/nodes/pve1/lxc/106";
    let locked = "CT is locked (backup)".to_owned();
    assert_eq!(lock(&api, "pve1", "lxc", 106).await, "backup");
    let put = api
        .put(&format!("{base}/config"), &[("description", "x")])
        .await;
    assert_eq!(refused(&put), (500, locked.clone()));
    for action in ["stop", "shutdown", "suspend"] {
        let answer = api.post(&format!("{base}/status/{action}"), &[]).await;
        assert_eq!(exit(&api, "pve1", answer).await, locked, "{action}");
    }
    let snap = api
        .post(&format!("{base}/snapshot"), &[("snapname", "during")])
        .await;
    assert_eq!(exit(&api, "pve1", snap).await, locked);
    let migrate = api
        .post(
            &format!("{base}/migrate"),
            &[("target", "pve2"), ("restart", "1")],
        )
        .await;
    let migrate_upid = upid(&migrate);
    let done = api.wait_task("pve1", &migrate_upid).await;
    assert_eq!(done["exitstatus"], "migration aborted", "{done}");
    let text = log(&api, "pve1", &migrate_upid).await;
    assert!(
        text.contains("ERROR: migration aborted (duration 00:00:00): CT is locked (backup)"),
        "{text}"
    );
    assert_eq!(sim.guest_state(106).unwrap().node, "pve1");
    // A reboot stops the container; its start then fails in the prestart hook.
    let reboot = api.post(&format!("{base}/status/reboot"), &[]).await;
    assert_eq!(
        exit(&api, "pve1", reboot).await,
        "command 'systemctl start pve-container@106' failed: exit code 1"
    );
    assert_eq!(status(&api, "pve1", "lxc", 106).await["status"], "stopped");
    // pct destroy checks the lock before forking.
    let destroy = api.delete(base, &[]).await;
    assert_eq!(refused(&destroy), (500, locked.clone()));
    stop_task(&api, "pve1", &job).await;
    assert_eq!(lock(&api, "pve1", "lxc", 106).await, Value::Null);
    let start = api.post(&format!("{base}/status/start"), &[]).await;
    assert_eq!(exit(&api, "pve1", start).await, "OK");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tokens_own_backup_holds_the_lock_while_it_runs() {
    // Tasks last an hour: the backup runs until it is stopped.
    let sim = sim_with(3_600_000).await;
    let api = Api::new(&sim);
    let backup = api
        .post("/nodes/pve2/vzdump", &[("vmid", "101"), ("storage", "nas")])
        .await;
    let backup = upid(&backup);
    assert_eq!(lock(&api, "pve2", "qemu", 101).await, "backup");
    let snap = api
        .post("/nodes/pve2/qemu/101/snapshot", &[("snapname", "during")])
        .await;
    assert_eq!(exit(&api, "pve2", snap).await, "VM is locked (backup)");
    let stop = api.post("/nodes/pve2/qemu/101/status/stop", &[]).await;
    assert_eq!(exit(&api, "pve2", stop).await, "VM is locked (backup)");
    stop_task(&api, "pve2", &backup).await;
    assert_eq!(lock(&api, "pve2", "qemu", 101).await, Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_backup_leaves_no_lock() {
    let sim = sim_with(20).await;
    let api = Api::new(&sim);
    let backup = api
        .post("/nodes/pve2/vzdump", &[("vmid", "101"), ("storage", "nas")])
        .await;
    assert_eq!(exit(&api, "pve2", backup).await, "OK");
    assert_eq!(lock(&api, "pve2", "qemu", 101).await, Value::Null);
    assert_eq!(sim.guest_state(101).unwrap().lock, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_tasks_lock_the_guest_while_they_run() {
    let sim = sim_with(3_600_000).await;
    let api = Api::new(&sim);
    // 100: running VM with snapshot `base`, on pve1.
    let create = api
        .post("/nodes/pve1/qemu/100/snapshot", &[("snapname", "long")])
        .await;
    let create = upid(&create);
    assert_eq!(lock(&api, "pve1", "qemu", 100).await, "snapshot");
    let put = api
        .put("/nodes/pve1/qemu/100/config", &[("description", "x")])
        .await;
    assert_eq!(refused(&put), (500, "VM is locked (snapshot)".to_owned()));
    let backup = api
        .post("/nodes/pve1/vzdump", &[("vmid", "100"), ("storage", "nas")])
        .await;
    let backup = upid(&backup);
    let done = api.wait_task("pve1", &backup).await;
    assert_eq!(done["exitstatus"], "job errors", "{done}");
    let text = log(&api, "pve1", &backup).await;
    assert!(
        text.contains("ERROR: Backup of VM 100 failed - VM is locked (snapshot)"),
        "{text}"
    );
    let delete = api.delete("/nodes/pve1/qemu/100/snapshot/base", &[]).await;
    assert_eq!(exit(&api, "pve1", delete).await, "VM is locked (snapshot)");
    // A stopped snapshot task cleans up after itself, lock included.
    stop_task(&api, "pve1", &create).await;
    assert_eq!(lock(&api, "pve1", "qemu", 100).await, Value::Null);

    // A rollback or snapshot removal that is stopped leaves its lock, as in PVE.
    let rollback = api
        .post("/nodes/pve1/qemu/103/snapshot/base/rollback", &[])
        .await;
    let rollback = upid(&rollback);
    assert_eq!(lock(&api, "pve1", "qemu", 103).await, "rollback");
    let start = api.post("/nodes/pve1/qemu/103/status/start", &[]).await;
    assert_eq!(exit(&api, "pve1", start).await, "VM is locked (rollback)");
    stop_task(&api, "pve1", &rollback).await;
    assert_eq!(lock(&api, "pve1", "qemu", 103).await, "rollback");

    let remove = api.delete("/nodes/pve1/lxc/106/snapshot/base", &[]).await;
    let remove = upid(&remove);
    assert_eq!(lock(&api, "pve1", "lxc", 106).await, "snapshot-delete");
    let shutdown = api.post("/nodes/pve1/lxc/106/status/shutdown", &[]).await;
    assert_eq!(
        exit(&api, "pve1", shutdown).await,
        "CT is locked (snapshot-delete)"
    );
    stop_task(&api, "pve1", &remove).await;
    assert_eq!(lock(&api, "pve1", "lxc", 106).await, "snapshot-delete");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_tasks_others_run_lock_the_guest_too() {
    let sim = sim_with(20).await;
    let api = Api::new(&sim);
    let task = sim.add_task(running("qmsnapshot", "pve2", 101)).unwrap();
    assert_eq!(lock(&api, "pve2", "qemu", 101).await, "snapshot");
    let reset = api.post("/nodes/pve2/qemu/101/status/reset", &[]).await;
    assert_eq!(exit(&api, "pve2", reset).await, "VM is locked (snapshot)");
    // Unlike a backup lock, a snapshot lock does not let a pause through.
    let pause = api.post("/nodes/pve2/qemu/101/status/suspend", &[]).await;
    assert_eq!(exit(&api, "pve2", pause).await, "VM is locked (snapshot)");
    stop_task(&api, "pve2", &task).await;
    assert_eq!(lock(&api, "pve2", "qemu", 101).await, Value::Null);
    // A task recorded on a guest of another node locks nothing.
    sim.add_task(running("vzdump", "pve3", 101)).unwrap();
    assert_eq!(lock(&api, "pve2", "qemu", 101).await, Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vm_suspended_to_disk_can_be_destroyed_but_not_reconfigured() {
    let sim = sim_with(20).await;
    let api = Api::new(&sim);
    let base = "/nodes/pve2/qemu/101";
    let hibernate = api
        .post(&format!("{base}/status/suspend"), &[("todisk", "1")])
        .await;
    assert_eq!(exit(&api, "pve2", hibernate).await, "OK");
    assert_eq!(lock(&api, "pve2", "qemu", 101).await, "suspended");
    let put = api
        .put(&format!("{base}/config"), &[("description", "x")])
        .await;
    assert_eq!(refused(&put), (500, "VM is locked (suspended)".to_owned()));
    let backup = api
        .post("/nodes/pve2/vzdump", &[("vmid", "101"), ("storage", "nas")])
        .await;
    assert_eq!(exit(&api, "pve2", backup).await, "job errors");
    let snap = api
        .post(&format!("{base}/snapshot"), &[("snapname", "s1")])
        .await;
    assert_eq!(exit(&api, "pve2", snap).await, "VM is locked (suspended)");
    // destroy_vm lets a `suspended` lock through.
    let destroy = api.delete(base, &[]).await;
    assert_eq!(exit(&api, "pve2", destroy).await, "OK");
    assert!(sim.guest_state(101).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_a_linked_clone_uses_cannot_be_destroyed() {
    let sim = sim_with(20).await;
    let api = Api::new(&sim);
    // 109: a VM template on pve1; 117: a container template on pve3 (local-lvm).
    for (node, kind, template, clone, refusal) in [
        (
            "pve1",
            "qemu",
            109,
            900,
            "base volume 'local-lvm:base-109-disk-0' is still in use by linked cloned",
        ),
        (
            "pve3",
            "lxc",
            117,
            901,
            "base volume 'base-117-disk-0' is still in use by linked clones",
        ),
    ] {
        let base = format!("/nodes/{node}/{kind}/{template}");
        let newid = clone.to_string();
        let linked = api
            .post(&format!("{base}/clone"), &[("newid", newid.as_str())])
            .await;
        assert_eq!(exit(&api, node, linked).await, "OK");
        let destroy = api.delete(&base, &[]).await;
        assert_eq!(exit(&api, node, destroy).await, refusal, "{kind}");
        assert!(sim.guest_state(template).is_some_and(|g| g.template));
        let gone = api
            .delete(&format!("/nodes/{node}/{kind}/{clone}"), &[])
            .await;
        assert_eq!(exit(&api, node, gone).await, "OK");
        let destroy = api.delete(&base, &[]).await;
        assert_eq!(exit(&api, node, destroy).await, "OK", "{kind}");
        assert!(sim.guest_state(template).is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_being_backed_up_is_not_restored_over() {
    let sim = sim_with(20).await;
    let api = Api::new(&sim);
    // 115: a stopped container on pve1.
    let job = sim.add_task(running("vzdump", "pve1", 115)).unwrap();
    let archive = sim
        .add_backup(
            "pve1",
            "nas",
            sim::GuestKind::Lxc,
            115,
            "arch: amd64\ncores: 1\nhostname: old\nmemory: 512\nostype: debian\nrootfs: local-lvm:vm-115-disk-0,size=8G\nunprivileged: 1\n",
        )
        .unwrap();
    let form = [
        ("vmid", "115"),
        ("ostemplate", archive.as_str()),
        ("restore", "1"),
        ("force", "1"),
        ("storage", "local-lvm"),
    ];
    let restore = api.post("/nodes/pve1/lxc", &form).await;
    assert_eq!(
        refused(&restore),
        (
            500,
            "unable to restore CT 115 - CT is locked (backup)".to_owned()
        )
    );
    stop_task(&api, "pve1", &job).await;
    let restore = api.post("/nodes/pve1/lxc", &form).await;
    assert_eq!(exit(&api, "pve1", restore).await, "OK");
    assert_eq!(lock(&api, "pve1", "lxc", 115).await, Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migration_puts_local_disks_on_the_mapped_target_storage() {
    let sim = sim_with(20).await;
    let api = Api::new(&sim);
    // 103: a stopped VM on pve1, its disk on the node's own local-lvm.
    let base = "/nodes/pve1/qemu/103";
    let images = api
        .post(
            &format!("{base}/migrate"),
            &[("target", "pve2"), ("targetstorage", "local")],
        )
        .await;
    assert_eq!(
        refused(&images),
        (500, "storage 'local' does not support vm images".to_owned())
    );
    let answer = api
        .post(
            &format!("{base}/migrate"),
            &[("target", "pve2"), ("targetstorage", "local-lvm:nas")],
        )
        .await;
    let task = upid(&answer);
    let done = api.wait_task("pve1", &task).await;
    assert_eq!(done["exitstatus"], "OK", "{done}");
    let (code, body) = api.get("/nodes/pve2/qemu/103/config").await;
    assert_eq!(code, 200, "{body}");
    let disk = body["data"]["scsi0"].as_str().unwrap_or_default();
    assert!(disk.starts_with("nas:"), "{disk}");
    let text = log(&api, "pve1", &task).await;
    let new = disk.split(',').next().unwrap_or_default();
    assert!(
        text.contains(&format!(
            "volume 'local-lvm:vm-103-disk-0' is '{new}' on the target"
        )),
        "{text}"
    );
    // Back again: the disk, on the shared nas now, stays where it is.
    let back = api
        .post("/nodes/pve2/qemu/103/migrate", &[("target", "pve1")])
        .await;
    assert_eq!(exit(&api, "pve2", back).await, "OK");
    let (_, body) = api.get("/nodes/pve1/qemu/103/config").await;
    assert_eq!(
        body["data"]["scsi0"].as_str(),
        Some(disk),
        "shared nas stays"
    );
}
