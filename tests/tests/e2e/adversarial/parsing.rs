//! Fail-open parsing: vmids spelled so that a parser might not see them
//! ([`super::spellings`]); configuration keys in other cases or spellings (`HOSTPCI0`,
//! `Scsi5`), values with whitespace, newlines and duplicate property keys, numbers in
//! other notations, booleans spelled the other ways PVE accepts (`off`, `no`, `false`),
//! `delete=unprivileged`, a running guest made a template (here); and archives whose
//! config hides floor keys ([`super::archives`]). Each must be refused; nothing may
//! reach Proxmox that names a hidden guest or breaks the floor.

use super::case::{Class, Expect, Who};
use super::runner::{Runner, api};
use super::world::{LAB_CT, LAB_VM};
use serde_json::{Value, json};

const DEBIAN: &str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";

pub async fn run(r: &mut Runner) {
    super::spellings::run(r).await;
    keys_and_values(r).await;
    super::archives::run(r).await;
}

/// `PUT` of `data` on the lab VM's or container's config.
fn put(kind: &str, data: Value) -> Value {
    let (node, vmid) = if kind == "qemu" {
        ("pve1", LAB_VM)
    } else {
        ("pve2", LAB_CT)
    };
    api("PUT", &format!("/nodes/{node}/{kind}/{vmid}/config"), data)
}

