//! Unit tests of `decide` for the lifecycle requests, on the shipped lab-builder
//! example; `floor` adds the fixed floor's cases on the same policy.

use crate::policy::*;
use pve_mcp_proto::*;
use std::path::Path;

mod disk_move;
mod firewall;
mod floor;

/// The shipped lab-builder example.
pub(super) fn policy() -> Policy {
    let text = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../policy/examples/lab-builder.toml"
    ));
    Policy::parse(text, Path::new("lab-builder.toml"))
        .unwrap()
        .0
}

pub(super) fn vmid(n: u64) -> VmId {
    VmId::new(n).unwrap()
}

pub(super) fn node(n: &str) -> NodeName {
    NodeName::parse(n).unwrap()
}

pub(super) fn settings(pairs: &[(&str, &str)]) -> GuestSettings {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// 109: a lab template; 9001: a lab guest; 400: a guest outside the lab.
fn facts() -> Facts {
    let mut f = Facts::default();
    for (id, pool, tags) in [
        (109, Some("lab"), vec![]),
        (9001, Some("lab"), vec!["web".to_owned()]),
        (400, Some("prod"), vec![]),
    ] {
        f.guests.insert(
            vmid(id),
            GuestFacts {
                vmid: vmid(id),
                node: node("pve1"),
                guest_type: GuestType::Qemu,
                pool: pool.map(str::to_owned),
                tags,
                running: false,
            },
        );
    }
    let small = settings(&[
        ("cores", "2"),
        ("memory", "2048"),
        ("scsi0", "local-lvm:base-109-disk-0,size=32G"),
        ("net0", "virtio=AA:BB:CC:00:11:22,bridge=vmbr1"),
        ("template", "1"),
    ]);
    f.configs.insert(vmid(109), small);
    f.vmid_free = Some(true);
    f.shared_storages = Some(["nas".to_owned()].into());
    f.image_gib = Some(3);
    f.configs.insert(
        vmid(9001),
        settings(&[
            ("cores", "2"),
            ("memory", "2048"),
            ("scsi0", "local-lvm:vm-9001-disk-0,size=32G"),
            ("tags", "web"),
        ]),
    );
    f
}

fn create(cores: u64, memory: u64, disk: u64) -> GuestCreate {
    serde_json::from_value(serde_json::json!({
        "type": "qemu", "node": "pve1", "vmid": 9010, "name": "web2",
        "cores": cores, "memory_mib": memory,
        "disk": {"storage": "local-lvm", "size_gib": disk},
        "iso": "local:iso/debian-12.iso", "bridge": "vmbr1"
    }))
    .unwrap()
}

fn judge(r: Request) -> Decision {
    decide(&policy(), &r, &facts())
}

fn denied_by(d: &Decision) -> Rule {
    match d {
        Decision::Deny { rule, .. } => rule.clone(),
        other => panic!("expected a denial, got {other:?}"),
    }
}

fn reason(d: &Decision) -> String {
    match d {
        Decision::Deny { reason, .. }
        | Decision::Confirm { reason, .. }
        | Decision::NotFound { reason } => reason.clone(),
        Decision::Allow { rule } => rule.to_string(),
    }
}

#[test]
fn create_limits_at_and_past_their_bound() {
    assert!(matches!(
        judge(Request::GuestCreate(Box::new(create(8, 16384, 128)))),
        Decision::Allow { .. }
    ));
    let d = judge(Request::GuestCreate(Box::new(create(9, 2048, 32))));
    assert_eq!(denied_by(&d), Rule::BoundsMaxCores);
    assert!(
        reason(&d).contains("9 cores is above [bounds] max_cores = 8"),
        "{}",
        reason(&d)
    );
    let d = judge(Request::GuestCreate(Box::new(create(2, 16385, 32))));
    assert_eq!(denied_by(&d), Rule::BoundsMaxMemoryMib);
    let d = judge(Request::GuestCreate(Box::new(create(2, 2048, 129))));
    assert_eq!(denied_by(&d), Rule::BoundsMaxDiskGib);
}

#[test]
fn create_places_new_guests_within_create() {
    let mut c = create(2, 2048, 32);
    c.vmid = Some(vmid(9100));
    assert_eq!(
        denied_by(&judge(Request::GuestCreate(Box::new(c)))),
        Rule::CreateVmids
    );
    let mut c = create(2, 2048, 32);
    c.node = node("pve4");
    assert_eq!(
        denied_by(&judge(Request::GuestCreate(Box::new(c)))),
        Rule::CreateNodes
    );
    let mut c = create(2, 2048, 32);
    c.bridge = Some(Bridge::parse("vmbr9").unwrap());
    assert_eq!(
        denied_by(&judge(Request::GuestCreate(Box::new(c)))),
        Rule::BoundsBridges
    );
    let mut c = create(2, 2048, 32);
    c.iso = Some(VolumeId::parse("nas:iso/x.iso").unwrap());
    assert_eq!(
        denied_by(&judge(Request::GuestCreate(Box::new(c)))),
        Rule::BoundsSources
    );
    let mut c = create(2, 2048, 32);
    c.disk.storage = StorageId::parse("nas").unwrap();
    assert_eq!(
        denied_by(&judge(Request::GuestCreate(Box::new(c)))),
        Rule::BoundsStorages
    );
}

#[test]
fn create_refuses_floor_keys_whatever_the_policy() {
    for (k, v) in [
        ("hostpci0", "0000:01:00.0"),
        ("args", "-device foo"),
        ("hookscript", "local:snippets/x.pl"),
        ("usb0", "host=1-1"),
        ("scsi1", "/dev/sdb"),
    ] {
        let mut c = create(2, 2048, 32);
        c.config = serde_json::from_value(serde_json::json!({ k: v })).unwrap();
        assert_eq!(
            denied_by(&judge(Request::GuestCreate(Box::new(c)))),
            Rule::FixedFloor,
            "{k}"
        );
    }
    // Listed keys pass; unlisted ones name [config] keys.
    let mut c = create(2, 2048, 32);
    c.config = serde_json::from_value(serde_json::json!({"agent": "1"})).unwrap();
    assert!(matches!(
        judge(Request::GuestCreate(Box::new(c))),
        Decision::Allow { .. }
    ));
    let mut c = create(2, 2048, 32);
    c.config = serde_json::from_value(serde_json::json!({"ostype": "l26"})).unwrap();
    assert_eq!(
        denied_by(&judge(Request::GuestCreate(Box::new(c)))),
        Rule::ConfigKeys
    );
}

#[test]
fn containers_need_a_listed_template_and_stay_unprivileged() {
    let c: GuestCreate = serde_json::from_value(serde_json::json!({
        "type": "lxc", "node": "pve1", "vmid": 9011, "name": "ct1", "cores": 1,
        "memory_mib": 512, "disk": {"storage": "local-lvm", "size_gib": 8},
        "ostemplate": "local:vztmpl/debian-12-standard.tar.zst", "bridge": "vmbr1"
    }))
    .unwrap();
    assert!(matches!(
        judge(Request::GuestCreate(Box::new(c.clone()))),
        Decision::Allow { .. }
    ));
    let settings = create_settings(&c);
    assert!(
        settings
            .iter()
            .any(|(k, v, _)| k == "unprivileged" && v == "1")
    );
    let mut bad = c.clone();
    bad.ostemplate = Some(VolumeId::parse("nas:vztmpl/x.tar.zst").unwrap());
    assert_eq!(
        denied_by(&judge(Request::GuestCreate(Box::new(bad)))),
        Rule::BoundsSources
    );
    let mut bad = c;
    bad.config = serde_json::from_value(serde_json::json!({"mp0": "/srv,mp=/srv"})).unwrap();
    assert_eq!(
        denied_by(&judge(Request::GuestCreate(Box::new(bad)))),
        Rule::FixedFloor
    );
}

fn clone_req(src: u64, newid: u64, target: &str) -> Request {
    Request::GuestClone(GuestClone {
        vmid: vmid(src),
        newid: Some(vmid(newid)),
        name: None,
        target: Some(node(target)),
        full: true,
        storage: None,
        description: None,
        confirmed: false,
    })
}

#[test]
fn clones_inherit_bounds_and_land_in_scope() {
    assert!(matches!(
        judge(clone_req(109, 9020, "pve2")),
        Decision::Allow { .. }
    ));
    assert_eq!(
        denied_by(&judge(clone_req(109, 8000, "pve2"))),
        Rule::CreateVmids
    );
    assert!(matches!(
        judge(clone_req(400, 9020, "pve1")),
        Decision::NotFound { .. }
    ));
    let mut f = facts();
    f.configs
        .get_mut(&vmid(109))
        .unwrap()
        .insert("memory".into(), "32768".into());
    let d = decide(&policy(), &clone_req(109, 9020, "pve1"), &f);
    assert_eq!(denied_by(&d), Rule::BoundsMaxMemoryMib);
    assert!(reason(&d).contains("would inherit"), "{}", reason(&d));
    f.configs
        .get_mut(&vmid(109))
        .unwrap()
        .insert("memory".into(), "2048".into());
    f.configs
        .get_mut(&vmid(109))
        .unwrap()
        .insert("hostpci0".into(), "01:00.0".into());
    assert_eq!(
        denied_by(&decide(&policy(), &clone_req(109, 9020, "pve1"), &f)),
        Rule::FixedFloor
    );
    // Without the source's configuration, refuse.
    f.configs.clear();
    assert_eq!(
        denied_by(&decide(&policy(), &clone_req(109, 9020, "pve1"), &f)),
        Rule::Facts
    );
}

fn configure(set: serde_json::Value, delete: &[&str]) -> Request {
    Request::GuestConfigure(GuestConfigure {
        vmid: vmid(9001),
        set: serde_json::from_value(set).unwrap(),
        delete: delete
            .iter()
            .map(|k| ConfigKey::parse(k).unwrap())
            .collect(),
        confirmed: false,
    })
}

#[test]
fn configure_keys_bounds_and_tags() {
    assert!(matches!(
        judge(configure(serde_json::json!({"memory": 16384}), &[])),
        Decision::Allow { .. }
    ));
    assert_eq!(
        denied_by(&judge(configure(serde_json::json!({"memory": 16385}), &[]))),
        Rule::BoundsMaxMemoryMib
    );
    assert_eq!(
        denied_by(&judge(configure(serde_json::json!({"sockets": 5}), &[]))),
        Rule::BoundsMaxCores
    );
    assert_eq!(
        denied_by(&judge(configure(serde_json::json!({"protection": 0}), &[]))),
        Rule::ConfigKeys
    );
    assert_eq!(
        denied_by(&judge(configure(serde_json::json!({"hostpci0": "x"}), &[]))),
        Rule::FixedFloor
    );
    assert_eq!(
        denied_by(&judge(configure(serde_json::json!({}), &["unused0"]))),
        Rule::ConfigKeys
    );
    assert_eq!(
        denied_by(&judge(configure(
            serde_json::json!({"cipassword": "secret"}),
            &[]
        ))),
        Rule::Bounds
    );
    assert!(matches!(
        judge(configure(serde_json::json!({"tags": "web;blue"}), &[])),
        Decision::Allow { .. }
    ));
}

#[test]
fn tags_cannot_widen_grants() {
    let text = r#"
        [clients]
        users = ["u"]
        [guests]
        allow = ["pool:lab"]
        actions = ["config.write"]
        [[rule]]
        name = "disposable"
        guests = ["tag:disposable"]
        actions = ["delete"]
        confirm = ["delete"]
        [config]
        keys = ["tags"]
    "#;
    let p = Policy::parse(text, Path::new("p.toml")).unwrap().0;
    let d = decide(
        &p,
        &configure(serde_json::json!({"tags": "web;disposable"}), &[]),
        &facts(),
    );
    assert_eq!(denied_by(&d), Rule::ConfigWrite);
    assert!(reason(&d).contains("would grant delete"), "{}", reason(&d));
}

#[test]
fn resize_grows_within_bounds_only() {
    let r = |gib: u64| {
        Request::DiskResize(DiskResize {
            vmid: vmid(9001),
            disk: DiskSlot::parse("scsi0").unwrap(),
            size_gib: DiskGib::new(gib).unwrap(),
            confirmed: false,
        })
    };
    assert!(matches!(judge(r(128)), Decision::Allow { .. }));
    assert_eq!(denied_by(&judge(r(129))), Rule::BoundsMaxDiskGib);
    assert!(reason(&judge(r(32))).contains("only grow"));
}

#[test]
fn migrate_delete_and_protection() {
    let m = |to: &str| {
        Request::GuestMigrate(GuestMigrate {
            vmid: vmid(9001),
            target: node(to),
            online: true,
            confirmed: false,
        })
    };
    assert!(matches!(judge(m("pve2")), Decision::Allow { .. }));
    assert_eq!(denied_by(&judge(m("pve4"))), Rule::MigrateNodes);
    assert_eq!(denied_by(&judge(m("pve1"))), Rule::Migrate);
    // A disk on a storage only the guest's node has is copied to the storage of the
    // same name on the target: [bounds] storages must list it.
    let mut f = facts();
    f.configs
        .get_mut(&vmid(9001))
        .unwrap()
        .insert("scsi1".into(), "local-zfs:vm-9001-disk-1,size=8G".into());
    let d = decide(&policy(), &m("pve2"), &f);
    assert_eq!(denied_by(&d), Rule::BoundsStorages, "{}", reason(&d));
    f.shared_storages = Some(["nas".to_owned(), "local-zfs".to_owned()].into());
    assert!(matches!(
        decide(&policy(), &m("pve2"), &f),
        Decision::Allow { .. }
    ));
    f.shared_storages = None;
    assert_eq!(denied_by(&decide(&policy(), &m("pve2"), &f)), Rule::Facts);
    let del = |confirmed| {
        Request::GuestDelete(GuestDelete {
            vmid: vmid(9001),
            purge: true,
            destroy_unreferenced_disks: false,
            confirmed,
        })
    };
    assert!(matches!(judge(del(false)), Decision::Confirm { .. }));
    assert!(matches!(judge(del(true)), Decision::Allow { .. }));
    let mut f = facts();
    f.configs
        .get_mut(&vmid(9001))
        .unwrap()
        .insert("protection".into(), "1".into());
    let d = decide(&policy(), &del(true), &f);
    assert_eq!(denied_by(&d), Rule::PveProtection);
    assert!(reason(&d).contains("protection flag"));
}

fn restore(volume: &str, target: Option<u64>, force: bool) -> Request {
    Request::BackupRestore(BackupRestore {
        volume: VolumeId::parse(volume).unwrap(),
        node: node("pve1"),
        vmid: target.map(vmid),
        force,
        storage: None,
        confirmed: true,
    })
}

#[test]
fn restores_are_bounded_like_new_guests() {
    let mut f = facts();
    f.backup_config = Some(
        settings(&[
            ("cores", "2"),
            ("memory", "2048"),
            ("scsi0", "local-lvm:vm-9001-disk-0,size=32G"),
        ])
        .into(),
    );
    let p = policy();
    let vol = "local:backup/vzdump-qemu-9001-2026_11_25-10_00_00.vma.zst";
    assert!(matches!(
        decide(&p, &restore(vol, Some(9030), false), &f),
        Decision::Allow { .. }
    ));
    // An existing guest's vmid is no new guest's, in the words used for every
    // unavailable vmid (whether the guest is in scope or not).
    assert_eq!(
        denied_by(&decide(&p, &restore(vol, Some(9001), false), &f)),
        Rule::CreateVmids
    );
    assert_eq!(
        reason(&decide(&p, &restore(vol, Some(9001), false), &f)).replace("9001", "N"),
        reason(&decide(
            &p,
            &restore(vol, Some(9002), false),
            &Facts {
                vmid_free: Some(false),
                ..f.clone()
            }
        ))
        .replace("9002", "N")
    );
    assert!(matches!(
        decide(&p, &restore(vol, Some(9001), true), &f),
        Decision::Allow { .. }
    ));
    // Over a guest out of scope: not found.
    let other = "local:backup/vzdump-qemu-400-2026_11_25-10_00_00.vma.zst";
    assert!(matches!(
        decide(&p, &restore(other, Some(9030), false), &f),
        Decision::NotFound { .. }
    ));
    f.backup_config
        .as_mut()
        .unwrap()
        .main
        .insert("cores".into(), "16".into());
    assert_eq!(
        denied_by(&decide(&p, &restore(vol, Some(9030), false), &f)),
        Rule::BoundsMaxCores
    );
    f.backup_config = None;
    assert_eq!(
        denied_by(&decide(&p, &restore(vol, Some(9030), false), &f)),
        Rule::Facts
    );
    // A backup of a guest that does not exist, unreadable: not found, as for a
    // backup that does not exist at all.
    let gone = "local:backup/vzdump-qemu-9077-2026_11_25-10_00_00.vma.zst";
    assert!(matches!(
        decide(&p, &restore(gone, Some(9030), false), &f),
        Decision::NotFound { .. }
    ));
    // Floor settings anywhere in the archive: snapshot sections, pending changes, raw
    // LXC keys however written, lines Proxmox would not read.
    for text in [
        "cores: 2\nmemory: 2048\n[snap]\nhostpci0: 0000:01:00.0\n",
        "cores: 2\nmemory: 2048\n[PENDING]\nargs: -monitor stdio\n",
        "cores: 2\nmemory: 2048\nlxc.apparmor.profile = unconfined\n",
        "cores: 2\nmemory: 2048\nCores: 4\n",
    ] {
        f.backup_config = Some(crate::policy::ConfigFile::parse(text));
        assert_eq!(
            denied_by(&decide(&p, &restore(vol, Some(9030), false), &f)),
            Rule::FixedFloor,
            "{text}"
        );
    }
}

#[test]
fn media_downloads_and_volume_deletes() {
    let dl = |url: &str, storage: &str, file: &str| {
        Request::StorageDownload(StorageDownload {
            node: node("pve1"),
            storage: StorageId::parse(storage).unwrap(),
            url: HttpsUrl::parse(url).unwrap(),
            content: DownloadContent::Iso,
            filename: FileName::parse(file).unwrap(),
            checksum: None,
        })
    };
    assert!(matches!(
        judge(dl(
            "https://releases.ubuntu.com/24.04/u.iso",
            "local",
            "u.iso"
        )),
        Decision::Allow { .. }
    ));
    assert_eq!(
        denied_by(&judge(dl(
            "https://releases.ubuntu.com.evil.example/u.iso",
            "local",
            "u.iso"
        ))),
        Rule::StorageDownloadFrom
    );
    assert_eq!(
        denied_by(&judge(dl(
            "https://releases.ubuntu.com/u.iso",
            "nas",
            "u.iso"
        ))),
        Rule::StorageStorages
    );
    assert_eq!(
        denied_by(&judge(dl(
            "https://releases.ubuntu.com/u.iso",
            "local",
            "u.tar.zst"
        ))),
        Rule::StorageDownloadFrom
    );
    let del = |v: &str| {
        Request::VolumeDelete(VolumeDelete {
            node: node("pve1"),
            volume: VolumeId::parse(v).unwrap(),
            confirmed: false,
        })
    };
    assert!(matches!(
        judge(del("local:iso/u.iso")),
        Decision::Allow { .. }
    ));
    assert!(matches!(
        judge(del(
            "local:backup/vzdump-qemu-9001-2026_11_25-10_00_00.vma.zst"
        )),
        Decision::Confirm { .. }
    ));
    assert!(matches!(
        judge(del(
            "local:backup/vzdump-qemu-400-2026_11_25-10_00_00.vma.zst"
        )),
        Decision::NotFound { .. }
    ));
    assert_eq!(
        denied_by(&judge(del("local-lvm:vm-9001-disk-0"))),
        Rule::Volume
    );
}

#[test]
fn tasks_agent_and_reads() {
    let upid = |id: &str| {
        Upid::parse(&format!(
            "UPID:pve1:0000ABCD:0001E240:6745A1B0:qmstart:{id}:root@pam:"
        ))
        .unwrap()
    };
    let cancel = |id| {
        Request::TaskCancel(TaskCancel {
            upid: upid(id),
            confirmed: false,
        })
    };
    assert!(matches!(judge(cancel("9001")), Decision::Allow { .. }));
    assert!(matches!(judge(cancel("400")), Decision::NotFound { .. }));
    assert_eq!(denied_by(&judge(cancel(""))), Rule::TaskCancel);
    let exec = Request::AgentExec(AgentExec {
        vmid: vmid(9001),
        argv: Argv::new(vec!["uname".into(), "-a".into()]).unwrap(),
        confirmed: false,
    });
    // agent.exec is not granted by the lab builder.
    assert_eq!(denied_by(&judge(exec)), Rule::GuestsActions);
    assert!(matches!(
        judge(Request::ListPools(PoolQuery::default())),
        Decision::Allow { .. }
    ));
    assert_eq!(
        denied_by(&judge(Request::HaResources(HaQuery {}))),
        Rule::DefaultDeny
    );
    assert!(matches!(
        judge(Request::NextVmid(NextVmidQuery {})),
        Decision::Allow { .. }
    ));
    assert_eq!(
        denied_by(&judge(Request::Firewall(FirewallQuery::default()))),
        Rule::DefaultDeny
    );
}

#[test]
fn lifecycle_sections_report_mistakes_with_positions() {
    for (text, want) in [
        ("[create]\nvmids = \"99-10\"\n", "must be a range"),
        ("[create]\nnodes = [\"pve1\"]\n", "needs vmids"),
        ("[config]\nkeys = [\"hostpci*\"]\n", "fixed floor"),
        ("[config]\nkeys = [\"*\"]\n", "numbered family"),
        ("[config]\nkeys = [\"template\"]\n", "guest_template"),
        ("[bounds]\nmax_cores = 0\n", "max_cores must be 1"),
        ("[bounds]\nsources = [\"local:/etc/*\"]\n", "volume pattern"),
        (
            "[storage]\nstorages = [\"local\"]\ndownload_from = [\"https://evil.example\"]\n",
            "must name a path",
        ),
        ("[storage]\ndownload_from = [\"http://x/\"]\n", "https://"),
        ("[agent]\nexec = [[\"{vmid}\"]]\n", "needs a program"),
        ("[migrate]\nnodes = [\"bad node\"]\n", "node"),
        (
            "[create]\nvmids = \"9000-9099\"\nbogus = 1\n",
            "unknown field",
        ),
    ] {
        let full = format!("[clients]\nusers = [\"u\"]\n[guests]\nallow = [\"*\"]\n{text}");
        let err = Policy::parse(&full, Path::new("p.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{text:?}: {err}");
        assert!(err.starts_with("p.toml:"), "{err}");
    }
}

#[test]
fn node_networks_is_judged_as_its_get() {
    let q = |n: &str, t: Option<NetworkType>| {
        Request::NodeNetworks(NetworkQuery {
            node: node(n),
            iface_type: t,
        })
    };
    // The lab builder reads every node's network.
    let d = judge(q("pve2", Some(NetworkType::AnyBridge)));
    assert!(
        matches!(&d, Decision::Allow { rule: Rule::ApiAllow { pattern, .. } } if pattern == "GET /nodes/*/network"),
        "{d:?}"
    );
    assert!(policy().capabilities().node_networks);
    assert!(referenced_vmids(&policy(), &q("pve1", None)).is_empty());
    // Default deny: a policy without the read refuses it, naming what to add.
    let text = "[clients]\nusers = [\"u\"]\n[guests]\nallow = [\"100-199\"]\n\
                [api]\nallow = [\"GET /nodes/*/status\"]\n";
    let (p, _) = Policy::parse(text, Path::new("p.toml")).unwrap();
    let d = decide(&p, &q("pve1", None), &Facts::default());
    assert_eq!(denied_by(&d), Rule::DefaultDeny);
    assert!(
        reason(&d).contains("GET /nodes/pve1/network"),
        "{}",
        reason(&d)
    );
    assert!(!p.capabilities().node_networks);
}
