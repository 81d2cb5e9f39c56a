//! Power actions and snapshots on the seeded guests, each read back from fakepve:
//! start and shutdown, a stop the user confirms, a snapshot taken, listed, rolled back
//! to (the configuration changed after it comes back) and deleted, and a snapshot of a
//! running VM with its RAM.

use super::Lab;
use serde_json::{Value, json};

async fn snapshots(lab: &Lab, vmid: u32) -> Vec<Value> {
    let base = lab.root.base(vmid).await;
    let list = lab.root.get(&format!("{base}/snapshot")).await;
    list.as_array()
        .map(|l| {
            l.iter()
                .filter(|s| s["name"] != "current")
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

pub async fn power(lab: &mut Lab) {
    let start = json!({"vmid": 101, "action": "start"});
    lab.ok("start", "vm_action", start).await;
    assert_eq!(lab.root.status(101).await, "running");
    let shutdown = json!({"vmid": 101, "action": "shutdown"});
    lab.ok("shutdown", "vm_action", shutdown).await;
    assert_eq!(lab.root.status(101).await, "stopped");
    let stop = json!({"vmid": 100, "action": "stop"});
    lab.confirmed("stop (confirmed)", "vm_action", stop).await;
    assert_eq!(lab.root.status(100).await, "stopped");
    let start = json!({"vmid": 100, "action": "start"});
    lab.ok("start again", "vm_action", start).await;
    assert_eq!(lab.root.status(100).await, "running");
}

pub async fn snapshot(lab: &mut Lab) {
    let take = json!({"vmid": 101, "name": "before", "description": "lab"});
    lab.ok("snapshot", "snapshot_create", take).await;
    let taken = snapshots(lab, 101).await;
    assert_eq!(taken.len(), 1, "{taken:?}");
    assert_eq!(
        (&taken[0]["name"], &taken[0]["description"]),
        (&json!("before"), &json!("lab"))
    );

    let listed = lab
        .ok("snapshots", "snapshot_list", json!({"vmid": 101}))
        .await;
    assert_eq!(listed["snapshots"][0]["name"], "before", "{listed}");
    assert_eq!(listed["current_parent"], "before", "{listed}");

    let grow = json!({"vmid": 101, "set": {"memory": 6144}});
    lab.ok("change after the snapshot", "guest_configure", grow)
        .await;
    assert_eq!(lab.root.config_key(101, "memory").await, "6144");
    let back = json!({"vmid": 101, "name": "before"});
    lab.confirmed("rollback (confirmed)", "snapshot_rollback", back)
        .await;
    assert_eq!(lab.root.config_key(101, "memory").await, "4096");
    let drop = json!({"vmid": 101, "name": "before"});
    lab.confirmed("delete the snapshot (confirmed)", "snapshot_delete", drop)
        .await;
    assert!(snapshots(lab, 101).await.is_empty());

    let live = json!({"vmid": 100, "name": "live", "include_ram": true});
    lab.ok("snapshot with RAM", "snapshot_create", live).await;
    let taken = snapshots(lab, 100).await;
    assert_eq!(taken[0]["name"], "live", "{taken:?}");
    assert_eq!(taken[0]["vmstate"], 1, "{taken:?}");
    assert_eq!(lab.root.status(100).await, "running");
}
