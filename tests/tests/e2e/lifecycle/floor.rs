//! End to end: the fixed floor for guest settings holds whatever the policy says. Under
//! a policy that opens everything it can (every configuration key a policy may list,
//! every raw API method on every path), the real mcp-front and pve-helper refuse, for
//! containers and VMs, through guest_configure, guest_create and proxmox_api: host
//! paths, device nodes, mount features, privileged containers, raw `lxc.*` keys and the
//! host's CD/DVD drive; and a clone or a restore inherits none of them, nor a
//! privileged container. The simulator is given such guests and backups directly, as
//! an administrator could make them, and checked to be unchanged afterwards.

use pve_mcp_tests::sim_client;

use pve_mcp_tests::{
    client::{Client, is_error, text},
    sim::{GuestKind, SimConfig},
    stack::{Stack, StackOptions},
};
use serde_json::{Value, json};
use sim_client::Api;
use std::time::Duration;

/// Everything a policy can open: all actions, every key `[config] keys` may list,
/// wide bounds, and `[api] allow` of every method on every path.
const WIDE: &str = include_str!("../../data/wide-policy.toml");

/// Lab guests of the 30-guest, 3-node dataset: VMs 102 (pve3, running) and 112 (pve1,
/// running), container 107 (pve2, stopped), container template 117 (pve3).
const VM: u32 = 112;
const CT: u32 = 107;
const TEMPLATE: u32 = 117;

const DEBIAN: &str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";

fn stack() -> Stack {
    let mut o = StackOptions::new(WIDE);
    o.sim = SimConfig {
        nodes: 3,
        guests: 30,
        task_duration: Duration::from_millis(60),
        ..SimConfig::default()
    };
    Stack::start(o).expect("stack starts")
}

async fn ok(client: &Client, tool: &str, args: Value) -> Value {
    let r = client.call(tool, args.clone()).await.unwrap();
    assert!(!is_error(&r), "{tool} {args}: {}", text(&r));
    r
}

/// Calls `tool` and expects a refusal naming the fixed floor.
async fn on_the_floor(client: &Client, tool: &str, args: Value) -> String {
    let r = client.call(tool, args.clone()).await.unwrap();
    let why = text(&r);
    assert!(is_error(&r), "{tool} {args} should be refused: {why}");
    assert!(why.contains("fixed floor"), "{tool} {args}: {why}");
    why
}

fn ct_create(config: Value) -> Value {
    json!({"type": "lxc", "node": "pve1", "name": "floor-ct", "cores": 1, "memory_mib": 512,
           "disk": {"storage": "local-lvm", "size_gib": 4}, "ostemplate": DEBIAN,
           "bridge": "vmbr1", "config": config})
}

fn vm_create(config: Value) -> Value {
    json!({"type": "qemu", "node": "pve1", "name": "floor-vm", "cores": 1, "memory_mib": 512,
           "disk": {"storage": "local-lvm", "size_gib": 4}, "config": config})
}

/// Container settings that reach the host: host paths, device nodes, mount features,
/// a privileged container.
const CT_FLOOR: [(&str, &str); 7] = [
    ("mp0", "/srv/data,mp=/data"),
    ("mp1", "volume=/dev/sdb,mp=/disk"),
    ("rootfs", "/var/lib/vz/rootfs"),
    ("dev0", "/dev/kvm"),
    ("features", "nesting=1,mount=nfs;cifs"),
    ("unprivileged", "0"),
    ("unprivileged", "false"),
];

