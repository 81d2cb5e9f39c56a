//! The simulator's administrator endpoints (`/_sim/guests/{vmid}/config`,
//! `/_sim/backups`, `/_sim/privileges`) over HTTPS, as a `pve-sim` process serves them,
//! and the token's role checked on the lifecycle routes with PVE's 403s.

use pve_mcp_tests::sim_client;

use pve_mcp_tests::sim::{self, SimConfig, SimHandle};
use serde_json::{Value, json};
use sim_client::Api;
use std::time::Duration;

async fn sim() -> SimHandle {
    sim::start(SimConfig {
        nodes: 3,
        guests: 30,
        task_duration: Duration::from_millis(50),
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

/// `POST /_sim/{path}` with a JSON body (no auth: the control endpoints have none).
async fn control(api: &Api, sim: &SimHandle, path: &str, body: Value) -> (u16, Value) {
    let resp = api
        .client
        .post(format!("{}/_sim/{path}", sim.url()))
        .json(&body)
        .send()
        .await
        .expect("answered");
    let code = resp.status().as_u16();
    let body = resp.json().await.unwrap_or(Value::Null);
    (code, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_edit_configs_and_drop_backups() {
    let sim = sim().await;
    let api = Api::new(&sim);
    // Container 107 of the lab pool, made privileged.
    let (code, config) = control(
        &api,
        &sim,
        "guests/107/config",
        json!({"unprivileged": null, "dev0": "/dev/kvm"}),
    )
    .await;
    assert_eq!(code, 200, "{config}");
    assert!(config.get("unprivileged").is_none(), "{config}");
    let (_, body) = api.get("/nodes/pve2/lxc/107/config").await;
    assert_eq!(body["data"]["dev0"], "/dev/kvm", "{body}");
    let (code, _) = control(&api, &sim, "guests/99999/config", json!({})).await;
    assert_eq!(code, 404);

    // A backup holding any config, listed and extracted like vzdump's.
    let text = "hostname: ct\nhostpci0: 0000:01:00.0\nmemory: 512\n";
    let (code, made) = control(
        &api,
        &sim,
        "backups",
        json!({"node": "pve1", "storage": "local", "type": "lxc", "vmid": 107, "config": text}),
    )
    .await;
    assert_eq!(code, 200, "{made}");
    let volid = made["volid"].as_str().expect("a volume id").to_owned();
    assert!(volid.starts_with("local:backup/vzdump-lxc-107-"), "{volid}");
    let (_, listed) = api
        .get("/nodes/pve1/storage/local/content?content=backup")
        .await;
    assert!(listed.to_string().contains(&volid), "{listed}");
    let (code, extracted) = api
        .get(&format!(
            "/nodes/pve1/vzdump/extractconfig?volume={}",
            sim_client::encode_value(&volid)
        ))
        .await;
    assert_eq!(code, 200, "{extracted}");
    assert_eq!(extracted["data"], text);
    let (code, _) = control(
        &api,
        &sim,
        "backups",
        json!({"node": "pve1", "storage": "local-lvm", "type": "lxc", "vmid": 107, "config": ""}),
    )
    .await;
    assert_eq!(code, 400, "local-lvm holds no backups");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_role_is_reported_and_checked() {
    let sim = sim().await;
    let api = Api::new(&sim);
    let role = json!(["VM.Audit", "VM.Allocate", "Datastore.AllocateSpace"]);
    let (code, _) = control(&api, &sim, "privileges", role).await;
    assert_eq!(code, 200);
    let (_, perms) = api.get("/access/permissions").await;
    let held: Vec<&String> = perms["data"]["/"].as_object().unwrap().keys().collect();
    assert_eq!(held, ["Datastore.AllocateSpace", "VM.Allocate", "VM.Audit"]);
    // No VM.Config.* at all: the endpoint's own `permissions` (any of them) refuse.
    let (code, body) = api
        .put("/nodes/pve2/lxc/107/config", &[("memory", "1024")])
        .await;
    assert_eq!(code, 403, "{body}");
    assert_eq!(
        body["message"],
        "Permission check failed (/vms/107, VM.Config.Disk|VM.Config.CPU|VM.Config.Memory|\
         VM.Config.Network|VM.Config.Options)\n"
    );
    // With one of them, the handler checks each key: VM.Config.Memory is missing.
    let role = json!([
        "VM.Audit",
        "VM.Allocate",
        "Datastore.AllocateSpace",
        "VM.Config.CPU"
    ]);
    assert_eq!(control(&api, &sim, "privileges", role).await.0, 200);
    let (code, body) = api
        .put("/nodes/pve2/lxc/107/config", &[("memory", "1024")])
        .await;
    assert_eq!(code, 403, "{body}");
    assert_eq!(
        body["message"],
        "Permission check failed (/vms/107, VM.Config.Memory)\n"
    );
    // VM.Clone is checked on the source.
    let (code, body) = api
        .post("/nodes/pve3/lxc/117/clone", &[("newid", "9000")])
        .await;
    assert_eq!(code, 403, "{body}");
    assert_eq!(
        body["message"],
        "Permission check failed (/vms/117, VM.Clone)\n"
    );
    // VM.Allocate is held: the container goes.
    let (code, body) = api.delete("/nodes/pve2/lxc/107", &[]).await;
    assert_eq!(code, 200, "{body}");
    // Back to the default role: reported as read-and-power, not checked.
    let (code, _) = control(&api, &sim, "privileges", Value::Null).await;
    assert_eq!(code, 200);
    let (_, perms) = api.get("/access/permissions").await;
    assert_eq!(perms["data"]["/"]["VM.PowerMgmt"], 1, "{perms}");
    let (code, body) = api
        .put("/nodes/pve1/qemu/112/config", &[("cores", "2")])
        .await;
    assert_eq!(code, 200, "{body}");
}
