//! Unit tests of the floor as copies inherit it, the host CD/DVD drive, the firewall
//! reads, the media tasks a client may follow, and the wording of every refusal.

use super::{node, policy, settings, vmid};
use crate::policy::*;
use pve_mcp_proto::*;
use std::path::Path;

fn guest(id: u64, kind: GuestType, pool: &str) -> GuestFacts {
    GuestFacts {
        vmid: vmid(id),
        node: node("pve1"),
        guest_type: kind,
        pool: Some(pool.to_owned()),
        tags: Vec::new(),
        running: false,
    }
}

/// 117: a privileged lab container (no `unprivileged` key); 118: an unprivileged one;
/// 9001: a lab VM; 400: a VM outside the lab.
fn facts() -> Facts {
    let mut f = Facts {
        vmid_free: Some(true),
        ..Facts::default()
    };
    for g in [
        guest(117, GuestType::Lxc, "lab"),
        guest(118, GuestType::Lxc, "lab"),
        guest(9001, GuestType::Qemu, "lab"),
        guest(400, GuestType::Qemu, "prod"),
    ] {
        f.guests.insert(g.vmid, g);
    }
    let ct = [
        ("hostname", "ct"),
        ("cores", "1"),
        ("memory", "512"),
        ("rootfs", "local-lvm:vm-117-disk-0,size=8G"),
    ];
    f.configs.insert(vmid(117), settings(&ct));
    let mut unpriv = settings(&ct);
    unpriv.insert("rootfs".into(), "local-lvm:vm-118-disk-0,size=8G".into());
    unpriv.insert("unprivileged".into(), "1".into());
    f.configs.insert(vmid(118), unpriv);
    f.configs.insert(
        vmid(9001),
        settings(&[
            ("cores", "1"),
            ("scsi0", "local-lvm:vm-9001-disk-0,size=8G"),
        ]),
    );
    f
}

fn denial(d: &Decision) -> (Rule, &str) {
    match d {
        Decision::Deny { rule, reason } => (rule.clone(), reason),
        other => panic!("expected a denial, got {other:?}"),
    }
}

fn clone_of(src: u64) -> Request {
    Request::GuestClone(GuestClone {
        vmid: vmid(src),
        newid: Some(vmid(9020)),
        name: None,
        target: None,
        full: true,
        storage: None,
        description: None,
        confirmed: false,
    })
}

#[test]
fn a_privileged_container_is_neither_cloned_nor_restored() {
    let (p, f) = (policy(), facts());
    let d = decide(&p, &clone_of(117), &f);
    let (rule, reason) = denial(&d);
    assert_eq!(rule, Rule::FixedFloor);
    assert!(reason.contains("privileged container"), "{reason}");
    assert!(reason.contains("cloning guest 117"), "{reason}");
    assert!(matches!(
        decide(&p, &clone_of(118), &f),
        Decision::Allow { .. }
    ));
    let restore = |config: GuestSettings| {
        let mut f = facts();
        f.backup_config = Some(config.into());
        let r = Request::BackupRestore(BackupRestore {
            volume: VolumeId::parse("local:backup/vzdump-lxc-118-2026_01_01-00_00_00.tar.zst")
                .unwrap(),
            node: node("pve1"),
            vmid: Some(vmid(9021)),
            force: false,
            storage: None,
            confirmed: true,
        });
        decide(&p, &r, &f)
    };
    let d = restore(f.configs[&vmid(117)].clone());
    assert_eq!(denial(&d).0, Rule::FixedFloor);
    assert!(denial(&d).1.contains("restoring local:backup/"), "{d:?}");
    assert!(matches!(
        restore(f.configs[&vmid(118)].clone()),
        Decision::Allow { .. }
    ));
}

#[test]
fn a_forced_restore_needs_the_guest_it_overwrites() {
    let mut f = facts();
    f.backup_config = Some(f.configs[&vmid(9001)].clone().into());
    let r = Request::BackupRestore(BackupRestore {
        volume: VolumeId::parse("local:backup/vzdump-qemu-9001-2026_01_01-00_00_00.vma.zst")
            .unwrap(),
        node: node("pve1"),
        vmid: None,
        force: true,
        storage: None,
        confirmed: true,
    });
    let d = decide(&policy(), &r, &f);
    let (rule, reason) = denial(&d);
    assert_eq!(rule, Rule::BackupRestore);
    assert!(reason.contains("give vmid"), "{reason}");
    assert!(!reason.contains("no free vmid"), "{reason}");
}

#[test]
fn the_host_cd_drive_is_on_the_floor_for_every_tool() {
    let p = policy();
    let configure = |k: &str, v: &str| {
        Request::GuestConfigure(GuestConfigure {
            vmid: vmid(9001),
            set: serde_json::from_value(serde_json::json!({ k: v })).unwrap(),
            delete: Vec::new(),
            confirmed: false,
        })
    };
    // scsi* is listed by the lab builder: an ISO of a listed source passes, the
    // host's drive never.
    assert!(matches!(
        decide(
            &p,
            &configure("scsi2", "local:iso/x.iso,media=cdrom"),
            &facts()
        ),
        Decision::Allow { .. }
    ));
    let d = decide(&p, &configure("scsi2", "cdrom,media=cdrom"), &facts());
    assert_eq!(denial(&d).0, Rule::FixedFloor);
    assert!(denial(&d).1.contains("physical CD/DVD drive"), "{d:?}");
    let mut f = facts();
    f.configs
        .get_mut(&vmid(9001))
        .unwrap()
        .insert("ide2".into(), "cdrom,media=cdrom".into());
    f.guests
        .insert(vmid(9001), guest(9001, GuestType::Qemu, "lab"));
    let d = decide(&p, &clone_of(9001), &f);
    assert_eq!(denial(&d).0, Rule::FixedFloor, "{d:?}");
}

