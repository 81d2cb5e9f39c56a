//! The simulated PVE API's guest lifecycle over real HTTPS with a token: create, restore,
//! clone, template, config writes, resize, migrate, destroy, storage downloads and
//! deletes, task stops, guest agent commands, and the firewall, pool, HA, `nextid` and
//! `extractconfig` reads. Each endpoint's effect is checked where PVE shows it
//! (`/cluster/resources`, config, status, pools, storage content, task lists), and at
//! least one refusal per endpoint in PVE's words.

use pve_mcp_tests::sim_client;

use std::time::Duration;

use pve_mcp_tests::sim::{self, GuestKind, PowerState, PveVersion, SimConfig, SimHandle, Upid};
use serde_json::{Value, json};
use sim_client::{Api, encode};

const CLOUD_IMAGE: &str = "local:import/debian-12-genericcloud-amd64.qcow2";
const ISO: &str = "local:iso/debian-12.8.0-amd64-netinst.iso";
const CT_TEMPLATE: &str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";
const SSH_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBv4dXbVqkM2u7Q0n3F9 admin@lab";

async fn sim_with(task_ms: u64) -> SimHandle {
    sim::start(SimConfig {
        nodes: 3,
        guests: 30,
        task_duration: Duration::from_millis(task_ms),
        expects_invalid_requests: true,
        // These tests hold PVE 8.4's answers and wording; `versions` the other's.
        pve: PveVersion::Pve8,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

async fn sim() -> SimHandle {
    sim_with(40).await
}

/// Asserts a UPID answer of `task_type` on `node`, waits for the task, returns its status.
async fn task(api: &Api, node: &str, task_type: &str, answer: (u16, Value)) -> Value {
    let (code, body) = answer;
    assert_eq!(code, 200, "{body}");
    let upid = body["data"].as_str().expect("a UPID").to_owned();
    let parsed = Upid::parse(&upid).expect("PVE's UPID format");
    assert_eq!(
        (parsed.node.as_str(), parsed.kind.as_str()),
        (node, task_type),
        "{upid}"
    );
    let mut done = api.wait_task(node, &upid).await;
    done["upid"] = json!(upid);
    done
}

async fn ok_task(api: &Api, node: &str, task_type: &str, answer: (u16, Value)) -> String {
    let done = task(api, node, task_type, answer).await;
    assert_eq!(done["exitstatus"], "OK", "{done}");
    done["upid"].as_str().unwrap_or_default().to_owned()
}

async fn task_log(api: &Api, node: &str, upid: &str) -> String {
    let (_, log) = api
        .get(&format!("/nodes/{node}/tasks/{}/log?limit=0", encode(upid)))
        .await;
    let lines: Vec<&str> = log["data"]
        .as_array()
        .map(|l| l.iter().filter_map(|x| x["t"].as_str()).collect())
        .unwrap_or_default();
    lines.join("\n")
}

fn error(answer: &(u16, Value)) -> (u16, String) {
    (
        answer.0,
        answer.1["message"].as_str().unwrap_or_default().to_owned(),
    )
}

fn param_error(answer: &(u16, Value), param: &str) -> String {
    assert_eq!(answer.0, 400, "{}", answer.1);
    answer.1["errors"][param]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn resource(api: &Api, vmid: u32) -> Option<Value> {
    let (_, all) = api.get("/cluster/resources?type=vm").await;
    all["data"]
        .as_array()
        .and_then(|l| l.iter().find(|e| e["vmid"] == vmid).cloned())
}

async fn config(api: &Api, node: &str, kind: &str, vmid: u32) -> Value {
    let (code, body) = api
        .get(&format!("/nodes/{node}/{kind}/{vmid}/config"))
        .await;
    assert_eq!(code, 200, "{body}");
    body["data"].clone()
}

async fn pool_members(api: &Api, pool: &str) -> Vec<u64> {
    let (code, body) = api.get(&format!("/pools/{pool}")).await;
    assert_eq!(code, 200, "{body}");
    body["data"]["members"]
        .as_array()
        .map(|m| m.iter().filter_map(|e| e["vmid"].as_u64()).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_vm_allocates_disks_and_shows_everywhere() {
    let sim = sim().await;
    let api = Api::new(&sim);
    let (_, next) = api.get("/cluster/nextid").await;
    assert_eq!(next["data"], "130", "PVE answers with a string");
    let keys = sim_client::encode_value(SSH_KEY);
    let create = api
        .post(
            "/nodes/pve1/qemu",
            &[
                ("vmid", "130"),
                ("name", "web-new"),
                ("cores", "2"),
                ("memory", "2048"),
                ("ostype", "l26"),
                ("scsihw", "virtio-scsi-single"),
                ("scsi0", "local-lvm:8,iothread=1"),
                ("ide2", &format!("{ISO},media=cdrom")),
                ("ide0", "local-lvm:cloudinit"),
                ("net0", "virtio,bridge=vmbr0,firewall=1"),
                ("agent", "1"),
                ("tags", "web;Lab"),
                ("pool", "lab"),
                ("ciuser", "admin"),
                ("cipassword", "s3cret-pw"),
                ("ipconfig0", "ip=10.20.0.5/24,gw=10.20.0.1"),
                ("sshkeys", &keys),
            ],
        )
        .await;
    assert_eq!(create.0, 200, "{}", create.1);
    let upid = create.1["data"].as_str().unwrap().to_owned();
    assert_eq!(config(&api, "pve1", "qemu", 130).await["lock"], "create");
    let done = api.wait_task("pve1", &upid).await;
    assert_eq!(done["exitstatus"], "OK");
    assert!(upid.contains(":qmcreate:130:"), "{upid}");
    let log = task_log(&api, "pve1", &upid).await;
    assert!(
        log.contains(
            "scsi0: successfully created disk 'local-lvm:vm-130-disk-0,iothread=1,size=8G'"
        ),
        "{log}"
    );

    let cfg = config(&api, "pve1", "qemu", 130).await;
    assert_eq!(cfg["cores"], 2);
    assert_eq!(cfg["memory"], "2048");
    assert_eq!(cfg["scsi0"], "local-lvm:vm-130-disk-0,iothread=1,size=8G");
    assert_eq!(cfg["ide2"], format!("{ISO},media=cdrom,size=631M"));
    assert_eq!(cfg["ide0"], "local-lvm:vm-130-cloudinit,media=cdrom");
    assert_eq!(cfg["boot"], "order=scsi0;ide2;net0");
    assert_eq!(cfg["cipassword"], "**********");
    assert_eq!(cfg["tags"], "lab;web");
    assert!(cfg.get("lock").is_none(), "{cfg}");
    let net0 = cfg["net0"].as_str().unwrap();
    assert!(
        net0.starts_with("virtio=BC:24:11:") && net0.ends_with(",bridge=vmbr0,firewall=1"),
        "{net0}"
    );
    let stored = sim.guest_config(130).unwrap();
    assert!(stored["cipassword"].starts_with("$5$") && !stored["cipassword"].contains("s3cret"));

    let r = resource(&api, 130).await.expect("listed");
    assert_eq!(
        (
            r["name"].clone(),
            r["maxcpu"].clone(),
            r["maxmem"].clone(),
            r["maxdisk"].clone()
        ),
        (
            json!("web-new"),
            json!(2),
            json!(2u64 << 30),
            json!(8u64 << 30)
        )
    );
    assert_eq!(
        (r["status"].clone(), r["template"].clone()),
        (json!("stopped"), json!(0))
    );
    assert_eq!(
        (r["pool"].clone(), r["tags"].clone()),
        (json!("lab"), json!("lab;web"))
    );
    assert!(pool_members(&api, "lab").await.contains(&130));
    assert!(
        sim.volumes("pve1", "local-lvm")
            .contains(&"local-lvm:vm-130-disk-0".to_owned())
    );
    assert!(
        !sim.volumes("pve2", "local-lvm")
            .contains(&"local-lvm:vm-130-disk-0".to_owned())
    );
    let (_, tasks) = api.get("/nodes/pve1/tasks?typefilter=qmcreate").await;
    assert_eq!(tasks["data"][0]["upid"], upid);
    assert_eq!(api.get("/cluster/nextid").await.1["data"], "131");

    // Refusals, in PVE's words.
    let taken = api
        .post("/nodes/pve1/qemu", &[("vmid", "100"), ("cores", "1")])
        .await;
    assert_eq!(
        error(&taken),
        (
            500,
            "unable to create VM 100 - VM 100 already exists on node 'pve1'\n".into()
        )
    );
    let no_pool = api
        .post("/nodes/pve1/qemu", &[("vmid", "131"), ("pool", "nope")])
        .await;
    assert_eq!(
        error(&no_pool),
        (
            403,
            "Permission check failed (pool 'nope' does not exist)\n".into()
        )
    );
    let no_images = api
        .post("/nodes/pve1/qemu", &[("vmid", "131"), ("scsi0", "local:8")])
        .await;
    assert_eq!(
        param_error(&no_images, "storage"),
        "storage 'local' does not support vm images"
    );
    let bad = api
        .post(
            "/nodes/pve1/qemu",
            &[
                ("vmid", "131"),
                ("net0", "virtio,bridge=vmbr0,vlan=3"),
                ("colour", "red"),
                ("cores", "0"),
            ],
        )
        .await;
    assert_eq!(
        param_error(&bad, "net0"),
        "invalid format - invalid key in comma-separated list property: vlan\n"
    );
    assert!(param_error(&bad, "colour").starts_with("property is not defined in schema"));
    assert_eq!(
        param_error(&bad, "cores"),
        "value must have a minimum value of 1"
    );
    let iso_as_disk = api
        .post("/nodes/pve1/qemu", &[("vmid", "131"), ("ide2", ISO)])
        .await;
    assert_eq!(
        param_error(&iso_as_disk, "ide2"),
        "explicit 'media=cdrom' is required for iso images"
    );
    let missing = api
        .post(
            "/nodes/pve1/qemu",
            &[("vmid", "131"), ("ide2", "local:iso/nope.iso,media=cdrom")],
        )
        .await;
    let done = task(&api, "pve1", "qmcreate", missing).await;
    assert_eq!(
        done["exitstatus"],
        "unable to create VM 131 - volume local:iso/nope.iso does not exist"
    );
    assert!(
        sim.guest_state(131).is_none(),
        "a failed create leaves nothing"
    );
    let keys = api
        .post(
            "/nodes/pve1/qemu",
            &[("vmid", "131"), ("sshkeys", "not-a-key")],
        )
        .await;
    assert_eq!(
        error(&keys),
        (500, "SSH public key validation error\n".into())
    );
    let missing_vmid = api.post("/nodes/pve1/qemu", &[("cores", "1")]).await;
    assert_eq!(
        param_error(&missing_vmid, "vmid"),
        "property is missing and it is not optional"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloud_image_vms_run_guest_agent_commands() {
    let sim = sim().await;
    let api = Api::new(&sim);
    let import = format!("local-lvm:0,import-from={CLOUD_IMAGE}");
    let create = api
        .post(
            "/nodes/pve2/qemu",
            &[
                ("vmid", "140"),
                ("name", "cloud"),
                ("scsi0", &import),
                ("net0", "virtio,bridge=vmbr1"),
                ("agent", "enabled=1"),
                ("start", "1"),
            ],
        )
        .await;
    ok_task(&api, "pve2", "qmcreate", create).await;
    let state = sim.guest_state(140).unwrap();
    assert_eq!(
        (state.power, state.maxdisk),
        (PowerState::Running, 3u64 << 30)
    );
    assert_eq!(
        config(&api, "pve2", "qemu", 140).await["scsi0"],
        "local-lvm:vm-140-disk-0,size=3G"
    );

    let exec = |cmd: &'static [&'static str]| {
        let form: Vec<(&str, &str)> = cmd.iter().map(|c| ("command", *c)).collect();
        let api = &api;
        async move { api.post("/nodes/pve2/qemu/140/agent/exec", &form).await }
    };
    let status = |pid: u64| {
        let api = &api;
        async move {
            api.get(&format!("/nodes/pve2/qemu/140/agent/exec-status?pid={pid}"))
                .await
        }
    };
    let (code, started) = exec(&["uname", "-a"]).await;
    assert_eq!(code, 200, "{started}");
    let pid = started["data"]["pid"].as_u64().expect("a pid");
    let (_, done) = status(pid).await;
    assert_eq!(done["data"]["exited"], 1);
    assert_eq!(done["data"]["exitcode"], 0);
    assert!(
        done["data"]["out-data"]
            .as_str()
            .unwrap()
            .starts_with("Linux cloud 6.1.0-28-amd64")
    );
    let (code, gone) = status(pid).await;
    assert_eq!(
        (code, gone["message"].clone()),
        (
            500,
            json!("VM 140 qmp command 'guest-exec-status' failed - Invalid parameter 'pid'\n")
        )
    );
    let (_, sleeper) = exec(&["sleep", "1"]).await;
    let pid = sleeper["data"]["pid"].as_u64().unwrap();
    assert_eq!(status(pid).await.1["data"], json!({"exited": 0}));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(status(pid).await.1["data"]["exited"], 1);
    let (_, sh) = exec(&["sh", "-c", "frobnicate --all"]).await;
    let out = status(sh["data"]["pid"].as_u64().unwrap()).await.1;
    assert_eq!(out["data"]["exitcode"], 127);
    assert_eq!(out["data"]["err-data"], "sh: 1: frobnicate: not found\n");
    let (_, json_cmd) = api
        .post_json(
            "/nodes/pve2/qemu/140/agent/exec",
            &json!({"command": ["cat"], "input-data": "hello"}),
        )
        .await;
    let out = status(json_cmd["data"]["pid"].as_u64().unwrap()).await.1;
    assert_eq!(out["data"]["out-data"], "hello");
    let nope = exec(&["frobnicate"]).await;
    assert!(
        error(&nope)
            .1
            .starts_with("VM 140 qmp command 'guest-exec' failed"),
        "{}",
        nope.1
    );
    let no_command = api.post("/nodes/pve2/qemu/140/agent/exec", &[]).await;
    assert_eq!(
        param_error(&no_command, "command"),
        "property is missing and it is not optional"
    );

    // A VM installed from an ISO runs no agent; one without `agent` has none configured.
    let from_iso = api
        .post(
            "/nodes/pve2/qemu",
            &[
                ("vmid", "141"),
                ("scsi0", "local-lvm:4"),
                ("agent", "1"),
                ("start", "1"),
            ],
        )
        .await;
    ok_task(&api, "pve2", "qmcreate", from_iso).await;
    let r = api
        .post("/nodes/pve2/qemu/141/agent/exec", &[("command", "true")])
        .await;
    assert_eq!(error(&r), (500, "QEMU guest agent is not running\n".into()));
    let r = api
        .post("/nodes/pve2/qemu/101/agent/exec", &[("command", "true")])
        .await;
    assert_eq!(error(&r), (500, "No QEMU guest agent configured\n".into()));
    let r = api
        .post("/nodes/pve1/qemu/103/agent/exec", &[("command", "true")])
        .await;
    assert_eq!(error(&r), (500, "VM 103 is not running\n".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn containers_are_created_and_guests_restored() {
    let sim = sim().await;
    let api = Api::new(&sim);
    let create = api
        .post(
            "/nodes/pve1/lxc",
            &[
                ("vmid", "131"),
                ("hostname", "ct-new"),
                ("ostemplate", CT_TEMPLATE),
                ("rootfs", "local-lvm:4"),
                ("mp0", "local-lvm:2,mp=/srv"),
                ("net0", "name=eth0,bridge=vmbr0,ip=dhcp"),
                ("unprivileged", "1"),
                ("features", "nesting=1"),
                ("password", "s3cret-pw"),
                ("ssh-public-keys", SSH_KEY),
                ("cores", "2"),
                ("memory", "1024"),
                ("swap", "256"),
                ("pool", "ci"),
            ],
        )
        .await;
    ok_task(&api, "pve1", "vzcreate", create).await;
    let cfg = config(&api, "pve1", "lxc", 131).await;
    assert_eq!(cfg["rootfs"], "local-lvm:vm-131-disk-0,size=4G");
    assert_eq!(cfg["mp0"], "local-lvm:vm-131-disk-1,mp=/srv,size=2G");
    assert_eq!(
        (cfg["memory"].clone(), cfg["swap"].clone()),
        (json!(1024), json!(256))
    );
    assert_eq!(
        (cfg["unprivileged"].clone(), cfg["ostype"].clone()),
        (json!(1), json!("debian"))
    );
    let net0 = cfg["net0"].as_str().unwrap();
    assert!(
        net0.starts_with("name=eth0,bridge=vmbr0,hwaddr=BC:24:11:")
            && net0.ends_with(",ip=dhcp,type=veth"),
        "{net0}"
    );
    assert!(!cfg.to_string().contains("s3cret"), "{cfg}");
    let r = resource(&api, 131).await.unwrap();
    assert_eq!(
        (r["type"].clone(), r["maxdisk"].clone(), r["pool"].clone()),
        (json!("lxc"), json!(4u64 << 30), json!("ci"))
    );

    let bind = api
        .post(
            "/nodes/pve1/lxc",
            &[
                ("vmid", "132"),
                ("ostemplate", CT_TEMPLATE),
                ("rootfs", "local-lvm:4"),
                ("mp0", "/srv/data,mp=/data"),
            ],
        )
        .await;
    assert_eq!(
        error(&bind),
        (
            403,
            "Permission check failed (mount point type bind is only allowed for root@pam)\n".into()
        )
    );
    let default_storage = api
        .post(
            "/nodes/pve1/lxc",
            &[("vmid", "132"), ("ostemplate", CT_TEMPLATE)],
        )
        .await;
    assert_eq!(
        param_error(&default_storage, "storage"),
        "storage 'local' does not support container directories"
    );
    let iso = api
        .post(
            "/nodes/pve1/lxc",
            &[
                ("vmid", "132"),
                ("ostemplate", ISO),
                ("storage", "local-lvm"),
            ],
        )
        .await;
    assert_eq!(
        error(&iso).1,
        format!("unable to use volume {ISO} - content type needs to be 'vztmpl'\n")
    );
    let taken = api
        .post(
            "/nodes/pve1/lxc",
            &[("vmid", "106"), ("ostemplate", CT_TEMPLATE)],
        )
        .await;
    assert_eq!(
        error(&taken),
        (500, "CT 106 already exists on node 'pve1'\n".into())
    );
    let privileged = api
        .post(
            "/nodes/pve1/lxc",
            &[
                ("vmid", "132"),
                ("ostemplate", CT_TEMPLATE),
                ("storage", "local-lvm"),
                ("features", "nesting=1"),
            ],
        )
        .await;
    assert_eq!(error(&privileged).0, 403);
    let missing = api
        .post(
            "/nodes/pve1/lxc",
            &[
                ("vmid", "132"),
                ("ostemplate", "local:vztmpl/nope.tar.zst"),
                ("storage", "local-lvm"),
            ],
        )
        .await;
    let done = task(&api, "pve1", "vzcreate", missing).await;
    assert_eq!(
        done["exitstatus"],
        "unable to create CT 132 - can't find file 'local:vztmpl/nope.tar.zst'"
    );
    assert!(sim.guest_state(132).is_none());

    // Restores: the backed-up config, new disks, the call's own settings on top.
    let backup = "nas:backup/vzdump-qemu-100-2024_12_09-03_00_00.vma.zst";
    let (code, text) = api
        .get(&format!(
            "/nodes/pve1/vzdump/extractconfig?volume={}",
            sim_client::encode_value(backup)
        ))
        .await;
    assert_eq!(code, 200, "{text}");
    let text = text["data"].as_str().unwrap().to_owned();
    assert!(
        text.contains("#qmdump#map:scsi0:drive-scsi0:local-lvm:raw:")
            && text.contains("\nname: web-000\n"),
        "{text}"
    );
    let restore = api
        .post(
            "/nodes/pve3/qemu",
            &[
                ("vmid", "150"),
                ("archive", backup),
                ("storage", "local-lvm"),
                ("name", "web-restored"),
                ("unique", "1"),
            ],
        )
        .await;
    let upid = ok_task(&api, "pve3", "qmrestore", restore).await;
    assert!(
        task_log(&api, "pve3", &upid)
            .await
            .contains("new volume ID is 'local-lvm:vm-150-disk-0'")
    );
    let cfg = config(&api, "pve3", "qemu", 150).await;
    assert_eq!(cfg["scsi0"], "local-lvm:vm-150-disk-0,iothread=1,size=8G");
    assert_eq!(
        (cfg["name"].clone(), cfg["cores"].clone()),
        (json!("web-restored"), json!(1))
    );
    let conflict = api
        .post(
            "/nodes/pve3/qemu",
            &[
                ("vmid", "151"),
                ("archive", backup),
                ("scsi0", "local-lvm:4"),
            ],
        )
        .await;
    assert_eq!(
        param_error(&conflict, "scsi0"),
        "option conflicts with option 'archive'"
    );
    let unique = api
        .post("/nodes/pve3/qemu", &[("vmid", "151"), ("unique", "1")])
        .await;
    assert_eq!(
        param_error(&unique, "archive"),
        "missing property - 'unique' requires this property"
    );
    let over_running = api
        .post(
            "/nodes/pve1/qemu",
            &[("vmid", "100"), ("archive", backup), ("force", "1")],
        )
        .await;
    let done = task(&api, "pve1", "qmrestore", over_running).await;
    assert_eq!(
        done["exitstatus"],
        "unable to restore VM 100 - vm is running"
    );
    assert_eq!(sim.guest_state(100).unwrap().lock, None);
    let ct_backup = "nas:backup/vzdump-lxc-116-2024_12_09-03_00_00.tar.zst";
    let restore = api
        .post(
            "/nodes/pve2/lxc",
            &[
                ("vmid", "152"),
                ("ostemplate", ct_backup),
                ("restore", "1"),
                ("storage", "local-lvm"),
            ],
        )
        .await;
    ok_task(&api, "pve2", "vzrestore", restore).await;
    let cfg = config(&api, "pve2", "lxc", 152).await;
    assert_eq!(
        (cfg["hostname"].clone(), cfg["rootfs"].clone()),
        (json!("ci-016"), json!("local-lvm:vm-152-disk-0,size=16G"))
    );
    let sized = api
        .post(
            "/nodes/pve2/lxc",
            &[
                ("vmid", "153"),
                ("ostemplate", ct_backup),
                ("restore", "1"),
                ("rootfs", "local-lvm:20"),
                ("hostname", "ct-bigger"),
            ],
        )
        .await;
    ok_task(&api, "pve2", "vzrestore", sized).await;
    let cfg = config(&api, "pve2", "lxc", 153).await;
    assert_eq!(
        (cfg["hostname"].clone(), cfg["rootfs"].clone()),
        (
            json!("ct-bigger"),
            json!("local-lvm:vm-153-disk-0,size=20G")
        )
    );
    let gone = api.get("/nodes/pve1/vzdump/extractconfig?volume=nas:backup/vzdump-qemu-999-2024_12_09-03_00_00.vma.zst").await;
    assert!(
        error(&gone)
            .1
            .starts_with("Failed to extract config from VMA archive"),
        "{}",
        gone.1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clones_copy_or_link_and_templates_convert() {
    let sim = sim().await;
    let api = Api::new(&sim);
    // 109 is a VM template on pve1 (local-lvm): a linked clone by default.
    let linked = api
        .post(
            "/nodes/pve1/qemu/109/clone",
            &[("newid", "160"), ("name", "clone-a"), ("pool", "lab")],
        )
        .await;
    assert_eq!(linked.0, 200, "{}", linked.1);
    assert_eq!(sim.guest_state(160).unwrap().lock, Some("clone"));
    ok_task(&api, "pve1", "qmclone", linked).await;
    let cfg = config(&api, "pve1", "qemu", 160).await;
    assert_eq!(cfg["scsi0"], "local-lvm:vm-160-disk-0,iothread=1,size=64G");
    assert_eq!(cfg["name"], "clone-a");
    assert!(cfg.get("template").is_none());
    assert_ne!(
        cfg["net0"],
        config(&api, "pve1", "qemu", 109).await["net0"],
        "a new MAC"
    );
    let r = resource(&api, 160).await.unwrap();
    assert_eq!(
        (r["template"].clone(), r["pool"].clone()),
        (json!(0), json!("lab"))
    );
    let full = api
        .post("/nodes/pve1/qemu/100/clone", &[("newid", "161")])
        .await;
    ok_task(&api, "pve1", "qmclone", full).await;
    assert_eq!(sim.guest_state(161).unwrap().name, "Copy-of-VM-web-000");

    let linked_from_vm = api
        .post(
            "/nodes/pve1/qemu/100/clone",
            &[("newid", "162"), ("full", "0")],
        )
        .await;
    assert_eq!(
        error(&linked_from_vm),
        (
            500,
            "Linked clone feature is not supported for 'local-lvm:vm-100-disk-0' (scsi0)\n".into()
        )
    );
    let elsewhere = api
        .post(
            "/nodes/pve1/qemu/109/clone",
            &[("newid", "162"), ("target", "pve2")],
        )
        .await;
    assert_eq!(
        error(&elsewhere),
        (
            500,
            "can't clone VM to node 'pve2' (VM uses local storage)\n".into()
        )
    );
    let taken = api
        .post("/nodes/pve1/qemu/109/clone", &[("newid", "101")])
        .await;
    assert_eq!(
        error(&taken),
        (
            500,
            "unable to create VM 101: config file already exists\n".into()
        )
    );
    let no_newid = api.post("/nodes/pve1/qemu/109/clone", &[]).await;
    assert_eq!(
        param_error(&no_newid, "newid"),
        "property is missing and it is not optional"
    );

    // A template on shared storage clones to another node.
    let create = api
        .post(
            "/nodes/pve1/qemu",
            &[
                ("vmid", "170"),
                ("name", "golden"),
                ("scsi0", "nas:4"),
                ("net0", "virtio,bridge=vmbr0"),
            ],
        )
        .await;
    ok_task(&api, "pve1", "qmcreate", create).await;
    ok_task(
        &api,
        "pve1",
        "qmtemplate",
        api.post("/nodes/pve1/qemu/170/template", &[]).await,
    )
    .await;
    assert_eq!(
        config(&api, "pve1", "qemu", 170).await["scsi0"],
        "nas:170/base-170-disk-0.qcow2,size=4G"
    );
    assert_eq!(resource(&api, 170).await.unwrap()["template"], 1);
    let over = api
        .post(
            "/nodes/pve1/qemu/170/clone",
            &[
                ("newid", "171"),
                ("target", "pve2"),
                ("name", "from-golden"),
            ],
        )
        .await;
    ok_task(&api, "pve1", "qmclone", over).await;
    assert_eq!(sim.guest_state(171).unwrap().node, "pve2");
    assert_eq!(
        config(&api, "pve2", "qemu", 171).await["scsi0"],
        "nas:170/base-170-disk-0.qcow2/171/vm-171-disk-0.qcow2,size=4G"
    );
    let again = api.post("/nodes/pve1/qemu/170/template", &[]).await;
    assert_eq!(
        error(&again),
        (500, "you can't convert a template to a template\n".into())
    );
    let running = api.post("/nodes/pve2/qemu/101/template", &[]).await;
    assert_eq!(
        error(&running),
        (
            500,
            "you can't convert a VM to template if VM is running\n".into()
        )
    );
    let snapshots = api.post("/nodes/pve1/qemu/103/template", &[]).await;
    assert_eq!(
        error(&snapshots),
        (
            500,
            "unable to create template, because VM contains snapshots\n".into()
        )
    );

    // Containers: 117 is a template; converting one answers null and is done at once.
    let ct = api
        .post(
            "/nodes/pve3/lxc/117/clone",
            &[("newid", "163"), ("hostname", "ct-clone")],
        )
        .await;
    ok_task(&api, "pve3", "vzclone", ct).await;
    assert_eq!(
        config(&api, "pve3", "lxc", 163).await["hostname"],
        "ct-clone"
    );
    let (code, body) = api.post("/nodes/pve2/lxc/107/template", &[]).await;
    assert_eq!((code, body["data"].clone()), (200, Value::Null));
    assert!(sim.guest_state(107).unwrap().template);
    assert_eq!(config(&api, "pve2", "lxc", 107).await["template"], 1);
    let (_, tasks) = api
        .get("/nodes/pve2/tasks?typefilter=vztemplate&source=all")
        .await;
    assert_eq!(tasks["data"][0]["id"], "107");
    let running = api.post("/nodes/pve2/lxc/116/template", &[]).await;
    assert_eq!(
        error(&running),
        (
            500,
            "you can't convert a CT to template if the CT is running\n".into()
        )
    );
    let full_running = api
        .post("/nodes/pve2/lxc/116/clone", &[("newid", "164")])
        .await;
    assert_eq!(
        error(&full_running),
        (
            500,
            "Cannot do full clones on a running container without snapshots\n".into()
        )
    );
    let ct_taken = api
        .post("/nodes/pve3/lxc/117/clone", &[("newid", "100")])
        .await;
    assert_eq!(
        error(&ct_taken),
        (500, "VM 100 already exists on node 'pve1'\n".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_writes_and_resizes_show_at_once() {
    let sim = sim().await;
    let api = Api::new(&sim);
    let (code, body) = api
        .put(
            "/nodes/pve2/qemu/101/config",
            &[
                ("cores", "4"),
                ("memory", "4096"),
                ("name", "db-renamed"),
                ("tags", "y;x"),
                ("description", "hello"),
            ],
        )
        .await;
    assert_eq!((code, body["data"].clone()), (200, Value::Null), "{body}");
    let cfg = config(&api, "pve2", "qemu", 101).await;
    assert_eq!(
        (
            cfg["cores"].clone(),
            cfg["memory"].clone(),
            cfg["tags"].clone()
        ),
        (json!(4), json!("4096"), json!("x;y"))
    );
    let (_, status) = api.get("/nodes/pve2/qemu/101/status/current").await;
    assert_eq!(
        (
            status["data"]["cpus"].clone(),
            status["data"]["maxmem"].clone()
        ),
        (json!(4), json!(4u64 << 30))
    );
    let r = resource(&api, 101).await.unwrap();
    assert_eq!(
        (r["maxcpu"].clone(), r["name"].clone(), r["tags"].clone()),
        (json!(4), json!("db-renamed"), json!("x;y"))
    );

    let digest = cfg["digest"].as_str().unwrap().to_owned();
    let post = api
        .post(
            "/nodes/pve2/qemu/101/config",
            &[
                ("delete", "tags,description"),
                ("scsi1", "local-lvm:2"),
                ("digest", &digest),
            ],
        )
        .await;
    let upid = ok_task(&api, "pve2", "qmconfig", post).await;
    assert!(
        task_log(&api, "pve2", &upid)
            .await
            .starts_with("update VM 101: -delete tags,description")
    );
    let cfg = config(&api, "pve2", "qemu", 101).await;
    assert!(
        cfg.get("tags").is_none() && cfg.get("description").is_none(),
        "{cfg}"
    );
    assert_eq!(cfg["scsi1"], "local-lvm:vm-101-disk-1,size=2G");
    let stale = api
        .put(
            "/nodes/pve2/qemu/101/config",
            &[("cores", "2"), ("digest", &digest)],
        )
        .await;
    assert_eq!(
        error(&stale),
        (
            500,
            "checksum mismatch (file change by other user?)\n".into()
        )
    );
    ok_task(
        &api,
        "pve2",
        "qmconfig",
        api.post("/nodes/pve2/qemu/101/config", &[("delete", "scsi1")])
            .await,
    )
    .await;
    let cfg = config(&api, "pve2", "qemu", 101).await;
    assert_eq!(
        cfg["unused0"], "local-lvm:vm-101-disk-1",
        "a removed disk stays as unused"
    );
    api.put("/nodes/pve2/qemu/101/config", &[("delete", "unused0")])
        .await;
    assert!(
        !sim.volumes("pve2", "local-lvm")
            .contains(&"local-lvm:vm-101-disk-1".to_owned())
    );

    let unknown = api
        .put("/nodes/pve2/qemu/101/config", &[("colour", "red")])
        .await;
    assert!(param_error(&unknown, "colour").starts_with("property is not defined in schema"));
    let bad_delete = api
        .put("/nodes/pve2/qemu/101/config", &[("delete", "colour")])
        .await;
    assert_eq!(
        param_error(&bad_delete, "delete"),
        "unknown option 'colour'"
    );
    let balloon = api
        .put("/nodes/pve2/qemu/101/config", &[("balloon", "8192")])
        .await;
    assert_eq!(
        error(&balloon),
        (
            500,
            "balloon value too large (must be smaller than assigned memory)\n".into()
        )
    );
    let root = api
        .put("/nodes/pve2/qemu/101/config", &[("args", "-no-reboot")])
        .await;
    assert_eq!(
        error(&root),
        (500, "only root can set 'args' config\n".into())
    );
    let nothing = api.put("/nodes/pve2/qemu/101/config", &[]).await;
    assert_eq!(error(&nothing), (500, "no options specified\n".into()));
    let locked = api
        .put("/nodes/pve1/qemu/105/config", &[("cores", "2")])
        .await;
    assert_eq!(locked.0, 403, "{}", locked.1);

    // Containers: PUT only.
    let (code, _) = api
        .put(
            "/nodes/pve1/lxc/106/config",
            &[("cores", "3"), ("hostname", "ct-x")],
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(resource(&api, 106).await.unwrap()["name"], "ct-x");
    let keyctl = api
        .put(
            "/nodes/pve1/lxc/106/config",
            &[("features", "nesting=1,keyctl=1")],
        )
        .await;
    assert_eq!(
        error(&keyctl),
        (403, "Permission check failed (changing feature flags (except nesting) is only allowed for root@pam)\n".into())
    );
    let rootfs = api
        .put("/nodes/pve1/lxc/106/config", &[("delete", "rootfs")])
        .await;
    assert_eq!(
        error(&rootfs),
        (500, "unable to delete required option 'rootfs'\n".into())
    );
    let (code, _) = api
        .post("/nodes/pve1/lxc/106/config", &[("cores", "2")])
        .await;
    assert_eq!(code, 501);

    // Resize: grow; QEMU refuses to shrink in its worker, pve-container before it.
    ok_task(
        &api,
        "pve2",
        "resize",
        api.put(
            "/nodes/pve2/qemu/101/resize",
            &[("disk", "scsi0"), ("size", "+2G")],
        )
        .await,
    )
    .await;
    assert_eq!(
        resource(&api, 101).await.unwrap()["maxdisk"],
        json!(10u64 << 30)
    );
    assert_eq!(
        config(&api, "pve2", "qemu", 101).await["scsi0"],
        "local-lvm:vm-101-disk-0,iothread=1,size=10G"
    );
    let shrink = api
        .put(
            "/nodes/pve2/qemu/101/resize",
            &[("disk", "scsi0"), ("size", "4G")],
        )
        .await;
    assert_eq!(
        task(&api, "pve2", "resize", shrink).await["exitstatus"],
        "shrinking disks is not supported"
    );
    let pattern = api
        .put(
            "/nodes/pve2/qemu/101/resize",
            &[("disk", "scsi0"), ("size", "lots")],
        )
        .await;
    assert_eq!(
        param_error(&pattern, "size"),
        "value does not match the regex pattern"
    );
    ok_task(
        &api,
        "pve1",
        "resize",
        api.put(
            "/nodes/pve1/lxc/106/resize",
            &[("disk", "rootfs"), ("size", "+1G")],
        )
        .await,
    )
    .await;
    assert_eq!(sim.guest_state(106).unwrap().maxdisk, 33u64 << 30);
    let ct_shrink = api
        .put(
            "/nodes/pve1/lxc/106/resize",
            &[("disk", "rootfs"), ("size", "1G")],
        )
        .await;
    assert_eq!(
        error(&ct_shrink),
        (500, "unable to shrink disk size\n".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_move_guests_and_destroys_remove_them() {
    let sim = sim().await;
    let api = Api::new(&sim);
    // 103 is a stopped VM on pve1.
    let upid = ok_task(
        &api,
        "pve1",
        "qmigrate",
        api.post("/nodes/pve1/qemu/103/migrate", &[("target", "pve2")])
            .await,
    )
    .await;
    assert!(
        task_log(&api, "pve1", &upid)
            .await
            .contains("starting migration of VM 103 to node 'pve2'")
    );
    assert_eq!(resource(&api, 103).await.unwrap()["node"], "pve2");
    assert_eq!(config(&api, "pve2", "qemu", 103).await["name"], "app-003");
    assert_eq!(api.get("/nodes/pve1/qemu/103/config").await.0, 500);
    let (_, listed) = api.get("/nodes/pve2/qemu").await;
    assert!(
        listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["vmid"] == 103)
    );

    let offline = api
        .post("/nodes/pve1/qemu/100/migrate", &[("target", "pve3")])
        .await;
    assert_eq!(
        error(&offline),
        (500, "can't migrate running VM without --online\n".into())
    );
    let local_disks = api
        .post(
            "/nodes/pve1/qemu/100/migrate",
            &[("target", "pve3"), ("online", "1")],
        )
        .await;
    let done = task(&api, "pve1", "qmigrate", local_disks).await;
    assert_eq!(done["exitstatus"], "migration aborted");
    let text = task_log(&api, "pve1", done["upid"].as_str().unwrap_or_default()).await;
    assert!(
        text.contains("ERROR: migration aborted (duration 00:00:00): can't migrate VM - check log"),
        "{text}"
    );
    let live = api
        .post(
            "/nodes/pve1/qemu/100/migrate",
            &[
                ("target", "pve3"),
                ("online", "1"),
                ("with-local-disks", "1"),
            ],
        )
        .await;
    ok_task(&api, "pve1", "qmigrate", live).await;
    let state = sim.guest_state(100).unwrap();
    assert_eq!(
        (state.node.as_str(), state.power),
        ("pve3", PowerState::Running)
    );
    let local = api
        .post("/nodes/pve2/qemu/101/migrate", &[("target", "pve2")])
        .await;
    assert_eq!(param_error(&local, "target"), "target is local node.");
    let nowhere = api
        .post("/nodes/pve2/qemu/101/migrate", &[("target", "pve9")])
        .await;
    assert_eq!(
        error(&nowhere),
        (500, "no such cluster node 'pve9'\n".into())
    );
    let ct = api
        .post("/nodes/pve1/lxc/106/migrate", &[("target", "pve2")])
        .await;
    assert_eq!(
        error(&ct),
        (
            500,
            "can't migrate running container without --online or --restart\n".into()
        )
    );
    ok_task(
        &api,
        "pve1",
        "vzmigrate",
        api.post(
            "/nodes/pve1/lxc/106/migrate",
            &[("target", "pve2"), ("restart", "1")],
        )
        .await,
    )
    .await;
    let state = sim.guest_state(106).unwrap();
    assert_eq!(
        (state.node.as_str(), state.power),
        ("pve2", PowerState::Running)
    );
    // 120 is HA-managed (pve3): the HA manager migrates it.
    ok_task(
        &api,
        "pve3",
        "hamigrate",
        api.post(
            "/nodes/pve3/qemu/120/migrate",
            &[("target", "pve1"), ("online", "1")],
        )
        .await,
    )
    .await;
    let (_, ha) = api.get("/cluster/ha/status/current").await;
    let svc = ha["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["sid"] == "vm:120")
        .cloned()
        .unwrap();
    assert_eq!(svc["node"], "pve1");

    // Destroy.
    let running = api.delete("/nodes/pve2/qemu/101", &[]).await;
    assert_eq!(
        error(&running),
        (500, "VM 101 is running - destroy failed\n".into())
    );
    let ha_guest = api.delete("/nodes/pve1/qemu/120", &[]).await;
    assert_eq!(
        error(&ha_guest),
        (
            500,
            "unable to remove VM 120 - used in HA resources and purge parameter not set.\n".into()
        )
    );
    api.put("/nodes/pve2/qemu/103/config", &[("protection", "1")])
        .await;
    let protected = api.delete("/nodes/pve2/qemu/103", &[]).await;
    assert_eq!(
        error(&protected),
        (
            500,
            "can't remove VM 103 - protection mode enabled\n".into()
        )
    );
    let skiplock = api
        .delete("/nodes/pve2/qemu/103", &[("skiplock", "1")])
        .await;
    assert_eq!(
        param_error(&skiplock, "skiplock"),
        "Only root may use this option."
    );
    api.put("/nodes/pve2/qemu/103/config", &[("delete", "protection")])
        .await;
    // 112 (pool lab, backups on nas): stop it, destroy it; its backups stay.
    task(
        &api,
        "pve1",
        "qmstop",
        api.post("/nodes/pve1/qemu/112/status/stop", &[]).await,
    )
    .await;
    assert!(pool_members(&api, "lab").await.contains(&112));
    let upid = ok_task(
        &api,
        "pve1",
        "qmdestroy",
        api.delete("/nodes/pve1/qemu/112", &[("purge", "1")]).await,
    )
    .await;
    assert!(
        task_log(&api, "pve1", &upid)
            .await
            .contains("Logical volume \"vm-112-disk-0\" successfully removed.")
    );
    assert!(resource(&api, 112).await.is_none());
    assert!(!pool_members(&api, "lab").await.contains(&112));
    assert!(
        sim.volumes("pve1", "nas")
            .iter()
            .any(|v| v.contains("vzdump-qemu-112-"))
    );
    assert!(
        !sim.volumes("pve1", "local-lvm")
            .contains(&"local-lvm:vm-112-disk-0".to_owned())
    );
    assert_eq!(api.get("/cluster/nextid?vmid=112").await.1["data"], "112");
    ok_task(
        &api,
        "pve2",
        "vzdestroy",
        api.delete("/nodes/pve2/lxc/106", &[("force", "1")]).await,
    )
    .await;
    assert!(sim.guest_state(106).is_none());
    task(
        &api,
        "pve1",
        "hastop",
        api.post("/nodes/pve1/qemu/120/status/stop", &[]).await,
    )
    .await;
    ok_task(
        &api,
        "pve1",
        "qmdestroy",
        api.delete("/nodes/pve1/qemu/120", &[("purge", "1")]).await,
    )
    .await;
    let (_, res) = api.get("/cluster/ha/resources").await;
    assert!(!res.to_string().contains("vm:120"), "{res}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_and_deletes_change_storage_content() {
    let sim = sim().await;
    let api = Api::new(&sim);
    let url = "https://mirror.example/alpine-virt-3.20.3-x86_64.iso";
    let download = api
        .post(
            "/nodes/pve1/storage/local/download-url",
            &[
                ("url", url),
                ("content", "iso"),
                ("filename", "alpine 3.20.iso"),
            ],
        )
        .await;
    let upid = ok_task(&api, "pve1", "download", download).await;
    assert!(task_log(&api, "pve1", &upid).await.contains("download of 'https://mirror.example/alpine-virt-3.20.3-x86_64.iso' to '/var/lib/vz/template/iso/alpine_3.20.iso' finished"));
    let (_, content) = api
        .get("/nodes/pve1/storage/local/content?content=iso")
        .await;
    let iso = content["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["volid"] == "local:iso/alpine_3.20.iso")
        .cloned()
        .expect("downloaded");
    assert!(iso["size"].as_u64().unwrap() > 100 << 20);
    assert!(
        !sim.volumes("pve2", "local")
            .contains(&"local:iso/alpine_3.20.iso".to_owned()),
        "local is per node"
    );
    let again = api
        .post(
            "/nodes/pve1/storage/local/download-url",
            &[
                ("url", url),
                ("content", "iso"),
                ("filename", "alpine_3.20.iso"),
            ],
        )
        .await;
    assert_eq!(
        task(&api, "pve1", "download", again).await["exitstatus"],
        "refusing to override existing file '/var/lib/vz/template/iso/alpine_3.20.iso'"
    );
    let sha256 = {
        let d = ring::digest::digest(&ring::digest::SHA256, b"https://mirror.example/ct.tar.zst");
        d.as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let checked = api
        .post(
            "/nodes/pve2/storage/local/download-url",
            &[
                ("url", "https://mirror.example/ct.tar.zst"),
                ("content", "vztmpl"),
                ("filename", "ct.tar.zst"),
                ("checksum", &sha256),
                ("checksum-algorithm", "sha256"),
            ],
        )
        .await;
    ok_task(&api, "pve2", "download", checked).await;
    let wrong = api
        .post(
            "/nodes/pve2/storage/local/download-url",
            &[
                ("url", "https://mirror.example/x.iso"),
                ("content", "iso"),
                ("filename", "x.iso"),
                ("checksum", "00"),
                ("checksum-algorithm", "sha1"),
            ],
        )
        .await;
    let done = task(&api, "pve2", "download", wrong).await;
    assert!(
        done["exitstatus"]
            .as_str()
            .unwrap()
            .starts_with("checksum mismatch: got '"),
        "{done}"
    );
    let ext = api
        .post(
            "/nodes/pve1/storage/local/download-url",
            &[("url", url), ("content", "iso"), ("filename", "alpine.exe")],
        )
        .await;
    assert_eq!(param_error(&ext, "filename"), "wrong file extension");
    let block = api
        .post(
            "/nodes/pve1/storage/local-lvm/download-url",
            &[("url", url), ("content", "iso"), ("filename", "a.iso")],
        )
        .await;
    assert_eq!(
        error(&block),
        (
            500,
            "can't upload to storage type 'lvmthin', not a file based storage!\n".into()
        )
    );
    let not_here = api
        .post(
            "/nodes/pve1/storage/nas/download-url",
            &[
                ("url", url),
                ("content", "vztmpl"),
                ("filename", "a.tar.zst"),
            ],
        )
        .await;
    assert_eq!(
        error(&not_here),
        (
            500,
            "storage 'nas' is not configured for content-type 'vztmpl'\n".into()
        )
    );
    let ftp = api
        .post(
            "/nodes/pve1/storage/local/download-url",
            &[
                ("url", "ftp://x/a.iso"),
                ("content", "iso"),
                ("filename", "a.iso"),
            ],
        )
        .await;
    assert_eq!(
        param_error(&ftp, "url"),
        "value does not match the regex pattern"
    );

    // Deletes: a task named after the owner, if any; the file is gone afterwards.
    let (code, body) = api
        .delete(
            "/nodes/pve1/storage/local/content/local:iso/alpine_3.20.iso",
            &[],
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let upid = body["data"].as_str().unwrap().to_owned();
    assert!(upid.contains(":imgdel:local:"), "{upid}");
    api.wait_task("pve1", &upid).await;
    assert!(
        !sim.volumes("pve1", "local")
            .contains(&"local:iso/alpine_3.20.iso".to_owned())
    );
    let backup = "nas:backup/vzdump-qemu-100-2024_12_02-03_00_00.vma.zst";
    let del = api
        .delete(&format!("/nodes/pve2/storage/nas/content/{backup}"), &[])
        .await;
    let upid = ok_task(&api, "pve2", "imgdel", del).await;
    assert!(upid.contains(":imgdel:100@nas:"), "{upid}");
    assert!(
        !sim.volumes("pve1", "nas").contains(&backup.to_owned()),
        "nas is shared"
    );
    let missing = api
        .delete("/nodes/pve1/storage/local/content/local:iso/nope.iso", &[])
        .await;
    let upid = ok_task(&api, "pve1", "imgdel", missing).await;
    assert!(
        task_log(&api, "pve1", &upid)
            .await
            .contains("disk image '/var/lib/vz/template/iso/nope.iso' does not exist")
    );
    let mismatch = api
        .delete("/nodes/pve1/storage/local/content/nas:iso/x.iso", &[])
        .await;
    assert_eq!(
        param_error(&mismatch, "volume"),
        "storage ID mismatch (nas != local)\n"
    );
    let bad = api
        .delete("/nodes/pve1/storage/nope/content/nope:iso/x.iso", &[])
        .await;
    assert_eq!(error(&bad), (500, "storage 'nope' does not exist\n".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_tasks_interrupts_them() {
    let sim = sim_with(2000).await;
    let api = Api::new(&sim);
    let (_, body) = api
        .post(
            "/nodes/pve1/storage/local/download-url",
            &[
                ("url", "https://x.example/a.iso"),
                ("content", "iso"),
                ("filename", "a.iso"),
            ],
        )
        .await;
    let upid = body["data"].as_str().unwrap().to_owned();
    let path = format!("/nodes/pve1/tasks/{}", encode(&upid));
    let (code, stopped) = api.delete(&path, &[]).await;
    assert_eq!((code, stopped["data"].clone()), (200, Value::Null));
    let (_, status) = api.get(&format!("{path}/status")).await;
    assert_eq!(status["data"]["status"], "stopped");
    assert_eq!(status["data"]["exitstatus"], "got interrupted by signal");
    assert!(
        !sim.volumes("pve1", "local")
            .contains(&"local:iso/a.iso".to_owned())
    );
    let (code, again) = api.delete(&path, &[]).await;
    assert_eq!(
        (code, again["data"].clone()),
        (200, Value::Null),
        "a finished task: null"
    );
    let (_, body) = api
        .post(
            "/nodes/pve1/qemu",
            &[("vmid", "130"), ("scsi0", "local-lvm:4")],
        )
        .await;
    let upid = body["data"].as_str().unwrap().to_owned();
    assert!(sim.guest_state(130).is_some());
    api.delete(&format!("/nodes/pve1/tasks/{}", encode(&upid)), &[])
        .await;
    let (_, status) = api
        .get(&format!("/nodes/pve1/tasks/{}/status", encode(&upid)))
        .await;
    assert_eq!(
        status["data"]["exitstatus"],
        "unable to create VM 130 - received interrupt"
    );
    assert!(sim.guest_state(130).is_none());
    assert_eq!(sim.running_tasks(), 0);
    let unknown = api
        .delete(
            "/nodes/pve1/tasks/UPID:pve1:00000001:00000002:00000003:qmstart:100:root@pam:",
            &[],
        )
        .await;
    assert_eq!(param_error(&unknown, "upid"), "no such task");
    let garbage = api.delete("/nodes/pve1/tasks/nope", &[]).await;
    assert_eq!(param_error(&garbage, "upid"), "unable to parse worker upid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firewall_pool_ha_and_nextid_reads() {
    let sim = sim().await;
    let api = Api::new(&sim);
    let (code, rules) = api.get("/cluster/firewall/rules").await;
    assert_eq!(code, 200);
    let rules = rules["data"].as_array().unwrap().clone();
    assert_eq!(rules[1]["macro"], "SSH");
    assert_eq!(rules[0]["pos"], 0);
    assert!(rules.iter().all(|r| r["digest"] == rules[0]["digest"] && r["digest"].as_str().unwrap().len() == 40));
    let (_, opts) = api.get("/cluster/firewall/options").await;
    assert_eq!(
        (
            opts["data"]["enable"].clone(),
            opts["data"]["policy_in"].clone()
        ),
        (json!(1), json!("DROP"))
    );
    let (_, node_rules) = api.get("/nodes/pve2/firewall/rules").await;
    assert_eq!(node_rules["data"][0]["iface"], "vmbr0");
    let (_, node_opts) = api.get("/nodes/pve2/firewall/options").await;
    assert_eq!(node_opts["data"]["nosmurfs"], 1);
    let (_, web) = api.get("/nodes/pve1/qemu/100/firewall/rules").await;
    assert_eq!(web["data"][1]["macro"], "HTTPS");
    let (_, none) = api.get("/nodes/pve2/qemu/101/firewall/rules").await;
    assert_eq!(none["data"], json!([]));
    let (_, opts) = api.get("/nodes/pve2/qemu/101/firewall/options").await;
    assert_eq!(
        opts["data"],
        json!({"digest": "da39a3ee5e6b4b0d3255bfef95601890afd80709"})
    );
    let (_, ct) = api.get("/nodes/pve1/lxc/106/firewall/options").await;
    assert_eq!(ct["data"]["enable"], 1);
    let (code, _) = api.get("/nodes/pve9/firewall/rules").await;
    assert_eq!(code, 500);
    let (code, _) = api.get("/cluster/firewall/aliases").await;
    assert_eq!(code, 501);

    let (_, pools) = api.get("/pools").await;
    assert_eq!(
        pools["data"],
        json!([{"poolid": "ci", "comment": "CI runners"}, {"poolid": "lab", "comment": "Lab machines"},
               {"poolid": "prod", "comment": "Production"}])
    );
    let expected: Vec<u64> = sim::dataset(3, 30)
        .iter()
        .filter(|g| g.pool == Some("ci"))
        .map(|g| u64::from(g.vmid))
        .collect();
    let mut members = pool_members(&api, "ci").await;
    members.sort_unstable();
    assert_eq!(members, expected);
    let (_, one) = api.get("/pools?poolid=ci&type=lxc").await;
    let lxc = one["data"][0]["members"].as_array().unwrap();
    assert!(
        !lxc.is_empty()
            && lxc
                .iter()
                .all(|m| m["type"] == "lxc" && m.get("pool").is_none())
    );
    let (code, body) = api.get("/pools/nope").await;
    assert_eq!(
        (code, body["message"].clone()),
        (500, json!("pool 'nope' does not exist\n"))
    );
    let type_alone = api.get("/pools?type=qemu").await;
    assert_eq!(
        param_error(&type_alone, "poolid"),
        "missing property - 'type' requires this property"
    );

    let (_, res) = api.get("/cluster/ha/resources").await;
    let res = res["data"].as_array().unwrap().clone();
    let ha: Vec<String> = sim::dataset(3, 30)
        .iter()
        .filter(|g| g.ha)
        .map(|g| {
            format!(
                "{}:{}",
                if g.kind == GuestKind::Qemu {
                    "vm"
                } else {
                    "ct"
                },
                g.vmid
            )
        })
        .collect();
    assert_eq!(
        res.iter()
            .map(|r| r["sid"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>(),
        ha
    );
    assert_eq!(
        (res[0]["state"].clone(), res[0]["group"].clone()),
        (json!("started"), json!("all-nodes"))
    );
    let (_, groups) = api.get("/cluster/ha/groups").await;
    assert_eq!(groups["data"][0]["nodes"], "pve1,pve2,pve3");
    let bad_type = api.get("/cluster/ha/resources?type=pool").await;
    assert!(param_error(&bad_type, "type").contains("enumeration"));

    assert_eq!(api.get("/cluster/nextid?vmid=555").await.1["data"], "555");
    let taken = api.get("/cluster/nextid?vmid=101").await;
    assert_eq!(param_error(&taken, "vmid"), "VM 101 already exists");
    let bad = api.get("/cluster/nextid?vmid=42").await;
    assert!(param_error(&bad, "vmid").contains("valid VM ID"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_migration_that_cannot_be_done_is_aborted_with_the_reason_logged() {
    let sim = sim().await;
    let api = Api::new(&sim);
    // 108: a running container on pve3; 107: a stopped one on pve2.
    let live = api
        .post(
            "/nodes/pve3/lxc/108/migrate",
            &[("target", "pve1"), ("online", "1")],
        )
        .await;
    let done = task(&api, "pve3", "vzmigrate", live).await;
    assert_eq!(done["exitstatus"], "migration aborted", "{done}");
    let text = task_log(&api, "pve3", done["upid"].as_str().unwrap_or_default()).await;
    assert!(
        text.contains(
            "ERROR: migration aborted (duration 00:00:00): lxc live migration is currently not implemented"
        ),
        "{text}"
    );
    assert!(sim.edit_config(107, &[("mp0", Some("/srv/data,mp=/data"))]));
    let bind = api
        .post("/nodes/pve2/lxc/107/migrate", &[("target", "pve1")])
        .await;
    let done = task(&api, "pve2", "vzmigrate", bind).await;
    assert_eq!(done["exitstatus"], "migration aborted", "{done}");
    let text = task_log(&api, "pve2", done["upid"].as_str().unwrap_or_default()).await;
    assert!(
        text.contains(
            "ERROR: migration aborted (duration 00:00:00): cannot migrate local bind mount point 'mp0'"
        ),
        "{text}"
    );
    assert_eq!(sim.guest_state(107).unwrap().node, "pve2");
    assert!(sim.edit_config(107, &[("mp0", Some("/srv/data,mp=/data,shared=1"))]));
    let shared = api
        .post("/nodes/pve2/lxc/107/migrate", &[("target", "pve1")])
        .await;
    ok_task(&api, "pve2", "vzmigrate", shared).await;
    assert_eq!(sim.guest_state(107).unwrap().node, "pve1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_adds_the_guests_unreferenced_disks_as_unused() {
    let sim = sim().await;
    let api = Api::new(&sim);
    // 103: a stopped VM on pve1, with a disk of its own no config line references.
    sim.add_orphan_disk("pve1", "local-lvm:vm-103-disk-7", 103, 1 << 30)
        .unwrap();
    let archive = sim
        .add_backup(
            "pve1",
            "nas",
            GuestKind::Qemu,
            103,
            "memory: 512\nscsi0: local-lvm:vm-103-disk-0,size=8G\n",
        )
        .unwrap();
    let restore = api
        .post(
            "/nodes/pve1/qemu",
            &[
                ("vmid", "103"),
                ("archive", archive.as_str()),
                ("force", "1"),
            ],
        )
        .await;
    let upid = ok_task(&api, "pve1", "qmrestore", restore).await;
    let conf = config(&api, "pve1", "qemu", 103).await;
    assert_eq!(conf["unused0"], "local-lvm:vm-103-disk-7", "{conf}");
    assert!(
        conf["scsi0"]
            .as_str()
            .is_some_and(|d| !d.contains("disk-7")),
        "{conf}"
    );
    let text = task_log(&api, "pve1", &upid).await;
    assert!(
        text.contains(
            "VM 103 add unreferenced volume 'local-lvm:vm-103-disk-7' as 'unused0' to config"
        ),
        "{text}"
    );
}
