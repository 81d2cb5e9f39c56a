//! The world's task history: a task of every type PVE writes, for hidden guests, for
//! destroyed ones, for lab guests, and node-wide tasks (`startall`, `stopall`,
//! `migrateall`, a multi-guest `vzdump`) whose id is empty but whose log names hidden
//! guests, with logs worded as qemu-server, pve-container, pve-manager, pve-storage and
//! pve-ha-manager word them.

use super::world::{Backups, LAB_CT, LAB_VM, Tasks};
use pve_mcp_tests::sim::{SimHandle, TaskRecord};

/// (node, type, id, log) of tasks of out-of-scope or destroyed guests.
fn hidden(b: &Backups) -> Vec<(&'static str, &'static str, String, Vec<String>)> {
    let mut out = Vec::new();
    let mut add = |node, kind, id: &str, log: &[&str]| {
        out.push((
            node,
            kind,
            id.to_owned(),
            log.iter().map(|l| (*l).to_owned()).collect::<Vec<_>>(),
        ));
    };
    // QEMU 250 on pve1, every VM task type.
    for kind in [
        "qmstart",
        "qmstop",
        "qmshutdown",
        "qmreboot",
        "qmreset",
        "qmsuspend",
        "qmpause",
        "qmresume",
        "qmsnapshot",
        "qmrollback",
        "qmdelsnapshot",
        "qmconfig",
        "qmcreate",
        "qmrestore",
        "resize",
        "qmmove",
        "spiceproxy",
    ] {
        add("pve1", kind, "250", &["VM 250 (hidden-db): done"]);
    }
    add(
        "pve1",
        "qmigrate",
        "250",
        &[
            "2024-12-23 00:10:00 starting migration of VM 250 to node 'pve2' (10.0.0.2)",
            "2024-12-23 00:10:01 found local disk 'local-lvm:vm-250-disk-0' (attached)",
            "2024-12-23 00:10:30 migration finished successfully (duration 00:00:30)",
        ],
    );
    add(
        "pve1",
        "hastart",
        "250",
        &["Requesting HA start for VM 250"],
    );
    add("pve1", "hastop", "250", &["Requesting HA stop for VM 250"]);
    add(
        "pve1",
        "hamigrate",
        "250",
        &["Requesting HA migration for VM 250 to node pve2"],
    );
    add("pve1", "vncproxy", "250", &["connection timed out"]);
    add(
        "pve1",
        "vzdump",
        "250",
        &[
            "INFO: starting new backup job: vzdump 250 --storage nas --mode snapshot",
            "INFO: Starting Backup of VM 250 (qemu)",
            "INFO: VM Name: hidden-db",
            "INFO: include disk 'scsi0' 'local-lvm:vm-250-disk-0' 16G",
            "INFO: Finished Backup of VM 250 (00:00:40)",
        ],
    );
    let removed = format!("Removed volume '{}'", b.hidden_250_nas);
    add("pve1", "imgdel", "250@nas", &[removed.as_str()]);
    add(
        "pve1",
        "prunebackups",
        "250@nas",
        &["found 2 backups of VM 250 (hidden-db)"],
    );
    // LXC 251 on pve2, every container task type.
    for kind in [
        "vzstart",
        "vzstop",
        "vzshutdown",
        "vzreboot",
        "vzsuspend",
        "vzresume",
        "vzsnapshot",
        "vzrollback",
        "vzdelsnapshot",
        "vzcreate",
        "vzrestore",
        "vztemplate",
        "move_volume",
        "resize",
        "vncproxy",
        "hastart",
    ] {
        add("pve2", kind, "251", &["CT 251 (hidden-ct): done"]);
    }
    add(
        "pve2",
        "vzmigrate",
        "251",
        &["2024-12-23 00:11:00 starting migration of CT 251 to node 'pve3' (10.0.0.3)"],
    );
    add(
        "pve2",
        "vzdump",
        "251",
        &[
            "INFO: Starting Backup of VM 251 (lxc)",
            "INFO: CT Name: hidden-ct",
            "INFO: Finished Backup of VM 251 (00:00:12)",
        ],
    );
    add(
        "pve2",
        "imgdel",
        "251@nas",
        &["Removed volume 'nas:backup/vzdump-lxc-251-2024_12_20-00_00_00.tar.zst'"],
    );
    // The same-named VM 252 on pve3, the container 253 and the template 254 on pve1.
    add("pve3", "qmstart", "252", &["VM 252 (lab-web): started"]);
    add(
        "pve3",
        "qmclone",
        "252",
        &["create full clone of drive scsi0 (local-lvm:vm-252-disk-0)"],
    );
    add("pve1", "vzstart", "253", &["CT 253 (hidden-box): started"]);
    add(
        "pve1",
        "vzclone",
        "253",
        &["create full clone of mount point rootfs (local-lvm:vm-253-disk-0)"],
    );
    add(
        "pve1",
        "vncproxy",
        "253",
        &["CT 253 (hidden-box): console closed"],
    );
    add(
        "pve1",
        "qmtemplate",
        "254",
        &["VM 254 (hidden-tpl): converted to template"],
    );
    add(
        "pve1",
        "qmclone",
        "254",
        &[
            "create full clone of drive scsi0 (local-lvm:base-254-disk-0)",
            "hidden-tpl cloned",
        ],
    );
    // The container in no pool, 777 on pve3.
    add(
        "pve3",
        "vzstart",
        "777",
        &["CT 777 (hidden-vault): started"],
    );
    add(
        "pve3",
        "vzmigrate",
        "777",
        &["starting migration of CT 777 to node 'pve3'"],
    );
    add(
        "pve3",
        "vzdump",
        "777",
        &[
            "INFO: Starting Backup of VM 777 (lxc)",
            "INFO: CT Name: hidden-vault",
        ],
    );
    add(
        "pve3",
        "vncproxy",
        "777",
        &["CT 777 (hidden-vault): console closed"],
    );
    // 9005 on pve2, inside the [create] range; destroyed 9007 and 9008.
    add(
        "pve2",
        "qmcreate",
        "9005",
        &["VM 9005 (hidden-range) created"],
    );
    add(
        "pve2",
        "qmstart",
        "9005",
        &["VM 9005 (hidden-range): started"],
    );
    add(
        "pve2",
        "vzdump",
        "9005",
        &[
            "INFO: Starting Backup of VM 9005 (qemu)",
            "INFO: VM Name: hidden-range",
        ],
    );
    add(
        "pve1",
        "qmdestroy",
        "9007",
        &[
            "Removing image: 100% complete...done.",
            "purging VM 9007 (hidden-orphan) from related configurations..",
        ],
    );
    add(
        "pve2",
        "qmdestroy",
        "9008",
        &["purging VM 9008 (hidden-gone) from related configurations.."],
    );
    add(
        "pve2",
        "vzdump",
        "9008",
        &[
            "INFO: Starting Backup of VM 9008 (qemu)",
            "INFO: VM Name: hidden-gone",
        ],
    );
    add(
        "pve2",
        "imgdel",
        "9008@nas",
        &["Removed volume 'nas:backup/vzdump-qemu-9008-2024_12_01-00_00_00.vma.zst'"],
    );
    out
}

