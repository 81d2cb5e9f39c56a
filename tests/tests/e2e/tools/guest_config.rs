//! End to end: `guest_config` through the real mcp-front and pve-helper against the
//! simulated cluster: the configuration of a guest in scope with its node and type
//! resolved from the vmid, secrets redacted, refused without the `config.read` grant,
//! and "not found" outside the scope; and `guest_export`, the same configuration as
//! Terraform, under the same grant.

use pve_mcp_tests::{
    client::{Client, is_error, text},
    sim::{self, GuestKind, GuestSeed, SimConfig},
    stack::{Stack, StackOptions},
};
use serde_json::json;

const NODES: usize = 3;
const GUESTS: usize = 60;

const POLICY: &str = r#"
[clients]
users = [{uid}]

[guests]
allow = ["100-149"]
actions = []

[[rule]]
name = "read configs"
guests = ["100-139"]
actions = ["config.read"]
"#;

async fn stack_and_client() -> (Stack, Client) {
    let mut o = StackOptions::new(POLICY);
    o.sim = SimConfig {
        nodes: NODES,
        guests: GUESTS,
        ..SimConfig::default()
    };
    let stack = Stack::start(o).expect("stack starts");
    let client = stack.client().await.expect("mcp-front starts");
    (stack, client)
}

fn guest(want: impl Fn(&GuestSeed) -> bool) -> GuestSeed {
    sim::dataset::find(NODES, GUESTS, want)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_config_reads_a_vm_with_its_secrets_redacted() {
    let (stack, client) = stack_and_client().await;
    // A VM with cloud-init (index % 4 == 1), so it has a cipassword.
    let vm = guest(|g| g.vmid < 140 && g.kind == GuestKind::Qemu && g.index % 4 == 1);
    let r = client
        .call("guest_config", json!({"vmid": vm.vmid}))
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    let s = &r["structuredContent"];
    assert_eq!(s["vmid"], vm.vmid);
    assert_eq!(s["type"], "qemu");
    assert_eq!(s["node"], vm.node.as_str());
    assert_eq!(s["config"]["name"], vm.name.as_str());
    assert_eq!(s["config"]["memory"], vm.memory_mib.to_string());
    assert_eq!(s["config"]["ciuser"], "admin");
    assert_eq!(s["config"]["cipassword"], "[redacted]");
    assert_eq!(s["redacted"], json!(["cipassword"]));
    assert!(s["config"].get("digest").is_none());
    let t = text(&r);
    assert!(
        t.starts_with(&format!(
            "Configuration of VM {} on node {}:\n",
            vm.vmid, vm.node
        )),
        "{t}"
    );
    assert!(
        t.contains("cipassword: [redacted]\n") && !t.contains("*****"),
        "{t}"
    );
    // One upstream call for the config, on the guest's own node (plus the listing
    // that resolved it).
    let path = format!("/api2/json/nodes/{}/qemu/{}/config", vm.node, vm.vmid);
    assert_eq!(
        stack.sim.stats().path_count(&path),
        1,
        "{:?}",
        stack.sim.stats().per_path
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_config_reads_a_container_and_refuses_what_the_policy_does_not_grant() {
    let (_stack, client) = stack_and_client().await;
    let ct = guest(|g| g.vmid < 140 && g.kind == GuestKind::Lxc);
    let r = client
        .call("guest_config", json!({"vmid": ct.vmid}))
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    assert_eq!(r["structuredContent"]["type"], "lxc");
    assert_eq!(
        r["structuredContent"]["config"]["hostname"],
        ct.name.as_str()
    );
    assert_eq!(r["structuredContent"]["redacted"], json!([]));

    // In scope, but not covered by the rule that grants config.read.
    let outside_rule = guest(|g| (140..150).contains(&g.vmid));
    let r = client
        .call("guest_config", json!({"vmid": outside_rule.vmid}))
        .await
        .unwrap();
    assert!(is_error(&r), "{r}");
    let t = text(&r);
    assert!(
        t.starts_with("Denied: action \"config.read\"")
            && t.contains("add \"config.read\" to [guests] actions")
            && t.contains("(rule: guests.actions)"),
        "{t}"
    );
    // Out of scope: not found, like a guest that does not exist.
    for vmid in [155, 999] {
        let r = client
            .call("guest_config", json!({"vmid": vmid}))
            .await
            .unwrap();
        assert!(is_error(&r), "{r}");
        assert!(
            text(&r).contains("does not exist or is not visible"),
            "{}",
            text(&r)
        );
    }
}

/// The resource block of an exported configuration, parsed as HCL.
fn exported_resource(terraform: &str) -> hcl::Block {
    let body: hcl::Body = hcl::from_str(terraform)
        .unwrap_or_else(|e| panic!("the export parses as HCL: {e}\n{terraform}"));
    body.into_blocks()
        .find(|b| b.identifier() == "resource")
        .expect("a resource block")
}

fn hcl_attr(block: &hcl::Block, key: &str) -> Option<hcl::Expression> {
    block
        .body()
        .attributes()
        .find(|a| a.key() == key)
        .map(|a| a.expr().clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_export_writes_terraform_without_secrets_under_the_config_read_grant() {
    let (_stack, client) = stack_and_client().await;
    let vm = guest(|g| g.vmid < 140 && g.kind == GuestKind::Qemu && g.index % 4 == 1);
    let r = client
        .call("guest_export", json!({"vmid": vm.vmid}))
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    let s = &r["structuredContent"];
    assert_eq!(s["provider"], "bpg/proxmox");
    assert_eq!(s["secrets"], json!(["cipassword"]));
    let terraform = s["terraform"].as_str().unwrap();
    assert!(!terraform.contains("[redacted]"), "{terraform}");
    assert!(
        text(&r).contains(terraform),
        "the text carries the same HCL"
    );
    let resource = exported_resource(terraform);
    assert_eq!(
        resource.labels()[0].as_str(),
        "proxmox_virtual_environment_vm"
    );
    assert_eq!(
        hcl_attr(&resource, "vm_id"),
        Some(hcl::Expression::from(u64::from(vm.vmid)))
    );
    assert_eq!(
        hcl_attr(&resource, "node_name"),
        Some(hcl::Expression::from(vm.node.as_str()))
    );
    assert_eq!(
        hcl_attr(&resource, "name"),
        Some(hcl::Expression::from(vm.name.as_str()))
    );
    let memory = resource
        .body()
        .blocks()
        .find(|b| b.identifier() == "memory")
        .expect("a memory block");
    assert_eq!(
        hcl_attr(memory, "dedicated"),
        Some(hcl::Expression::from(vm.memory_mib))
    );

    let ct = guest(|g| g.vmid < 140 && g.kind == GuestKind::Lxc);
    let r = client
        .call("guest_export", json!({"vmid": ct.vmid}))
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    let resource = exported_resource(r["structuredContent"]["terraform"].as_str().unwrap());
    assert_eq!(
        resource.labels()[0].as_str(),
        "proxmox_virtual_environment_container"
    );

    // The grant of guest_config, and the scope, hold for the export too.
    let outside_rule = guest(|g| (140..150).contains(&g.vmid));
    let r = client
        .call("guest_export", json!({"vmid": outside_rule.vmid}))
        .await
        .unwrap();
    assert!(
        is_error(&r) && text(&r).starts_with("Denied: action \"config.read\""),
        "{r}"
    );
    let r = client
        .call("guest_export", json!({"vmid": 155}))
        .await
        .unwrap();
    assert!(
        is_error(&r) && text(&r).contains("does not exist or is not visible"),
        "{r}"
    );
}
