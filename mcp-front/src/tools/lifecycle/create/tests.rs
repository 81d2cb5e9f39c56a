//! Arguments of the tools that make a guest (guest_create, guest_clone,
//! backup_restore): valid input becomes the request the helper expects, arguments that
//! do not fit the kind of guest are refused, and every error names its argument.

use super::*;
use crate::{
    change::operation::Operation,
    tools::args::{
        LONG_WAIT_SECS,
        testing::{HASH, key, parse, refused, with},
    },
};
use serde_json::{Value, json};
use std::time::Duration;

fn vm() -> Value {
    json!({"type": "qemu", "node": "pve1", "name": "web-02", "cores": 2, "memory_mib": 2048,
           "disk": {"storage": "local-lvm", "size_gib": 16}})
}

fn create(v: Value) -> pve_mcp_proto::GuestCreate {
    let plan = parse::<GuestCreateArgs>(v).unwrap().into_plan().unwrap();
    assert_eq!(plan.wait, Some(Duration::from_secs(LONG_WAIT_SECS)));
    match plan.request {
        Operation::Create(c) => *c,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_vm_from_an_iso_or_a_cloud_image() {
    let c = create(with(
        vm(),
        json!({"iso": "local:iso/debian-12.iso", "bridge": "vmbr0"}),
    ));
    assert_eq!(c.guest_type, GuestType::Qemu);
    assert_eq!((c.cores.get(), c.memory_mib.get()), (2, 2048));
    assert_eq!(c.disk.size_gib.get(), 16);
    assert_eq!(c.iso.unwrap().as_str(), "local:iso/debian-12.iso");
    assert!(c.vmid.is_none() && c.config.is_empty() && c.cloud_init.is_none());
    let c = create(with(
        vm(),
        json!({"vmid": 9001, "image": "local:import/debian-12.qcow2",
               "cloud_init": {"user": "admin", "password_hash": HASH, "ssh_keys": [key()],
                              "ipconfig": "ip=dhcp"},
               "description": "web\nfront", "config": {"onboot": true, "cpulimit": "0.5"}}),
    ));
    assert_eq!(c.vmid.unwrap().get(), 9001);
    let ci = c.cloud_init.unwrap();
    assert_eq!(ci.user.unwrap().as_str(), "admin");
    assert!(ci.password_hash.is_some() && !ci.ssh_keys.is_empty());
    assert_eq!(c.config.get("onboot").unwrap().as_str(), "1");
    assert_eq!(c.description.unwrap().as_str(), "web\nfront");
}

#[test]
fn a_container_from_a_template() {
    let ct = json!({"type": "lxc", "node": "pve1", "name": "cache", "cores": 1,
                    "memory_mib": 512, "disk": {"storage": "local-lvm", "size_gib": 8},
                    "ostemplate": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
                    "ssh_keys": [key()]});
    let c = create(ct.clone());
    assert_eq!(c.guest_type, GuestType::Lxc);
    assert!(c.ostemplate.is_some() && !c.ssh_keys.is_empty());
    let mut no_template = ct.clone();
    no_template.as_object_mut().unwrap().remove("ostemplate");
    let e = refused(no_template, GuestCreateArgs::into_plan);
    assert!(
        e.starts_with("ostemplate is required for a container"),
        "{e}"
    );
    for (extra, want) in [
        (json!({"iso": "local:iso/x.iso"}), "iso is for VMs"),
        (json!({"image": "local:import/x.qcow2"}), "image is for VMs"),
        (json!({"cloud_init": {}}), "cloud_init is for VMs"),
        (
            json!({"ostemplate": "local:iso/x.iso"}),
            "ostemplate: local:iso/x.iso is not a container template",
        ),
    ] {
        let e = refused(with(ct.clone(), extra), GuestCreateArgs::into_plan);
        assert!(e.starts_with(want), "{want}: {e}");
    }
}

#[test]
fn creation_errors_name_the_argument_and_the_rule() {
    for (extra, want) in [
        (
            json!({"ostemplate": "local:vztmpl/x.tar.zst"}),
            "ostemplate is for containers",
        ),
        (json!({"ssh_keys": [key()]}), "ssh_keys is for containers"),
        (json!({"node": "pve_1"}), "node name \"pve_1\" is invalid"),
        (json!({"vmid": 42}), "vmid 42 is out of range"),
        (
            json!({"name": "web_02"}),
            "name: guest name \"web_02\" is invalid",
        ),
        (
            json!({"cores": 0}),
            "cores 0 is out of range: must be 1 to 1024",
        ),
        (json!({"memory_mib": 8}), "memory_mib 8 is out of range"),
        (
            json!({"disk": {"storage": "local-lvm", "size_gib": 0}}),
            "disk.size_gib: size_gib 0 is out of range",
        ),
        (
            json!({"disk": {"storage": "1x", "size_gib": 8}}),
            "disk.storage: storage id \"1x\" is invalid",
        ),
        (
            json!({"iso": "/etc/passwd"}),
            "iso: volume \"/etc/passwd\" must be STORAGE:PATH",
        ),
        (json!({"iso": "local:iso/../../x"}), "iso: volume path"),
        (
            json!({"iso": "local:vztmpl/x.tar.zst"}),
            "iso: local:vztmpl/x.tar.zst is not an ISO image",
        ),
        (
            json!({"bridge": "vmbr0; reboot"}),
            "bridge \"vmbr0; reboot\" is invalid",
        ),
        (
            json!({"cloud_init": {"password_hash": "hunter2"}}),
            "cloud_init.password_hash: password must be given as a crypt hash",
        ),
        (
            json!({"cloud_init": {"ssh_keys": ["hello"]}}),
            "cloud_init.ssh_keys: SSH key \"hello\"",
        ),
        (
            json!({"config": {"lxc.apparmor.profile": "unconfined"}}),
            "config: configuration key",
        ),
        (
            json!({"config": {"cores": 1.5}}),
            "config.cores: 1.5 is not an integer",
        ),
        (
            json!({"config": {"net0": null}}),
            "config.net0 is null: omit the key",
        ),
        (
            json!({"config": {"net0": ["a"]}}),
            "config.net0 is an array or object",
        ),
        (
            json!({"config": {"cipassword": "hunter2"}}),
            "config.cipassword: password must be",
        ),
        (
            json!({"description": "a\u{0}b"}),
            "description: configuration value contains",
        ),
        (json!({"timeout_secs": 0}), "timeout_secs 0 is out of range"),
    ] {
        let e = refused(with(vm(), extra.clone()), GuestCreateArgs::into_plan);
        assert!(e.starts_with(want), "{extra}: {e}");
        assert!(
            !e.contains("hunter2"),
            "a clear password is never echoed: {e}"
        );
    }
    // Unknown fields and wrong types never reach the conversion.
    assert!(parse::<GuestCreateArgs>(with(vm(), json!({"hostpci0": "x"}))).is_err());
    assert!(parse::<GuestCreateArgs>(with(vm(), json!({"type": "vm"}))).is_err());
    assert!(parse::<GuestCreateArgs>(with(vm(), json!({"cores": -1}))).is_err());
    assert!(parse::<GuestCreateArgs>(with(vm(), json!({"disk": {"size_gib": 8}}))).is_err());
    let big: Map<String, Value> = (0..65).map(|i| (format!("k{i}"), json!(i))).collect();
    let e = refused(
        with(vm(), json!({"config": big})),
        GuestCreateArgs::into_plan,
    );
    assert!(e.contains("at most 64"), "{e}");
}

#[test]
fn clones() {
    let plan = |v: Value| parse::<GuestCloneArgs>(v).unwrap().into_plan();
    let p =
        plan(json!({"vmid": 9000, "name": "web-03", "target": "pve2", "storage": "nas"})).unwrap();
    let Operation::Clone(c) = p.request else {
        panic!()
    };
    assert!(c.full && c.newid.is_none() && !c.confirmed);
    assert_eq!(c.target.unwrap().as_str(), "pve2");
    let p = plan(json!({"vmid": 9000, "newid": 9001, "full": false, "wait": false})).unwrap();
    assert!(matches!(p.request, Operation::Clone(ref c) if !c.full));
    assert_eq!(p.wait, None);
    for (v, want) in [
        (
            json!({"vmid": 9000, "full": false, "storage": "nas"}),
            "storage applies to full clones only",
        ),
        (
            json!({"vmid": 9000, "newid": 9000}),
            "newid must differ from vmid",
        ),
        (
            json!({"vmid": 9000, "newid": 5}),
            "newid: vmid 5 is out of range",
        ),
        (json!({"vmid": 9000, "name": "a b"}), "name: guest name"),
        (json!({"vmid": 9000, "target": ""}), "target: node name"),
    ] {
        let e = refused(v.clone(), GuestCloneArgs::into_plan);
        assert!(e.starts_with(want), "{v}: {e}");
    }
}

#[test]
fn restores() {
    let backup = "nas:backup/vzdump-qemu-101-2024_12_02-03_00_00.vma.zst";
    let plan = |v: Value| parse::<BackupRestoreArgs>(v).unwrap().into_plan();
    let p = plan(json!({"volume": backup, "node": "pve1"})).unwrap();
    assert!(matches!(p.request, Operation::Restore(ref r) if !r.force && r.vmid.is_none()));
    let p = plan(json!({"volume": backup, "node": "pve1", "vmid": 101, "force": true})).unwrap();
    assert!(matches!(p.request, Operation::Restore(ref r) if r.force));
    for (v, want) in [
        (
            json!({"volume": backup, "node": "pve1", "force": true}),
            "force replaces an existing guest",
        ),
        (
            json!({"volume": "local:iso/x.iso", "node": "pve1"}),
            "volume: local:iso/x.iso is not a backup",
        ),
        (
            json!({"volume": backup, "node": "pve1", "storage": "-"}),
            "storage id \"-\" is invalid",
        ),
    ] {
        let e = refused(v.clone(), BackupRestoreArgs::into_plan);
        assert!(e.starts_with(want), "{v}: {e}");
    }
}