/// Node-wide tasks (empty id) whose logs name hidden guests.
fn node_wide() -> Vec<(&'static str, &'static str, Vec<String>)> {
    let lines = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    vec![
        (
            "pve1",
            "startall",
            lines(&[
                "Starting VM 250",
                "Starting CT 253",
                "Starting VM 9000",
                "Waiting for 15 seconds (startup delay)",
            ]),
        ),
        (
            "pve3",
            "stopall",
            lines(&[
                "Stopping CT 777 (timeout = 180 seconds)",
                "Stopping VM 252 (timeout = 180 seconds)",
            ]),
        ),
        (
            "pve2",
            "migrateall",
            lines(&[
                "Migrating CT 251 to pve3",
                "Migrating VM 9005 to pve3",
                "Migrating CT 9001 to pve3",
            ]),
        ),
        (
            "pve1",
            "vzdump",
            lines(&[
                "INFO: starting new backup job: vzdump 250 253 9000 --mode snapshot --storage nas",
                "INFO: Starting Backup of VM 250 (qemu)",
                "INFO: VM Name: hidden-db",
                "INFO: creating vzdump archive '/mnt/pve/nas/dump/vzdump-qemu-250-2024_12_23-00_00_01.vma.zst'",
                "INFO: Finished Backup of VM 250 (00:00:40)",
                "INFO: Starting Backup of VM 253 (lxc)",
                "INFO: CT Name: hidden-box",
                "INFO: Starting Backup of VM 9000 (qemu)",
                "INFO: VM Name: lab-web",
                "INFO: Backup job finished successfully",
            ]),
        ),
    ]
}

