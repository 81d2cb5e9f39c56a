use super::*;
use crate::{
    change::operation::Operation,
    tools::args::{
        LONG_WAIT_SECS,
        testing::{HASH, key, parse, refused},
    },
};
use serde_json::{Value, json};
use std::time::Duration;

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
