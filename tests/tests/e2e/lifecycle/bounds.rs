//! End to end: where new guests may go and what they may be, at and just past each
//! limit of the shipped lab-builder policy (and of variants of it), for guests created,
//! cloned and restored: the `[create]` vmid range at both ends, `[create]` nodes, pool
//! placement and required tags, `[bounds]` storages, bridges, cores and memory (also
//! when inherited from a clone source or a backup). Every refusal names its rule; the
//! simulator is checked over HTTPS for what was made and what was not.

use pve_mcp_tests::sim_client;

use super::{
    TEMPLATE, all_refused, config, create_args, edit, finished_ok, lab_policy, new_vmid, ok,
    refused_by, resource, stack,
};
use pve_mcp_tests::{client::Client, stack::Stack};
use serde_json::{Value, json};
use sim_client::Api;

/// A stopped lab VM on pve1 without tags (dataset index 27), whose disk is on local-lvm.
const LAB_VM: u32 = 127;

/// A container the way `create_args` makes it, with an explicit vmid.
fn create_with_vmid(vmid: u32) -> Value {
    let mut args = create_args(1, 512, 8, "pve1");
    args["vmid"] = json!(vmid);
    args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_guests_take_vmids_at_both_ends_of_the_create_range_and_no_other() {
    let stack = stack(&lab_policy(), 30);
    let api = Api::new(&stack.sim);
    let client = stack.confirming_client(true).await.unwrap();
    let volid = backup(&stack, &api, LAB_VM, &[]).await;
    for vmid in [8999, 9100] {
        let range = "new guests take vmids 9000-9099";
        all_refused(
            &client,
            &[
                (
                    "guest_create",
                    create_with_vmid(vmid),
                    "create.vmids",
                    range,
                ),
                (
                    "guest_clone",
                    json!({"vmid": TEMPLATE, "newid": vmid}),
                    "create.vmids",
                    range,
                ),
                (
                    "backup_restore",
                    json!({"volume": volid, "node": "pve1", "vmid": vmid}),
                    "create.vmids",
                    range,
                ),
            ],
        )
        .await;
        assert!(resource(&api, vmid).await.is_none(), "{vmid} was not made");
    }
    for vmid in [9000, 9099] {
        let r = ok(&client, "guest_create", create_with_vmid(vmid)).await;
        finished_ok(&r);
        assert_eq!(new_vmid(&r), vmid);
        let made = resource(&api, vmid).await.expect("created");
        assert_eq!(made["pool"], "lab", "{made}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_bounded_storages_and_bridges_are_used() {
    let stack = stack(&lab_policy(), 30);
    let api = Api::new(&stack.sim);
    let client = stack.confirming_client(true).await.unwrap();
    let mut on_nas = create_args(1, 512, 8, "pve1");
    on_nas["disk"]["storage"] = json!("nas");
    let mut other_bridge = create_args(1, 512, 8, "pve1");
    other_bridge["bridge"] = json!("vmbr2");
    let volid = backup(&stack, &api, LAB_VM, &[]).await;
    all_refused(
        &client,
        &[
            (
                "guest_create",
                on_nas,
                "bounds.storages",
                "add \"nas\" to [bounds] storages",
            ),
            (
                "guest_create",
                other_bridge,
                "bounds.bridges",
                "add \"vmbr2\" to [bounds] bridges",
            ),
            (
                "guest_clone",
                json!({"vmid": TEMPLATE, "full": true, "storage": "nas"}),
                "bounds.storages",
                "the clone's disks on storage \"nas\"",
            ),
            (
                "backup_restore",
                json!({"volume": volid, "node": "pve1", "storage": "nas"}),
                "bounds.storages",
                "the restored disks on storage \"nas\"",
            ),
        ],
    )
    .await;
    assert!(resource(&api, 9000).await.is_none(), "nothing was made");

    // Both allowed bridges, on the allowed storage.
    for (bridge, vmid) in [("vmbr0", 9000), ("vmbr1", 9001)] {
        let mut args = create_args(1, 512, 8, "pve1");
        args["bridge"] = json!(bridge);
        assert_eq!(new_vmid(&ok(&client, "guest_create", args).await), vmid);
        let cfg = config(&api, "pve1", "lxc", vmid).await;
        let (net, disk) = (
            cfg["net0"].as_str().unwrap(),
            cfg["rootfs"].as_str().unwrap(),
        );
        assert!(net.contains(&format!("bridge={bridge}")), "{cfg}");
        assert!(disk.starts_with("local-lvm:"), "{cfg}");
    }
    // A second interface on another bridge is refused too.
    refused_by(
        &client,
        "guest_configure",
        json!({"vmid": 9000, "set": {"net1": "name=eth1,bridge=vmbr2,ip=dhcp"}}),
        "bounds.bridges",
        "net1 on bridge \"vmbr2\" is refused",
    )
    .await;
    assert!(
        config(&api, "pve1", "lxc", 9000)
            .await
            .get("net1")
            .is_none()
    );
}

/// A new guest goes only to `[create]` nodes, whether created, cloned or restored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_guests_go_only_to_the_create_nodes() {
    let policy = edit(
        &lab_policy(),
        "nodes = [\"pve1\", \"pve2\", \"pve3\"]\npool",
        "nodes = [\"pve1\", \"pve2\"]\npool",
    );
    let stack = stack(&policy, 30);
    let api = Api::new(&stack.sim);
    let client = stack.confirming_client(true).await.unwrap();
    let volid = backup(&stack, &api, LAB_VM, &[]).await;
    all_refused(
        &client,
        &[
            (
                "guest_create",
                create_args(1, 512, 8, "pve3"),
                "create.nodes",
                "add \"pve3\" to [create] nodes",
            ),
            // The template is on pve3: its clones stay there unless sent elsewhere.
            (
                "guest_clone",
                json!({"vmid": TEMPLATE, "full": false}),
                "create.nodes",
                "the clone on node pve3",
            ),
            (
                "guest_clone",
                json!({"vmid": LAB_VM, "target": "pve3"}),
                "create.nodes",
                "the clone on node pve3",
            ),
            (
                "backup_restore",
                json!({"volume": volid, "node": "pve3"}),
                "create.nodes",
                "the restored guest on node pve3",
            ),
        ],
    )
    .await;
    assert!(resource(&api, 9000).await.is_none(), "nothing was made");
    let r = ok(
        &client,
        "backup_restore",
        json!({"volume": volid, "node": "pve2"}),
    )
    .await;
    finished_ok(&r);
    assert_eq!(resource(&api, new_vmid(&r)).await.unwrap()["node"], "pve2");
}

/// Cores and memory a clone or a restore would inherit: at the bound accepted, one
/// past it refused (VM cores count cores × sockets).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inherited_cores_and_memory_hold_at_and_just_past_the_bounds() {
    let stack = stack(&lab_policy(), 30);
    let api = Api::new(&stack.sim);
    let client = stack.confirming_client(true).await.unwrap();
    let limits = [("cores", "4"), ("sockets", "2"), ("memory", "16384")];
    let at_limit = backup(&stack, &api, LAB_VM, &limits).await;
    let clone = ok(&client, "guest_clone", json!({"vmid": LAB_VM})).await;
    finished_ok(&clone);
    let cfg = config(&api, "pve1", "qemu", new_vmid(&clone)).await;
    let sizes = (&cfg["cores"], &cfg["sockets"], &cfg["memory"]);
    assert_eq!(sizes, (&json!(4), &json!(2), &json!("16384")), "{cfg}");
    let restored = ok(
        &client,
        "backup_restore",
        json!({"volume": at_limit, "node": "pve1"}),
    )
    .await;
    finished_ok(&restored);

    for (past, rule, words) in [
        (
            ("sockets", "3"),
            "bounds.max_cores",
            "4 cores × 3 sockets = 12 cores is above [bounds] max_cores = 8",
        ),
        (
            ("memory", "16385"),
            "bounds.max_memory_mib",
            "memory 16385 MiB is above [bounds] max_memory_mib = 16384",
        ),
    ] {
        let volid = backup(&stack, &api, LAB_VM, &[past]).await;
        let inherit = format!("the new guest would inherit this: {words}");
        let restore = json!({"volume": volid, "node": "pve1"});
        all_refused(
            &client,
            &[
                ("guest_clone", json!({"vmid": LAB_VM}), rule, &inherit),
                ("backup_restore", restore, rule, &inherit),
            ],
        )
        .await;
        // Set back, for the next one.
        set(&api, LAB_VM, &limits).await;
    }
    let made = resource(&api, 9002).await;
    assert!(made.is_none(), "nothing more was made: {made:?}");
}

/// `[create] pool` must keep new guests in scope; a pool `[guests] allow` does not
/// cover sends nothing to Proxmox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_guest_that_would_land_out_of_scope_is_refused() {
    let policy = edit(&lab_policy(), "pool = \"lab\"", "pool = \"ci\"");
    let stack = stack(&policy, 30);
    let api = Api::new(&stack.sim);
    let client = stack.confirming_client(true).await.unwrap();
    let volid = backup(&stack, &api, LAB_VM, &[]).await;
    // The clone keeps its template's tags; pool ci puts it out of scope all the same.
    let words = "would be out of scope (pool ci, tags ";
    all_refused(
        &client,
        &[
            (
                "guest_create",
                create_args(1, 512, 8, "pve1"),
                "create.pool",
                words,
            ),
            (
                "guest_clone",
                json!({"vmid": TEMPLATE, "full": false}),
                "create.pool",
                words,
            ),
            (
                "backup_restore",
                json!({"volume": volid, "node": "pve1"}),
                "create.pool",
                words,
            ),
        ],
    )
    .await;
    let (_, pool) = api.get("/pools/ci").await;
    assert!(
        !pool.to_string().contains("\"vmid\":90"),
        "nothing joined the ci pool: {pool}"
    );
    assert!(resource(&api, 9000).await.is_none());
}