/// Lab guests' tasks and node tasks that name no hidden guest: (node, type, id, log).
fn visible() -> Vec<(&'static str, &'static str, String, Vec<String>)> {
    let l = |s: &str| vec![s.to_owned()];
    vec![
        (
            "pve1",
            "qmstart",
            LAB_VM.to_string(),
            l("VM 9000 (lab-web): started"),
        ),
        (
            "pve1",
            "vzdump",
            LAB_VM.to_string(),
            l("INFO: Starting Backup of VM 9000 (qemu)"),
        ),
        (
            "pve1",
            "imgdel",
            format!("{LAB_VM}@local"),
            l("Removed volume 'local:backup/vzdump-qemu-9000-2024_12_01-00_00_00.vma.zst'"),
        ),
        (
            "pve2",
            "vzstart",
            LAB_CT.to_string(),
            l("CT 9001 (lab-ct): started"),
        ),
        (
            "pve1",
            "aptupdate",
            String::new(),
            l("starting apt-get update"),
        ),
        (
            "pve1",
            "download",
            "debian-12.8.0-amd64-netinst.iso".into(),
            l("downloading https://cdimage.debian.org/debian-12.8.0-amd64-netinst.iso"),
        ),
        (
            "pve2",
            "srvreload",
            "networking".into(),
            l("reloading networking"),
        ),
        (
            "pve1",
            "imgdel",
            "local".into(),
            l("Removed volume 'local:iso/old.iso'"),
        ),
        ("pve1", "vncshell", String::new(), l("starting termproxy")),
    ]
}

/// Records every task; returns (hidden, node-wide, visible, a running hidden one).
pub fn add(sim: &SimHandle, b: &Backups) -> (Tasks, Tasks, Tasks, String) {
    let mut start = 1_734_900_000;
    let mut put = |node: &str, kind: &str, id: &str, log: Vec<String>, running: bool| {
        start += 60;
        let user = if kind == "qmstart" && id == "250" {
            "alice@pve!ci"
        } else {
            "root@pam"
        };
        sim.add_task(TaskRecord {
            node: node.into(),
            kind: kind.into(),
            id: id.into(),
            user: user.into(),
            starttime: start,
            duration: (!running).then_some(3),
            status: "OK".into(),
            log,
        })
        .expect("task recorded")
    };
    let mut hidden_tasks = Vec::new();
    for (node, kind, id, log) in hidden(b) {
        let upid = put(node, kind, &id, log, false);
        hidden_tasks.push((format!("{kind} {id}"), upid));
    }
    let running = put(
        "pve1",
        "vncproxy",
        "250",
        vec!["console of hidden-db".into()],
        true,
    );
    hidden_tasks.push(("vncproxy 250 (running)".into(), running.clone()));
    let backup = put(
        "pve2",
        "vzdump",
        "251",
        vec!["INFO: CT Name: hidden-ct".into()],
        true,
    );
    hidden_tasks.push(("vzdump 251 (running)".into(), backup));
    let mut node_tasks = Vec::new();
    for (node, kind, log) in node_wide() {
        let upid = put(node, kind, "", log, false);
        node_tasks.push((format!("{kind} on {node}"), upid));
    }
    let mut visible_tasks = Vec::new();
    for (node, kind, id, log) in visible() {
        let upid = put(node, kind, &id, log, false);
        visible_tasks.push((format!("{kind} {id} on {node}"), upid));
    }
    (hidden_tasks, node_tasks, visible_tasks, running)
}
