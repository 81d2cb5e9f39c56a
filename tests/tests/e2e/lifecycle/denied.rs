//! End to end: what the lifecycle tools refuse, under the shipped lab-builder policy
//! and variants of it, through the real front and helper: a template without the
//! grant or of a guest out of scope, volume deletions outside what `[storage]` and the
//! backup grants allow, migrations (offline, and to nodes outside `[migrate] nodes`),
//! the firewall and HA reads with and without their `[api]` rules (and what they
//! show), and guest-agent programs in a container. The simulator is checked each time
//! for what did and did not change.

use pve_mcp_tests::sim_client;

use super::{
    all_refused, edit, lab_policy, not_found, ok, refused, refused_by, resource, stack, with_agent,
    with_api,
};
use pve_mcp_tests::client::{Client, text};
use pve_mcp_tests::sim::PveVersion;
use serde_json::{Value, json};
use sim_client::Api;

/// A stopped lab VM on pve1 without tags or firewall (dataset index 27).
const LAB_VM: u32 = 127;
/// A running lab VM on pve1 (dataset index 12, role web, with a guest firewall).
const RUNNING_VM: u32 = 112;
/// A running lab VM on pve3 (dataset index 2, role cache: its firewall opens 6379).
const CACHE_VM: u32 = 102;
/// A stopped lab container on pve2 (dataset index 7).
const LAB_CT: u32 = 107;
/// A production guest on pve1 (dataset index 0): out of the lab's scope.
const PROD: u32 = 100;
/// The netinstall image every node's `local` and the shared `nas` hold.
const ISO: &str = "iso/debian-12.8.0-amd64-netinst.iso";

