//! Disk moves in the simulated PVE API, over real HTTPS with a token: `move_disk` and
//! `move_volume` to another storage (the volume renamed onto it, the source kept as
//! `unusedN` unless `delete`, a container locked `disk` while it runs) and into another
//! guest of the node (the volume renamed for it), with PVE's refusals in its words.

use pve_mcp_tests::sim::{self, GuestKind, PowerState, PveVersion, SimConfig, SimHandle};
use pve_mcp_tests::sim_client::Api;
use serde_json::Value;
use std::time::Duration;

const NODES: usize = 3;
const GUESTS: usize = 30;

async fn start(task_ms: u64) -> SimHandle {
    sim::start(SimConfig {
        nodes: NODES,
        guests: GUESTS,
        task_duration: Duration::from_millis(task_ms),
        expects_invalid_requests: true,
        pve: PveVersion::Pve9,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

/// A stopped guest of `kind`, unlocked, not HA-managed, with or without the dataset's
/// snapshot, other than `but`.
fn stopped(kind: GuestKind, snapshot: bool, but: &[u32]) -> sim::GuestSeed {
    sim::dataset::find(NODES, GUESTS, |g| {
        g.kind == kind
            && g.initial == PowerState::Stopped
            && !g.locked
            && !g.ha
            && g.has_base_snapshot() == snapshot
            && !but.contains(&g.vmid)
    })
}

async fn config(api: &Api, node: &str, kind: &str, vmid: u32) -> Value {
    let (code, body) = api
        .get(&format!("/nodes/{node}/{kind}/{vmid}/config"))
        .await;
    assert_eq!(code, 200, "{body}");
    body["data"].clone()
}

/// The task of `answer` waited for: its exit status and log.
async fn finished(api: &Api, node: &str, answer: (u16, Value)) -> (String, String, String) {
    let (code, body) = answer;
    assert_eq!(code, 200, "{body}");
    let upid = body["data"].as_str().expect("a UPID").to_owned();
    let done = api.wait_task(node, &upid).await;
    let (_, log) = api
        .get(&format!(
            "/nodes/{node}/tasks/{}/log?limit=0",
            pve_mcp_tests::sim_client::encode(&upid)
        ))
        .await;
    let lines: Vec<&str> = log["data"]
        .as_array()
        .map(|l| l.iter().filter_map(|x| x["t"].as_str()).collect())
        .unwrap_or_default();
    (
        upid,
        done["exitstatus"].as_str().unwrap_or_default().to_owned(),
        lines.join("\n"),
    )
}

fn message(answer: &(u16, Value)) -> (u16, String) {
    (
        answer.0,
        answer.1["message"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vm_disk_moves_to_another_storage_keeping_or_deleting_its_source() {
    let sim = start(40).await;
    let api = Api::new(&sim);
    let vm = stopped(GuestKind::Qemu, false, &[]);
    let (node, id) = (vm.node.as_str(), vm.vmid);
    let path = format!("/nodes/{node}/qemu/{id}/move_disk");
    let before = config(&api, node, "qemu", id).await["scsi0"]
        .as_str()
        .unwrap()
        .to_owned();
    let old = before.split(',').next().unwrap().to_owned();
    let (upid, status, log) = finished(
        &api,
        node,
        api.post(&path, &[("disk", "scsi0"), ("storage", "nas")])
            .await,
    )
    .await;
    assert_eq!(status, "OK", "{log}");
    assert!(upid.contains(&format!(":qmmove:{id}:")), "{upid}");
    assert!(log.contains("copying volume"), "{log}");
    let after = config(&api, node, "qemu", id).await;
    let scsi0 = after["scsi0"].as_str().unwrap();
    assert!(
        scsi0.starts_with(&format!("nas:{id}/vm-{id}-disk-0.qcow2")),
        "{before} -> {scsi0}"
    );
    assert_eq!(after["unused0"], old.as_str(), "{after}");

    // Back onto local-lvm, deleting the copy on nas: no new unused entry.
    let (_, status, log) = finished(
        &api,
        node,
        api.post(
            &path,
            &[("disk", "scsi0"), ("storage", "local-lvm"), ("delete", "1")],
        )
        .await,
    )
    .await;
    assert_eq!(status, "OK", "{log}");
    assert!(log.contains("removing source volume"), "{log}");
    let after = config(&api, node, "qemu", id).await;
    assert!(after.get("unused1").is_none(), "{after}");
    assert!(
        after["scsi0"]
            .as_str()
            .unwrap()
            .starts_with("local-lvm:vm-")
    );

    // PVE's refusals, before any task.
    let same = api
        .post(&path, &[("disk", "scsi0"), ("storage", "local-lvm")])
        .await;
    assert_eq!(
        message(&same),
        (
            500,
            "you can't move to the same storage with same format\n".into()
        )
    );
    let iso_store = api
        .post(&path, &[("disk", "scsi0"), ("storage", "local")])
        .await;
    assert_eq!(iso_store.0, 400, "{}", iso_store.1);
    assert_eq!(
        iso_store.1["errors"]["storage"],
        "storage 'local' does not support vm images"
    );
    let both = api
        .post(
            &path,
            &[
                ("disk", "scsi0"),
                ("storage", "nas"),
                ("target-vmid", "999"),
            ],
        )
        .await;
    assert_eq!(both.0, 400, "{}", both.1);
    assert!(both.1["errors"]["target-vmid"].is_string(), "{}", both.1);
    let missing = api
        .post(&path, &[("disk", "scsi7"), ("storage", "nas")])
        .await;
    assert_eq!(
        message(&missing),
        (500, "disk 'scsi7' does not exist\n".into())
    );

    // A disk a snapshot uses moves only if its source stays.
    let snap = stopped(GuestKind::Qemu, true, &[]);
    let with_snapshot = api
        .post(
            &format!("/nodes/{}/qemu/{}/move_disk", snap.node, snap.vmid),
            &[("disk", "scsi0"), ("storage", "nas"), ("delete", "1")],
        )
        .await;
    assert_eq!(
        message(&with_snapshot),
        (
            500,
            "you can't move a disk with snapshots and delete the source\n".into()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_moves_into_another_guest_of_the_node() {
    let sim = start(40).await;
    let api = Api::new(&sim);
    let a = stopped(GuestKind::Qemu, false, &[]);
    let b = sim::dataset::find(NODES, GUESTS, |g| {
        g.kind == GuestKind::Qemu && g.node == a.node && g.vmid != a.vmid && !g.locked
    });
    let node = a.node.as_str();
    let path = format!("/nodes/{node}/qemu/{}/move_disk", a.vmid);
    let (tid, bid) = (a.vmid.to_string(), b.vmid.to_string());
    let taken = api
        .post(&path, &[("disk", "scsi0"), ("target-vmid", &bid)])
        .await;
    assert_eq!(
        message(&taken),
        (
            500,
            format!("Target disk key 'scsi0' is already in use for VM '{bid}'\n")
        )
    );
    let own = api
        .post(&path, &[("disk", "scsi0"), ("target-vmid", &tid)])
        .await;
    assert_eq!(own.0, 400, "{}", own.1);
    let (upid, status, log) = finished(
        &api,
        node,
        api.post(
            &path,
            &[
                ("disk", "scsi0"),
                ("target-vmid", &bid),
                ("target-disk", "scsi5"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, "OK", "{log}");
    assert!(
        upid.contains(&format!(":qmmove:{tid}-scsi0>{bid}-scsi5:")),
        "{upid}"
    );
    assert!(
        config(&api, node, "qemu", a.vmid)
            .await
            .get("scsi0")
            .is_none()
    );
    let moved = config(&api, node, "qemu", b.vmid).await["scsi5"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        moved.starts_with(&format!("local-lvm:vm-{bid}-disk-")),
        "{moved}"
    );
    // A guest on another node cannot take it.
    let far = sim::dataset::find(NODES, GUESTS, |g| {
        g.kind == GuestKind::Qemu && g.node != b.node
    });
    let elsewhere = api
        .post(
            &format!("/nodes/{node}/qemu/{bid}/move_disk"),
            &[
                ("disk", "scsi5"),
                ("target-vmid", &far.vmid.to_string()),
                ("target-disk", "scsi6"),
            ],
        )
        .await;
    assert!(
        message(&elsewhere)
            .1
            .starts_with("Both VMs need to be on the same node"),
        "{elsewhere:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_volume_moves_only_while_stopped_and_is_locked_meanwhile() {
    let sim = start(400).await;
    let api = Api::new(&sim);
    let running = sim::dataset::find(NODES, GUESTS, |g| {
        g.kind == GuestKind::Lxc && g.initial == PowerState::Running && !g.locked && !g.ha
    });
    let refused = api
        .post(
            &format!("/nodes/{}/lxc/{}/move_volume", running.node, running.vmid),
            &[("volume", "rootfs"), ("storage", "nas")],
        )
        .await;
    assert_eq!(
        message(&refused),
        (500, "cannot move volumes of a running container\n".into())
    );
    let ct = stopped(GuestKind::Lxc, false, &[]);
    let node = ct.node.as_str();
    let answer = api
        .post(
            &format!("/nodes/{node}/lxc/{}/move_volume", ct.vmid),
            &[("volume", "rootfs"), ("storage", "nas")],
        )
        .await;
    let (_, status) = api
        .get(&format!("/nodes/{node}/lxc/{}/status/current", ct.vmid))
        .await;
    assert_eq!(status["data"]["lock"], "disk", "{status}");
    let (upid, exit, log) = finished(&api, node, answer).await;
    assert_eq!(exit, "OK", "{log}");
    assert!(upid.contains(":move_volume:"), "{upid}");
    let after = config(&api, node, "lxc", ct.vmid).await;
    assert!(
        after["rootfs"]
            .as_str()
            .unwrap()
            .starts_with(&format!("nas:{}/vm-{}-disk-0.raw", ct.vmid, ct.vmid)),
        "{after}"
    );
    assert!(after["unused0"].is_string(), "{after}");
    assert!(after.get("lock").is_none(), "{after}");

    // Into another container: never the rootfs; the source's unused volume may go.
    let others = sim::dataset(NODES, GUESTS);
    let other = others
        .iter()
        .filter(|g| g.kind == GuestKind::Lxc && g.vmid != ct.vmid && !g.locked && !g.template)
        .max_by_key(|g| g.node == ct.node)
        .expect("another container");
    let into = |volume: &'static str, target_volume: &'static str| {
        let target = other.vmid.to_string();
        let path = format!("/nodes/{node}/lxc/{}/move_volume", ct.vmid);
        let api = &api;
        async move {
            api.post(
                &path,
                &[
                    ("volume", volume),
                    ("target-vmid", &target),
                    ("target-volume", target_volume),
                ],
            )
            .await
        }
    };
    assert_eq!(
        message(&into("rootfs", "mp3").await),
        (500, "Cannot move to/from 'rootfs'\n".into())
    );
    assert_eq!(
        message(&into("unused0", "mp3").await),
        (
            500,
            "Moving an unused volume to a used one is not possible\n".into()
        )
    );
    // The dataset has another container on the node.
    assert_eq!(other.node, ct.node);
    let (upid, exit, log) = finished(&api, node, into("unused0", "unused4").await).await;
    assert_eq!(exit, "OK", "{log}");
    assert!(upid.contains(":move_volume:"), "{upid}");
    assert!(
        config(&api, node, "lxc", ct.vmid)
            .await
            .get("unused0")
            .is_none()
    );
    let given = config(&api, node, "lxc", other.vmid).await["unused4"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        given.starts_with(&format!("local-lvm:vm-{}-disk-", other.vmid)),
        "{given}"
    );
}
