//! Tasks: the status and log of every task of an out-of-scope or destroyed guest, of
//! every type (`qmstart` to `imgdel` with `250@nas`, `hastart`, `vncproxy`,
//! `qmigrate`, ...), through `task_status`, `task_log`, `task_cancel` and the raw
//! `/nodes/{node}/tasks/{upid}/...` paths, must read "not found"; node-wide tasks with
//! an empty id whose logs name hidden guests (`startall`, `stopall`, `migrateall`, a
//! multi-guest `vzdump`) must be refused or cleaned; forged and variant UPIDs (other
//! node, other id, other type, lowercase hex, encoded, `localhost`) must not open a
//! hidden task either. Lab guests' and harmless node tasks stay readable.

use super::case::{Class, Expect};
use super::runner::{Runner, api, get};
use serde_json::json;

/// The node of a UPID (`UPID:pve1:...`).
fn node_of(upid: &str) -> &str {
    upid.split(':').nth(1).unwrap_or("pve1")
}

/// `upid` with field `i` (0 = `UPID`, 1 = node, 5 = type, 6 = id) replaced.
fn with_field(upid: &str, i: usize, value: &str) -> String {
    let mut f: Vec<&str> = upid.split(':').collect();
    if let Some(slot) = f.get_mut(i) {
        *slot = value;
    }
    f.join(":")
}

fn encode(upid: &str) -> String {
    upid.replace(':', "%3A")
        .replace('@', "%40")
        .replace('!', "%21")
}

pub async fn run(r: &mut Runner) {
    use Expect::{Answer, NotFound, RefusedOrClean};
    let c = Class::Tasks;
    let hidden = r.world.hidden_tasks.clone();
    for (label, upid) in &hidden {
        let node = node_of(upid);
        r.model(
            c,
            &format!("task_status {label}"),
            "task_status",
            json!({"upid": upid}),
            NotFound,
        )
        .await;
        r.model(
            c,
            &format!("task_log {label}"),
            "task_log",
            json!({"upid": upid, "lines": 1000}),
            NotFound,
        )
        .await;
        for what in ["status", "log"] {
            let path = format!("/nodes/{node}/tasks/{upid}/{what}");
            r.model(
                c,
                &format!("GET .../tasks/({label})/{what}"),
                "proxmox_api",
                get(&path),
                NotFound,
            )
            .await;
        }
    }
    for (label, upid) in hidden.iter().filter(|(l, _)| l.contains("running")) {
        let node = node_of(upid);
        r.model(
            c,
            &format!("task_cancel {label}"),
            "task_cancel",
            json!({"upid": upid}),
            NotFound,
        )
        .await;
        r.model(
            c,
            &format!("task_status wait {label}"),
            "task_status",
            json!({"upid": upid, "wait": true, "timeout_secs": 1}),
            NotFound,
        )
        .await;
        let path = format!("/nodes/{node}/tasks/{upid}");
        r.model(
            c,
            &format!("DELETE .../tasks/({label})"),
            "proxmox_api",
            api("DELETE", &path, json!({})),
            NotFound,
        )
        .await;
    }
    for (label, upid) in r.world.node_tasks.clone() {
        let node = node_of(&upid).to_owned();
        r.model(
            c,
            &format!("task_log {label}"),
            "task_log",
            json!({"upid": upid, "lines": 1000}),
            RefusedOrClean,
        )
        .await;
        r.model(
            c,
            &format!("task_status {label}"),
            "task_status",
            json!({"upid": upid}),
            RefusedOrClean,
        )
        .await;
        let path = format!("/nodes/{node}/tasks/{upid}/log");
        r.model(
            c,
            &format!("GET .../tasks/({label})/log"),
            "proxmox_api",
            get(&path),
            RefusedOrClean,
        )
        .await;
    }
    for (label, upid) in r.world.visible_tasks.clone() {
        r.model(
            c,
            &format!("task_status {label}"),
            "task_status",
            json!({"upid": upid}),
            Answer,
        )
        .await;
        r.model(
            c,
            &format!("task_log {label}"),
            "task_log",
            json!({"upid": upid}),
            Answer,
        )
        .await;
    }
    forged(r, &hidden).await;
}

