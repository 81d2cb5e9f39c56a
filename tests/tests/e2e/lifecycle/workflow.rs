//! End to end: the guest lifecycle through the real mcp-front and pve-helper against the
//! simulated cluster, under the shipped lab-builder policy. A session builds a small
//! lab from nothing and tears it down with the user's confirmation; the bounds hold at
//! and just past their limits; the fixed floor holds for every tool and the raw API.
//! The simulator's own state is checked over HTTPS after each step.

use pve_mcp_tests::sim_client;

use super::{
    TEMPLATE, config, create_args, edit, finished_ok, lab_policy, new_vmid, ok, refused, resource,
    stack, with_agent, with_api,
};
use pve_mcp_tests::{
    client::{is_error, text},
    sim::{self, GuestKind, PowerState, SimConfig},
    stack::{Stack, StackOptions},
};
use serde_json::{Value, json};
use sim_client::Api;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_builds_a_lab_from_nothing_and_tears_it_down() {
    let stack = stack(&lab_policy(), 30);
    let api = Api::new(&stack.sim);
    let client = stack.confirming_client(true).await.unwrap();
    assert_eq!(resource(&api, TEMPLATE).await.unwrap()["template"], 1);

    // Two guests from the lab template: a linked clone and a full one.
    let a = ok(
        &client,
        "guest_clone",
        json!({"vmid": TEMPLATE, "name": "lab-a", "full": false}),
    )
    .await;
    finished_ok(&a);
    let a = new_vmid(&a);
    let b = ok(
        &client,
        "guest_clone",
        json!({"vmid": TEMPLATE, "name": "lab-b", "storage": "local-lvm"}),
    )
    .await;
    finished_ok(&b);
    let b = new_vmid(&b);
    assert_eq!(
        (a, b),
        (9000, 9001),
        "the lowest free vmids of [create] vmids"
    );
    for (vmid, node, name) in [(a, "pve3", "lab-a"), (b, "pve3", "lab-b")] {
        let r = resource(&api, vmid).await.expect("the clone exists");
        assert_eq!(r["node"], node);
        assert_eq!(r["pool"], "lab", "placed in the policy's pool");
        assert_eq!(r["name"], name);
    }

    // Start both, snapshot one, change its memory.
    for vmid in [a, b] {
        ok(
            &client,
            "vm_action",
            json!({"vmid": vmid, "action": "start"}),
        )
        .await;
    }
    for vmid in [a, b] {
        assert_eq!(resource(&api, vmid).await.unwrap()["status"], "running");
    }
    ok(
        &client,
        "snapshot_create",
        json!({"vmid": a, "name": "before"}),
    )
    .await;
    let (_, snaps) = api.get(&format!("/nodes/pve3/lxc/{a}/snapshot")).await;
    assert!(snaps.to_string().contains("\"before\""), "{snaps}");
    ok(
        &client,
        "guest_configure",
        json!({"vmid": a, "set": {"memory": 1024}}),
    )
    .await;
    assert_eq!(config(&api, "pve3", "lxc", a).await["memory"], 1024);

    // Migrate one (a running container restarts on the target).
    let m = ok(
        &client,
        "guest_migrate",
        json!({"vmid": b, "target": "pve1"}),
    )
    .await;
    finished_ok(&m);
    assert_eq!(resource(&api, b).await.unwrap()["node"], "pve1");

    // Back one up and restore the backup to a new vmid.
    let backup = ok(
        &client,
        "backup_start",
        json!({"vmid": a, "storage": "local"}),
    )
    .await;
    assert!(!text(&backup).is_empty());
    let (_, content) = api
        .get("/nodes/pve3/storage/local/content?content=backup")
        .await;
    let volid = content["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["volid"].as_str())
        .find(|v| v.contains(&format!("vzdump-lxc-{a}-")))
        .unwrap_or_else(|| {
            panic!(
                "the backup volume: {content} after {} {:?}",
                text(&backup),
                stack.sim.volumes("pve3", "local")
            )
        })
        .to_owned();
    let c = ok(
        &client,
        "backup_restore",
        json!({"volume": volid, "node": "pve3"}),
    )
    .await;
    finished_ok(&c);
    let c = new_vmid(&c);
    assert_eq!(c, 9002);
    let restored = resource(&api, c).await.expect("the restored guest exists");
    assert_eq!(restored["pool"], "lab");
    assert_eq!(config(&api, "pve3", "lxc", c).await["memory"], 1024);

    // Delete all three; each asks the user, and running guests are stopped first.
    let asked_before = client.questions().len();
    for vmid in [a, b, c] {
        let d = ok(&client, "guest_delete", json!({"vmid": vmid})).await;
        finished_ok(&d);
        assert!(resource(&api, vmid).await.is_none(), "{vmid} is gone");
    }
    let questions = client.questions();
    assert_eq!(questions.len() - asked_before, 3, "{questions:?}");
    assert!(
        questions.last().unwrap().contains("delete"),
        "{questions:?}"
    );
    // The template and the backup remain; the pool holds none of the lab guests.
    assert_eq!(resource(&api, TEMPLATE).await.unwrap()["template"], 1);
    let (_, content) = api
        .get("/nodes/pve3/storage/local/content?content=backup")
        .await;
    assert!(content.to_string().contains(&volid));
    let (_, pool) = api.get("/pools/lab").await;
    for vmid in [a, b, c] {
        assert!(
            !pool["data"]["members"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["vmid"] == vmid),
            "{pool}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_who_says_no_changes_nothing() {
    let stack = stack(&lab_policy(), 30);
    let api = Api::new(&stack.sim);
    let client = stack.confirming_client(false).await.unwrap();
    let a = new_vmid(
        &ok(
            &client,
            "guest_clone",
            json!({"vmid": TEMPLATE, "name": "keep", "full": false}),
        )
        .await,
    );
    let why = refused(&client, "guest_delete", json!({"vmid": a})).await;
    assert!(why.contains("Not done"), "{why}");
    assert!(resource(&api, a).await.is_some());
    assert_eq!(client.questions().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_guests_are_bounded_at_and_just_past_each_limit() {
    let stack = stack(&lab_policy(), 30);
    let api = Api::new(&stack.sim);
    let client = stack.client().await.unwrap();
    for (args, rule) in [
        (create_args(9, 512, 8, "pve1"), "max_cores = 8"),
        (create_args(1, 16385, 8, "pve1"), "max_memory_mib = 16384"),
        (create_args(1, 512, 129, "pve1"), "max_disk_gib = 128"),
        (create_args(1, 512, 8, "pve4"), "[create] nodes"),
    ] {
        let why = refused(&client, "guest_create", args).await;
        assert!(why.contains(rule), "{rule}: {why}");
    }
    let mut outside = create_args(1, 512, 8, "pve1");
    outside["vmid"] = json!(9100);
    let why = refused(&client, "guest_create", outside).await;
    assert!(why.contains("9000-9099"), "{why}");
    let mut foreign = create_args(1, 512, 8, "pve1");
    foreign["ostemplate"] = json!("nas:vztmpl/other.tar.zst");
    assert!(
        refused(&client, "guest_create", foreign)
            .await
            .contains("[bounds] sources")
    );
    assert!(resource(&api, 9000).await.is_none(), "nothing was created");

    let r = ok(&client, "guest_create", create_args(8, 16384, 128, "pve1")).await;
    finished_ok(&r);
    let vmid = new_vmid(&r);
    let made = resource(&api, vmid).await.expect("created at the limits");
    assert_eq!(
        (made["maxcpu"].as_u64(), made["pool"].as_str()),
        (Some(8), Some("lab"))
    );
    let cfg = config(&api, "pve1", "lxc", vmid).await;
    assert_eq!(cfg["unprivileged"], 1, "containers are always unprivileged");

    // Changes are bounded the same way.
    let why = refused(
        &client,
        "guest_configure",
        json!({"vmid": vmid, "set": {"cores": 9}}),
    )
    .await;
    assert!(why.contains("max_cores = 8"), "{why}");
    let why = refused(
        &client,
        "disk_resize",
        json!({"vmid": vmid, "disk": "rootfs", "size_gib": 129}),
    )
    .await;
    assert!(why.contains("max_disk_gib"), "{why}");
    let why = refused(
        &client,
        "guest_configure",
        json!({"vmid": vmid, "set": {"swap": 512, "hostname": "x"}}),
    )
    .await;
    assert!(why.contains("[config] keys"), "{why}");
    let why = refused(
        &client,
        "guest_migrate",
        json!({"vmid": vmid, "target": "pve4"}),
    )
    .await;
    assert!(why.contains("[migrate] nodes"), "{why}");
    assert_eq!(config(&api, "pve1", "lxc", vmid).await["cores"], 8);
}

/// Every key of the fixed floor, refused through guest_configure, guest_create and
/// the raw API under a policy that lists them all and opens the write endpoints.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_tool_and_no_api_call_can_set_a_floor_key() {
    let policy = with_api(
        &lab_policy(),
        "\"PUT /nodes/*/qemu/*/config\", \"POST /nodes/*/qemu/*/config\", \
         \"PUT /nodes/*/lxc/*/config\", \"POST /nodes/*/qemu\", \"POST /nodes/*/lxc\"",
    );
    let stack = stack(&policy, 30);
    let api = Api::new(&stack.sim);
    let client = stack.client().await.unwrap();
    let a = new_vmid(
        &ok(
            &client,
            "guest_create",
            json!({"type": "qemu", "node": "pve1", "name": "floor", "cores": 1,
                   "memory_mib": 512, "disk": {"storage": "local-lvm", "size_gib": 4}}),
        )
        .await,
    );
    let before = config(&api, "pve1", "qemu", a).await;
    let floor = [
        ("hostpci0", "0000:01:00.0"),
        ("usb0", "host=1234:5678"),
        ("serial0", "/dev/ttyS0"),
        ("parallel0", "/dev/parport0"),
        ("virtiofs0", "dirid=share"),
        ("ivshmem", "size=32"),
        ("args", "-device vfio-pci,host=01:00.0"),
        ("hookscript", "local:snippets/hook.pl"),
        ("scsi1", "/dev/sdb"),
        ("virtio1", "file=/dev/disk/by-id/ata-x"),
        ("scsi2", "local-lvm:0,import-from=/root/disk.qcow2"),
    ];
    for (k, v) in floor {
        let why = refused(
            &client,
            "guest_configure",
            json!({"vmid": a, "set": {k: v}}),
        )
        .await;
        assert!(why.contains("fixed floor"), "{k}: {why}");
        for method in ["PUT", "POST"] {
            let why = refused(
                &client,
                "proxmox_api",
                json!({"method": method, "endpoint": format!("/nodes/pve1/qemu/{a}/config"),
                       "data": {k: v}}),
            )
            .await;
            assert!(why.contains("fixed floor"), "{method} {k}: {why}");
        }
        let mut create = json!({"type": "qemu", "node": "pve1", "name": "floor2", "cores": 1,
                                 "memory_mib": 512, "disk": {"storage": "local-lvm", "size_gib": 4}});
        create["config"] = json!({k: v});
        assert!(
            refused(&client, "guest_create", create)
                .await
                .contains("fixed floor"),
            "{k}"
        );
    }
    assert_eq!(
        config(&api, "pve1", "qemu", a).await,
        before,
        "nothing changed"
    );

    // Containers: host bind mounts, device nodes, mount features, privileged.
    for (k, v) in [
        ("mp0", "/srv/data,mp=/data"),
        ("dev0", "/dev/kvm"),
        ("features", "nesting=1,mount=nfs"),
        ("unprivileged", "0"),
    ] {
        let why = refused(
            &client,
            "proxmox_api",
            json!({"method": "PUT", "endpoint": "/nodes/pve1/lxc/102/config", "data": {k: v}}),
        )
        .await;
        assert!(why.contains("fixed floor"), "{k}: {why}");
    }
    let why = refused(
        &client,
        "proxmox_api",
        json!({"method": "POST", "endpoint": "/nodes/pve1/lxc",
               "data": {"vmid": 9050, "ostemplate": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"}}),
    )
    .await;
    assert!(why.contains("unprivileged=1"), "{why}");
    assert!(resource(&api, 9050).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protection_scope_and_visibility() {
    let stack = stack(&lab_policy(), 30);
    let api = Api::new(&stack.sim);
    let client = stack.confirming_client(true).await.unwrap();
    let a = new_vmid(
        &ok(
            &client,
            "guest_clone",
            json!({"vmid": TEMPLATE, "full": false}),
        )
        .await,
    );
    let (code, _) = api
        .put(
            &format!("/nodes/pve3/lxc/{a}/config"),
            &[("protection", "1")],
        )
        .await;
    assert_eq!(code, 200);
    let why = refused(&client, "guest_delete", json!({"vmid": a})).await;
    assert!(why.contains("protection"), "{why}");
    assert!(resource(&api, a).await.is_some());
    // Guests outside the lab are not found, whatever the tool.
    let outside = 100; // dataset index 0: pool prod
    for (tool, args) in [
        ("guest_clone", json!({"vmid": outside})),
        ("guest_delete", json!({"vmid": outside})),
        ("guest_migrate", json!({"vmid": outside, "target": "pve2"})),
        (
            "guest_configure",
            json!({"vmid": outside, "set": {"memory": 512}}),
        ),
    ] {
        let why = refused(&client, tool, args).await;
        assert!(
            why.contains("does not exist or is not visible"),
            "{tool}: {why}"
        );
    }
    // Under the shipped read-only policy, none of the lifecycle tools is listed.
    let ro = self::stack(
        &include_str!("../../../../policy/policy.toml")
            .replace("users = [\"claude-user\"]", "users = [{uid}]"),
        10,
    );
    let names: Vec<String> = ro
        .client()
        .await
        .unwrap()
        .tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    for tool in [
        "guest_create",
        "guest_clone",
        "guest_template",
        "guest_configure",
        "disk_resize",
        "guest_migrate",
        "guest_delete",
        "backup_restore",
        "volume_delete",
        "storage_download",
        "task_cancel",
        "agent_exec",
        "next_vmid",
    ] {
        assert!(!names.iter().any(|n| n == tool), "{tool} listed: {names:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_tasks_agent_and_read_only_extras() {
    let policy = with_agent(
        &lab_policy(),
        "exec = [[\"uname\", \"-a\"], [\"hostname\"]]\ntimeout_secs = 5",
    );
    // Guests tagged `private` stay out of scope, even in the lab pool.
    let policy = edit(
        &policy,
        "allow = [\"pool:lab\"]",
        "allow = [\"pool:lab\"]\ndeny = [\"tag:private\"]",
    );
    let policy = with_api(
        &policy,
        "\"GET /cluster/firewall/**\", \"GET /nodes/*/lxc/*/firewall/**\", \
         \"GET /nodes/*/qemu/*/firewall/**\", \"GET /cluster/ha/resources\", \"GET /cluster/ha/groups\"",
    );
    let stack = stack(&policy, 30);
    let api = Api::new(&stack.sim);
    let client = stack.confirming_client(true).await.unwrap();

    // Downloads only from the allowed prefixes, onto [storage] storages.
    let r = ok(
        &client,
        "storage_download",
        json!({"node": "pve1", "storage": "local", "content": "iso", "filename": "noble.iso",
               "url": "https://releases.ubuntu.com/24.04/ubuntu-24.04-live-server-amd64.iso"}),
    )
    .await;
    finished_ok(&r);
    let (_, isos) = api
        .get("/nodes/pve1/storage/local/content?content=iso")
        .await;
    assert!(isos.to_string().contains("local:iso/noble.iso"), "{isos}");
    let why = refused(
        &client,
        "storage_download",
        json!({"node": "pve1", "storage": "local", "content": "iso", "filename": "x.iso",
               "url": "https://releases.ubuntu.com.evil.example/x.iso"}),
    )
    .await;
    assert!(why.contains("download_from"), "{why}");
    let d = ok(
        &client,
        "volume_delete",
        json!({"node": "pve1", "volume": "local:iso/noble.iso"}),
    )
    .await;
    assert!(!is_error(&d));
    let (_, isos) = api
        .get("/nodes/pve1/storage/local/content?content=iso")
        .await;
    assert!(!isos.to_string().contains("local:iso/noble.iso"), "{isos}");

    // Reads: next vmid, pools (members in scope only), firewall, HA.
    let r = ok(&client, "next_vmid", json!({})).await;
    assert!(text(&r).contains("9000"), "{}", text(&r));
    // A private guest joins the lab pool behind the assistant's back: Proxmox lists it
    // as a member, the assistant does not see it.
    let (code, made) = api
        .post(
            "/nodes/pve1/qemu",
            &[
                ("vmid", "950"),
                ("name", "private"),
                ("pool", "lab"),
                ("tags", "private"),
            ],
        )
        .await;
    assert_eq!(code, 200, "{made}");
    api.wait_task("pve1", made["data"].as_str().unwrap()).await;
    let (_, pool) = api.get("/pools/lab").await;
    let in_pve = pool_vmids(&pool["data"]["members"]);
    assert!(
        in_pve.contains(&950) && in_pve.contains(&TEMPLATE),
        "{pool}"
    );
    let r = ok(&client, "list_pools", json!({"pool": "lab"})).await;
    let shown = pool_vmids(&r["structuredContent"]["pools"][0]["members"]);
    assert!(
        shown.contains(&TEMPLATE),
        "in-scope members are shown: {shown:?}"
    );
    assert!(
        !shown.contains(&950),
        "the private guest is hidden: {shown:?}"
    );
    assert_eq!(shown.len(), in_pve.len() - 1, "{shown:?} of {in_pve:?}");
    ok(&client, "firewall", json!({})).await;
    ok(&client, "ha_resources", json!({})).await;

    // The guest agent runs only what [agent] exec lists, in a lab VM whose agent runs.
    let (_, res) = api.get("/cluster/resources?type=vm").await;
    let vm = res["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| {
            g["pool"] == "lab"
                && g["type"] == "qemu"
                && g["status"] == "running"
                && g["template"] != 1
        })
        .map(|g| g["vmid"].as_u64().unwrap())
        .expect("a running lab VM");
    let r = client
        .call("agent_exec", json!({"vmid": vm, "argv": ["uname", "-a"]}))
        .await
        .unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(r["structuredContent"]["exit_code"], 0, "{r}");
    assert!(text(&r).contains("Linux"), "{}", text(&r));
    let why = refused(
        &client,
        "agent_exec",
        json!({"vmid": vm, "argv": ["rm", "-rf", "/"]}),
    )
    .await;
    assert!(why.contains("[agent] exec"), "{why}");
}

/// A VM template made by the session, a clone of it grown, a cloud-init VM from a
/// cloud image, a restore over an existing guest and the backup's deletion, all with
/// the user's confirmation where the policy asks for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_resizes_cloud_init_and_restores_over_a_guest() {
    let stack = stack(&lab_policy(), 60);
    let api = Api::new(&stack.sim);
    let client = stack.confirming_client(true).await.unwrap();
    // A stopped lab VM without snapshots becomes a template.
    let seed = sim::dataset::find(3, 60, |g| {
        g.pool == Some("lab")
            && g.kind == GuestKind::Qemu
            && g.initial == PowerState::Stopped
            && !g.has_base_snapshot()
    });
    let (vmid, node) = (u64::from(seed.vmid), seed.node.clone());
    let asked = client.questions().len();
    ok(&client, "guest_template", json!({"vmid": vmid})).await;
    assert_eq!(client.questions().len(), asked + 1, "template asks first");
    assert_eq!(
        resource(&api, u32::try_from(vmid).unwrap()).await.unwrap()["template"],
        1
    );

    // A full clone of it, grown; disks never shrink, nor grow past the bound.
    let clone = new_vmid(
        &ok(
            &client,
            "guest_clone",
            json!({"vmid": vmid, "name": "grown"}),
        )
        .await,
    );
    let before = config(&api, &node, "qemu", clone).await["scsi0"]
        .as_str()
        .unwrap()
        .to_owned();
    let why = refused(
        &client,
        "disk_resize",
        json!({"vmid": clone, "disk": "scsi0", "size_gib": 1}),
    )
    .await;
    assert!(why.contains("only grow"), "{why}");
    ok(
        &client,
        "disk_resize",
        json!({"vmid": clone, "disk": "scsi0", "size_gib": 100}),
    )
    .await;
    let after = config(&api, &node, "qemu", clone).await["scsi0"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(after.contains("size=100G"), "{before} -> {after}");

    // The bridge comes from the node's own list, among those the policy lets guests use.
    let nets = ok(
        &client,
        "node_networks",
        json!({"node": "pve1", "type": "any_bridge"}),
    )
    .await;
    let usable: Vec<&str> = nets["structuredContent"]["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["guests_may_use"] == true)
        .filter_map(|i| i["iface"].as_str())
        .collect();
    assert_eq!(usable, ["vmbr0", "vmbr1"], "{nets}");

    // A cloud-init VM from a cloud image: the password only as a hash, never echoed.
    let hash = "$6$rounds=5000$saltsalt$S0meHashedValueThatIsLongEnough0123456789abcdefABCDEF";
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBv4dXbVqkM2u7Q0n3F9 admin@lab";
    let r = ok(
        &client,
        "guest_create",
        json!({"type": "qemu", "node": "pve1", "name": "cloud1", "cores": 2, "memory_mib": 2048,
               "disk": {"storage": "local-lvm", "size_gib": 8},
               "image": "local:import/debian-12-genericcloud-amd64.qcow2", "bridge": "vmbr1",
               "cloud_init": {"user": "admin", "password_hash": hash, "ssh_keys": [key],
                              "ipconfig": "ip=dhcp"}}),
    )
    .await;
    finished_ok(&r);
    assert!(!r.to_string().contains(hash), "the hash is not echoed: {r}");
    let cloud = new_vmid(&r);
    let cfg = config(&api, "pve1", "qemu", cloud).await;
    assert_eq!(cfg["ciuser"], "admin");
    assert_eq!(cfg["ipconfig0"], "ip=dhcp");
    assert!(
        cfg["sshkeys"].as_str().unwrap().contains("ssh-ed25519"),
        "{cfg}"
    );
    assert!(
        cfg["scsi0"].as_str().unwrap().starts_with("local-lvm:vm-"),
        "{cfg}"
    );
    let why = refused(
        &client,
        "guest_create",
        json!({"type": "qemu", "node": "pve1", "name": "cloud2", "cores": 1, "memory_mib": 512,
               "disk": {"storage": "local-lvm", "size_gib": 8},
               "cloud_init": {"password_hash": "hunter2"}}),
    )
    .await;
    assert!(
        why.contains("crypt hash") && !why.contains("hunter2"),
        "{why}"
    );

    // Back the clone up, change it, restore over it, then delete the backup.
    ok(
        &client,
        "backup_start",
        json!({"vmid": clone, "storage": "local"}),
    )
    .await;
    let volid = stack
        .sim
        .volumes(&node, "local")
        .into_iter()
        .find(|v| v.contains(&format!("vzdump-qemu-{clone}-")))
        .expect("the backup");
    ok(
        &client,
        "guest_configure",
        json!({"vmid": clone, "set": {"memory": 4096}}),
    )
    .await;
    let why = refused(
        &client,
        "backup_restore",
        json!({"volume": volid, "node": node, "vmid": clone}),
    )
    .await;
    assert!(why.contains("force"), "{why}");
    let r = ok(
        &client,
        "backup_restore",
        json!({"volume": volid, "node": node, "vmid": clone, "force": true}),
    )
    .await;
    finished_ok(&r);
    assert_ne!(
        config(&api, &node, "qemu", clone).await["memory"],
        4096,
        "restored"
    );
    ok(
        &client,
        "volume_delete",
        json!({"node": node, "volume": volid}),
    )
    .await;
    assert!(!stack.sim.volumes(&node, "local").contains(&volid));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_task_of_a_lab_guest_can_be_stopped() {
    let mut o = StackOptions::new(&lab_policy());
    o.sim = SimConfig {
        nodes: 3,
        guests: 30,
        task_duration: Duration::from_secs(20),
        ..SimConfig::default()
    };
    let stack = Stack::start(o).expect("stack starts");
    let api = Api::new(&stack.sim);
    let client = stack.client().await.unwrap();
    // A backup of a lab guest, started behind the assistant's back, runs for 20 s.
    let (code, started) = api
        .post(
            "/nodes/pve3/vzdump",
            &[("vmid", "102"), ("storage", "local")],
        )
        .await;
    assert_eq!(code, 200, "{started}");
    let upid = started["data"].as_str().unwrap().to_owned();
    let r = ok(&client, "task_cancel", json!({"upid": upid})).await;
    assert!(text(&r).contains("stopped"), "{}", text(&r));
    let done = api.wait_task("pve3", &upid).await;
    assert_ne!(done["exitstatus"], "OK", "{done}");
    // A task of a guest outside the lab is not found.
    let (_, other) = api
        .post(
            "/nodes/pve1/vzdump",
            &[("vmid", "100"), ("storage", "local")],
        )
        .await;
    let why = refused(&client, "task_cancel", json!({"upid": other["data"]})).await;
    assert!(why.contains("does not exist or is not visible"), "{why}");
    let other = sim_client::encode(other["data"].as_str().unwrap());
    let (_, status) = api.get(&format!("/nodes/pve1/tasks/{other}/status")).await;
    assert_eq!(status["data"]["status"], "running", "not stopped: {status}");
}

/// The vmids of a pool's member list (Proxmox's or the tool's).
fn pool_vmids(members: &Value) -> Vec<u32> {
    members
        .as_array()
        .expect("a member list")
        .iter()
        .filter_map(|m| m["vmid"].as_u64())
        .map(|v| u32::try_from(v).unwrap())
        .collect()
}
