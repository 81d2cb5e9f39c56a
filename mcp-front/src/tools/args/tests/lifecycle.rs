//! Arguments of the lifecycle tools and their companions: valid input becomes the
//! request the helper expects, and each kind of invalid input is refused with a
//! message naming the argument and its rule.

use super::*;
use serde_json::json;

pub(super) fn parse<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, serde_json::Error> {
    serde_json::from_value(v)
}

/// The error `f` gives for the arguments `v`, which must deserialize.
pub(super) fn refused<T: serde::de::DeserializeOwned, R: std::fmt::Debug>(
    v: Value,
    f: impl Fn(T) -> Result<R, ArgError>,
) -> String {
    let args = parse::<T>(v.clone()).unwrap_or_else(|e| panic!("{v}: {e}"));
    match f(args) {
        Ok(r) => panic!("{v} accepted as {r:?}"),
        Err(e) => e.0,
    }
}

pub(super) const HASH: &str = "$6$saltsalt$abcdefghijklmnopqrstuv./0123456789";

pub(super) fn key() -> String {
    format!("ssh-ed25519 {} me@host", "A".repeat(68))
}

pub(super) fn with(mut base: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

#[test]
fn firewall_scopes() {
    let q = |v: Value| parse::<FirewallArgs>(v).unwrap().into_request();
    let cluster = q(json!({})).unwrap();
    assert!(cluster.node.is_none() && cluster.vmid.is_none());
    assert_eq!(
        q(json!({"node": "pve1"})).unwrap().node.unwrap().as_str(),
        "pve1"
    );
    assert_eq!(q(json!({"vmid": 101})).unwrap().vmid.unwrap().get(), 101);
    let both = refused(
        json!({"node": "pve1", "vmid": 101}),
        FirewallArgs::into_request,
    );
    assert!(both.contains("not both"), "{both}");
    assert!(refused(json!({"vmid": 7}), FirewallArgs::into_request).contains("vmid 7"));
    assert!(refused(json!({"node": "-x"}), FirewallArgs::into_request).contains("node name"));
    assert!(parse::<FirewallArgs>(json!({"scope": "cluster"})).is_err());
}

#[test]
fn pool_names() {
    let q = |v: Value| parse::<ListPoolsArgs>(v).unwrap().into_request();
    assert!(q(json!({})).unwrap().pool.is_none());
    assert_eq!(
        q(json!({"pool": "lab"})).unwrap().pool.unwrap().as_str(),
        "lab"
    );
    let bad = refused(json!({"pool": "a/b"}), ListPoolsArgs::into_request);
    assert!(bad.contains("pool name"), "{bad}");
}

#[test]
fn configuration_changes() {
    let plan = |v: Value| parse::<GuestConfigureArgs>(v).unwrap().into_plan();
    let p = plan(
        json!({"vmid": 101, "set": {"cores": 4, "onboot": false, "cipassword": HASH,
                                             "sshkeys": format!("{}\n{}", key(), key())},
                        "delete": ["net1", "net1"]}),
    )
    .unwrap();
    let Operation::Configure(c) = p.request else {
        panic!()
    };
    assert_eq!(c.set.get("cores").unwrap().as_str(), "4");
    assert_eq!(c.set.get("onboot").unwrap().as_str(), "0");
    assert_eq!(c.delete.len(), 1, "deletions are deduplicated");
    assert!(plan(json!({"vmid": 101, "delete": ["net1"]})).is_ok());
    for (v, want) in [
        (json!({"vmid": 101}), "nothing to change"),
        (
            json!({"vmid": 101, "set": {}, "delete": []}),
            "nothing to change",
        ),
        (
            json!({"vmid": 101, "set": {"cores": 2}, "delete": ["cores"]}),
            "cores is both in set and in delete",
        ),
        (
            json!({"vmid": 101, "set": {"cipassword": "hunter2"}}),
            "set.cipassword: password must be given as a crypt hash",
        ),
        (
            json!({"vmid": 101, "set": {"sshkeys": "ssh-rsa short"}}),
            "set.sshkeys: SSH key",
        ),
        (
            json!({"vmid": 101, "set": {"net0": null}}),
            "set.net0 is null: to remove a key, name it in delete",
        ),
        (
            json!({"vmid": 101, "delete": ["Net0"]}),
            "delete: configuration key \"Net0\" is invalid",
        ),
        (
            json!({"vmid": 99, "delete": ["net0"]}),
            "vmid 99 is out of range",
        ),
    ] {
        let e = refused(v.clone(), GuestConfigureArgs::into_plan);
        assert!(e.starts_with(want), "{v}: {e}");
        assert!(!e.contains("hunter2"), "{e}");
    }
}

#[test]
fn template_resize_migrate_delete() {
    let p = parse::<GuestTemplateArgs>(json!({"vmid": 9000}))
        .unwrap()
        .into_plan()
        .unwrap();
    assert!(matches!(p.request, Operation::Template(ref t) if t.vmid.get() == 9000));
    let resize = |v: Value| parse::<DiskResizeArgs>(v).unwrap().into_plan();
    let p = resize(json!({"vmid": 101, "disk": "scsi0", "size_gib": 64})).unwrap();
    assert!(matches!(p.request, Operation::Resize(ref r) if r.size_gib.get() == 64));
    let e = refused(
        json!({"vmid": 101, "disk": "unused0", "size_gib": 64}),
        DiskResizeArgs::into_plan,
    );
    assert!(e.starts_with("disk \"unused0\" is not a disk slot"), "{e}");
    let e = refused(
        json!({"vmid": 101, "disk": "scsi0", "size_gib": 0}),
        DiskResizeArgs::into_plan,
    );
    assert!(e.starts_with("size_gib 0 is out of range"), "{e}");

    let migrate = |v: Value| parse::<GuestMigrateArgs>(v).unwrap().into_plan();
    let p = migrate(json!({"vmid": 101, "target": "pve2"})).unwrap();
    assert!(matches!(p.request, Operation::Migrate(ref m) if m.online));
    assert_eq!(p.wait, Some(Duration::from_secs(LONG_WAIT_SECS)));
    let p = migrate(json!({"vmid": 101, "target": "pve2", "online": false, "timeout_secs": 30}))
        .unwrap();
    assert!(matches!(p.request, Operation::Migrate(ref m) if !m.online));
    assert_eq!(p.wait, Some(Duration::from_secs(30)));
    let e = refused(
        json!({"vmid": 101, "target": "pve 2"}),
        GuestMigrateArgs::into_plan,
    );
    assert!(e.starts_with("target: node name"), "{e}");

    let delete = |v: Value| parse::<GuestDeleteArgs>(v).unwrap().into_plan();
    let p = delete(json!({"vmid": 101})).unwrap();
    assert!(matches!(p.request, Operation::Delete(ref d)
        if d.purge && !d.destroy_unreferenced_disks && !d.confirmed));
    let p =
        delete(json!({"vmid": 101, "purge": false, "destroy_unreferenced_disks": true})).unwrap();
    assert!(matches!(p.request, Operation::Delete(ref d)
        if !d.purge && d.destroy_unreferenced_disks));
    // The model cannot confirm through the arguments.
    assert!(parse::<GuestDeleteArgs>(json!({"vmid": 101, "confirmed": true})).is_err());
}

#[test]
fn volume_deletes_are_backups_isos_or_templates() {
    let plan = |v: Value| parse::<VolumeDeleteArgs>(v).unwrap().into_plan();
    for volume in [
        "nas:backup/vzdump-qemu-101-2024_12_02-03_00_00.vma.zst",
        "local:iso/debian-12.iso",
        "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
    ] {
        let p = plan(json!({"node": "pve1", "volume": volume})).unwrap();
        assert!(matches!(p.request, Operation::VolumeDelete(ref v) if v.volume.as_str() == volume));
    }
    let e = refused(
        json!({"node": "pve1", "volume": "local-lvm:vm-101-disk-0"}),
        VolumeDeleteArgs::into_plan,
    );
    assert!(
        e.starts_with("volume: local-lvm:vm-101-disk-0 is not a backup, ISO image or container"),
        "{e}"
    );
    let e = refused(
        json!({"node": "pve1", "volume": "local:../x"}),
        VolumeDeleteArgs::into_plan,
    );
    assert!(e.starts_with("volume path \"../x\" is invalid"), "{e}");
}

#[test]
fn downloads() {
    let iso = json!({"node": "pve1", "storage": "local", "content": "iso",
                     "url": "https://cdimage.debian.org/debian-12.iso",
                     "filename": "debian-12.iso",
                     "checksum": {"algorithm": "sha256", "value": "AB".repeat(32)}});
    let p = parse::<StorageDownloadArgs>(iso.clone())
        .unwrap()
        .into_plan()
        .unwrap();
    let Operation::Download(d) = p.request else {
        panic!()
    };
    assert_eq!(
        d.checksum.unwrap().value,
        "ab".repeat(32),
        "hex is folded to lowercase"
    );
    assert_eq!(p.wait, Some(Duration::from_secs(LONG_WAIT_SECS)));
    for (extra, want) in [
        (
            json!({"url": "http://cdimage.debian.org/x.iso"}),
            "url: URL \"http://",
        ),
        (
            json!({"url": "https://user@host/x.iso"}),
            "url: URL \"https://user@host/x.iso\" is invalid",
        ),
        (
            json!({"filename": "debian-12.tar.zst"}),
            "filename: debian-12.tar.zst does not fit content iso",
        ),
        (
            json!({"filename": "../x.iso"}),
            "filename: file name \"../x.iso\" is invalid",
        ),
        (
            json!({"content": "vztmpl"}),
            "filename: debian-12.iso does not fit content vztmpl",
        ),
        (
            json!({"checksum": {"algorithm": "sha512", "value": "ab".repeat(32)}}),
            "checksum.value: checksum must be 128 lowercase hex digits for sha512",
        ),
        (json!({"storage": "x"}), "storage id \"x\" is invalid"),
    ] {
        let e = refused(
            with(iso.clone(), extra.clone()),
            StorageDownloadArgs::into_plan,
        );
        assert!(e.starts_with(want), "{extra}: {e}");
    }
    assert!(parse::<StorageDownloadArgs>(with(iso, json!({"content": "images"}))).is_err());
}

#[test]
fn task_cancels_and_agent_programs() {
    let upid = "UPID:pve1:0000A1B2:0123ABCD:65F0A1B2:qmigrate:101:mcp@pve!mcp:";
    let op = parse::<TaskCancelArgs>(json!({"upid": upid}))
        .unwrap()
        .into_operation()
        .unwrap();
    assert_eq!(op.guest().map(VmId::get), Some(101));
    let e = refused(
        json!({"upid": "UPID:bogus"}),
        TaskCancelArgs::into_operation,
    );
    assert!(
        e.starts_with("upid: \"UPID:bogus\" is not a Proxmox task id"),
        "{e}"
    );

    let exec = |v: Value| parse::<AgentExecArgs>(v).unwrap().into_request();
    let r = exec(json!({"vmid": 101, "argv": ["systemctl", "is-active", "nginx"]})).unwrap();
    assert_eq!(r.argv.program(), "systemctl");
    assert!(!r.confirmed);
    let e = refused(
        json!({"vmid": 101, "argv": []}),
        AgentExecArgs::into_request,
    );
    assert_eq!(e, "argv: the command is empty");
    let e = refused(
        json!({"vmid": 101, "argv": ["", "x"]}),
        AgentExecArgs::into_request,
    );
    assert_eq!(e, "argv: the program name is empty");
    let e = refused(
        json!({"vmid": 101, "argv": ["a\u{0}b"]}),
        AgentExecArgs::into_request,
    );
    assert!(e.contains("NUL"), "{e}");
    assert!(parse::<AgentExecArgs>(json!({"vmid": 101, "argv": "ls -l"})).is_err());
}
