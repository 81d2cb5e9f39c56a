//! End to end: `guest_configure` under the shipped lab-builder policy, through the real
//! front and helper: a disk and a network interface added and removed, cloud-init
//! settings (`ciuser`, `sshkeys`, `ipconfig0`), `balloon` and `onboot` set, and a
//! clear `cipassword` refused without its value showing anywhere. The simulator's
//! configuration is read back over HTTPS after each change.

use pve_mcp_tests::sim_client;

use super::{config, lab_policy, ok, refused_by, stack};
use pve_mcp_tests::client::Client;
use serde_json::{Value, json};
use sim_client::Api;

/// A stopped lab VM on pve1 (dataset index 27): 512 MiB, one disk `scsi0` on
/// local-lvm, one interface `net0`, no cloud-init.
const VM: u32 = 127;

async fn configure(client: &Client, api: &Api, args: Value) -> Value {
    let mut args = args;
    args["vmid"] = json!(VM);
    ok(client, "guest_configure", args).await;
    config(api, "pve1", "qemu", VM).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_and_an_interface_are_added_and_removed() {
    let stack = stack(&lab_policy(), 30);
    let api = Api::new(&stack.sim);
    let client = stack.client().await.unwrap();
    let before = config(&api, "pve1", "qemu", VM).await;
    assert!(
        before.get("scsi1").is_none() && before.get("net1").is_none(),
        "{before}"
    );

    let cfg = configure(&client, &api, json!({"set": {"scsi1": "local-lvm:4"}})).await;
    let disk = cfg["scsi1"].as_str().expect("a second disk").to_owned();
    assert!(
        disk.starts_with("local-lvm:vm-127-disk-") && disk.contains("size=4G"),
        "{disk}"
    );
    let volume = disk.split(',').next().unwrap().to_owned();
    assert!(stack.sim.volumes("pve1", "local-lvm").contains(&volume));

    let cfg = configure(
        &client,
        &api,
        json!({"set": {"net1": "virtio,bridge=vmbr1"}}),
    )
    .await;
    let net = cfg["net1"].as_str().expect("a second interface");
    assert!(
        net.starts_with("virtio=") && net.ends_with(",bridge=vmbr1"),
        "a MAC is given: {net}"
    );

    let cfg = configure(&client, &api, json!({"delete": ["net1"]})).await;
    assert!(cfg.get("net1").is_none(), "{cfg}");
    assert_eq!(cfg["net0"], before["net0"], "the first interface stays");
    // A removed disk is detached, not destroyed.
    let cfg = configure(&client, &api, json!({"delete": ["scsi1"]})).await;
    assert!(cfg.get("scsi1").is_none(), "{cfg}");
    assert_eq!(cfg["unused0"], volume.as_str(), "{cfg}");
    assert!(stack.sim.volumes("pve1", "local-lvm").contains(&volume));
    assert_eq!(cfg["scsi0"], before["scsi0"], "the first disk stays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloud_init_balloon_and_onboot_are_set() {
    let stack = stack(&lab_policy(), 30);
    let api = Api::new(&stack.sim);
    let client = stack.client().await.unwrap();
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBv4dXbVqkM2u7Q0n3F9 admin@lab";
    let cfg = configure(
        &client,
        &api,
        json!({"set": {"ciuser": "ops", "sshkeys": key,
                       "ipconfig0": "ip=10.20.0.5/24,gw=10.20.0.1",
                       "balloon": 256, "onboot": 1}}),
    )
    .await;
    assert_eq!(cfg["ciuser"], "ops", "{cfg}");
    assert_eq!(cfg["ipconfig0"], "ip=10.20.0.5/24,gw=10.20.0.1", "{cfg}");
    assert_eq!(
        (&cfg["balloon"], &cfg["onboot"]),
        (&json!(256), &json!(1)),
        "{cfg}"
    );
    let keys = cfg["sshkeys"].as_str().unwrap();
    assert!(
        keys.contains("AAAAC3NzaC1lZDI1NTE5AAAAIBv4dXbVqkM2u7Q0n3F9"),
        "{keys}"
    );
    // Balloon stays within the memory (512 MiB).
    refused_by(
        &client,
        "guest_configure",
        json!({"vmid": VM, "set": {"balloon": 1024}}),
        "bounds",
        "balloon 1024 MiB is above the guest's memory",
    )
    .await;
    assert_eq!(config(&api, "pve1", "qemu", VM).await["balloon"], 256);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clear_cloud_init_password_is_refused_and_never_echoed() {
    let stack = stack(&lab_policy(), 30);
    let api = Api::new(&stack.sim);
    let client = stack.client().await.unwrap();
    let clear = "Correct-Horse-7";
    let r = client
        .call(
            "guest_configure",
            json!({"vmid": VM, "set": {"cipassword": clear}}),
        )
        .await
        .unwrap();
    let why = pve_mcp_tests::client::text(&r);
    assert!(
        why.contains("cipassword: password must be given as a crypt hash")
            && why.contains("a clear password is refused"),
        "{why}"
    );
    assert!(!r.to_string().contains(clear), "echoed: {r}");
    let front_log = std::fs::read_to_string(stack.dir().join("front.log")).unwrap();
    for (who, log) in [("front", front_log), ("helper", stack.helper_log())] {
        assert!(!log.contains(clear), "logged by the {who}");
    }
    assert!(
        config(&api, "pve1", "qemu", VM)
            .await
            .get("cipassword")
            .is_none(),
        "nothing was set"
    );

    // A hash is taken, and not shown back either.
    let hash = "$6$rounds=5000$saltsalt$S0meHashedValueThatIsLongEnough0123456789abcdefABCDEF";
    let r = ok(
        &client,
        "guest_configure",
        json!({"vmid": VM, "set": {"cipassword": hash}}),
    )
    .await;
    assert!(!r.to_string().contains(hash), "echoed: {r}");
    assert!(
        config(&api, "pve1", "qemu", VM)
            .await
            .get("cipassword")
            .is_some()
    );
}
