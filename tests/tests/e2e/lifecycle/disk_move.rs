//! End to end: disk_move under the lab builder with `disk.move` granted and
//! `disk.move.delete` confirmed, disks bounded to local-lvm and nas. A VM's disk moves
//! to nas and back, waited for with progress, its source kept as `unusedN` unless the
//! user agrees to delete it; a storage outside `[bounds] storages` is refused naming the
//! rule; a disk moves into another lab guest of its node, never into a hidden one (which
//! reads like one that does not exist); a container's volume moves while it is stopped;
//! and the privileges `setup` grants for `disk.move` are what Proxmox checks.

use super::{edit, lab_policy, not_found, ok, refused, refused_by};
use pve_helper::{
    policy::Policy,
    setup::{Release, required_privileges},
};
use pve_mcp_tests::{
    client::{is_error, text},
    sim::{self, GuestKind, GuestSeed, PowerState, PveVersion, SimConfig},
    stack::{Stack, StackOptions},
};
use serde_json::json;
use std::{path::Path, time::Duration};

const NODES: usize = 3;
const GUESTS: usize = 60;

/// The lab builder with disk moves: deleting a source needs the user's yes.
fn policy() -> String {
    let p = edit(
        &lab_policy(),
        "\"task.cancel\",\n]",
        "\"task.cancel\", \"disk.move\", \"disk.move.delete\",\n]",
    );
    let p = edit(
        &p,
        "\"backup.restore\", \"backup.delete\"]",
        "\"backup.restore\", \"backup.delete\", \"disk.move.delete\"]",
    );
    edit(
        &p,
        "storages = [\"local-lvm\"]",
        "storages = [\"local-lvm\", \"nas\"]",
    )
}

fn stack_with(policy: &str, task_ms: u64, privileges: Option<Vec<String>>) -> Stack {
    let mut o = StackOptions::new(policy);
    o.audit_file = true;
    o.sim = SimConfig {
        nodes: NODES,
        guests: GUESTS,
        task_duration: Duration::from_millis(task_ms),
        privileges,
        ..SimConfig::default()
    };
    Stack::start(o).expect("stack starts")
}

/// A stopped lab guest of `kind` without snapshots, unlocked, not HA-managed.
fn lab_guest(kind: GuestKind, want: impl Fn(&GuestSeed) -> bool) -> GuestSeed {
    sim::dataset::find(NODES, GUESTS, |g| {
        g.pool == Some("lab")
            && g.kind == kind
            && g.initial == PowerState::Stopped
            && !g.has_base_snapshot()
            && !g.locked
            && !g.ha
            && want(g)
    })
}