/// `[create] tags`: every guest made from scratch gets them; a request that brings its
/// own tags, a clone or restore of a source without them, and (where scope rests on
/// the tag) a change that drops it are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn required_tags_are_given_to_new_guests_and_cannot_be_dropped() {
    let policy = edit(&lab_policy(), "tags = []", "tags = [\"lab-made\"]");
    let stack = stack(&policy, 30);
    let api = Api::new(&stack.sim);
    let client = stack.confirming_client(true).await.unwrap();
    let made = new_vmid(&ok(&client, "guest_create", create_args(1, 512, 8, "pve1")).await);
    assert_eq!(config(&api, "pve1", "lxc", made).await["tags"], "lab-made");

    let mut own_tags = create_args(1, 512, 8, "pve1");
    own_tags["config"] = json!({"tags": "other"});
    let volid = backup(&stack, &api, LAB_VM, &[]).await;
    all_refused(
        &client,
        &[
            (
                "guest_create",
                own_tags,
                "create",
                "pool and tags of a new guest come from [create]",
            ),
            (
                "guest_clone",
                json!({"vmid": TEMPLATE, "full": false}),
                "create.tags",
                "the source lacks tag(s) lab-made",
            ),
            (
                "backup_restore",
                json!({"volume": volid, "node": "pve1"}),
                "create.tags",
                "the backup lacks tag(s) lab-made",
            ),
        ],
    )
    .await;
    // A guest that carries the tag passes it on to its clone.
    let clone = ok(&client, "guest_clone", json!({"vmid": made})).await;
    finished_ok(&clone);
    let clone = new_vmid(&clone);
    assert_eq!(config(&api, "pve1", "lxc", clone).await["tags"], "lab-made");

    // Where the scope rests on the tag, it cannot be dropped.
    let by_tag = edit(
        &policy,
        "allow = [\"pool:lab\"]",
        "allow = [\"tag:lab-made\"]",
    );
    stack.reload_policy(&by_tag).unwrap();
    let client = wait_for_reload(&stack).await;
    refused_by(
        &client,
        "guest_configure",
        json!({"vmid": clone, "delete": ["tags"]}),
        "config.write",
        &format!("would take guest {clone} out of scope"),
    )
    .await;
    assert_eq!(config(&api, "pve1", "lxc", clone).await["tags"], "lab-made");
}

