//! The values refuse what Proxmox would not accept, at their bounds and with
//! hostile input, and keep what it writes.

use crate::*;
use std::collections::BTreeMap;

#[test]
fn vmid_bounds() {
    assert!(VmId::new(99).is_err());
    assert!(VmId::new(0).is_err());
    assert!(VmId::new(1 << 32).is_err());
    assert!(VmId::new(1_000_000_000).is_err());
    assert_eq!(VmId::new(100).unwrap().get(), 100);
    assert_eq!(VmId::new(999_999_999).unwrap().get(), 999_999_999);
    assert!(serde_json::from_str::<VmId>("-1").is_err());
    assert!(serde_json::from_str::<VmId>("101.5").is_err());
    assert!(serde_json::from_str::<VmId>("\"101\"").is_err());
    assert!(serde_json::from_str::<VmId>("99999999999").is_err());
    assert!("+101".parse::<VmId>().is_err());
    assert!(" 101".parse::<VmId>().is_err());
    assert_eq!("101".parse::<VmId>().unwrap().get(), 101);
}

#[test]
fn node_names() {
    assert!(NodeName::parse("pve1").is_ok());
    assert!(NodeName::parse("pve-node-2").is_ok());
    for bad in [
        "",
        "-pve",
        "pve-",
        "pve/1",
        "pve.local",
        "p ve",
        "ｐve",
        &"a".repeat(64),
    ] {
        assert!(NodeName::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn api_path_normalizes() {
    let ok = |s: &str| ApiPath::parse(s).unwrap().to_string();
    assert_eq!(ok("/nodes/pve1/status"), "/nodes/pve1/status");
    assert_eq!(ok("/api2/json/nodes/pve1/status/"), "/nodes/pve1/status");
    assert_eq!(ok("/api2/json"), "/");
    assert_eq!(ok("/version"), "/version");
    assert_eq!(
        ok("/nodes/pve1/tasks/UPID:pve1:0000A:0000B:6000:qmstart:101:root@pam:/status"),
        "/nodes/pve1/tasks/UPID:pve1:0000A:0000B:6000:qmstart:101:root@pam:/status"
    );
    assert_eq!(ok("/nodes/%70ve1/status"), "/nodes/pve1/status");
    // Normalizing twice changes nothing.
    let once = ok("/api2/json/cluster/resources/");
    assert_eq!(ok(&once), once);
}

#[test]
fn api_path_rejects_hostile_input() {
    for bad in [
        "",
        "nodes",
        "/nodes/../access",
        "/nodes/%2e%2e/access",
        "/nodes/%2E%2E/x",
        "/nodes/pve1%2Fstatus",
        "/nodes//status",
        "/nodes/pve1/status?x=1",
        "/nodes/pve1;rm",
        "/nodes/pve1\0",
        "/nodes/pve1\n",
        "/nodes/ｐve1",
        "/nodes/pve1/status//",
        "/nodes/./status",
        "/nodes/%zz",
        "/nodes/%",
        "/nodes/%252e",
        "/nodes/pve1#frag",
        "/nodes/pve 1",
        "/nodes/\u{2215}etc",
        // Regressions: the prefix must end at a '/', or the character after it
        // escapes validation (a backslash becomes '/' in the URL sent to Proxmox).
        "/api2/json\\access/users",
        "/api2/json\\nodes/pve1/termproxy",
        "/api2/json;x",
        "/api2/json/api2/json/version",
        "/api2",
    ] {
        assert!(ApiPath::parse(bad).is_err(), "{bad:?} should be rejected");
    }
    assert!(ApiPath::parse(&format!("/{}", "a".repeat(600))).is_err());
}

#[test]
fn argv_bounds() {
    assert!(Argv::new(vec![]).is_err());
    assert!(Argv::new(vec![String::new()]).is_err());
    assert!(Argv::new(vec!["ls".into(), "a\0b".into()]).is_err());
    assert!(Argv::new(vec!["x".into(); 65]).is_err());
    assert!(Argv::new(vec!["x".repeat(4097)]).is_err());
    assert!(Argv::new(vec!["ls".into(), String::new()]).is_ok());
}

#[test]
fn upid_parses_real_format() {
    let u = Upid::parse("UPID:pve1:000A1B2C:0123ABCD:65F0A1B2:qmstart:101:root@pam:").unwrap();
    assert_eq!(u.node().as_str(), "pve1");
    assert_eq!(u.task_type(), "qmstart");
    assert_eq!(u.vmid().unwrap().get(), 101);
    assert_eq!(u.start_time(), 0x65F0A1B2);
    assert!(
        Upid::parse("UPID:pve1:0:0:0:vzdump::mcp@pve!mcp:")
            .unwrap()
            .vmid()
            .is_none()
    );
    // A disk moved into another guest names both; no one guest.
    let moved = Upid::parse("UPID:pve1:0:0:0:qmmove:101-scsi0>102-scsi1:mcp@pve!mcp:").unwrap();
    assert_eq!(moved.object_id(), "101-scsi0>102-scsi1");
    assert!(moved.vmid().is_none());
    for bad in [
        "UPID:pve1:000A1B2C:0123ABCD:65F0A1B2:qmstart:101:root@pam",
        "UPID:pve/1:0:0:0:qmstart:101:root@pam:",
        "UPID:pve1:xyz:0:0:qmstart:101:root@pam:",
        "UPID:pve1:0:0:0:qm start:101:root@pam:",
        "XPID:pve1:0:0:0:qmstart:101:root@pam:",
    ] {
        assert!(Upid::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn snapshot_names() {
    for ok in ["pre-upgrade", "s1", "Daily_2024-01-01", &"a".repeat(40)] {
        assert!(SnapshotName::parse(ok).is_ok(), "{ok:?}");
    }
    for bad in [
        "",
        "a",
        "1abc",
        "-abc",
        "a b",
        "a/b",
        "a.b",
        "current",
        "PENDING",
        "sn\u{e4}p",
        &"a".repeat(41),
    ] {
        assert!(SnapshotName::parse(bad).is_err(), "{bad:?}");
    }
    assert!(SnapshotDescription::parse("before\nupgrade\t1").is_ok());
    assert!(SnapshotDescription::parse("a\u{0}b").is_err());
    assert!(SnapshotDescription::parse(&"x".repeat(1025)).is_err());
}

#[test]
fn params_bounds() {
    let one = |v: ParamValue| {
        let mut m = BTreeMap::new();
        m.insert(ParamName::parse("x").unwrap(), v);
        ApiParams::new(m)
    };
    assert!(one(ParamValue::Text("a\0".into())).is_err());
    assert!(one(ParamValue::Text("a".repeat(70_000))).is_err());
    assert!(one(ParamValue::Float(f64::NAN)).is_err());
    assert!(serde_json::from_str::<ApiParams>(r#"{"a b": 1}"#).is_err());
    assert!(serde_json::from_str::<ApiParams>(r#"{"x": [1]}"#).is_err());
    assert!(serde_json::from_str::<ApiParams>(r#"{"x": {"y": 1}}"#).is_err());
    let p: ApiParams = serde_json::from_str(r#"{"onboot": true, "cores": 2}"#).unwrap();
    assert_eq!(p.len(), 2);
    assert_eq!(ParamValue::Bool(true).to_form(), "1");
}

#[test]
fn volume_ids_are_relative_and_tell_their_backup() {
    let v = VolumeId::parse("nas:backup/vzdump-qemu-101-2024_12_02-03_00_00.vma.zst").unwrap();
    assert_eq!(v.storage(), "nas");
    assert_eq!(v.content(), Some("backup"));
    assert_eq!(
        v.backup_of(),
        Some((GuestType::Qemu, VmId::new(101).unwrap()))
    );
    assert_eq!(
        VolumeId::parse("local:iso/x.iso").unwrap().content(),
        Some("iso")
    );
    assert_eq!(
        VolumeId::parse("local-lvm:vm-101-disk-0")
            .unwrap()
            .content(),
        Some("images")
    );
    for bad in [
        "local",
        "local:",
        "local:/etc/passwd",
        "local:iso/../../etc",
        "local:iso//x",
        "local:iso/x y",
        ":iso/x",
        "l:iso/x",
        "local:iso/x\n",
    ] {
        assert!(VolumeId::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn disk_keys_cover_pve_slots_only() {
    for k in [
        "scsi0",
        "scsi30",
        "virtio15",
        "sata5",
        "ide3",
        "efidisk0",
        "tpmstate0",
        "rootfs",
        "mp0",
        "mp255",
        "unused7",
    ] {
        assert!(is_disk_key(k), "{k}");
    }
    for k in [
        "scsi31", "scsi01", "scsi", "net0", "ide4", "mp256", "rootfs0", "efidisk1",
    ] {
        assert!(!is_disk_key(k), "{k}");
    }
    assert!(DiskSlot::parse("unused0").is_err());
}

#[test]
fn config_values_and_keys() {
    assert!(ConfigKey::parse("ipconfig0").is_ok());
    for bad in ["lxc.apparmor.profile", "Cores", "0net", "", "a b"] {
        assert!(ConfigKey::parse(bad).is_err(), "{bad:?}");
    }
    let raw = ConfigKey::parse("lxc.mount.entry").unwrap_err().0;
    assert!(raw.contains("fixed floor"), "{raw}");
    let m: ConfigMap =
        serde_json::from_str(r#"{"cores": 4, "onboot": true, "description": "a\nb"}"#).unwrap();
    assert_eq!(m.get("cores").unwrap().as_str(), "4");
    assert_eq!(m.get("onboot").unwrap().as_str(), "1");
    assert!(serde_json::from_str::<ConfigMap>(r#"{"name": "a\u0000b"}"#).is_err());
    assert!(serde_json::from_str::<ConfigMap>(r#"{"cores": 1.5}"#).is_err());
}

#[test]
fn passwords_only_as_hashes_and_never_shown() {
    let h = PasswordHash::parse("$6$saltsalt$abcdefghijklmnopqrstuv./0123456789").unwrap();
    assert_eq!(format!("{h:?}"), "PasswordHash(..)");
    for clear in ["hunter2", "$6$", "$7$abcdefgh$x", "$6$salt salt$abc"] {
        assert!(PasswordHash::parse(clear).is_err(), "{clear:?}");
    }
}

#[test]
fn urls_names_and_checksums() {
    assert!(HttpsUrl::parse("https://releases.ubuntu.com/24.04/ubuntu.iso").is_ok());
    for bad in [
        "http://x/y",
        "https://",
        "https://user@host/x",
        "https://h/a b",
        "file:///etc/passwd",
        "https://h/\"x",
        "https://h/releases/../daily/x.img",
        "https://h/releases/%2e%2e/daily/x.img",
        "https://h/releases/%2E%2E/daily/x.img",
        "https://h/releases/.%2e/x.img",
        "https://h/releases%2f..%2fx.img",
        "https://h/releases/./x.img",
        "https://h/releases//x.img",
        "https://h/releases/..",
    ] {
        assert!(HttpsUrl::parse(bad).is_err(), "{bad:?}");
    }
    let f = FileName::parse("debian-12.iso").unwrap();
    assert!(f.fits(DownloadContent::Iso) && !f.fits(DownloadContent::Vztmpl));
    assert!(FileName::parse("../x.iso").is_err() && FileName::parse(".x.iso").is_err());
    let c = Checksum {
        algorithm: ChecksumAlgorithm::Sha256,
        value: "ab".repeat(32),
    };
    assert!(c.check().is_ok());
    assert!(
        Checksum {
            value: "AB".repeat(32),
            ..c
        }
        .check()
        .is_err()
    );
}

#[test]
fn ssh_keys_and_numbers() {
    assert!(SshKeys::new(vec![format!("ssh-ed25519 {} me@host", "A".repeat(68))]).is_ok());
    assert!(SshKeys::new(vec!["ssh-ed25519 AAAA\ncommand=x".into()]).is_err());
    assert!(SshKeys::new(vec!["ssh-dss AAAAAAAAAAAAAAAAAAAAAAA".into()]).is_err());
    assert!(Cores::new(0).is_err() && Cores::new(1025).is_err() && Cores::new(8).is_ok());
    assert!(serde_json::from_str::<MemoryMib>("8").is_err());
    assert!(serde_json::from_str::<DiskGib>("-1").is_err());
}

#[test]
fn operations_travel_as_their_policy_names() {
    let every = GuestAction::ALL
        .into_iter()
        .map(Operation::Power)
        .chain(Operation::OTHERS);
    for op in every {
        let json = serde_json::to_string(&op).unwrap();
        assert_eq!(json, format!("\"{}\"", op.as_str()));
        assert_eq!(serde_json::from_str::<Operation>(&json).unwrap(), op);
        assert_eq!(op.as_str().parse::<Operation>().unwrap(), op);
    }
    for bad in ["\"snapshot.lst\"", "\"Start\"", "\"\"", "\"create\"", "1"] {
        assert!(serde_json::from_str::<Operation>(bad).is_err(), "{bad}");
    }
    let summary: GrantSummary = serde_json::from_str(
        r#"{"rule":"guests","guests":[],"operations":["stop","metrics.read"],"confirm":["stop"]}"#,
    )
    .unwrap();
    assert_eq!(
        summary.operations,
        [Operation::Power(GuestAction::Stop), Operation::MetricsRead]
    );
    assert!(
        serde_json::from_str::<GrantSummary>(
            r#"{"rule":"guests","guests":[],"operations":["metrics.reed"],"confirm":[]}"#
        )
        .is_err()
    );
}