/// The tools `client` is offered.
async fn listed(client: &Client) -> Vec<String> {
    let tools = client.tools().await.unwrap();
    tools.into_iter().map(|t| t.name.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_and_volume_deletions_stay_within_the_grants_and_storage_rules() {
    let policy = edit(&lab_policy(), "\"clone\", \"template\",", "\"clone\",");
    let policy = edit(&policy, "\"template\", \"delete\"", "\"delete\"");
    let policy = edit(&policy, "delete = true", "delete = false");
    let stack = stack(&policy, 30);
    let api = Api::new(&stack.sim);
    let client = stack.confirming_client(true).await.unwrap();
    let tools = listed(&client).await;
    assert!(!tools.iter().any(|t| t == "guest_template"), "{tools:?}");
    assert!(tools.iter().any(|t| t == "volume_delete"), "{tools:?}");

    refused_by(
        &client,
        "guest_template",
        json!({"vmid": LAB_VM}),
        "guests.actions",
        "action \"template\" on guest 127 is not allowed",
    )
    .await;
    not_found(&client, "guest_template", json!({"vmid": PROD})).await;
    for vmid in [LAB_VM, PROD] {
        assert_eq!(resource(&api, vmid).await.unwrap()["template"], 0);
    }

    // A guest's disk, an ISO on a storage [storage] does not list, an ISO while
    // [storage] delete is off, and a backup of a guest out of scope.
    let disk = "local-lvm:vm-127-disk-0";
    assert!(
        stack
            .sim
            .volumes("pve1", "local-lvm")
            .contains(&disk.to_owned())
    );
    let why = refused(
        &client,
        "volume_delete",
        json!({"node": "pve1", "volume": disk}),
    )
    .await;
    let words = "is not a backup, ISO image or container template; a guest's disks go with \
                 guest_configure (delete) or guest_delete";
    assert!(why.contains(words), "{why}");
    let (nas_iso, local_iso) = (format!("nas:{ISO}"), format!("local:{ISO}"));
    all_refused(
        &client,
        &[
            (
                "volume_delete",
                json!({"node": "pve1", "volume": nas_iso}),
                "storage.storages",
                "add \"nas\" to [storage] storages",
            ),
            (
                "volume_delete",
                json!({"node": "pve1", "volume": local_iso}),
                "storage.delete",
                "set delete = true in [storage]",
            ),
        ],
    )
    .await;
    let (code, started) = api
        .post(
            "/nodes/pve1/vzdump",
            &[("vmid", &PROD.to_string()), ("storage", "local")],
        )
        .await;
    assert_eq!(code, 200, "{started}");
    api.wait_task("pve1", started["data"].as_str().unwrap())
        .await;
    let prod_backup = stack
        .sim
        .volumes("pve1", "local")
        .into_iter()
        .find(|v| v.contains("vzdump-qemu-100-"))
        .expect("a backup of the production guest");
    not_found(
        &client,
        "volume_delete",
        json!({"node": "pve1", "volume": prod_backup}),
    )
    .await;
    for (storage, volume) in [
        ("local-lvm", disk),
        ("nas", &nas_iso),
        ("local", &local_iso),
        ("local", &prod_backup),
    ] {
        let kept = stack.sim.volumes("pve1", storage);
        assert!(kept.iter().any(|v| v == volume), "{volume} is kept");
    }
    assert_eq!(client.questions().len(), 0, "nothing was worth asking");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_go_offline_or_online_and_only_to_the_migrate_nodes() {
    let policy = edit(
        &lab_policy(),
        "[migrate]\nnodes = [\"pve1\", \"pve2\", \"pve3\"]",
        "[migrate]\nnodes = [\"pve1\", \"pve2\"]",
    );
    let stack = stack(&policy, 30);
    let api = Api::new(&stack.sim);
    let client = stack.client().await.unwrap();
    // A stopped guest moves offline, whether or not online is asked for.
    for (target, online) in [("pve2", false), ("pve1", true)] {
        let args = json!({"vmid": LAB_VM, "target": target, "online": online});
        super::finished_ok(&ok(&client, "guest_migrate", args).await);
        let moved = resource(&api, LAB_VM).await.unwrap();
        let now = (moved["node"].as_str(), moved["status"].as_str());
        assert_eq!(now, (Some(target), Some("stopped")), "{moved}");
    }

    // A running guest is not stopped for an offline migration.
    let why = refused(
        &client,
        "guest_migrate",
        json!({"vmid": RUNNING_VM, "target": "pve2", "online": false}),
    )
    .await;
    assert!(why.contains("is running: migrate it online"), "{why}");
    refused_by(
        &client,
        "guest_migrate",
        json!({"vmid": RUNNING_VM, "target": "pve3"}),
        "migrate.nodes",
        "add \"pve3\" to [migrate] nodes",
    )
    .await;
    let still = resource(&api, RUNNING_VM).await.unwrap();
    assert_eq!(
        (still["node"].as_str(), still["status"].as_str()),
        (Some("pve1"), Some("running"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firewall_rules_are_read_only_where_the_api_rules_allow() {
    // The lab builder reads no firewall: the tool is not offered, and refused.
    let stack = stack(&lab_policy(), 30);
    let client = stack.client().await.unwrap();
    assert!(!listed(&client).await.iter().any(|t| t == "firewall"));
    for (args, path) in [
        (json!({}), "/cluster/firewall/rules"),
        (json!({"node": "pve1"}), "/nodes/pve1/firewall/rules"),
        (
            json!({"vmid": CACHE_VM}),
            "/nodes/pve3/qemu/102/firewall/rules",
        ),
    ] {
        refused_by(
            &client,
            "firewall",
            args,
            "default deny",
            &format!("GET {path} matches no [api] allow pattern"),
        )
        .await;
    }
    drop(stack);

    let policy = with_api(
        &lab_policy(),
        "\"GET /nodes/*/firewall/**\", \"GET /nodes/*/qemu/*/firewall/**\"",
    );
    let stack = super::stack(&policy, 30);
    let client = stack.client().await.unwrap();
    let node = ok(&client, "firewall", json!({"node": "pve2"})).await;
    let node = &node["structuredContent"];
    assert_eq!(node["scope"], "node pve2");
    let ssh = rule_with(node, "dport", "22");
    assert_eq!(
        (
            &ssh["iface"],
            &ssh["source"],
            &ssh["action"],
            &ssh["enable"]
        ),
        (
            &json!("vmbr0"),
            &json!("10.10.0.0/16"),
            &json!("ACCEPT"),
            &json!(true)
        ),
        "{node}"
    );
    assert_eq!(rule_with(node, "comment", "corosync")["dport"], "5405:5412");
    assert_eq!(node["options"]["nosmurfs"], 1, "{node}");

    let guest = ok(&client, "firewall", json!({"vmid": CACHE_VM})).await;
    let guest = &guest["structuredContent"];
    assert_eq!(guest["scope"], "guest 102");
    assert_eq!(guest["rules"].as_array().unwrap().len(), 2, "{guest}");
    assert_eq!(rule_with(guest, "macro", "SSH")["source"], "10.10.0.0/16");
    assert_eq!(rule_with(guest, "dport", "6379")["source"], "10.20.0.0/16");
    assert_eq!(guest["options"]["policy_in"], "DROP", "{guest}");
    let bare = ok(&client, "firewall", json!({"vmid": LAB_VM})).await;
    assert_eq!(
        bare["structuredContent"]["rules"],
        json!([]),
        "no {LAB_VM}.fw"
    );

    not_found(&client, "firewall", json!({"vmid": PROD})).await;
    refused_by(
        &client,
        "firewall",
        json!({}),
        "default deny",
        "GET /cluster/firewall/rules",
    )
    .await;
}

/// The rule of a firewall answer whose `field` is `value`.
fn rule_with<'a>(answer: &'a Value, field: &str, value: &str) -> &'a Value {
    answer["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[field] == value)
        .unwrap_or_else(|| panic!("a rule with {field} {value}: {answer}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ha_resources_are_read_where_allowed_and_show_guests_in_scope_only() {
    let stack = stack(&lab_policy(), 80);
    let client = stack.client().await.unwrap();
    assert!(!listed(&client).await.iter().any(|t| t == "ha_resources"));
    refused_by(
        &client,
        "ha_resources",
        json!({}),
        "default deny",
        "GET /cluster/ha/resources matches no [api] allow pattern",
    )
    .await;
    drop(stack);

    // HA manages VM 120 and container 170 (both in production); 120 is put in scope.
    let policy = edit(
        &lab_policy(),
        "allow = [\"pool:lab\"]",
        "allow = [\"pool:lab\", \"120\"]",
    );
    let policy = with_api(
        &policy,
        "\"GET /cluster/ha/resources\", \"GET /cluster/ha/groups\", \"GET /cluster/ha/rules\"",
    );
    let stack = super::stack(&policy, 80);
    let api = Api::new(&stack.sim);
    let (_, all) = api.get("/cluster/ha/resources").await;
    let sids: Vec<&str> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["sid"].as_str())
        .collect();
    assert_eq!(sids, ["ct:170", "vm:120"]);
    let client = stack.client().await.unwrap();
    let r = ok(&client, "ha_resources", json!({})).await;
    let ha = &r["structuredContent"];
    match stack.sim.config().pve {
        PveVersion::Pve8 => {
            let only_120 = json!([{"sid": "vm:120", "vmid": 120, "state": "started",
                                   "group": "all-nodes", "max_restart": 1, "max_relocate": 1}]);
            assert_eq!(ha["resources"], only_120, "only the guest in scope");
            assert_eq!(ha["groups"][0]["nodes"], "pve1,pve2,pve3", "{ha}");
        }
        PveVersion::Pve9 => {
            // Groups became rules; the one rule also names container 170, so it is
            // not shown.
            let only_120 = json!([{"sid": "vm:120", "vmid": 120, "state": "started",
                                   "max_restart": 1, "max_relocate": 1}]);
            assert_eq!(ha["resources"], only_120, "only the guest in scope");
            let (_, rules) = api.get("/cluster/ha/rules").await;
            assert_eq!(rules["data"][0]["resources"], "ct:170,vm:120", "{rules}");
            assert!(ha.get("rules").is_none(), "{ha}");
            assert_eq!(ha["groups"], json!([]), "{ha}");
        }
    }
    assert!(!text(&r).contains("170"), "{}", text(&r));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guest_agent_runs_programs_in_vms_only() {
    let policy = with_agent(&lab_policy(), "exec = [[\"hostname\"]]");
    let stack = stack(&policy, 30);
    let client = stack.client().await.unwrap();
    let why = refused(
        &client,
        "agent_exec",
        json!({"vmid": LAB_CT, "argv": ["hostname"]}),
    )
    .await;
    assert!(
        why.contains("guest 107 is a container: only VMs have a QEMU guest agent"),
        "{why}"
    );
    not_found(
        &client,
        "agent_exec",
        json!({"vmid": PROD, "argv": ["hostname"]}),
    )
    .await;
    let r = ok(
        &client,
        "agent_exec",
        json!({"vmid": CACHE_VM, "argv": ["hostname"]}),
    )
    .await;
    assert_eq!(r["structuredContent"]["stdout"], "cache-002\n", "{r}");
}