async fn keys_and_values(r: &mut Runner) {
    let c = Class::Parsing;
    let vm: Vec<(&str, Value)> = vec![
        ("HOSTPCI0", json!({"HOSTPCI0": "0000:01:00.0"})),
        ("Hostpci0", json!({"Hostpci0": "0000:01:00.0"})),
        ("hostpci00", json!({"hostpci00": "0000:01:00.0"})),
        (
            "Scsi5 on a hidden disk",
            json!({"Scsi5": "local-lvm:vm-250-disk-0"}),
        ),
        (
            "SCSI5 on a hidden disk",
            json!({"SCSI5": "local-lvm:vm-250-disk-0"}),
        ),
        (
            "scsi05 on a hidden disk",
            json!({"scsi05": "local-lvm:vm-250-disk-0"}),
        ),
        (
            " scsi5 on a hidden disk",
            json!({" scsi5": "local-lvm:vm-250-disk-0"}),
        ),
        ("Args", json!({"Args": "-device vfio-pci,host=01:00.0"})),
        (
            "HookScript",
            json!({"HookScript": "local:snippets/evil.sh"}),
        ),
        (
            "bridge after a space",
            json!({"net1": "virtio, bridge=vmbr9"}),
        ),
        (
            "bridge with a space",
            json!({"net1": "virtio,bridge= vmbr9"}),
        ),
        (
            "bridge twice",
            json!({"net1": "virtio,bridge=vmbr0,bridge=vmbr9"}),
        ),
        ("Bridge", json!({"net1": "virtio,Bridge=vmbr9"})),
        (
            "duplicate file",
            json!({"scsi5": "local-lvm:vm-9000-disk-1,file=local-lvm:vm-250-disk-0"}),
        ),
        (
            "duplicate import-from",
            json!({"scsi5": "local-lvm:4,import-from=local:import/debian-12-genericcloud-amd64.qcow2,import-from=local-lvm:vm-250-disk-0"}),
        ),
        (
            "file= then volume",
            json!({"scsi5": "file=local-lvm:vm-250-disk-0,size=8G"}),
        ),
        (
            "name with a newline",
            json!({"name": "x\nhookscript: local:snippets/evil.sh"}),
        ),
        (
            "tags with a newline",
            json!({"tags": "mcp\nhookscript: local:snippets/evil.sh"}),
        ),
        (
            "ciuser with a newline",
            json!({"ciuser": "admin\nhostpci0: 0000:01:00.0"}),
        ),
        ("cdrom alias to the host drive", json!({"cdrom": "cdrom"})),
        (
            "ide2 host drive with spaces",
            json!({"ide2": " cdrom ,media=cdrom"}),
        ),
        ("scsi5 on a host path", json!({"scsi5": "/dev/sdb"})),
        (
            "scsi5 on a host path after a space",
            json!({"scsi5": " /dev/sdb"}),
        ),
        (
            "scsi5 on a host path, file=",
            json!({"scsi5": "file=/dev/sdb"}),
        ),
        (
            "scsi5 on an encoded host path",
            json!({"scsi5": "%2Fdev%2Fsdb"}),
        ),
        ("cores as a float", json!({"cores": "64.0"})),
        ("cores in exponent form", json!({"cores": "6.4e1"})),
        ("cores with a plus", json!({"cores": "+64"})),
        ("cores with spaces", json!({"cores": " 64 "})),
        ("memory as current=", json!({"memory": "current=65536"})),
        ("memory in exponent form", json!({"memory": "6.5536e4"})),
        (
            "sockets as a float",
            json!({"sockets": "8.0", "cores": "8"}),
        ),
        (
            "delete several with a space",
            json!({"delete": "description, cipassword", "cipassword": "hunter22"}),
        ),
    ];
    for (what, data) in vm {
        r.model(
            c,
            &format!("PUT lab VM config, {what}"),
            "proxmox_api",
            put("qemu", data),
            Expect::Refused,
        )
        .await;
    }
    let ct: Vec<(&str, Value)> = vec![
        ("unprivileged=0 with a space", json!({"unprivileged": "0 "})),
        ("unprivileged=1 with a space", json!({"unprivileged": "1 "})),
        ("unprivileged=off", json!({"unprivileged": "off"})),
        ("unprivileged=no", json!({"unprivileged": "no"})),
        ("unprivileged=false", json!({"unprivileged": "false"})),
        ("unprivileged=FALSE", json!({"unprivileged": "FALSE"})),
        (
            "unprivileged=false as a JSON boolean",
            json!({"unprivileged": false}),
        ),
        ("Unprivileged=0", json!({"Unprivileged": "0"})),
        ("delete=unprivileged", json!({"delete": "unprivileged"})),
        (
            "delete=unprivileged among others",
            json!({"delete": "description,unprivileged"}),
        ),
        ("delete= unprivileged", json!({"delete": " unprivileged"})),
        ("delete=UNPRIVILEGED", json!({"delete": "UNPRIVILEGED"})),
        (
            "mp5 on a hidden guest's subvolume",
            json!({"mp5": "local-lvm:subvol-9005-disk-0,mp=/mnt/x"}),
        ),
        (
            "mp5 with volume= twice",
            json!({"mp5": "local-lvm:4,mp=/data,volume=local-lvm:vm-251-disk-0"}),
        ),
        (
            "mp5 on a host path after a space",
            json!({"mp5": " /srv,mp=/srv"}),
        ),
        (
            "features with a space before mount",
            json!({"features": "nesting=1, mount=nfs"}),
        ),
        ("Features", json!({"Features": "mount=nfs"})),
        ("dev0 in other case", json!({"DEV0": "/dev/kvm"})),
        (
            "lxc key in other case",
            json!({"LXC.apparmor.profile": "unconfined"}),
        ),
        (
            "hostname with a newline",
            json!({"hostname": "x\nlxc.apparmor.profile: unconfined"}),
        ),
    ];
    for (what, data) in ct {
        r.model(
            c,
            &format!("PUT lab CT config, {what}"),
            "proxmox_api",
            put("lxc", data),
            Expect::Refused,
        )
        .await;
    }
    for (what, unprivileged) in [
        ("off", json!("off")),
        ("no", json!("no")),
        ("false", json!(false)),
        ("0 ", json!("0 ")),
        ("01", json!("01")),
    ] {
        let data = json!({"vmid": 9050, "ostemplate": DEBIAN, "rootfs": "local-lvm:4", "pool": "lab",
                          "cores": 1, "memory": 512, "unprivileged": unprivileged});
        r.model(
            c,
            &format!("POST /nodes/pve1/lxc unprivileged={what}"),
            "proxmox_api",
            api("POST", "/nodes/pve1/lxc", data),
            Expect::Refused,
        )
        .await;
    }
    for (what, set) in [
        ("HOSTPCI0", json!({"HOSTPCI0": "0000:01:00.0"})),
        (
            "Scsi5 on a hidden disk",
            json!({"Scsi5": "local-lvm:vm-250-disk-0"}),
        ),
        (
            "scsi5 with a duplicate file",
            json!({"scsi5": "local-lvm:vm-9000-disk-1,file=local-lvm:vm-250-disk-0"}),
        ),
        (
            "net1 bridge twice",
            json!({"net1": "virtio,bridge=vmbr0,bridge=vmbr9"}),
        ),
        (
            "net1 bridge after a space",
            json!({"net1": "virtio, bridge=vmbr9"}),
        ),
        (
            "name with a newline",
            json!({"name": "x\nhookscript: local:snippets/evil.sh"}),
        ),
        ("tags with a newline", json!({"tags": "mcp\nargs: -S"})),
        ("cores as a string", json!({"cores": "64"})),
        ("cores as a float", json!({"cores": 64.0})),
        ("memory as current=", json!({"memory": "current=65536"})),
        ("sockets as a string", json!({"sockets": "8", "cores": 8})),
    ] {
        r.model(
            c,
            &format!("guest_configure lab VM, {what}"),
            "guest_configure",
            json!({"vmid": LAB_VM, "set": set}),
            Expect::Refused,
        )
        .await;
    }
    for (what, args) in [
        ("unprivileged off", json!({"set": {"unprivileged": "off"}})),
        (
            "unprivileged false",
            json!({"set": {"unprivileged": false}}),
        ),
        ("delete unprivileged", json!({"delete": ["unprivileged"]})),
        ("delete Unprivileged", json!({"delete": ["Unprivileged"]})),
        (
            "delete unprivileged with a space",
            json!({"delete": [" unprivileged"]}),
        ),
        (
            "mp5 on a hidden subvolume",
            json!({"set": {"mp5": "local-lvm:subvol-9005-disk-0,mp=/mnt/x"}}),
        ),
        (
            "mp5 with volume= twice",
            json!({"set": {"mp5": "local-lvm:4,mp=/data,volume=local-lvm:vm-251-disk-0"}}),
        ),
        (
            "mp5 on a host path after a space",
            json!({"set": {"mp5": " /srv,mp=/srv"}}),
        ),
    ] {
        let mut args = args;
        args["vmid"] = json!(LAB_CT);
        r.model(
            c,
            &format!("guest_configure lab CT, {what}"),
            "guest_configure",
            args,
            Expect::Refused,
        )
        .await;
    }
    // A running VM made a template: PVE itself refuses, the policy must first.
    r.case(
        c,
        "guest_template of a running VM",
        Who::UserSaysYes,
        "guest_template",
        json!({"vmid": LAB_VM}),
        Expect::Refused,
    )
    .await;
}
