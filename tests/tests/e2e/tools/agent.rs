//! End to end: `guest_agent` through the real mcp-front and pve-helper against the
//! simulated cluster: ping, OS info and network interfaces of a running VM with the
//! agent enabled; PVE's own errors for a VM without agent or not running; refused
//! unless the policy grants `agent.read` (nothing does by default), containers
//! refused, and "not found" outside the scope.

use pve_mcp_tests::{
    client::{is_error, text},
    sim::{self, GuestKind, GuestSeed, PowerState, SimConfig},
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
[[rule]]
name = "agent"
guests = ["100-139"]
actions = ["agent.read"]
"#;

fn guest(want: impl Fn(&GuestSeed) -> bool) -> GuestSeed {
    sim::dataset::find(NODES, GUESTS, want)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_agent_answers_for_running_vms_with_an_agent() {
    let mut o = StackOptions::new(POLICY);
    o.sim = SimConfig {
        nodes: NODES,
        guests: GUESTS,
        ..SimConfig::default()
    };
    let stack = Stack::start(o).expect("stack starts");
    let client = stack.client().await.expect("front starts");
    // The dataset enables the agent when index % 3 != 1.
    let vm = guest(|g| {
        g.vmid < 140
            && g.kind == GuestKind::Qemu
            && g.initial == PowerState::Running
            && g.index % 3 != 1
    });
    let call = |command: &str| json!({"vmid": vm.vmid, "command": command});
    let r = client.call("guest_agent", call("ping")).await.unwrap();
    assert!(!is_error(&r), "{r}");
    assert!(text(&r).contains("answers"), "{}", text(&r));
    let r = client.call("guest_agent", call("osinfo")).await.unwrap();
    assert_eq!(
        r["structuredContent"]["os"]["version"], "12 (bookworm)",
        "{r}"
    );
    let r = client.call("guest_agent", call("network")).await.unwrap();
    let ifaces = r["structuredContent"]["interfaces"].as_array().unwrap();
    assert_eq!(ifaces.len(), 2, "{r}");
    assert_eq!(ifaces[1]["name"], "eth0");
    assert!(
        ifaces[1]["addresses"][0]
            .as_str()
            .unwrap()
            .starts_with("10.20."),
        "{r}"
    );

    // PVE's own errors come through with their status.
    let no_agent = guest(|g| g.vmid < 140 && g.kind == GuestKind::Qemu && g.index % 3 == 1);
    let r = client
        .call(
            "guest_agent",
            json!({"vmid": no_agent.vmid, "command": "ping"}),
        )
        .await
        .unwrap();
    assert!(is_error(&r), "{r}");
    assert!(
        text(&r).contains("No QEMU guest agent configured") && text(&r).contains("HTTP 500"),
        "{}",
        text(&r)
    );
    let stopped = guest(|g| {
        g.vmid < 140
            && g.kind == GuestKind::Qemu
            && g.initial == PowerState::Stopped
            && g.index % 3 != 1
    });
    let r = client
        .call(
            "guest_agent",
            json!({"vmid": stopped.vmid, "command": "osinfo"}),
        )
        .await
        .unwrap();
    assert!(
        is_error(&r) && text(&r).contains(&format!("VM {} is not running", stopped.vmid)),
        "{r}"
    );
    let ct = guest(|g| g.vmid < 140 && g.kind == GuestKind::Lxc);
    let r = client
        .call("guest_agent", json!({"vmid": ct.vmid, "command": "ping"}))
        .await
        .unwrap();
    assert!(
        is_error(&r) && text(&r).contains("containers have no QEMU guest agent"),
        "{r}"
    );

    // Policy: only the rule's guests; outside the scope, not found.
    let not_granted = guest(|g| (140..150).contains(&g.vmid) && g.kind == GuestKind::Qemu);
    let r = client
        .call(
            "guest_agent",
            json!({"vmid": not_granted.vmid, "command": "ping"}),
        )
        .await
        .unwrap();
    assert!(
        is_error(&r)
            && text(&r).starts_with("Denied: action \"agent.read\"")
            && text(&r).contains("add \"agent.read\" to [guests] actions"),
        "{r}"
    );
    let r = client
        .call("guest_agent", json!({"vmid": 155, "command": "ping"}))
        .await
        .unwrap();
    assert!(
        is_error(&r) && text(&r).contains("does not exist or is not visible"),
        "{r}"
    );
}
