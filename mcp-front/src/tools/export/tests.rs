//! The export read back by `hcl-rs`'s parser: what is written is what the guest is,
//! secrets never are, and text from the configuration stays inside string literals.

use super::terraform::{Export, Guest, export};
use hcl::{Block, Body, Expression};
use pve_mcp_proto::GuestType;
use std::collections::BTreeMap;

fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn run(kind: GuestType, pairs: &[(&str, &str)], redacted: &[&str]) -> (Export, Body) {
    let config = config(pairs);
    let redacted: Vec<String> = redacted.iter().map(|s| (*s).to_owned()).collect();
    let out = export(&Guest {
        vmid: 101,
        kind,
        node: "pve1",
        config: &config,
        redacted: &redacted,
        pool: Some("lab"),
        running: Some(true),
    });
    let body: Body = hcl::from_str(&out.hcl)
        .unwrap_or_else(|e| panic!("the export parses as HCL: {e}\n{}", out.hcl));
    (out, body)
}

fn resource(body: &Body) -> &Block {
    body.blocks()
        .find(|b| b.identifier() == "resource")
        .expect("a resource block")
}

fn attr<'a>(block: &'a Block, key: &str) -> Option<&'a Expression> {
    block
        .body()
        .attributes()
        .find(|a| a.key() == key)
        .map(|a| a.expr())
}

fn blocks<'a>(block: &'a Block, ident: &'a str) -> Vec<&'a Block> {
    block
        .body()
        .blocks()
        .filter(|b| b.identifier() == ident)
        .collect()
}

fn s(v: &str) -> Expression {
    Expression::from(v)
}

const VM: &[(&str, &str)] = &[
    ("name", "web-01"),
    ("cores", "4"),
    ("sockets", "1"),
    ("cpu", "host,flags=+aes"),
    ("memory", "4096"),
    ("balloon", "1024"),
    ("ostype", "l26"),
    ("scsihw", "virtio-scsi-single"),
    (
        "scsi0",
        "local-lvm:vm-101-disk-0,iothread=1,size=32G,ssd=1,discard=on",
    ),
    ("virtio1", "nas:101/vm-101-disk-1.qcow2,size=512M,backup=0"),
    ("ide2", "local:iso/debian-12.iso,media=cdrom"),
    ("ide0", "local-lvm:vm-101-cloudinit,media=cdrom"),
    (
        "net0",
        "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1,tag=20",
    ),
    ("net1", "e1000=BC:24:11:00:00:02,bridge=vmbr1,link_down=1"),
    ("ipconfig0", "ip=10.0.0.5/24,gw=10.0.0.1"),
    ("ciuser", "admin"),
    ("cipassword", "[redacted]"),
    ("sshkeys", "ssh-ed25519%20AAAAC3Nz%20me%40host%0A"),
    ("nameserver", "1.1.1.1 9.9.9.9"),
    ("boot", "order=scsi0;ide2;net0"),
    ("agent", "1,fstrim_cloned_disks=1"),
    ("onboot", "1"),
    ("tags", "mcp;web"),
    (
        "efidisk0",
        "local-lvm:vm-101-disk-2,efitype=4m,pre-enrolled-keys=1,size=4M",
    ),
    ("startup", "order=3,up=60"),
    ("hostpci0", "0000:01:00.0"),
    ("digest", "abc"),
    ("vmgenid", "x"),
    (
        "description",
        "Built by the lab.\nLine two ${var.x} \"quoted\" \u{202E}txt.exe",
    ),
];