/// A fresh client once the helper answers under the reloaded (tag-scoped) policy.
async fn wait_for_reload(stack: &Stack) -> Client {
    for _ in 0..100 {
        let client = stack.confirming_client(true).await.unwrap();
        let r = client.call("my_permissions", json!({})).await.unwrap();
        if r.to_string().contains("tag:lab-made") {
            return client;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the policy was not reloaded:\n{}", stack.helper_log());
}

/// Sets `settings` on `vmid` (on pve1) behind the assistant's back.
async fn set(api: &Api, vmid: u32, settings: &[(&str, &str)]) {
    let (code, body) = api
        .put(&format!("/nodes/pve1/qemu/{vmid}/config"), settings)
        .await;
    assert_eq!(code, 200, "{settings:?}: {body}");
}

/// Sets `settings` on `vmid` (on pve1), backs it up to the shared `nas` behind the
/// assistant's back, and returns the backup's volume id.
async fn backup(stack: &Stack, api: &Api, vmid: u32, settings: &[(&str, &str)]) -> String {
    if !settings.is_empty() {
        set(api, vmid, settings).await;
    }
    let id = vmid.to_string();
    let (code, started) = api
        .post("/nodes/pve1/vzdump", &[("vmid", &id), ("storage", "nas")])
        .await;
    assert_eq!(code, 200, "{started}");
    let done = api
        .wait_task("pve1", started["data"].as_str().unwrap())
        .await;
    assert_eq!(done["exitstatus"], "OK", "{done}");
    // The newest (one made within the same second replaces the one before, as its
    // name is the same).
    stack
        .sim
        .volumes("pve1", "nas")
        .into_iter()
        .filter(|v| v.contains(&format!("vzdump-qemu-{vmid}-")))
        .max()
        .expect("the new backup")
}