#[test]
fn the_cdrom_key_is_judged_as_a_cd_drive() {
    let text = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../policy/examples/lab-builder.toml"
    ))
    .replace("\"agent\",\n]", "\"agent\", \"cdrom\",\n]");
    let p = Policy::parse(&text, Path::new("p.toml")).unwrap().0;
    let set = |v: &str| {
        let mut after = GuestSettings::new();
        after.insert("cdrom".into(), v.into());
        p.check_settings(
            vmid(9001),
            GuestType::Qemu,
            [("cdrom", v)],
            &after,
            Origin::Listed,
        )
    };
    assert!(set("local:iso/debian.iso").is_ok());
    assert!(set("none").is_ok());
    assert_eq!(
        set("nas:iso/other.iso").unwrap_err().rule,
        Rule::BoundsSources
    );
    assert_eq!(set("cdrom").unwrap_err().rule, Rule::FixedFloor);
}

#[test]
fn a_firewall_is_read_only_when_its_rules_and_options_are() {
    let base = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../policy/examples/lab-builder.toml"
    ));
    let with = |rules: &str| {
        let text = base.replace("\"GET /pools/*\",", &format!("\"GET /pools/*\", {rules}"));
        Policy::parse(&text, Path::new("p.toml")).unwrap().0
    };
    let q = Request::Firewall(FirewallQuery::default());
    let only_rules = with("\"GET /cluster/firewall/rules\",");
    let d = decide(&only_rules, &q, &facts());
    assert!(
        denial(&d).1.contains("GET /cluster/firewall/options"),
        "{d:?}"
    );
    let both = with("\"GET /cluster/firewall/rules\", \"GET /cluster/firewall/options\",");
    assert!(matches!(
        decide(&both, &q, &facts()),
        Decision::Allow { .. }
    ));
    assert!(both.capabilities().firewall_cluster);
    assert!(!only_rules.capabilities().firewall_cluster);
}

#[test]
fn media_tasks_are_followed_only_when_this_helper_started_them() {
    let p = policy();
    let upid = |kind: &str, id: &str| {
        Upid::parse(&format!(
            "UPID:pve1:0000ABCD:0001E240:6745A1B0:{kind}:{id}:mcp@pve!mcp:"
        ))
        .unwrap()
    };
    let status = |u: Upid| Request::TaskStatus(TaskRef { upid: u });
    let mut f = facts();
    for u in [upid("download", "u.iso"), upid("imgdel", "local")] {
        f.own_task = false;
        assert_eq!(
            denial(&decide(&p, &status(u.clone()), &f)).0,
            Rule::DefaultDeny
        );
        f.own_task = true;
        assert!(matches!(decide(&p, &status(u), &f), Decision::Allow { .. }));
    }
    // A backup's deletion is its guest's task: in scope or not found.
    f.own_task = false;
    assert_eq!(task_guest(&upid("imgdel", "400@nas")), Ok(Some(vmid(400))));
    let out = status(upid("imgdel", "400@nas"));
    assert_eq!(referenced_vmids(&p, &out), vec![vmid(400)]);
    assert!(matches!(decide(&p, &out, &f), Decision::NotFound { .. }));
    let lab = status(upid("imgdel", "9001@nas"));
    assert!(matches!(decide(&p, &lab, &f), Decision::Allow { .. }));
}

/// Every refusal reads as written: no runs of spaces left by a string continued over
/// lines without its `\`.
#[test]
fn no_refusal_has_a_run_of_spaces() {
    let (p, f) = (policy(), facts());
    let mut requests: Vec<Request> = vec![clone_of(117), clone_of(400)];
    for (k, v) in [
        ("hostpci0", "01:00.0"),
        ("unprivileged", "0"),
        ("scsi3", "/dev/sdb"),
        ("scsi4", "cdrom,media=cdrom"),
        ("features", "mount=nfs"),
        ("vga", "std"),
        ("memory", "99999"),
    ] {
        requests.push(Request::GuestConfigure(GuestConfigure {
            vmid: vmid(9001),
            set: serde_json::from_value(serde_json::json!({ k: v })).unwrap(),
            delete: Vec::new(),
            confirmed: false,
        }));
    }
    for text in [
        r#"{"op": "api", "args": {"method": "PUT", "path": "/nodes/pve1/lxc/118/config", "params": {"mp0": "/srv,mp=/srv"}}}"#,
        r#"{"op": "api", "args": {"method": "POST", "path": "/nodes/pve1/lxc/118/clone", "params": {"newid": 9030}}}"#,
        r#"{"op": "api", "args": {"method": "POST", "path": "/nodes/pve1/lxc", "params": {"vmid": 9030}}}"#,
        r#"{"op": "next_vmid", "args": {}}"#,
        r#"{"op": "ha_resources", "args": {}}"#,
    ] {
        requests.push(serde_json::from_str(text).unwrap());
    }
    for r in &requests {
        let d = decide(&p, r, &f);
        let reason = match &d {
            Decision::Deny { reason, .. }
            | Decision::NotFound { reason }
            | Decision::Confirm { reason, .. } => reason.as_str(),
            Decision::Allow { .. } => continue,
        };
        assert!(!reason.contains("  "), "a run of spaces in {reason:?}");
    }
}