/// Raw LXC keys: no route can spell them.
const LXC_RAW: [(&str, &str); 3] = [
    ("lxc.mount.entry", "/srv srv none bind 0 0"),
    ("lxc.apparmor.profile", "unconfined"),
    ("lxc.cgroup2.devices.allow", "a"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn container_floor_keys_through_every_route() {
    let stack = stack();
    let client = stack.client().await.unwrap();
    let before = stack.sim.guest_config(CT).expect("the lab container");
    let vmids = stack.sim.vmids();
    for (k, v) in CT_FLOOR {
        let args = json!({"vmid": CT, "set": {k: v}});
        on_the_floor(&client, "guest_configure", args).await;
        on_the_floor(&client, "guest_create", ct_create(json!({k: v}))).await;
        for method in ["PUT", "POST"] {
            let args = json!({"method": method, "endpoint": format!("/nodes/pve2/lxc/{CT}/config"),
                              "data": {k: v}});
            on_the_floor(&client, "proxmox_api", args).await;
        }
        let args = json!({"method": "POST", "endpoint": "/nodes/pve1/lxc",
                          "data": {"vmid": 9050, "ostemplate": DEBIAN, "unprivileged": 1,
                                   "rootfs": "local-lvm:4", k: v}});
        on_the_floor(&client, "proxmox_api", args).await;
    }
    for (k, v) in LXC_RAW {
        let why = on_the_floor(
            &client,
            "guest_configure",
            json!({"vmid": CT, "set": {k: v}}),
        )
        .await;
        assert!(why.contains("raw LXC"), "{why}");
        on_the_floor(&client, "guest_create", ct_create(json!({k: v}))).await;
        on_the_floor(
            &client,
            "guest_configure",
            json!({"vmid": CT, "delete": [k]}),
        )
        .await;
        let args = json!({"method": "PUT", "endpoint": format!("/nodes/pve2/lxc/{CT}/config"),
                          "data": {k: v}});
        assert!(
            on_the_floor(&client, "proxmox_api", args)
                .await
                .contains("raw LXC")
        );
    }
    // PVE's API takes raw keys as `lxc`, which is closed too.
    let args = json!({"method": "PUT", "endpoint": format!("/nodes/pve2/lxc/{CT}/config"),
                      "data": {"lxc": "lxc.apparmor.profile: unconfined"}});
    on_the_floor(&client, "proxmox_api", args).await;
    assert_eq!(
        stack.sim.guest_config(CT).unwrap(),
        before,
        "nothing changed"
    );
    assert_eq!(stack.sim.vmids(), vmids, "no guest was made");

    // The same keys with harmless values pass: the floor is about what they name.
    ok(
        &client,
        "guest_configure",
        json!({"vmid": CT, "set": {"features": "nesting=1", "mp0": "local-lvm:2,mp=/data"}}),
    )
    .await;
    let after = stack.sim.guest_config(CT).unwrap();
    assert!(after["mp0"].starts_with("local-lvm:"), "{after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_cd_drive_is_never_attached() {
    let stack = stack();
    let api = Api::new(&stack.sim);
    let client = stack.client().await.unwrap();
    let before = stack.sim.guest_config(VM).expect("the lab VM");
    for (k, v) in [
        ("ide2", "cdrom,media=cdrom"),
        ("ide2", "file=cdrom,media=cdrom"),
        ("sata1", "cdrom,media=cdrom"),
        ("cdrom", "cdrom"),
    ] {
        let why = on_the_floor(
            &client,
            "guest_configure",
            json!({"vmid": VM, "set": {k: v}}),
        )
        .await;
        assert!(why.contains("CD/DVD drive"), "{why}");
        on_the_floor(&client, "guest_create", vm_create(json!({k: v}))).await;
        for method in ["PUT", "POST"] {
            let args = json!({"method": method, "endpoint": format!("/nodes/pve1/qemu/{VM}/config"),
                              "data": {k: v}});
            on_the_floor(&client, "proxmox_api", args).await;
        }
        let args = json!({"method": "POST", "endpoint": "/nodes/pve1/qemu",
                          "data": {"vmid": 9051, "scsi0": "local-lvm:4", k: v}});
        on_the_floor(&client, "proxmox_api", args).await;
    }
    assert_eq!(
        stack.sim.guest_config(VM).unwrap(),
        before,
        "nothing changed"
    );
    // No medium, or an ISO image, is fine.
    ok(
        &client,
        "guest_configure",
        json!({"vmid": VM, "set": {"ide2": "none,media=cdrom"}}),
    )
    .await;
    ok(
        &client,
        "guest_configure",
        json!({"vmid": VM, "set": {"cdrom": "local:iso/debian-12.8.0-amd64-netinst.iso"}}),
    )
    .await;
    let (code, body) = api.get(&format!("/nodes/pve1/qemu/{VM}/config")).await;
    assert_eq!(code, 200);
    assert!(
        body["data"]["ide2"]
            .as_str()
            .is_some_and(|v| v.starts_with("local:iso/debian-12.8.0")),
        "{body}"
    );
}

/// Floor settings an administrator put on a lab guest, one at a time: a clone of the
/// guest would inherit each, so none is cloned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clones_inherit_no_floor_setting() {
    let stack = stack();
    let client = stack.client().await.unwrap();
    let vm_floor = [
        ("hostpci0", "0000:01:00.0,pcie=1"),
        ("usb0", "host=1234:5678"),
        ("serial0", "/dev/ttyS0"),
        ("parallel0", "/dev/parport0"),
        ("virtiofs0", "dirid=share"),
        ("ivshmem", "size=32"),
        ("args", "-device vfio-pci,host=01:00.0"),
        ("hookscript", "local:snippets/hook.pl"),
        ("scsi1", "/dev/sdb,size=8G"),
        ("ide2", "cdrom,media=cdrom"),
    ];
    let ct_floor = [
        ("dev0", "/dev/kvm"),
        ("mp0", "/srv/data,mp=/data"),
        ("features", "nesting=1,mount=nfs"),
        ("lxc.apparmor.profile", "unconfined"),
        ("hookscript", "local:snippets/hook.pl"),
    ];
    let vmids = stack.sim.vmids();
    for (source, floor) in [(VM, &vm_floor[..]), (TEMPLATE, &ct_floor[..])] {
        for (k, v) in floor {
            let before = stack.sim.guest_config(source).unwrap();
            assert!(stack.sim.edit_config(source, &[(k, Some(v))]));
            let why = on_the_floor(&client, "guest_clone", json!({"vmid": source})).await;
            assert!(
                why.contains(&format!("{k:?}")) || why.contains(k),
                "{k}: {why}"
            );
            let restore: Option<&str> = before.get(*k).map(String::as_str);
            assert!(stack.sim.edit_config(source, &[(k, restore)]));
        }
    }
    // A container without `unprivileged: 1` is privileged, and so would be its clone.
    assert!(stack.sim.edit_config(TEMPLATE, &[("unprivileged", None)]));
    let why = on_the_floor(&client, "guest_clone", json!({"vmid": TEMPLATE})).await;
    assert!(why.contains("privileged container"), "{why}");
    assert!(
        stack
            .sim
            .edit_config(TEMPLATE, &[("unprivileged", Some("0"))])
    );
    on_the_floor(&client, "guest_clone", json!({"vmid": TEMPLATE})).await;
    assert_eq!(stack.sim.vmids(), vmids, "no clone was made");
    // The raw API cannot clone at all: it would not judge what the clone inherits.
    let args = json!({"method": "POST", "endpoint": format!("/nodes/pve3/lxc/{TEMPLATE}/clone"),
                      "data": {"newid": 9060}});
    assert!(
        on_the_floor(&client, "proxmox_api", args)
            .await
            .contains("guest_clone")
    );
    // Restored, the template clones again.
    assert!(
        stack
            .sim
            .edit_config(TEMPLATE, &[("unprivileged", Some("1"))])
    );
    let r = ok(
        &client,
        "guest_clone",
        json!({"vmid": TEMPLATE, "full": false}),
    )
    .await;
    assert_eq!(r["structuredContent"]["exitstatus"], "OK", "{r}");
}

/// Backups holding floor settings, put on the storage as an administrator could: none
/// is restored to a new guest, nor over an existing one, by any route.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_holding_floor_settings_are_not_restored() {
    let stack = stack();
    let client = stack.client().await.unwrap();
    let vm = "cores: 1\nmemory: 512\nname: lab-vm\nnet0: virtio=BC:24:11:00:00:01,bridge=vmbr0\n\
              scsi0: local-lvm:vm-112-disk-0,size=8G\nscsihw: virtio-scsi-single\n";
    let ct = "arch: amd64\ncores: 1\nhostname: lab-ct\nmemory: 512\nostype: debian\n\
              net0: name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:02,ip=dhcp,type=veth\n\
              rootfs: local-lvm:vm-107-disk-0,size=8G\n";
    let unprivileged = format!("{ct}unprivileged: 1\n");
    let cases: Vec<(GuestKind, u32, String, &str)> = vec![
        (
            GuestKind::Qemu,
            VM,
            format!("{vm}hostpci0: 0000:01:00.0\n"),
            "hostpci0",
        ),
        (
            GuestKind::Qemu,
            VM,
            format!("{vm}ide2: cdrom,media=cdrom\n"),
            "CD/DVD",
        ),
        (
            GuestKind::Qemu,
            VM,
            format!("{vm}args: -device x\n"),
            "args",
        ),
        (GuestKind::Lxc, CT, ct.to_owned(), "privileged container"),
        (
            GuestKind::Lxc,
            CT,
            format!("{ct}unprivileged: 0\n"),
            "privileged",
        ),
        (
            GuestKind::Lxc,
            CT,
            format!("{unprivileged}mp0: /srv/data,mp=/data\n"),
            "mp0",
        ),
        (
            GuestKind::Lxc,
            CT,
            format!("{unprivileged}dev0: /dev/kvm\n"),
            "dev0",
        ),
        (
            GuestKind::Lxc,
            CT,
            format!("{unprivileged}lxc.apparmor.profile: unconfined\n"),
            "raw LXC",
        ),
    ];
    let vmids = stack.sim.vmids();
    for (kind, owner, config, named) in &cases {
        let volid = stack
            .sim
            .add_backup("pve1", "local", *kind, *owner, config)
            .expect("the backup is stored");
        let why = on_the_floor(
            &client,
            "backup_restore",
            json!({"volume": volid, "node": "pve1"}),
        )
        .await;
        assert!(why.contains(named), "{named}: {why}");
        let why = on_the_floor(
            &client,
            "backup_restore",
            json!({"volume": volid, "node": "pve1", "vmid": owner, "force": true}),
        )
        .await;
        assert!(why.contains(named), "{named}: {why}");
        let (endpoint, data) = match kind {
            GuestKind::Qemu => ("/nodes/pve1/qemu", json!({"vmid": 9070, "archive": volid})),
            GuestKind::Lxc => (
                "/nodes/pve1/lxc",
                json!({"vmid": 9070, "ostemplate": volid, "restore": 1, "unprivileged": 1}),
            ),
        };
        let args = json!({"method": "POST", "endpoint": endpoint, "data": data});
        assert!(
            on_the_floor(&client, "proxmox_api", args)
                .await
                .contains("backup_restore")
        );
    }
    assert_eq!(stack.sim.vmids(), vmids, "nothing was restored");
    // A backup of an unprivileged container with nothing on the floor restores.
    let clean = stack
        .sim
        .add_backup("pve1", "local", GuestKind::Lxc, CT, &unprivileged)
        .unwrap();
    let r = ok(
        &client,
        "backup_restore",
        json!({"volume": clean, "node": "pve1"}),
    )
    .await;
    assert_eq!(r["structuredContent"]["exitstatus"], "OK", "{r}");
    let restored = r["structuredContent"]["vmid"].as_u64().unwrap();
    let config = stack.sim.guest_config(u32::try_from(restored).unwrap());
    assert_eq!(config.unwrap()["unprivileged"], "1");
}