fn disk(stack: &Stack, vmid: u32, key: &str) -> Option<String> {
    stack
        .sim
        .guest_config(vmid)
        .and_then(|c| c.get(key).cloned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vm_disk_moves_within_bounds_and_its_source_goes_only_after_a_yes() {
    // Tasks of 1.4 s: long enough for progress notifications.
    let stack = stack_with(&policy(), 700, None);
    let client = stack.confirming_client(true).await.unwrap();
    let vm = lab_guest(GuestKind::Qemu, |_| true);
    let id = vm.vmid;
    let source = disk(&stack, id, "scsi0").unwrap();
    assert!(source.starts_with("local-lvm:"), "{source}");

    let r = ok(
        &client,
        "disk_move",
        json!({"vmid": id, "disk": "scsi0", "storage": "nas"}),
    )
    .await;
    let s = &r["structuredContent"];
    assert_eq!(
        (
            s["operation"].as_str(),
            s["outcome"].as_str(),
            s["exitstatus"].as_str()
        ),
        (Some("disk.move"), Some("succeeded"), Some("OK")),
        "{r}"
    );
    assert!(
        text(&r).starts_with(&format!(
            "OK: move disk scsi0 of guest {id} to storage nas, keeping the source volume"
        )),
        "{}",
        text(&r)
    );
    client.assert_waited_with_progress(600.0, &format!("\"disk.move\" of guest {id} (task "));
    assert!(
        client.questions().is_empty(),
        "keeping the source asks nothing"
    );
    let moved = disk(&stack, id, "scsi0").unwrap();
    assert!(
        moved.starts_with(&format!("nas:{id}/vm-{id}-disk-")),
        "{moved}"
    );
    let old = source.split(',').next().unwrap();
    assert_eq!(disk(&stack, id, "unused0").as_deref(), Some(old));

    // Back to local-lvm deleting the copy on nas: the user is asked first; a no
    // changes nothing.
    let back = json!({"vmid": id, "disk": "scsi0", "storage": "local-lvm", "delete_source": true});
    let no = stack.confirming_client(false).await.unwrap();
    let why = refused(&no, "disk_move", back.clone()).await;
    assert!(why.contains("Not done"), "{why}");
    assert_eq!(no.questions().len(), 1);
    assert_eq!(disk(&stack, id, "scsi0").as_deref(), Some(moved.as_str()));
    let r = ok(&client, "disk_move", back).await;
    assert_eq!(
        r["structuredContent"]["operation"], "disk.move.delete",
        "{r}"
    );
    let question = &client.questions()[0];
    assert!(
        question.contains("deleting the source volume"),
        "{question}"
    );
    assert!(disk(&stack, id, "scsi0").unwrap().starts_with("local-lvm:"));
    assert_eq!(disk(&stack, id, "unused1"), None, "the nas copy is gone");

    // A storage outside [bounds] storages is refused by the policy, naming the rule.
    refused_by(
        &client,
        "disk_move",
        json!({"vmid": id, "disk": "scsi0", "storage": "local"}),
        "bounds.storages",
        "add \"local\" to [bounds] storages",
    )
    .await;
    // Without its grant, deleting the source is refused; keeping it is not.
    let keep_only = edit(&policy(), ", \"disk.move.delete\",\n]", ",\n]");
    let keep_only = edit(&keep_only, ", \"disk.move.delete\"]", "]");
    stack.reload_policy(&keep_only).unwrap();
    // The helper reloads in the background: wait until it describes the new grants.
    for _ in 0..100 {
        let mine = text(&ok(&client, "my_permissions", json!({})).await);
        if !mine.contains("disk.move.delete") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    refused_by(
        &client,
        "disk_move",
        json!({"vmid": id, "disk": "scsi0", "storage": "nas", "delete_source": true}),
        "guests.actions",
        "\"disk.move.delete\"",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_moves_into_another_lab_guest_never_into_a_hidden_one() {
    let stack = stack_with(&policy(), 60, None);
    let client = stack.confirming_client(true).await.unwrap();
    let a = lab_guest(GuestKind::Qemu, |_| true);
    let b = sim::dataset::find(NODES, GUESTS, |g| {
        g.pool == Some("lab") && g.kind == GuestKind::Qemu && g.node == a.node && g.vmid != a.vmid
    });
    let hidden = sim::dataset::find(NODES, GUESTS, |g| {
        g.pool != Some("lab") && g.kind == GuestKind::Qemu && g.node == a.node
    });
    // A guest outside the scope reads exactly like one that does not exist.
    let into = |target: u32| json!({"vmid": a.vmid, "disk": "scsi0", "target_vmid": target, "target_disk": "scsi5"});
    not_found(&client, "disk_move", into(hidden.vmid)).await;
    not_found(&client, "disk_move", into(999_999)).await;
    let hidden_why = refused(&client, "disk_move", into(hidden.vmid)).await;
    let missing_why = refused(&client, "disk_move", into(999_999)).await;
    assert_eq!(
        hidden_why.replace(&hidden.vmid.to_string(), "N"),
        missing_why.replace("999999", "N")
    );
    assert!(disk(&stack, hidden.vmid, "scsi5").is_none());

    // The target's slot taken: refused before Proxmox is asked.
    refused_by(
        &client,
        "disk_move",
        json!({"vmid": a.vmid, "disk": "scsi0", "target_vmid": b.vmid}),
        "disk.move",
        &format!("guest {} already has a disk scsi0", b.vmid),
    )
    .await;
    let r = ok(&client, "disk_move", into(b.vmid)).await;
    assert_eq!(r["structuredContent"]["exitstatus"], "OK", "{r}");
    assert!(
        r["structuredContent"]["upid"]
            .as_str()
            .unwrap()
            .contains(&format!(":qmmove:{}-scsi0>{}-scsi5:", a.vmid, b.vmid)),
        "{r}"
    );
    assert_eq!(disk(&stack, a.vmid, "scsi0"), None);
    // The audit trail has each decision, the hidden target's as not found.
    let records = stack.audit_records("disk_move ");
    let hidden_line = format!(
        "disk_move vmid={} disk=scsi0 target_vmid={} target_disk=scsi5",
        a.vmid, hidden.vmid
    );
    assert!(
        records
            .iter()
            .any(|r| r["request"] == hidden_line.as_str() && r["decision"] == "not_found"),
        "{records:#?}"
    );
    assert!(
        records
            .iter()
            .any(|r| r["decision"] == "allow" && r["outcome"] == "ok"),
        "{records:#?}"
    );
    let given = disk(&stack, b.vmid, "scsi5").unwrap();
    assert!(
        given.starts_with(&format!("local-lvm:vm-{}-disk-", b.vmid)),
        "{given}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_volume_moves_while_the_container_is_stopped() {
    let stack = stack_with(&policy(), 60, None);
    let client = stack.confirming_client(true).await.unwrap();
    let ct = lab_guest(GuestKind::Lxc, |_| true);
    let r = ok(
        &client,
        "disk_move",
        json!({"vmid": ct.vmid, "disk": "rootfs", "storage": "nas"}),
    )
    .await;
    assert_eq!(r["structuredContent"]["exitstatus"], "OK", "{r}");
    let rootfs = disk(&stack, ct.vmid, "rootfs").unwrap();
    assert!(rootfs.starts_with(&format!("nas:{}/", ct.vmid)), "{rootfs}");
    assert!(disk(&stack, ct.vmid, "unused0").is_some());
    // A running container's volume does not move: Proxmox's own words.
    let running = sim::dataset::find(NODES, GUESTS, |g| {
        g.pool == Some("lab")
            && g.kind == GuestKind::Lxc
            && g.initial == PowerState::Running
            && !g.locked
    });
    let why = refused(
        &client,
        "disk_move",
        json!({"vmid": running.vmid, "disk": "rootfs", "storage": "nas"}),
    )
    .await;
    assert!(
        why.contains("cannot move volumes of a running container"),
        "{why}"
    );
}

/// A policy that grants only disk moves: what `setup` grants for it is what Proxmox
/// checks, and without space on the target storage Proxmox's own 403 names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_grants_what_a_disk_move_needs() {
    let moves = "[clients]\nusers = [{uid}]\n\n[guests]\nallow = [\"pool:lab\"]\n\
                actions = [\"disk.move\"]\n\n[bounds]\nmax_disk_gib = 128\n\
                storages = [\"local-lvm\", \"nas\"]\n";
    let (parsed, _) = Policy::parse(&moves.replace("{uid}", "1000"), Path::new("moves.toml"))
        .expect("the policy parses");
    let release = match PveVersion::from_env() {
        PveVersion::Pve8 => Release::Pve8,
        PveVersion::Pve9 => Release::Pve9,
    };
    let privileges: Vec<String> = required_privileges(&parsed, release)
        .names()
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert!(
        privileges.contains(&"VM.Config.Disk".to_owned())
            && privileges.contains(&"Datastore.AllocateSpace".to_owned()),
        "{privileges:?}"
    );
    let stack = stack_with(moves, 60, Some(privileges.clone()));
    let client = stack.client().await.unwrap();
    let vm = lab_guest(GuestKind::Qemu, |_| true);
    ok(
        &client,
        "disk_move",
        json!({"vmid": vm.vmid, "disk": "scsi0", "storage": "nas"}),
    )
    .await;
    let fewer: Vec<String> = privileges
        .into_iter()
        .filter(|p| p != "Datastore.AllocateSpace")
        .collect();
    stack.sim.set_privileges(Some(&fewer));
    let r = client
        .call(
            "disk_move",
            json!({"vmid": vm.vmid, "disk": "scsi0", "storage": "local-lvm"}),
        )
        .await
        .unwrap();
    let why = text(&r);
    assert!(is_error(&r), "{why}");
    assert!(
        why.contains("403") && why.contains("(/storage/local-lvm, Datastore.AllocateSpace)"),
        "{why}"
    );
}
