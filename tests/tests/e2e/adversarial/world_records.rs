//! What an administrator configured around the world's guests: orphan disks (a hidden
//! guest's, a destroyed guest's, a lab guest's), backup jobs by vmid, pool and `all`,
//! replication jobs, HA rules and ACL entries naming hidden guests.

use super::world::LAB_VM;
use pve_mcp_tests::sim::{
    AclEntry, BackupJob, HaRule, Record, ReplicationJob, Selection, SimHandle,
};

/// Orphan disks: referenced by no config.
pub fn add_orphans(sim: &SimHandle) {
    for (node, volid, vmid) in [
        ("pve1", "local-lvm:vm-250-disk-1", 250),
        ("pve1", "local-lvm:vm-9007-disk-0", 9007),
        ("pve2", "local-lvm:vm-9005-disk-1", 9005),
        ("pve1", "local-lvm:vm-9000-disk-1", LAB_VM),
    ] {
        sim.add_orphan_disk(node, volid, vmid, 8 << 30)
            .expect("orphan disk added");
    }
}

/// Backup and replication jobs, HA rules, ACL entries.
pub fn add_jobs(sim: &SimHandle) {
    let job = |id: &str, selection| {
        Record::BackupJob(BackupJob {
            id: id.into(),
            schedule: "daily".into(),
            storage: "nas".into(),
            selection,
            enabled: true,
            comment: Some(format!("{id} job")),
        })
    };
    sim.add_record(job("backup-prod", Selection::Vmids(vec![250, 251, 9008])));
    sim.add_record(job("backup-lab", Selection::Pool("lab".into())));
    sim.add_record(job("backup-all", Selection::All { exclude: vec![777] }));
    sim.add_record(job("backup-mixed", Selection::Vmids(vec![LAB_VM, 253])));
    for (guest, target) in [(250, "pve2"), (251, "pve3"), (LAB_VM, "pve2")] {
        sim.add_record(Record::ReplicationJob(ReplicationJob {
            guest,
            jobnum: 0,
            target: target.into(),
            schedule: "*/15".into(),
            comment: None,
        }));
    }
    sim.add_record(Record::HaRule(HaRule {
        id: "keep-db-on-pve1".into(),
        kind: "node-affinity",
        resources: vec!["vm:250".into(), "vm:9000".into()],
        nodes: vec!["pve1:2".into(), "pve2".into()],
        affinity: None,
        strict: false,
        comment: Some("hidden-db stays home".into()),
    }));
    sim.add_record(Record::HaRule(HaRule {
        id: "db-apart".into(),
        kind: "resource-affinity",
        resources: vec!["vm:250".into(), "ct:251".into()],
        nodes: Vec::new(),
        affinity: Some("negative"),
        strict: false,
        comment: None,
    }));
    sim.add_record(Record::HaRule(HaRule {
        id: "lab-only".into(),
        kind: "node-affinity",
        resources: vec!["vm:9000".into()],
        nodes: vec!["pve1".into()],
        affinity: None,
        strict: false,
        comment: None,
    }));
    for (path, ugid) in [
        ("/vms/250", "alice@pve"),
        ("/vms/777", "bob@pve"),
        ("/pool/lab", "carol@pve"),
    ] {
        sim.add_record(Record::Acl(AclEntry {
            path: path.into(),
            kind: "user",
            ugid: ugid.into(),
            roleid: "PVEVMAdmin".into(),
            propagate: true,
        }));
    }
}