/// Variants of real hidden UPIDs.
async fn forged(r: &mut Runner, hidden: &[(String, String)]) {
    use Expect::{NotFound, Refused, RefusedOrClean};
    let c = Class::Tasks;
    let pick = |label: &str| {
        hidden
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, u)| u.clone())
            .expect("a hidden task")
    };
    for label in [
        "qmstart 250",
        "imgdel 250@nas",
        "vzdump 251",
        "vncproxy 777",
        "qmdestroy 9007",
    ] {
        let upid = pick(label);
        let node = node_of(&upid).to_owned();
        let lower = {
            let f: Vec<String> = upid
                .split(':')
                .enumerate()
                .map(|(i, p)| {
                    if (2..=4).contains(&i) {
                        p.to_lowercase()
                    } else {
                        p.to_owned()
                    }
                })
                .collect();
            f.join(":")
        };
        let variants = [
            ("lowercase hex", lower, NotFound),
            (
                "id of a lab guest",
                with_field(&upid, 6, "9000"),
                RefusedOrClean,
            ),
            ("empty id", with_field(&upid, 6, ""), RefusedOrClean),
            (
                "a node task's type",
                with_field(&upid, 5, "aptupdate"),
                RefusedOrClean,
            ),
            ("another node", with_field(&upid, 1, "pve3"), NotFound),
            (
                "id with a leading zero",
                with_field(
                    &upid,
                    6,
                    &format!("0{}", upid.split(':').nth(6).unwrap_or("")),
                ),
                RefusedOrClean,
            ),
            ("trailing space", format!("{upid} "), RefusedOrClean),
        ];
        for (what, variant, expect) in variants {
            let name = format!("task_log {label}, {what}");
            r.model(c, &name, "task_log", json!({"upid": variant}), expect)
                .await;
            let name = format!("task_status {label}, {what}");
            r.model(c, &name, "task_status", json!({"upid": variant}), expect)
                .await;
        }
        let paths = [
            (
                "encoded",
                format!("/nodes/{node}/tasks/{}/log", encode(&upid)),
                Refused,
            ),
            (
                "on localhost",
                format!("/nodes/localhost/tasks/{upid}/log"),
                NotFound,
            ),
            (
                "on another node",
                format!("/nodes/pve3/tasks/{upid}/log"),
                NotFound,
            ),
            (
                "under /api2/json",
                format!("/api2/json/nodes/{node}/tasks/{upid}/log"),
                NotFound,
            ),
            (
                "with a trailing slash",
                format!("/nodes/{node}/tasks/{upid}/log/"),
                NotFound,
            ),
            (
                "status, encoded",
                format!("/nodes/{node}/tasks/{}/status", encode(&upid)),
                Refused,
            ),
        ];
        for (what, path, expect) in paths {
            let name = format!("GET task log {label}, {what}");
            r.model(c, &name, "proxmox_api", get(&path), expect).await;
        }
    }
    // A running hidden task, cancelled through variants.
    let running = r.world.running_hidden.clone();
    for (what, path) in [
        ("encoded", format!("/nodes/pve1/tasks/{}", encode(&running))),
        ("on localhost", format!("/nodes/localhost/tasks/{running}")),
    ] {
        let name = format!("DELETE running vncproxy 250, {what}");
        r.model(
            c,
            &name,
            "proxmox_api",
            api("DELETE", &path, json!({})),
            Refused,
        )
        .await;
    }
    r.model(
        c,
        "task_cancel running vncproxy 250, lowercase",
        "task_cancel",
        json!({"upid": running.to_lowercase()}),
        RefusedOrClean,
    )
    .await;
}