#[test]
fn a_vm_exports_as_its_configuration() {
    let (out, body) = run(GuestType::Qemu, VM, &["cipassword"]);
    assert_eq!(out.resource, "proxmox_virtual_environment_vm.web_01");
    let vm = resource(&body);
    assert_eq!(vm.labels()[0].as_str(), "proxmox_virtual_environment_vm");
    assert_eq!(attr(vm, "name"), Some(&s("web-01")));
    assert_eq!(attr(vm, "node_name"), Some(&s("pve1")));
    assert_eq!(attr(vm, "vm_id"), Some(&Expression::from(101u64)));
    assert_eq!(attr(vm, "pool_id"), Some(&s("lab")));
    assert_eq!(attr(vm, "on_boot"), Some(&Expression::from(true)));
    assert_eq!(attr(vm, "started"), Some(&Expression::from(true)));
    assert_eq!(attr(vm, "scsi_hardware"), Some(&s("virtio-scsi-single")));
    assert_eq!(
        attr(vm, "tags"),
        Some(&Expression::from(vec![s("mcp"), s("web")]))
    );
    assert_eq!(
        attr(vm, "boot_order"),
        Some(&Expression::from(vec![s("scsi0"), s("ide2"), s("net0")]))
    );
    // The description, newline, `${`, quotes and a bidi override included, reads back
    // exactly: it stayed inside its string literal.
    assert_eq!(
        attr(vm, "description"),
        Some(&s(
            "Built by the lab.\nLine two ${var.x} \"quoted\" \u{202E}txt.exe"
        ))
    );
    assert!(
        !out.hcl.contains('\u{202E}'),
        "hidden characters are escaped"
    );
    assert!(out.hcl.contains("\\u202E"), "{}", out.hcl);

    let cpu = &blocks(vm, "cpu")[0];
    assert_eq!(attr(cpu, "cores"), Some(&Expression::from(4u64)));
    assert_eq!(attr(cpu, "type"), Some(&s("host")));
    assert_eq!(attr(cpu, "flags"), Some(&Expression::from(vec![s("+aes")])));
    let memory = &blocks(vm, "memory")[0];
    assert_eq!(attr(memory, "dedicated"), Some(&Expression::from(4096u64)));
    assert_eq!(attr(memory, "floating"), Some(&Expression::from(1024u64)));

    let disks = blocks(vm, "disk");
    assert_eq!(disks.len(), 2);
    assert_eq!(attr(disks[0], "interface"), Some(&s("scsi0")));
    assert_eq!(attr(disks[0], "datastore_id"), Some(&s("local-lvm")));
    assert_eq!(attr(disks[0], "size"), Some(&Expression::from(32u64)));
    assert_eq!(attr(disks[0], "file_format"), Some(&s("raw")));
    assert_eq!(attr(disks[0], "discard"), Some(&s("on")));
    assert_eq!(attr(disks[1], "interface"), Some(&s("virtio1")));
    assert_eq!(attr(disks[1], "file_format"), Some(&s("qcow2")));
    assert_eq!(attr(disks[1], "size"), Some(&Expression::from(1u64)));
    assert_eq!(attr(disks[1], "backup"), Some(&Expression::from(false)));
    let cdrom = &blocks(vm, "cdrom")[0];
    assert_eq!(attr(cdrom, "file_id"), Some(&s("local:iso/debian-12.iso")));
    assert_eq!(attr(cdrom, "interface"), Some(&s("ide2")));

    let nets = blocks(vm, "network_device");
    assert_eq!(nets.len(), 2);
    assert_eq!(attr(nets[0], "model"), Some(&s("virtio")));
    assert_eq!(attr(nets[0], "mac_address"), Some(&s("BC:24:11:00:00:01")));
    assert_eq!(attr(nets[0], "vlan_id"), Some(&Expression::from(20u64)));
    assert_eq!(attr(nets[1], "enabled"), Some(&Expression::from(false)));

    let init = &blocks(vm, "initialization")[0];
    assert_eq!(attr(init, "interface"), Some(&s("ide0")));
    assert_eq!(attr(init, "datastore_id"), Some(&s("local-lvm")));
    let ip = &blocks(init, "ip_config")[0];
    let v4 = &blocks(ip, "ipv4")[0];
    assert_eq!(attr(v4, "address"), Some(&s("10.0.0.5/24")));
    assert_eq!(attr(v4, "gateway"), Some(&s("10.0.0.1")));
    let user = &blocks(init, "user_account")[0];
    assert_eq!(attr(user, "username"), Some(&s("admin")));
    assert_eq!(
        attr(user, "keys"),
        Some(&Expression::from(vec![s("ssh-ed25519 AAAAC3Nz me@host")]))
    );
    assert!(attr(user, "password").is_none());
    let efi = &blocks(vm, "efi_disk")[0];
    assert_eq!(attr(efi, "type"), Some(&s("4m")));

    // The secret is named, never written; what the provider cannot say is named.
    assert_eq!(out.secrets, ["cipassword"]);
    assert!(!out.hcl.contains("[redacted]"), "{}", out.hcl);
    assert_eq!(out.left_out, ["hostpci0"]);
    assert!(out.hcl.contains("# Left out, not exported: hostpci0\n"));
    assert!(
        out.hcl
            .contains("terraform import proxmox_virtual_environment_vm.web_01 pve1/101")
    );
}

