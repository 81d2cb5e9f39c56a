//! The simulator's `/access/permissions`, as `pve-helper status` uses it: the token's
//! own privileges, compared with what the policy needs (PVE's shape:
//! `{path: {privilege: 1}}`).

use pve_mcp_tests::sim_client;

use pve_mcp_tests::stack::{Stack, StackOptions};
use sim_client::{Api, privileges_line};

const OPERATOR: &str = r#"
[clients]
users = [{uid}]
[guests]
allow = ["100-149"]
actions = ["start", "shutdown", "snapshot.list", "snapshot.rollback", "config.read"]
[api]
allow = ["GET /nodes", "GET /cluster/tasks"]
"#;

const NEEDS_SYSLOG: &str = r#"
[clients]
users = [{uid}]
[api]
allow = ["GET /nodes/*/syslog"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_permissions_has_pves_shape() {
    let mut o = StackOptions::new(OPERATOR);
    // `?bogus=1` below is refused on purpose.
    o.sim.expects_invalid_requests = true;
    let stack = Stack::start(o).expect("stack starts");
    let api = Api::new(&stack.sim);
    let (code, body) = api.get("/access/permissions").await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["data"]["/"]["VM.Audit"], 1, "{body}");
    assert_eq!(body["data"]["/"]["Sys.Audit"], 1, "{body}");
    let (code, body) = api.get("/access/permissions?path=/vms/101").await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["data"]["/vms/101"]["VM.PowerMgmt"], 1, "{body}");
    let (code, body) = api.get("/access/permissions?bogus=1").await;
    assert_eq!(code, 400, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_compares_the_tokens_privileges_with_the_policys_needs() {
    let stack = Stack::start(StackOptions::new(OPERATOR)).expect("stack starts");
    let text = stack.helper_status();
    let line = privileges_line(&text);
    assert!(
        line.trim_start().starts_with("ok") || line.trim_start().starts_with("warn"),
        "{text}"
    );
    assert!(!line.contains("skip") && !line.contains("501"), "{text}");

    stack.reload_policy(NEEDS_SYSLOG).expect("policy written");
    let text = stack.helper_status();
    let line = privileges_line(&text);
    assert!(
        line.contains("FAIL") && line.contains("Sys.Syslog"),
        "{text}"
    );
}

/// The lab builder's lifecycle grants need privileges a read-and-power token lacks;
/// `status` names each of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_names_the_lifecycle_privileges_the_token_lacks() {
    let policy = include_str!("../../../policy/examples/lab-builder.toml")
        .replace("users = [\"claude-user\"]", "users = [{uid}]");
    let stack = Stack::start(StackOptions::new(&policy)).expect("stack starts");
    let text = stack.helper_status();
    let line = privileges_line(&text);
    assert!(line.contains("FAIL"), "{text}");
    for privilege in [
        "VM.Allocate",
        "VM.Clone",
        "VM.Migrate",
        "VM.Config.Memory",
        "VM.Config.Network",
        "Datastore.AllocateSpace",
        "Datastore.AllocateTemplate",
    ] {
        assert!(
            text.contains(privilege),
            "{privilege} missing from:\n{text}"
        );
    }
    // What the token holds is not reported missing.
    assert!(!line.contains("VM.PowerMgmt"), "{text}");
}