#[test]
fn proxmox_defaults_that_differ_from_the_providers_are_written() {
    let (_, body) = run(GuestType::Qemu, &[("name", "bare")], &[]);
    let vm = resource(&body);
    assert_eq!(attr(vm, "on_boot"), Some(&Expression::from(false)));
    assert_eq!(attr(vm, "scsi_hardware"), Some(&s("lsi")));
    assert_eq!(attr(blocks(vm, "cpu")[0], "type"), Some(&s("kvm64")));
    let (_, body) = run(GuestType::Lxc, &[("hostname", "ct")], &[]);
    let ct = resource(&body);
    assert_eq!(attr(ct, "start_on_boot"), Some(&Expression::from(false)));
    assert_eq!(
        attr(blocks(ct, "memory")[0], "swap"),
        Some(&Expression::from(512u64))
    );
}

#[test]
fn a_container_exports_with_its_volumes_and_interfaces() {
    let (out, body) = run(
        GuestType::Lxc,
        &[
            ("hostname", "db-01"),
            ("arch", "amd64"),
            ("cores", "2"),
            ("memory", "1024"),
            ("swap", "0"),
            ("rootfs", "local-lvm:vm-101-disk-0,size=8G"),
            ("mp0", "local-lvm:vm-101-disk-1,mp=/data,size=10G,backup=1"),
            ("mp1", "/srv/share,mp=/share,ro=1"),
            (
                "net0",
                "name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:03,ip=dhcp,ip6=auto,tag=5",
            ),
            ("features", "nesting=1,keyctl=1"),
            ("unprivileged", "1"),
            ("ostype", "debian"),
            ("searchdomain", "lab.example"),
            ("lxc.apparmor.profile", "unconfined"),
        ],
        &[],
    );
    assert_eq!(out.resource, "proxmox_virtual_environment_container.db_01");
    let var = body
        .blocks()
        .find(|b| b.identifier() == "variable")
        .expect("the template variable");
    assert_eq!(var.labels()[0].as_str(), "template_file_id");
    let ct = resource(&body);
    assert_eq!(attr(ct, "unprivileged"), Some(&Expression::from(true)));
    let init = &blocks(ct, "initialization")[0];
    assert_eq!(attr(init, "hostname"), Some(&s("db-01")));
    assert_eq!(
        attr(blocks(init, "dns")[0], "domain"),
        Some(&s("lab.example"))
    );
    let v4 = &blocks(blocks(init, "ip_config")[0], "ipv4")[0];
    assert_eq!(attr(v4, "address"), Some(&s("dhcp")));
    let disk = &blocks(ct, "disk")[0];
    assert_eq!(attr(disk, "size"), Some(&Expression::from(8u64)));
    let mounts = blocks(ct, "mount_point");
    assert_eq!(attr(mounts[0], "volume"), Some(&s("local-lvm")));
    assert_eq!(attr(mounts[0], "size"), Some(&s("10G")));
    assert_eq!(attr(mounts[1], "volume"), Some(&s("/srv/share")));
    assert_eq!(attr(mounts[1], "read_only"), Some(&Expression::from(true)));
    let net = &blocks(ct, "network_interface")[0];
    assert_eq!(attr(net, "name"), Some(&s("eth0")));
    assert_eq!(attr(net, "mac_address"), Some(&s("BC:24:11:00:00:03")));
    let os = &blocks(ct, "operating_system")[0];
    assert_eq!(attr(os, "type"), Some(&s("debian")));
    assert!(out.hcl.contains("template_file_id = var.template_file_id"));
    let features = &blocks(ct, "features")[0];
    assert_eq!(attr(features, "nesting"), Some(&Expression::from(true)));
    assert_eq!(out.left_out, ["lxc.apparmor.profile"]);
}

#[test]
fn hostile_names_and_keys_cannot_leave_their_literal_or_comment() {
    let (out, body) = run(
        GuestType::Qemu,
        &[
            ("name", "9 \"} resource \"x\" \"y\" {"),
            ("tags", "a\"b;${x}"),
            ("bogus\n}\nresource \"evil\" \"x\" {\n#", "1"),
        ],
        &[],
    );
    // One resource, labelled from the name's letters and digits only.
    assert_eq!(body.blocks().count(), 1, "{}", out.hcl);
    assert_eq!(
        out.resource,
        "proxmox_virtual_environment_vm.guest_9_resource_x_y"
    );
    assert_eq!(
        attr(resource(&body), "tags"),
        Some(&Expression::from(vec![s("a\"b"), s("${x}")]))
    );
    // The odd key is named in its comment line, escaped: no line of it is code.
    assert!(
        out.hcl
            .lines()
            .filter(|l| l.contains("bogus"))
            .all(|l| l.starts_with("# Left out")),
        "{}",
        out.hcl
    );
}
